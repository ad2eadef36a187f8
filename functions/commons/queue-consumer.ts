/**
 * The shape of an event consumer fed through an SQS queue (a rule whose wiring entry has `queue`, lib/wiring.ts):
 * EventBridge puts each event on the queue (message body = the EventBridge event JSON), and a Lambda event
 * source mapping hands the consumer a batch of messages. Like {@link eventConsumer} it accepts only the
 * detail-types it declares (others are logged and acknowledged) and validates each detail against the event
 * catalog; unlike it, the consumer sees the whole batch at once, so it can aggregate (e.g. write each report
 * row once per batch).
 *
 * Failures are per message (ReportBatchItemFailures): a body that is not JSON or a detail that does not match
 * its schema, and every message whose event the consumer reports failed, come back in `batchItemFailures`;
 * SQS redelivers them after the visibility timeout and dead-letters them after the queue's `maxReceiveCount`.
 * Acknowledged messages are deleted. If the consumer throws, every message of the batch is redelivered.
 * One INFO line per consumed event (`event consumed`) carries its order's correlation id.
 */
import middy, { type MiddyfiedHandler } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger, tracer } from './powertools.ts';
import { eventDetailSchemas, eventSource, type EventType } from '../../src/events/catalog.ts';
import type { ConsumedEvent } from './event-consumer.ts';

/** One queued event of a declared type, its detail validated and typed, with the message that carried it. */
export type QueuedEvent<T extends EventType> = ConsumedEvent<T> & { messageId: string };

/** A queue consumer's Lambda handler, carrying the detail-types it declared. */
export type QueueConsumerHandler<T extends EventType> = MiddyfiedHandler<SQSEvent, SQSBatchResponse, Error, Context> & {
  readonly detailTypes: readonly T[];
};

/**
 * Wraps `consumeBatch` as the Lambda handler of an SQS event source mapping.
 *
 * @param detailTypes the rule's `detailTypes` from lib/wiring.ts.
 * @param consumeBatch called once per invocation with the valid events of the batch (possibly none);
 *   resolves with the message ids whose events were NOT processed (they are redelivered).
 * @returns the middy handler answering `{batchItemFailures: [{itemIdentifier: messageId}]}`, with `detailTypes` attached.
 */
export function queueConsumer<const T extends EventType>(
  detailTypes: readonly T[],
  consumeBatch: (events: QueuedEvent<T>[]) => Promise<Iterable<string>>,
): QueueConsumerHandler<T> {
  const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (sqsEvent) => {
      const failed = new Set<string>();
      const events: QueuedEvent<T>[] = [];
      for (const record of sqsEvent.Records) {
        try {
          const envelope = JSON.parse(record.body);
          const type = envelope['detail-type'] as T;
          if (!detailTypes.includes(type) || envelope.source !== eventSource[type]) {
            logger.warn('Event of an undeclared detail-type ignored', { eventType: envelope['detail-type'], source: envelope.source });
            continue;
          }
          const detail = eventDetailSchemas[type].parse(envelope.detail);
          events.push({ type, detail, envelope, messageId: record.messageId } as QueuedEvent<T>);
        } catch (error) {
          // A poison message: redelivered, then dead-lettered; the rest of the batch goes on.
          logger.error('Malformed queued event', { messageId: record.messageId, errorName: (error as Error).name });
          failed.add(record.messageId);
        }
      }
      const notDone = new Set(await consumeBatch(events));
      for (const e of events) {
        const orderId = (e.detail as { orderId?: string }).orderId;
        // Each line carries its own order's correlation id (a batch serves many orders).
        if (orderId) logger.setCorrelationId(orderId);
        const keys = { eventType: e.type, eventId: e.detail.eventId, orderId };
        if (notDone.has(e.messageId)) {
          failed.add(e.messageId);
          logger.info('event failed', keys);
        } else logger.info('event consumed', keys);
      }
      return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
    });
  return Object.assign(handler, { detailTypes });
}
