/**
 * Plumbing for Step Functions task handlers: middy + Powertools Logger with the orderId as a
 * correlation key. Errors propagate with their `name`, which the ASL Retry/Catch blocks match.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger } from './powertools.ts';

export interface OrderTaskInput {
  orderId: string;
}

/** Wraps `fn(input)`; logs the outcome with the orderId. `extra` middlewares (e.g. flushMetrics()) run inside logging. */
export function taskHandler<I extends OrderTaskInput, O>(name: string, fn: (input: I, context: Context) => Promise<O>, ...extra: MiddlewareObj<I, O>[]) {
  const handler = middy<I, O>().use(injectLambdaContext(logger, { resetKeys: true }));
  for (const m of extra) handler.use(m);
  return handler.handler(async (input, context) => {
    logger.appendKeys({ orderId: input.orderId, task: name });
    const result = await fn(input, context);
    logger.debug('task done', { result: result as Record<string, unknown> });
    return result;
  });
}

/** Current time as ISO-8601 UTC. */
export const nowIso = (): string => new Date().toISOString();
