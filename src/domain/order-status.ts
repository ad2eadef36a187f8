/**
 * The order state machine as data (PRODUCT.md: "The order lifecycle (the Saga)" and the list of
 * order statuses). Pure: stores and handlers use these to build conditional writes.
 */
import type { Order, OrderStatus } from './types.ts';

/** Every order status of API contract v1. */
export const ORDER_STATUSES: readonly OrderStatus[] = [
  'PENDING_PAYMENT',
  'PAID',
  'CANCELLED',
  'EXPIRED',
  'PAYMENT_FAILED',
  'REFUNDED',
  'NEEDS_ATTENTION',
  'FULFILLED',
];

/**
 * Allowed transitions `from → to`. PENDING_PAYMENT → PAID | CANCELLED | EXPIRED | PAYMENT_FAILED |
 * NEEDS_ATTENTION; PAID → REFUNDED | FULFILLED | NEEDS_ATTENTION; NEEDS_ATTENTION → CANCELLED |
 * EXPIRED | PAYMENT_FAILED | REFUNDED (an operator or the reconciler finishes the compensation);
 * the other statuses are terminal.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING_PAYMENT: ['PAID', 'CANCELLED', 'EXPIRED', 'PAYMENT_FAILED', 'NEEDS_ATTENTION'],
  PAID: ['REFUNDED', 'FULFILLED', 'NEEDS_ATTENTION'],
  NEEDS_ATTENTION: ['CANCELLED', 'EXPIRED', 'PAYMENT_FAILED', 'REFUNDED'],
  CANCELLED: [],
  EXPIRED: [],
  PAYMENT_FAILED: [],
  REFUNDED: [],
  FULFILLED: [],
};

/** Statuses with no way out: CANCELLED, EXPIRED, PAYMENT_FAILED, REFUNDED, FULFILLED. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter((s) => ORDER_TRANSITIONS[s].length === 0);

/** True when an order may move from `from` to `to` (a status never transitions to itself). */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** The statuses an order may come from to reach `to` (for conditional writes: `status IN (...)`). */
export function allowedPredecessors(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}

/** A DynamoDB condition on the order's `status` attribute (name `#status`), with its values. */
export interface StatusCondition {
  expression: string;
  values: Record<string, OrderStatus>;
}

/**
 * The condition under which an order may become `to`: `#status IN (:s0, :s1, ...)` over
 * allowedPredecessors(to), so every conditional status write follows ORDER_TRANSITIONS (the one table).
 * `prefix` keeps the value names apart when a write has other values. Throws for a status nothing
 * leads to (PENDING_PAYMENT is only ever created, never entered).
 */
export function statusCondition(to: OrderStatus, prefix = ':s'): StatusCondition {
  return statusIn(allowedPredecessors(to), prefix);
}

/** `#status IN (...)` over `statuses` (non-empty), with its values named `<prefix>0..n`. */
export function statusIn(statuses: readonly OrderStatus[], prefix = ':s'): StatusCondition {
  if (statuses.length === 0) throw new Error('A status condition needs at least one status');
  const values = Object.fromEntries(statuses.map((s, i) => [`${prefix}${i}`, s]));
  return { expression: `#status IN (${Object.keys(values).join(', ')})`, values };
}

/** True when `status` is final (no transition leaves it). */
export function isTerminal(status: OrderStatus): boolean {
  return ORDER_TRANSITIONS[status].length === 0;
}

/**
 * What POST /v1/orders/{orderId}/cancel does for an order in `status`: 'CANCEL' before payment
 * (PENDING_PAYMENT), 'REFUND' after it (PAID), null otherwise (→ 409 ORDER_NOT_CANCELLABLE).
 * Source: PRODUCT.md API contract v1.
 */
export function cancellationKind(status: OrderStatus): 'CANCEL' | 'REFUND' | null {
  if (status === 'PENDING_PAYMENT') return 'CANCEL';
  if (status === 'PAID') return 'REFUND';
  return null;
}

/** The statuses POST /v1/orders/{orderId}/cancel cancels (rather than refunds): cancellationKind 'CANCEL'. */
export const cancellableStatuses = (): OrderStatus[] => ORDER_STATUSES.filter((s) => cancellationKind(s) === 'CANCEL');

/** The statuses from which a refund may be claimed: cancellationKind 'REFUND'. */
export const refundableStatuses = (): OrderStatus[] => ORDER_STATUSES.filter((s) => cancellationKind(s) === 'REFUND');

/**
 * True when a refund may be requested for the order now: it is refundable (cancellationKind 'REFUND':
 * PAID), or cancellable with a successful payment already accepted (the saga is committing it, so a
 * cancel is too late and the customer gets a refund instead).
 */
export function isRefundable(order: Pick<Order, 'status' | 'payment'>): boolean {
  const kind = cancellationKind(order.status);
  return kind === 'REFUND' || (kind === 'CANCEL' && order.payment?.status === 'SUCCEEDED');
}

/** Reasons carried by OrderCancelled (PRODUCT.md Events). */
export type CancellationReason = 'CUSTOMER' | 'EXPIRED' | 'PAYMENT_FAILED';

/** The final status of an unpaid order compensated for `reason`: CUSTOMER → CANCELLED, EXPIRED → EXPIRED, PAYMENT_FAILED → PAYMENT_FAILED. */
export function finalStatusForReason(reason: CancellationReason): 'CANCELLED' | 'EXPIRED' | 'PAYMENT_FAILED' {
  const map = { CUSTOMER: 'CANCELLED', EXPIRED: 'EXPIRED', PAYMENT_FAILED: 'PAYMENT_FAILED' } as const;
  return map[reason];
}

/** The statuses an unpaid order's compensation ends in (CloseOrder's finalStatus). */
export type CompensatedStatus = ReturnType<typeof finalStatusForReason>;

/** The reason recorded when an unpaid order is closed as `status` (inverse of finalStatusForReason). */
export function reasonForFinalStatus(status: CompensatedStatus): CancellationReason {
  const map = { CANCELLED: 'CUSTOMER', EXPIRED: 'EXPIRED', PAYMENT_FAILED: 'PAYMENT_FAILED' } as const;
  return map[status];
}

/** True when `status` is one an unpaid order's compensation may end in. */
export const isCompensatedStatus = (status: unknown): status is CompensatedStatus =>
  status === 'CANCELLED' || status === 'EXPIRED' || status === 'PAYMENT_FAILED';
