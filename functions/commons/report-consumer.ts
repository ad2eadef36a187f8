/**
 * The shape every reporting consumer shares: validate the event detail against its catalog schema
 * (throws → retry, then dead-letter queue), turn it into counter updates, and apply them exactly once
 * per (consumer, eventId) (ReportStore.applyOnce; PRODUCT.md invariant 5). Other detail-types are ignored.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { EventBridgeEvent } from 'aws-lambda';
import { doc } from './clients.ts';
import { logger } from './powertools.ts';
import type { CounterUpdate } from '../../src/domain/reports.ts';
import { eventDetailSchemas, type EventDetail, type EventType } from '../../src/events/catalog.ts';
import { ReportStore } from '../../src/store/report-store.ts';

const reports = new ReportStore(doc);

/** A Lambda handler counting the `types` events into the `consumer`'s aggregates. */
export function reportConsumer<T extends EventType>(
  consumer: string,
  types: readonly T[],
  updatesFor: (type: T, detail: EventDetail<T>) => CounterUpdate[] | Promise<CounterUpdate[]>,
) {
  return middy<EventBridgeEvent<string, unknown>, void>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const type = event['detail-type'] as T;
      if (!types.includes(type)) return;
      const detail = eventDetailSchemas[type].parse(event.detail) as EventDetail<T>;
      const counted = await reports.applyOnce(consumer, detail.eventId, await updatesFor(type, detail), new Date());
      if (!counted) logger.info('Duplicate delivery ignored', { eventId: detail.eventId });
    });
}
