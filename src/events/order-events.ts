/** Domain events derived from an order's state; ids are deterministic per fact (see catalog.ts). */
import type { Order } from '../domain/types.ts';
import { domainEvent, type DomainEvent } from './catalog.ts';

const common = (o: Order) => ({
  schemaVersion: 1 as const,
  orderId: o.orderId,
  storeId: o.storeId,
  region: o.region,
  customerId: o.customerId,
  total: o.pricing.total,
  discount: o.pricing.discount,
  currency: o.pricing.currency,
  items: o.items.map(({ sku, quantity }) => ({ sku, quantity })),
});

const historyAt = (o: Order, status: string): string =>
  o.history.findLast((h) => h.status === status)?.at ?? o.updatedAt;

/** OrderPlaced: at creation. */
export const orderPlaced = (o: Order): DomainEvent =>
  domainEvent('OrderPlaced', {
    ...common(o),
    eventId: `${o.orderId}:OrderPlaced`,
    occurredAt: o.createdAt,
    subtotal: o.pricing.subtotal,
    couponCodes: o.appliedCoupons.map((c) => c.code),
    paymentMethod: o.paymentMethod,
    expiresAt: o.expiresAt,
  });

/** OrderPaid: after CommitReservation. */
export const orderPaid = (o: Order): DomainEvent =>
  domainEvent('OrderPaid', {
    ...common(o),
    eventId: `${o.orderId}:OrderPaid`,
    occurredAt: historyAt(o, 'PAID'),
    paymentId: o.payment?.paymentId ?? 'unknown',
    placedAt: o.createdAt,
  });

const REASON = { CANCELLED: 'CUSTOMER', EXPIRED: 'EXPIRED', PAYMENT_FAILED: 'PAYMENT_FAILED' } as const;

/** OrderCancelled: after compensation closed an unpaid order. */
export const orderCancelled = (o: Order, status: keyof typeof REASON): DomainEvent =>
  domainEvent('OrderCancelled', {
    ...common(o),
    eventId: `${o.orderId}:OrderCancelled`,
    occurredAt: historyAt(o, status),
    reason: REASON[status],
    status,
  });

/** OrderRefunded: after the refund saga restocked and closed a paid order. */
export const orderRefunded = (o: Order): DomainEvent =>
  domainEvent('OrderRefunded', {
    ...common(o),
    eventId: `${o.orderId}:OrderRefunded`,
    occurredAt: historyAt(o, 'REFUNDED'),
    refundId: o.refundId ?? 'unknown',
  });

/** OrderNeedsAttention: a compensation kept failing. */
export const orderNeedsAttention = (o: Order, error: string): DomainEvent =>
  domainEvent('OrderNeedsAttention', {
    schemaVersion: 1,
    eventId: `${o.orderId}:OrderNeedsAttention`,
    occurredAt: historyAt(o, 'NEEDS_ATTENTION'),
    orderId: o.orderId,
    storeId: o.storeId,
    region: o.region,
    customerId: o.customerId,
    error,
  });
