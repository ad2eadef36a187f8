/**
 * Payment vs expiry vs cancel (issue 8 "No lies under races"; rules in src/domain/order-claim.ts): each side
 * CLAIMS the unpaid order with one conditional write and the loser acts on what the winner did. The two sides
 * are driven directly in a chosen order (the webhook and the cancel over HTTP, the expiry through the sweeper's
 * own expireOrder, src/saga/expiry.ts), so the order of arrival is decided by the test, not by timing: the
 * payment timeout is long and the local schedules are off, so nothing expires on its own.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, sfn } from '../../functions/commons/clients.ts';
import { orders } from '../../functions/commons/stores.ts';
import { tableName } from '../../src/config.ts';
import { expireOrder, type SweepSummary } from '../../src/saga/expiry.ts';
import { OrderStore } from '../../src/store/order-store.ts';
import type { Order } from '../../src/domain/types.ts';
import type { startLocalSystem } from '../../local/system.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
const SECRET = 'claims-secret';
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  ({ system, api } = await startTestSystem(SECRET, { paymentTimeoutSeconds: 600, scheduleSeconds: 0 }));
});

afterAll(async () => {
  await system?.stop();
});

async function seed(available = 5) {
  const storeId = uid('store');
  const sku = uid('sku');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'S', region: 'east', timezone: 'Asia/Shanghai' })).status).toBe(200);
  expect((await api.put(`/v1/catalog/${sku}`, { name: 'Tea', unitPrice: 800, currency: 'CNY', category: 'drinks' })).status).toBe(200);
  expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: 0 })).status).toBe(200);
  return { storeId, sku };
}

async function placeOrder() {
  const { storeId, sku } = await seed();
  const created = await api.createOrder({ storeId, customerId: 'c1', items: [{ sku, quantity: 2 }], paymentMethod: 'CARD' });
  expect(created.status).toBe(201);
  return { order: created.body, storeId, sku };
}

/** The expiry's side of the race, as the sweeper runs it for a due order: claim EXPIRY, then start compensateOrder. */
const expire = (orderId: string) => expireOrder({ orders, sfn }, orderId, new Date().toISOString());

const paymentRecord = async (paymentId: string) =>
  (await doc.send(new GetCommand({ TableName: tableName('payments'), Key: { paymentId }, ConsistentRead: true }))).Item;

const stock = async (storeId: string, sku: string) => (await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body;

describe('payment vs expiry', () => {
  it('webhook first: the payment answered APPLIED wins, the expiry loses to its claim and the order ends PAID', async () => {
    const { order, storeId, sku } = await placeOrder();
    const paid = await api.pay(order);
    expect(paid.body.disposition).toBe('APPLIED');
    expect(await expire(order.orderId)).toBe('LOST');
    const final = await api.waitForStatus(order.orderId, ['PAID', 'EXPIRED']);
    expect(final.status).toBe('PAID');
    expect(await stock(storeId, sku)).toMatchObject({ available: 3, reserved: 0, sold: 2 });
  });

  it('expiry first: the late payment is answered REFUNDED, refunded once and never applied; the order ends EXPIRED', async () => {
    const { order, storeId, sku } = await placeOrder();
    expect(await expire(order.orderId)).toBe('EXPIRED');
    const paymentId = `pay_${randomUUID()}`;
    const late = await api.pay(order, { paymentId });
    expect(late.status).toBe(200);
    expect(late.body.disposition).toBe('REFUNDED');
    expect(await paymentRecord(paymentId)).toMatchObject({ disposition: 'REFUNDED', orderId: order.orderId });
    expect((await api.pay(order, { paymentId })).body.disposition).toBe('REFUNDED'); // redelivery: refunded once (recordOnce)
    const final = await api.waitForStatus(order.orderId, ['PAID', 'EXPIRED']);
    expect(final.status).toBe('EXPIRED');
    expect(final.payment).toBeUndefined();
    expect(await stock(storeId, sku)).toMatchObject({ available: 5, reserved: 0, sold: 0 });
  });

  it('a repeated expiry is a no-op that keeps the same decision', async () => {
    const { order } = await placeOrder();
    expect(await expire(order.orderId)).toBe('EXPIRED');
    expect(await expire(order.orderId)).toBe('EXPIRED');
    const final = await api.waitForStatus(order.orderId, ['EXPIRED']);
    expect(final.history.map((h: { status: string }) => h.status)).toEqual(['PENDING_PAYMENT', 'EXPIRED']);
  });

  it('honours a payment that arrives after expiresAt but before the expiry claim (the stock is still reserved)', async () => {
    const { storeId, sku } = await seed();
    const store = new OrderStore(doc);
    const order = await placeDirect(store, storeId, sku, -60); // expired a minute ago, not swept yet
    expect((await api.pay(order)).body.disposition).toBe('APPLIED');
    expect(await expire(order.orderId)).toBe('LOST');
    expect((await api.waitForStatus(order.orderId, ['PAID', 'EXPIRED'])).status).toBe('PAID');
  });
});

describe('payment vs cancel', () => {
  it('cancel first: the later payment is refunded as late and the order ends CANCELLED', async () => {
    const { order } = await placeOrder();
    const cancelled = await api.cancel(order.orderId);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.action).toBe('CANCEL');
    expect((await api.pay(order)).body.disposition).toBe('REFUNDED');
    expect(await expire(order.orderId)).toBe('LOST');
    const final = await api.waitForStatus(order.orderId, ['CANCELLED', 'PAID', 'EXPIRED']);
    expect(final.status).toBe('CANCELLED');
  });

  it('webhook first: the payment is applied and the cancel becomes a refund (PAID, then REFUNDED)', async () => {
    const { order } = await placeOrder();
    expect((await api.pay(order)).body.disposition).toBe('APPLIED');
    const cancelled = await api.cancel(order.orderId);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.action).toBe('REFUND');
    const final = await api.waitForStatus(order.orderId, ['REFUNDED', 'CANCELLED', 'EXPIRED']);
    expect(final.status).toBe('REFUNDED');
    expect(final.history.map((h: { status: string }) => h.status)).toEqual(['PENDING_PAYMENT', 'PAID', 'REFUNDED']);
  });
});

