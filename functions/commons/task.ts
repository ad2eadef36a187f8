/**
 * Plumbing for Step Functions task handlers: middy + Powertools Logger and Tracer, with the orderId as the
 * correlation id (correlateWith, powertools.ts). Errors propagate with their `name`, which the ASL
 * Retry/Catch blocks match.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import { correlateWith, logger, tracer } from './powertools.ts';

export interface OrderTaskInput {
  orderId: string;
}

/**
 * Wraps `fn(input)`; logs one INFO line per invocation (`task done` or `task failed` with the task name, carrying the
 * order's correlation id). `extra` middlewares (e.g. flushMetrics()) run inside logging.
 */
export function taskHandler<I extends OrderTaskInput, O>(
  name: string,
  fn: (input: I, context: Context) => Promise<O>,
  ...extra: MiddlewareObj<I, O>[]
) {
  const handler = middy<I, O>()
    // The result can hold payment details: kept out of the trace metadata.
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }));
  for (const m of extra) handler.use(m);
  return handler.handler(async (input, context) => {
    correlateWith(input.orderId);
    logger.appendKeys({ task: name });
    let result: O;
    try {
      result = await fn(input, context);
    } catch (error) {
      // Named errors are the saga's control flow (Retry/Catch); logged at INFO so the order's trail stays whole.
      logger.info('task failed', { errorName: (error as Error).name });
      throw error;
    }
    logger.info('task done');
    logger.debug('task result', { result: result as Record<string, unknown> });
    return result;
  });
}

/** Current time as ISO-8601 UTC. */
export const nowIso = (): string => new Date().toISOString();
