/**
 * The order store's transactions against real DynamoDB Local: reservation, commit, release, restock
 * and coupon release each happen once per order (PRODUCT.md invariants 1-3).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { freshTables, type FreshTables } from '../helpers/dynamo.ts';
import { OrderStore, OrderAlreadyExistsError } from '../../src/store/order-store.ts';
import { IllegalOrderStateError } from '../../src/saga/errors.ts';
import { CouponStore } from '../../src/store/coupon-store.ts';
import { InventoryStore } from '../../src/store/inventory-store.ts';
import { inventoryViolations } from '../../src/domain/inventory.ts';
import type { Order } from '../../src/domain/types.ts';

let db: FreshTables;
let orders: OrderStore;
let coupons: CouponStore;
let inventory: InventoryStore;
const NOW = '2026-11-23T08:00:00.000Z';
let seq = 0;

function order(lines: { sku: string; quantity: number }[], couponCodes: string[] = [], storeId = 'S1'): Order {
  const orderId = `ord_test_${++seq}_${Date.now()}`;
  return {
    orderId,
    storeId,
    region: 'east',
    customerId: 'cust-1',
    status: 'PENDING_PAYMENT',
    items: lines.map((l) => ({ ...l, name: l.sku, unitPrice: 100, lineTotal: 100 * l.quantity })),
    pricing: { subtotal: 0, discount: 0, total: 0, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: 'CARD',
    createdAt: NOW,
    expiresAt: NOW,
    history: [{ status: 'PENDING_PAYMENT', at: NOW }],
    reservation: lines,
    couponRedemptions: couponCodes.map((code) => ({ code, perCustomer: true })),
    stockState: 'RESERVED',
    couponsState: couponCodes.length ? 'REDEEMED' : 'NONE',
    updatedAt: NOW,
  };
}

async function level(sku: string, storeId = 'S1') {
  const out = await db.doc.send(new GetCommand({ TableName: db.names.inventory, Key: { storeId, sku }, ConsistentRead: true }));
  return out.Item!;
}

beforeAll(async () => {
  db = await freshTables();
  orders = new OrderStore(db.doc);
  coupons = new CouponStore(db.doc);
  inventory = new InventoryStore(db.doc);
  await inventory.setLevel('S1', 'A', 10, 2, NOW);
  await inventory.setLevel('S1', 'B', 1, 0, NOW);
});

describe('OrderStore', () => {
  it('reports every short line with what is available, and writes nothing', async () => {
    const o = order([
      { sku: 'A', quantity: 3 },
      { sku: 'B', quantity: 2 },
      { sku: 'NOPE', quantity: 1 },
    ]);
    await expect(orders.place(o, new Map())).rejects.toMatchObject({
      code: 'INVENTORY_SHORTAGE',
      extra: {
        shortages: [
          { sku: 'B', requested: 2, available: 1 },
          { sku: 'NOPE', requested: 1, available: 0 },
        ],
      },
    });
    expect(await orders.get(o.orderId)).toBeUndefined();
    expect(await level('A')).toMatchObject({ available: 10, reserved: 0 });
  });

  it('refuses to write an order id twice, so a re-executed create finds its first order', async () => {
    const o = order([{ sku: 'A', quantity: 1 }]);
    await orders.place(o, new Map());
    // A re-execution builds the same id at another time (ClientRequestToken = id, other parameters)...
    await expect(orders.place({ ...o, createdAt: '2026-11-23T08:00:01.000Z' }, new Map())).rejects.toBeInstanceOf(OrderAlreadyExistsError);
    // ...while an identical SDK-level replay is acknowledged by DynamoDB without applying it again.
    await orders.place(o, new Map());
    expect(await level('A')).toMatchObject({ reserved: 1 });
    await orders.releaseStock(o.orderId, NOW);
  });

  it('releases a reservation exactly once, however often the step is retried', async () => {
    const o = order([{ sku: 'A', quantity: 4 }]);
    await orders.place(o, new Map());
    expect(await level('A')).toMatchObject({ available: 6, reserved: 4 });
    const results = await Promise.all([
      orders.releaseStock(o.orderId, NOW),
      orders.releaseStock(o.orderId, NOW),
      orders.releaseStock(o.orderId, NOW),
    ]);
    expect(results.filter((r) => r.applied)).toHaveLength(1);
    expect(await level('A')).toMatchObject({ available: 10, reserved: 0, sold: 0 });
    // A released reservation can no longer be committed.
    await expect(orders.commit(o.orderId, NOW)).rejects.toBeInstanceOf(IllegalOrderStateError);
  });

  it('commits once and restocks once', async () => {
    const o = order([{ sku: 'A', quantity: 2 }]);
    await orders.place(o, new Map());
    expect((await orders.commit(o.orderId, NOW)).applied).toBe(true);
    expect((await orders.commit(o.orderId, NOW)).applied).toBe(false);
    expect(await level('A')).toMatchObject({ available: 8, reserved: 0, sold: 2 });
    expect((await orders.releaseStock(o.orderId, NOW)).applied).toBe(false);
    const [r1, r2] = await Promise.all([orders.restock(o.orderId, NOW), orders.restock(o.orderId, NOW)]);
    expect([r1.applied, r2.applied].filter(Boolean)).toHaveLength(1);
    const a = await level('A');
    expect(a).toMatchObject({ available: 10, reserved: 0, sold: 0, stocked: 10 });
    expect(inventoryViolations(a as never)).toEqual([]);
  });

  it('redeems a coupon within its limits and gives it back once', async () => {
    await coupons.put({
      code: 'ONCE',
      type: 'AMOUNT_OFF',
      amountOff: 100,
      stackable: true,
      maxRedemptions: 1,
      perCustomerLimit: 1,
      updatedAt: NOW,
    });
    const first = order([{ sku: 'A', quantity: 1 }], ['ONCE']);
    await orders.place(first, new Map([['ONCE', 1]]));
    const second = order([{ sku: 'A', quantity: 1 }], ['ONCE']);
    await expect(orders.place(second, new Map([['ONCE', 1]]))).rejects.toMatchObject({ code: 'COUPON_EXHAUSTED' });
    expect(await level('A')).toMatchObject({ available: 9, reserved: 1 });

    const released = await Promise.all([orders.releaseCoupons(first.orderId, NOW), orders.releaseCoupons(first.orderId, NOW)]);
    expect(released.filter((r) => r.applied)).toHaveLength(1);
    const counter = await db.doc.send(new GetCommand({ TableName: db.names.coupons, Key: { code: 'ONCE', scope: 'COUPON' } }));
    expect(counter.Item!.redemptions).toBe(0);
    await orders.place(order([{ sku: 'A', quantity: 1 }], ['ONCE']), new Map([['ONCE', 1]]));
  });

  it('keeps a coupon redemption counter when the coupon definition is replaced', async () => {
    await db.doc.send(
      new PutCommand({
        TableName: db.names.coupons,
        Item: { code: 'KEEP', scope: 'COUPON', type: 'AMOUNT_OFF', amountOff: 1, stackable: true, redemptions: 7, updatedAt: NOW },
      }),
    );
    const saved = await coupons.put({ code: 'KEEP', type: 'PERCENT_OFF', percentOff: 10, stackable: false, updatedAt: NOW });
    expect(saved).toMatchObject({ redemptions: 7, type: 'PERCENT_OFF', percentOff: 10 });
    expect(saved).not.toHaveProperty('amountOff');
  });

  it('moves an order status only along legal transitions, once', async () => {
    const o = order([{ sku: 'A', quantity: 1 }]);
    await orders.place(o, new Map());
    expect((await orders.close(o.orderId, 'EXPIRED', NOW)).applied).toBe(true);
    expect((await orders.close(o.orderId, 'EXPIRED', NOW)).applied).toBe(false);
    await expect(orders.markRefunded(o.orderId, NOW)).rejects.toBeInstanceOf(IllegalOrderStateError);
    await expect(orders.markNeedsAttention(o.orderId, NOW, 'late')).rejects.toBeInstanceOf(IllegalOrderStateError);
    expect((await orders.get(o.orderId))!.history.map((h) => h.status)).toEqual(['PENDING_PAYMENT', 'EXPIRED']);
  });
});