describe('expiry sweeper (functions/jobs/expire-orders.ts)', () => {
  it('expires the unclaimed orders past expiresAt from the open-orders index, and leaves the others', async () => {
    const { storeId, sku } = await seed(10);
    const store = new OrderStore(doc);
    const due = await placeDirect(store, storeId, sku, -5);
    const notDue = await placeDirect(store, storeId, sku, 300);
    const paid = await placeDirect(store, storeId, sku, -5);
    expect((await api.pay(paid)).body.disposition).toBe('APPLIED');
    // The index is eventually consistent: sweep until the due order's claim is made (the claim decides, once).
    let summary: SweepSummary | undefined;
    for (let i = 0; i < 50 && (await store.get(due.orderId))?.claim !== 'EXPIRY'; i++)
      summary = (await system.runtime.invoke('expireOrders', { schedule: 'expireOrders', intervalSeconds: 60 })) as SweepSummary;
    expect(summary?.errors).toBe(0);
    expect((await api.waitForStatus(due.orderId, ['EXPIRED'])).status).toBe('EXPIRED');
    expect((await api.waitForStatus(paid.orderId, ['PAID'])).status).toBe('PAID');
    expect((await store.get(notDue.orderId))?.claim).toBeUndefined();
    expect(await stock(storeId, sku)).toMatchObject({ available: 8, reserved: 1, sold: 1 });
  });
});

/** An order written straight through the store (stock reserved, no saga), expiring `expiresInSeconds` from now. */
async function placeDirect(store: OrderStore, storeId: string, sku: string, expiresInSeconds: number): Promise<Order> {
  const now = new Date().toISOString();
  const order: Order = {
    orderId: uid('ord'),
    storeId,
    region: 'east',
    customerId: 'c1',
    status: 'PENDING_PAYMENT',
    items: [{ sku, name: 'Tea', quantity: 1, unitPrice: 800, lineTotal: 800 }],
    pricing: { subtotal: 800, discount: 0, total: 800, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: 'CARD',
    createdAt: now,
    expiresAt: new Date(Date.now() + expiresInSeconds * 1000).toISOString(),
    history: [{ status: 'PENDING_PAYMENT', at: now }],
    reservation: [{ sku, quantity: 1 }],
    couponRedemptions: [],
    stockState: 'RESERVED',
    couponsState: 'NONE',
    updatedAt: now,
  };
  await store.place(order, new Map());
  return order;
}
