/**
 * The one shape of every EventBridge consumer: a middy handler (Powertools logger context, keys reset per
 * event; Powertools Tracer) that accepts only the detail-types it declares, validates the detail against the event catalog
 * (src/events/catalog.ts; a malformed detail throws → EventBridge retries, then the dead-letter queue) and
 * hands the consumer a typed `{type, detail}`. The detail's `orderId` (every order event; InventoryLow when an
 * order's placement detected it) becomes the correlation id of the invocation, and one INFO line per
 * delivery (`event consumed` / `event failed`) carries it.
 *
 * The declared list is the rule's own (`rules.<id>.detailTypes` in lib/wiring.ts, from which the deployed
 * pattern is built), and the handler exposes it as `detailTypes` so that test/unit/event-consumers.test.ts
 * can check that every rule delivers exactly what its target declares.
 */
import middy, { type MiddyfiedHandler } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { correlateWith, logger, tracer } from './powertools.ts';
import { eventDetailSchemas, eventSource, type EventDetail, type EventType } from '../../src/events/catalog.ts';

/** One delivered event of one of the declared types, its detail validated and typed by its detail-type. */
export type ConsumedEvent<T extends EventType> = {
  [K in T]: { type: K; detail: EventDetail<K>; envelope: EventBridgeEvent<K, unknown> };
}[T];

/** A consumer's Lambda handler, carrying the detail-types it declared. */
export type EventConsumerHandler<T extends EventType, R> = MiddyfiedHandler<
  EventBridgeEvent<string, unknown>,
  R | undefined,
  Error,
  Context
> & {
  readonly detailTypes: readonly T[];
};

/**
 * Wraps `consume` as the Lambda handler of an EventBridge rule target.
 *
 * @param detailTypes the detail-types this consumer handles: pass the rule's `detailTypes` from lib/wiring.ts.
 * @param consume called once per delivery with the validated, typed detail; its result is the handler's.
 * @returns the middy handler, with `detailTypes` attached. An event of another detail-type or source
 *   (a wiring mistake, or a hand-made invocation) is logged and ignored (answers `undefined`), never retried.
 * @throws ZodError when the detail does not match its catalog schema (retry, then dead-letter queue).
 */
export function eventConsumer<const T extends EventType, R = void>(
  detailTypes: readonly T[],
  consume: (event: ConsumedEvent<T>) => R | Promise<R>,
): EventConsumerHandler<T, R> {
  const handler = middy<EventBridgeEvent<string, unknown>, R | undefined, Error, Context>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (envelope) => {
      const type = envelope['detail-type'] as T;
      if (!detailTypes.includes(type) || envelope.source !== eventSource[type]) {
        logger.warn('Event of an undeclared detail-type ignored', { eventType: envelope['detail-type'], source: envelope.source });
        return undefined;
      }
      const detail = eventDetailSchemas[type].parse(envelope.detail) as EventDetail<T>;
      logger.appendKeys({ eventType: type, eventId: detail.eventId });
      const orderId = (detail as { orderId?: string }).orderId;
      if (orderId) correlateWith(orderId);
      try {
        const result = await consume({ type, detail, envelope } as ConsumedEvent<T>);
        logger.info('event consumed');
        return result;
      } catch (error) {
        // Rethrown: EventBridge retries, then dead-letters; the line keeps the order's trail whole.
        logger.info('event failed', { errorName: (error as Error).name });
        throw error;
      }
    });
  return Object.assign(handler, { detailTypes });
}
