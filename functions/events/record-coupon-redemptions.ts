/**
 * EventBridge consumer (rule couponRedeemedToReport): CouponRedeemed → redemptions and discount (minor
 * units) per coupon code per UTC hour; exactly once per eventId. Counts redemptions as made: a coupon
 * released by a later cancellation is not subtracted. Throws on a detail that does not match its schema.
 */
import { reportConsumer } from '../commons/report-consumer.ts';
import { couponUpdates } from '../../src/domain/reports.ts';
import { rules } from '../../lib/wiring.ts';

export const handler = reportConsumer('coupons', rules.couponRedeemedToReport.detailTypes, (_type, d) => couponUpdates(d));
