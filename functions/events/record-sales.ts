/**
 * EventBridge consumer (rule salesToHourlyReport): OrderPaid / OrderCancelled / OrderRefunded → hourly
 * sales counters per store and per sales region, in UTC hours and in the store's local hours (zone looked
 * up from the stores table), plus paid units per SKU per UTC hour; exactly once per eventId (one
 * transaction with the event marker). Rules: src/domain/reports.ts salesUpdates; PRODUCT.md sales report.
 * Throws (→ retry, then dead-letter queue) on a detail that does not match its schema.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { EventBridgeEvent } from 'aws-lambda';
import { doc } from '../commons/clients.ts';
import { logger } from '../commons/powertools.ts';
import { storeTimeZone } from '../commons/store-timezones.ts';
import { salesUpdates } from '../../src/domain/reports.ts';
import { eventDetailSchemas } from '../../src/events/catalog.ts';
import { ReportStore } from '../../src/store/report-store.ts';

const reports = new ReportStore(doc);
const schemas = { OrderPaid: eventDetailSchemas.OrderPaid, OrderCancelled: eventDetailSchemas.OrderCancelled, OrderRefunded: eventDetailSchemas.OrderRefunded };

export const handler = middy<EventBridgeEvent<string, unknown>, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const type = event['detail-type'] as keyof typeof schemas;
    if (!(type in schemas)) return;
    const d = schemas[type].parse(event.detail);
    const updates = salesUpdates(type, d, await storeTimeZone(d.storeId));
    const counted = await reports.applyOnce('sales', d.eventId, updates, new Date());
    if (!counted) logger.info('Duplicate delivery ignored', { eventId: d.eventId });
  });
