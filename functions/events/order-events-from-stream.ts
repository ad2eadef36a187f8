/**
 * Pipe enrichment (lib/wiring.ts `pipes.orderEvents`, the transactional outbox) — input: a batch (array) of
 * orders-table stream records as EventBridge Pipes passes them (DynamoDB JSON images, NEW_AND_OLD_IMAGES) →
 * output: an array of `{source, detailType, time, detail}`, one per domain event the changes mean
 * (src/events/order-stream.ts), in stream order; the pipe's event-bus target turns each into one event. An
 * empty array sends nothing. Throws only on an order that violates an event schema (the pipe retries the
 * batch, bisects it and dead-letters the record).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { logger, tracer } from '../commons/powertools.ts';
import { pipeEntriesFromRecords, type OrderStreamRecord, type PipeEventEntry } from '../../src/events/order-stream.ts';

export const handler = middy<OrderStreamRecord[], PipeEventEntry[]>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (records) => {
    const entries = pipeEntriesFromRecords(Array.isArray(records) ? records : []);
    logger.debug('order events from stream', { records: records?.length ?? 0, events: entries.length });
    return entries;
  });
