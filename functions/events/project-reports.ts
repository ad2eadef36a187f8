/**
 * Reporting projection (rule ordersToReports, fed through its SQS queue in batches): OrderPlaced (with its
 * coupons), OrderPaid, OrderCancelled and OrderRefunded → every report row at once (src/domain/reports.ts
 * projectionUpdates): hourly sales per store and per sales region by UTC hour and store-local hour (the
 * store's zone from the stores table, cached), paid units per SKU, the payment funnel by placed hour, and
 * coupon redemptions. One projection step and one marker per event; the rows of the whole batch are
 * summed and each written once (ReportStore.applyBatchOnce: exactly once per eventId, PRODUCT.md
 * invariant 5). Events whose counting failed are reported as batch item failures (SQS redelivers them).
 */
import { doc } from '../commons/clients.ts';
import { logger } from '../commons/powertools.ts';
import { queueConsumer } from '../commons/queue-consumer.ts';
import { storeTimeZone } from '../commons/store-timezones.ts';
import { needsTimeZone, projectionUpdates, type ProjectedEventDetail } from '../../src/domain/reports.ts';
import { ReportStore } from '../../src/store/report-store.ts';
import { rules } from '../../lib/wiring.ts';

const reports = new ReportStore(doc);

export const handler = queueConsumer(rules.ordersToReports.detailTypes, async (events) => {
  const counted = await Promise.all(
    events.map(async ({ type, detail }) => ({
      eventId: detail.eventId,
      updates: projectionUpdates(type, detail as ProjectedEventDetail, needsTimeZone(type) ? await storeTimeZone(detail.storeId) : 'UTC'),
    })),
  );
  const outcome = await reports.applyBatchOnce(counted, new Date());
  if (outcome.duplicates.length > 0) logger.info('Duplicate deliveries ignored', { eventIds: outcome.duplicates });
  const failedIds = new Set<string>();
  for (const { eventIds, error } of outcome.failed) {
    logger.error('Counting failed; redelivering', { eventIds, errorName: (error as Error)?.name, error: error as Error });
    for (const id of eventIds) failedIds.add(id);
  }
  return events.filter((e) => failedIds.has(e.detail.eventId)).map((e) => e.messageId);
});
