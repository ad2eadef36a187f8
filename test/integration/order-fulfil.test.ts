/**
 * OrderStore.fulfil against real DynamoDB Local: PAID → FULFILLED once, never for another status, and
 * never for a PAID order a refund has already claimed (PRODUCT.md order statuses; the refund saga's
 * BeginRefund sets refundRequestedAt).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { freshTables } from '../helpers/dynamo.ts';
import { OrderStore } from '../../src/store/order-store.ts';
import { InventoryStore } from '../../src/store/inventory-store.ts';
import type { Order, OrderStatus } from '../../src/domain/types.ts';
import { isCompensatedStatus } from '../../src/domain/order-status.ts';

let orders: OrderStore;
const NOW = '2026-11-23T08:00:00.000Z';
const LATER = '2026-11-23T08:05:00.000Z';
let seq = 0;

/** A placed order moved to `status` (history kept consistent), optionally claimed for refund. */
async function orderIn(status: OrderStatus, claimed = false): Promise<string> {
  const orderId = `ord_fulfil_${++seq}_${Date.now()}`;
  const order: Order = {
    orderId,
    storeId: 'S1',
    region: 'east',
    customerId: 'c1',
    status: 'PENDING_PAYMENT',
    items: [{ sku: 'A', name: 'A', quantity: 1, unitPrice: 100, lineTotal: 100 }],
    pricing: { subtotal: 100, discount: 0, total: 100, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: 'CARD',
    createdAt: NOW,
    expiresAt: NOW,
    history: [{ status: 'PENDING_PAYMENT', at: NOW }],
    reservation: [{ sku: 'A', quantity: 1 }],
    couponRedemptions: [],
    stockState: 'RESERVED',
    couponsState: 'NONE',
    updatedAt: NOW,
  };
  await orders.place(order, new Map());
  // Through the store's own intent methods, so each status is reached along ORDER_TRANSITIONS.
  if (status === 'PAID') await orders.commit(orderId, NOW);
  else if (status === 'NEEDS_ATTENTION') await orders.markNeedsAttention(orderId, NOW, 'test');
  else if (isCompensatedStatus(status)) await orders.close(orderId, status, NOW);
  else if (status !== 'PENDING_PAYMENT') throw new Error(`orderIn cannot reach ${status}`);
  if (claimed) expect(await orders.claimRefund(orderId, NOW)).toBeDefined();
  return orderId;
}

beforeAll(async () => {
  const db = await freshTables();
  orders = new OrderStore(db.doc);
  await new InventoryStore(db.doc).setLevel('S1', 'A', 1000, 0, NOW);
});

describe('OrderStore.fulfil', () => {
  it('moves a PAID order to FULFILLED once, appending one history entry and fulfilledAt', async () => {
    const orderId = await orderIn('PAID');
    const first = await orders.fulfil(orderId, LATER);
    expect(first?.applied).toBe(true);
    expect(first?.order).toMatchObject({ status: 'FULFILLED', fulfilledAt: LATER });
    expect(first?.order.history.at(-1)).toEqual({ status: 'FULFILLED', at: LATER, reason: 'STORE_HANDOVER' });
    const again = await orders.fulfil(orderId, LATER);
    expect(again).toMatchObject({ applied: false, order: { status: 'FULFILLED' } });
    expect(again?.order.history.filter((h) => h.status === 'FULFILLED')).toHaveLength(1);
  });

  it.each(['PENDING_PAYMENT', 'CANCELLED', 'EXPIRED', 'PAYMENT_FAILED', 'NEEDS_ATTENTION'] as OrderStatus[])(
    'leaves a %s order as it is',
    async (status) => {
      const orderId = await orderIn(status);
      expect(await orders.fulfil(orderId, LATER)).toMatchObject({ applied: false, order: { status } });
    },
  );

  it('refuses a PAID order that a refund has claimed', async () => {
    const orderId = await orderIn('PAID', true);
    expect(await orders.fulfil(orderId, LATER)).toMatchObject({ applied: false, order: { status: 'PAID' } });
  });

  it('returns undefined for an unknown order and creates nothing', async () => {
    expect(await orders.fulfil('ord_missing', LATER)).toBeUndefined();
    expect(await orders.get('ord_missing')).toBeUndefined();
  });
});
