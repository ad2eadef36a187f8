/**
 * EventBridge consumer (rule salesToHourlyReport): OrderPaid / OrderCancelled / OrderRefunded →
 * hourly counters per store and per sales region (UTC hour of occurredAt), exactly once per eventId.
 * Counts per PRODUCT.md: paid orders (orders, units, revenue = totals, discount), orders ended
 * CANCELLED/EXPIRED/PAYMENT_FAILED (cancelled), refunds (refunded).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { EventBridgeEvent } from 'aws-lambda';
import { doc } from '../commons/clients.ts';
import { logger } from '../commons/powertools.ts';
import { ReportStore, type HourlySales } from '../../src/store/report-store.ts';

const reports = new ReportStore(doc);

interface OrderDetail {
  eventId: string;
  occurredAt: string;
  storeId: string;
  region: string;
  total: number;
  discount: number;
  items: { sku: string; quantity: number }[];
}

/** The counters one event adds. */
export function salesDelta(type: string, d: OrderDetail): Partial<HourlySales> {
  switch (type) {
    case 'OrderPaid':
      return { orders: 1, units: d.items.reduce((n, i) => n + i.quantity, 0), revenue: d.total, discount: d.discount };
    case 'OrderCancelled':
      return { cancelled: 1 };
    case 'OrderRefunded':
      return { refunded: 1 };
    default:
      return {};
  }
}

export const handler = middy<EventBridgeEvent<string, OrderDetail>, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const d = event.detail;
    const delta = salesDelta(event['detail-type'], d);
    if (Object.keys(delta).length === 0) return;
    const hour = new Date(d.occurredAt).toISOString().slice(0, 13);
    const counted = await reports.addOnce(d.eventId, hour, [`STORE#${d.storeId}`, `REGION#${d.region}`], delta, new Date());
    if (!counted) logger.info('Duplicate delivery ignored', { eventId: d.eventId });
  });
