/** Domain events derived from an order's state; ids are deterministic per fact (see catalog.ts eventDocs). */
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

const historyAt = (o: Order, status: string): string => o.history.findLast((h) => h.status === status)?.at ?? o.updatedAt;

/** OrderPlaced: at creation. */
export const orderPlaced = (o: Order): DomainEvent =>
  domainEvent('OrderPlaced', {
    ...common(o),
    eventId: `${o.orderId}:OrderPlaced`,
    occurredAt: o.createdAt,
    subtotal: o.pricing.subtotal,
    reserved: o.reservation.map(({ sku, quantity }) => ({ sku, quantity })),
    couponCodes: o.appliedCoupons.map((c) => c.code),
    coupons: o.appliedCoupons.map((c) => ({ code: c.code, discount: c.amountOff })),
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

/** OrderFulfilled: after POST /v1/orders/{orderId}/fulfil; timeToFulfilMs = fulfilled − paid, in ms. */
export const orderFulfilled = (o: Order): DomainEvent => {
  const paidAt = o.paidAt ?? historyAt(o, 'PAID');
  const fulfilledAt = o.fulfilledAt ?? historyAt(o, 'FULFILLED');
  return domainEvent('OrderFulfilled', {
    ...common(o),
    eventId: `${o.orderId}:OrderFulfilled`,
    occurredAt: fulfilledAt,
    paidAt,
    timeToFulfilMs: Math.max(0, Date.parse(fulfilledAt) - Date.parse(paidAt)),
  });
};

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

/** CouponRedeemed: at creation, one per applied coupon (same transaction as the redemption counters). */
export const couponsRedeemed = (o: Order): DomainEvent[] =>
  o.appliedCoupons.map((c) =>
    domainEvent('CouponRedeemed', {
      schemaVersion: 1,
      eventId: `${o.orderId}:CouponRedeemed:${c.code}`,
      occurredAt: o.createdAt,
      orderId: o.orderId,
      storeId: o.storeId,
      region: o.region,
      customerId: o.customerId,
      code: c.code,
      couponType: c.type,
      discount: c.amountOff,
      currency: o.pricing.currency,
      countedWithOrder: true,
    }),
  );
