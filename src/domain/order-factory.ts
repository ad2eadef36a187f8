/** Builds a new order record from a priced request (pure). */
import { createHash } from 'node:crypto';
import type { CreateOrderBody } from './schemas.ts';
import type { PricedOrder } from './pricing.ts';
import type { Coupon, Order, StockLine, Store } from './types.ts';

/**
 * New PENDING_PAYMENT order: reservation = order lines plus FREE_ITEM gifts merged by SKU (one
 * inventory update per SKU in the transaction); one coupon redemption per applied coupon, also
 * per customer when the coupon has a perCustomerLimit. expiresAt = now + paymentTimeoutSeconds.
 */
export function buildOrder(args: {
  orderId: string;
  body: CreateOrderBody & { customerId: string };
  store: Store;
  priced: PricedOrder;
  coupons: ReadonlyMap<string, Coupon>;
  now: Date;
  paymentTimeoutSeconds: number;
}): Order {
  const { orderId, body, store, priced, now } = args;
  const createdAt = now.toISOString();
  const reserved = new Map<string, number>();
  for (const l of [...priced.items, ...priced.freeItems]) reserved.set(l.sku, (reserved.get(l.sku) ?? 0) + l.quantity);
  const reservation: StockLine[] = [...reserved].map(([sku, quantity]) => ({ sku, quantity }));
  return {
    orderId,
    storeId: store.storeId,
    region: store.region,
    customerId: body.customerId,
    status: 'PENDING_PAYMENT',
    items: priced.items,
    pricing: priced.pricing,
    appliedCoupons: priced.appliedCoupons,
    rejectedCoupons: priced.rejectedCoupons,
    paymentMethod: body.paymentMethod,
    createdAt,
    expiresAt: new Date(now.getTime() + args.paymentTimeoutSeconds * 1000).toISOString(),
    history: [{ status: 'PENDING_PAYMENT', at: createdAt }],
    reservation,
    couponRedemptions: priced.appliedCoupons.map((c) => ({
      code: c.code,
      perCustomer: Boolean(args.coupons.get(c.code)?.perCustomerLimit),
      ...((args.coupons.get(c.code)?.counterShards ?? 1) > 1 ? { slices: args.coupons.get(c.code)!.counterShards } : {}),
    })),
    stockState: 'RESERVED',
    couponsState: priced.appliedCoupons.length > 0 ? 'REDEEMED' : 'NONE',
    updatedAt: createdAt,
  };
}

/**
 * The order id for a create request: derived from the customer and the Idempotency-Key, so a request
 * re-executed after an in-doubt failure (timeout after the transaction committed) finds its own order
 * instead of writing a second one. `ord_` + 26 base64url characters (156 bits of SHA-256).
 */
export function orderIdFor(customerId: string, idempotencyKey: string): string {
  return `ord_${createHash('sha256').update(`${customerId}\n${idempotencyKey}`).digest('base64url').slice(0, 26)}`;
}
