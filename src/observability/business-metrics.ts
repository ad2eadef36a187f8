/**
 * The business metrics wandian's functions publish with Powertools Metrics (CloudWatch EMF) and the
 * CloudWatch dashboard and alarms read (lib/constructs/observability-construct.ts). Pure names, so both
 * sides agree. Every metric is in namespace `Wandian` with Powertools' default dimension `service`.
 */
import type { OrderStatus } from '../domain/types.ts';

/** CloudWatch namespace (POWERTOOLS_METRICS_NAMESPACE of every function). */
export const METRICS_NAMESPACE = 'Wandian';
/** Value of the `service` dimension (POWERTOOLS_SERVICE_NAME of every function). */
export const METRICS_SERVICE = 'wandian';

/** Count of orders entering each status, once per applied transition (PENDING_PAYMENT = placed). */
export const orderStatusMetric: Record<OrderStatus, string> = {
  PENDING_PAYMENT: 'OrdersPlaced',
  PAID: 'OrdersPaid',
  CANCELLED: 'OrdersCancelled',
  EXPIRED: 'OrdersExpired',
  PAYMENT_FAILED: 'OrdersPaymentFailed',
  REFUNDED: 'OrdersRefunded',
  NEEDS_ATTENTION: 'OrdersNeedingAttention',
  FULFILLED: 'OrdersFulfilled',
};

export const businessMetrics = {
  /** Sum of paid order totals, integer minor units, with dimension `currency` (one series per currency). */
  revenue: 'Revenue',
  /** Compensation steps that did their work: VoidPayment, ReleaseStock, ReleaseCoupons, RestockItems. */
  compensations: 'CompensationSteps',
  /** Low-stock alerts raised (one per InventoryLow). */
  lowStockAlerts: 'LowStockAlerts',
} as const;

/** How a saga ended, by the final order statuses that mean it (the dashboard sums their status metrics). */
export const sagaOutcomes = {
  completed: ['PAID'],
  compensated: ['CANCELLED', 'EXPIRED', 'PAYMENT_FAILED'],
  refunded: ['REFUNDED'],
  needsAttention: ['NEEDS_ATTENTION'],
} as const satisfies Record<string, readonly OrderStatus[]>;
