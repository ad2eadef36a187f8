/**
 * EventBridge consumer (rule placedAndPaidToFunnel): OrderPlaced / OrderPaid → the payment funnel per
 * store and per sales region, by the UTC hour the order was placed: placed, paid, and a time-to-pay
 * histogram of atomic counters (bounds: src/domain/reports.ts TIME_TO_PAY_BOUNDS_SECONDS); exactly once
 * per eventId. Throws (→ retry, then dead-letter queue) on a detail that does not match its schema.
 */
import { reportConsumer } from '../commons/report-consumer.ts';
import { funnelUpdates } from '../../src/domain/reports.ts';
import { rules } from '../../lib/wiring.ts';

export const handler = reportConsumer('funnel', rules.placedAndPaidToFunnel.detailTypes, funnelUpdates);
