/** Public JSON views: what the API shows of stored records (internal saga fields stay inside). */
import type { InventoryLevel, Order } from '../../src/domain/types.ts';
import type { Topup } from '../../src/domain/topup.ts';

/** Order as returned by GET /v1/orders/{orderId} and POST /v1/orders. */
export function orderView(o: Order) {
  return {
    orderId: o.orderId,
    status: o.status,
    storeId: o.storeId,
    region: o.region,
    customerId: o.customerId,
    items: o.items,
    pricing: o.pricing,
    appliedCoupons: o.appliedCoupons,
    rejectedCoupons: o.rejectedCoupons,
    paymentMethod: o.paymentMethod,
    createdAt: o.createdAt,
    expiresAt: o.expiresAt,
    history: o.history,
    ...(o.payment
      ? { payment: { paymentId: o.payment.paymentId, status: o.payment.status, amount: o.payment.amount, currency: o.payment.currency } }
      : {}),
  };
}

/**
 * Inventory as returned by GET/PUT /v1/stores/{storeId}/inventory/{sku} (units of stock; totals over the
 * shards when `l` comes from InventoryStore.getTotal; `shards` = active shard items, 1 when unsharded).
 */
export function inventoryView(l: InventoryLevel) {
  return {
    storeId: l.storeId,
    sku: l.sku,
    available: l.available,
    reserved: l.reserved,
    sold: l.sold,
    lowStockThreshold: l.lowStockThreshold,
    shards: l.shards ?? 1,
    updatedAt: l.updatedAt,
  };
}

/** Wallet as returned by GET /v1/customers/{customerId}/wallet and its top-ups: balance in minor units of `currency`. */
export function walletView(w: { customerId: string; balance: number; currency: string; updatedAt: string }) {
  return { customerId: w.customerId, balance: w.balance, currency: w.currency, updatedAt: w.updatedAt };
}

/**
 * Top-up as returned by POST and GET /v1/customers/{customerId}/wallet/topups[/{topupId}]: amount in minor
 * units of `currency`; `failureReason` only when FAILED.
 */
export function topupView(t: Topup) {
  return {
    topupId: t.topupId,
    customerId: t.customerId,
    status: t.status,
    amount: t.amount,
    currency: t.currency,
    paymentMethod: t.paymentMethod,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    ...(t.failureReason ? { failureReason: t.failureReason } : {}),
  };
}
