/**
 * Business metrics recorded where the facts happen (names: src/observability/business-metrics.ts).
 * Handlers that record any pass `flushMetrics()` to their wrapper; it publishes what was recorded
 * during the invocation as one EMF log line (also when the handler throws).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Order } from '../../src/domain/types.ts';
import { businessMetrics, orderStatusMetric } from '../../src/observability/business-metrics.ts';
import { metrics } from './powertools.ts';

/**
 * The middy `logMetrics` middleware for the metrics singleton, flushing only invocations that recorded
 * something: a rejected order or a no-op retry records nothing, and Powertools would warn about that.
 */
export function flushMetrics<E = any, R = any>(): MiddlewareObj<E, R> {
  const { before, after } = logMetrics(metrics) as Required<MiddlewareObj>;
  const flushIfRecorded = (request: Parameters<typeof after>[0]) => (metrics.hasStoredMetrics() ? after(request) : undefined);
  return { before, after: flushIfRecorded, onError: flushIfRecorded } as MiddlewareObj<E, R>;
}

/**
 * Counts `order` entering its current status (call once per applied transition). A PAID order also adds
 * its total to Revenue (integer minor units, dimension `currency`).
 */
export function recordOrderStatus(order: Pick<Order, 'status' | 'pricing'>): void {
  metrics.addMetric(orderStatusMetric[order.status], MetricUnit.Count, 1);
  if (order.status === 'PAID') {
    const revenue = metrics.singleMetric(); // its own dimension set, published at once
    revenue.addDimension('currency', order.pricing.currency);
    revenue.addMetric(businessMetrics.revenue, MetricUnit.NoUnit, order.pricing.total);
  }
}

/** Counts one compensation step that did its work (not a no-op retry). */
export function recordCompensation(): void {
  metrics.addMetric(businessMetrics.compensations, MetricUnit.Count, 1);
}

/** Counts one low-stock alert raised. */
export function recordLowStockAlert(): void {
  metrics.addMetric(businessMetrics.lowStockAlerts, MetricUnit.Count, 1);
}
