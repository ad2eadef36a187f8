/**
 * EventBridge consumer (rule placedAndPaidToFunnel): OrderPlaced / OrderPaid → the payment funnel per
 * store and per sales region, by the UTC hour the order was placed: placed, paid, and a time-to-pay
 * histogram of atomic counters (bounds: src/domain/reports.ts TIME_TO_PAY_BOUNDS_SECONDS); exactly once
 * per eventId. Throws (→ retry, then dead-letter queue) on a detail that does not match its schema.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { EventBridgeEvent } from 'aws-lambda';
import { doc } from '../commons/clients.ts';
import { logger } from '../commons/powertools.ts';
import { funnelUpdates } from '../../src/domain/reports.ts';
import { eventDetailSchemas } from '../../src/events/catalog.ts';
import { ReportStore } from '../../src/store/report-store.ts';

const reports = new ReportStore(doc);
const schemas = { OrderPlaced: eventDetailSchemas.OrderPlaced, OrderPaid: eventDetailSchemas.OrderPaid };

export const handler = middy<EventBridgeEvent<string, unknown>, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const type = event['detail-type'] as keyof typeof schemas;
    if (!(type in schemas)) return;
    const d = schemas[type].parse(event.detail);
    const counted = await reports.applyOnce('funnel', d.eventId, funnelUpdates(type, d), new Date());
    if (!counted) logger.info('Duplicate delivery ignored', { eventId: d.eventId });
  });
