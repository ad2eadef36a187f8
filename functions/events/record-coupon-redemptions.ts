/**
 * EventBridge consumer (rule couponRedeemedToReport): CouponRedeemed → redemptions and discount (minor
 * units) per coupon code per UTC hour; exactly once per eventId. Counts redemptions as made: a coupon
 * released by a later cancellation is not subtracted. Throws on a detail that does not match its schema.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { EventBridgeEvent } from 'aws-lambda';
import { doc } from '../commons/clients.ts';
import { logger } from '../commons/powertools.ts';
import { couponUpdates } from '../../src/domain/reports.ts';
import { eventDetailSchemas } from '../../src/events/catalog.ts';
import { ReportStore } from '../../src/store/report-store.ts';

const reports = new ReportStore(doc);

export const handler = middy<EventBridgeEvent<'CouponRedeemed', unknown>, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const d = eventDetailSchemas.CouponRedeemed.parse(event.detail);
    const counted = await reports.applyOnce('coupons', d.eventId, couponUpdates(d), new Date());
    if (!counted) logger.info('Duplicate delivery ignored', { eventId: d.eventId });
  });
