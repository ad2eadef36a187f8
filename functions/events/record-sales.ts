/**
 * EventBridge consumer (rule salesToHourlyReport): OrderPaid / OrderCancelled / OrderRefunded → hourly
 * sales counters per store and per sales region, in UTC hours and in the store's local hours (zone looked
 * up from the stores table), plus paid units per SKU per UTC hour; exactly once per eventId (one
 * transaction with the event marker). Rules: src/domain/reports.ts salesUpdates; PRODUCT.md sales report.
 * Throws (→ retry, then dead-letter queue) on a detail that does not match its schema.
 */
import { reportConsumer } from '../commons/report-consumer.ts';
import { storeTimeZone } from '../commons/store-timezones.ts';
import { salesUpdates } from '../../src/domain/reports.ts';
import { rules } from '../../lib/wiring.ts';

export const handler = reportConsumer('sales', rules.salesToHourlyReport.detailTypes, async (type, d) =>
  salesUpdates(type, d, await storeTimeZone(d.storeId)),
);
