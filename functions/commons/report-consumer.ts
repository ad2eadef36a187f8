/**
 * The shape every reporting consumer shares, on top of {@link eventConsumer} (declared detail-types only,
 * detail validated against its catalog schema: throws → retry, then dead-letter queue): turn the event into
 * counter updates and apply them exactly once per (consumer, eventId) (ReportStore.applyOnce; PRODUCT.md
 * invariant 5).
 */
import { doc } from './clients.ts';
import { eventConsumer } from './event-consumer.ts';
import { logger } from './powertools.ts';
import type { CounterUpdate } from '../../src/domain/reports.ts';
import type { EventDetail, EventType } from '../../src/events/catalog.ts';
import { ReportStore } from '../../src/store/report-store.ts';

const reports = new ReportStore(doc);

/**
 * A Lambda handler counting the `detailTypes` events into the `consumer`'s aggregates.
 *
 * @param consumer names the aggregates' event markers (`EVENT#<consumer>#<eventId>`).
 * @param detailTypes the rule's `detailTypes` (lib/wiring.ts).
 * @param updatesFor the counter updates of one event.
 */
export function reportConsumer<const T extends EventType>(
  consumer: string,
  detailTypes: readonly T[],
  updatesFor: (type: T, detail: EventDetail<T>) => CounterUpdate[] | Promise<CounterUpdate[]>,
) {
  return eventConsumer(detailTypes, async ({ type, detail }) => {
    const counted = await reports.applyOnce(consumer, detail.eventId, await updatesFor(type, detail as EventDetail<T>), new Date());
    if (!counted) logger.info('Duplicate delivery ignored', { eventId: detail.eventId });
  });
}
