/**
 * The reconciler (functions/jobs/reconcile.ts) against the local runtime, one run at a time (the timer is
 * off; each test invokes the function as the schedule would): (a) placeOrder that never ran, (b) an order
 * stuck past its deadline (the sweeper missed it) and a claim whose segment did not finish, (c) reservations no
 * open order holds, and the sparse open-orders index it reads.
 * Rules: src/domain/reconcile.ts; PRODUCT.md invariants 1-3.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem } from '../../local/system.ts';
import { doc } from '../../functions/commons/clients.ts';
import { tableName } from '../../src/config.ts';
import type { ReconcileSummary } from '../../src/domain/reconcile.ts';
import type { InventoryLevel, Order } from '../../src/domain/types.ts';
import { OrderStore } from '../../src/store/order-store.ts';
import { ReconcileStore } from '../../src/store/reconcile-store.ts';
import { ApiClient } from '../helpers/api.ts';

const SECRET = 'reconciler-secret';
let system: Awaited<ReturnType<typeof startLocalSystem>>;
let api: ApiClient;
let orders: OrderStore;
let index: ReconcileStore;
const events: string[] = [];
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

/** One reconciler run, as EventBridge Scheduler would invoke it. */
const reconcileOnce = () =>
  system.runtime.invoke('reconcile', { schedule: 'reconcile', intervalSeconds: 300 }) as Promise<ReconcileSummary>;

const level = async (storeId: string, sku: string) =>
  (await doc.send(new GetCommand({ TableName: tableName('inventory'), Key: { storeId, sku }, ConsistentRead: true })))
    .Item as InventoryLevel;

/** A store with `available` units of one SKU; returns their ids. */
async function seed(available: number) {
  const storeId = uid('store');
  const sku = uid('sku');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'S', region: 'east', timezone: 'Asia/Shanghai' })).status).toBe(200);
  expect((await api.put(`/v1/catalog/${sku}`, { name: 'Tea', unitPrice: 500, currency: 'CNY', category: 'drinks' })).status).toBe(200);
  expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: 0 })).status).toBe(200);
  return { storeId, sku };
}

/** Places an order straight through the store (stock reserved, no saga started), created `ageSeconds` ago. */
async function placeWithoutSaga(
  storeId: string,
  sku: string,
  quantity: number,
  ageSeconds: number,
  timeoutSeconds: number,
): Promise<Order> {
  const createdAt = ago(ageSeconds);
  const order: Order = {
    orderId: uid('ord'),
    storeId,
    region: 'east',
    customerId: 'c1',
    status: 'PENDING_PAYMENT',
    items: [{ sku, name: 'Tea', quantity, unitPrice: 500, lineTotal: 500 * quantity }],
    pricing: { subtotal: 500 * quantity, discount: 0, total: 500 * quantity, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: 'CARD',
    createdAt,
    expiresAt: new Date(Date.parse(createdAt) + timeoutSeconds * 1000).toISOString(),
    history: [{ status: 'PENDING_PAYMENT', at: createdAt }],
    reservation: [{ sku, quantity }],
    couponRedemptions: [],
    stockState: 'RESERVED',
    couponsState: 'NONE',
    updatedAt: createdAt,
  };
  await orders.place(order, new Map());
  return order;
}

/** Moves `units` from available to reserved without any order (a leak), stamping the item `ageSeconds` ago. */
async function leak(storeId: string, sku: string, units: number, ageSeconds: number) {
  await doc.send(
    new UpdateCommand({
      TableName: tableName('inventory'),
      Key: { storeId, sku },
      UpdateExpression: 'SET available = available - :u, reserved = reserved + :u, updatedAt = :at',
      ExpressionAttributeValues: { ':u': units, ':at': ago(ageSeconds) },
    }),
  );
}

const isOpen = async (orderId: string) => (await index.openOrders({ limit: 10_000 })).orders.some((o) => o.orderId === orderId);

beforeAll(async () => {
  process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET = SECRET;
  process.env.WANDIAN_PAYMENT_TIMEOUT_SECONDS = '900';
  process.env.WANDIAN_RECONCILE_QUIET_SECONDS = '60';
  process.env.WANDIAN_RECONCILE_INVENTORY_SEGMENTS = '1';
  system = await startLocalSystem({
    port: 0,
    quiet: true,
    scheduleSeconds: 0,
    busOptions: { onEvent: (e) => events.push(`${e['detail-type']}:${(e.detail as { orderId?: string }).orderId}`) },
  });
  api = new ApiClient(system.url, SECRET);
  orders = new OrderStore(doc);
  index = new ReconcileStore(doc);
});

afterAll(async () => {
  await system?.stop();
  for (const name of ['WANDIAN_PAYMENT_TIMEOUT_SECONDS', 'WANDIAN_RECONCILE_QUIET_SECONDS', 'WANDIAN_RECONCILE_INVENTORY_SEGMENTS'])
    delete process.env[name];
});

describe('open-orders index', () => {
  it('holds an order while it is PENDING_PAYMENT and drops it once PAID', async () => {
    const { storeId, sku } = await seed(5);
    const created = await api.createOrder({ storeId, customerId: 'c1', items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' });
    expect(created.status).toBe(201);
    expect(await isOpen(created.body.orderId)).toBe(true);
    await api.pay(created.body);
    await api.waitForStatus(created.body.orderId, ['PAID']);
    expect(await isOpen(created.body.orderId)).toBe(false);
  });
});

describe('(a) saga never started', () => {
  it('starts the saga of an order older than the grace period, once, and sends its OrderPlaced', async () => {
    const { storeId, sku } = await seed(5);
    const order = await placeWithoutSaga(storeId, sku, 2, 40, 900);
    const first = await reconcileOnce();
    expect(first.started).toBe(1);
    await system.bus.idle();
    expect(events).toContain(`OrderPlaced:${order.orderId}`);
    // The saga runs: its first step records the payment intent; paying now completes the order.
    await expect.poll(async () => (await orders.get(order.orderId))?.paymentIntentId, { timeout: 15_000 }).toBeDefined();
    expect((await reconcileOnce()).started).toBe(0);
    await api.pay({ orderId: order.orderId, pricing: order.pricing });
    await api.waitForStatus(order.orderId, ['PAID']);
    expect(await level(storeId, sku)).toMatchObject({ available: 3, reserved: 0, sold: 2 });
  });

  it('leaves an order within the grace period alone', async () => {
    const { storeId, sku } = await seed(5);
    const order = await placeWithoutSaga(storeId, sku, 1, 0, 900);
    expect((await reconcileOnce()).started).toBe(0);
    expect((await orders.get(order.orderId))?.paymentIntentId).toBeUndefined();
  });
});

describe('(b) stuck past the deadline', () => {
  it('compensates an order well past expiresAt whose saga is gone: EXPIRED, stock back, out of the index', async () => {
    const { storeId, sku } = await seed(5);
    const order = await placeWithoutSaga(storeId, sku, 3, 1200, 900); // expired 5 minutes ago
    expect((await reconcileOnce()).compensated).toBe(1);
    const expired = await api.waitForStatus(order.orderId, ['EXPIRED']);
    expect(expired.history.at(-1)).toMatchObject({ status: 'EXPIRED', reason: 'EXPIRED' });
    expect(await level(storeId, sku)).toMatchObject({ available: 5, reserved: 0, sold: 0, stocked: 5 });
    expect(await isOpen(order.orderId)).toBe(false);
    expect((await reconcileOnce()).compensated).toBe(0);
  });
});

describe('(b) a claim whose segment did not finish', () => {
  it('starts confirmPayment again for a PAYMENT claim older than the grace period: the payment answered APPLIED ends PAID', async () => {
    const { storeId, sku } = await seed(5);
    const order = await placeWithoutSaga(storeId, sku, 2, 60, 900);
    const at = ago(40);
    const payment = {
      paymentId: uid('pay'),
      status: 'SUCCEEDED' as const,
      amount: 1000,
      currency: 'CNY' as const,
      occurredAt: at,
      receivedAt: at,
    };
    expect((await orders.recordPayment(order.orderId, payment, 'PAYMENT', at))?.claim).toBe('PAYMENT');
    expect((await reconcileOnce()).committed).toBe(1);
    await api.waitForStatus(order.orderId, ['PAID']);
    expect(await level(storeId, sku)).toMatchObject({ available: 3, reserved: 0, sold: 2 });
    expect((await reconcileOnce()).committed).toBe(0);
  });

  it('starts compensateOrder again for a CANCEL claim older than the grace period, and leaves a fresh claim alone', async () => {
    const { storeId, sku } = await seed(5);
    const order = await placeWithoutSaga(storeId, sku, 2, 60, 900);
    const fresh = await placeWithoutSaga(storeId, sku, 1, 60, 900);
    expect((await orders.claim(order.orderId, 'CANCEL', ago(40)))?.won).toBe(true);
    expect((await orders.claim(fresh.orderId, 'CANCEL', ago(0)))?.won).toBe(true);
    expect((await reconcileOnce()).compensated).toBe(1);
    const cancelled = await api.waitForStatus(order.orderId, ['CANCELLED']);
    expect(cancelled.history.at(-1)).toMatchObject({ status: 'CANCELLED', reason: 'CUSTOMER' });
    expect((await orders.get(fresh.orderId))?.status).toBe('PENDING_PAYMENT');
  });
});

describe('(c) reservations without a live order', () => {
  it("gives back reserved units no open order holds once the item has been quiet, keeping the open orders' units", async () => {
    const { storeId, sku } = await seed(10);
    const created = await api.createOrder({ storeId, customerId: 'c1', items: [{ sku, quantity: 2 }], paymentMethod: 'CARD' });
    expect(created.status).toBe(201);
    await leak(storeId, sku, 3, 600);
    expect(await level(storeId, sku)).toMatchObject({ available: 5, reserved: 5 });

    expect((await reconcileOnce()).repaired).toBe(1);
    expect(await level(storeId, sku)).toMatchObject({ available: 8, reserved: 2, sold: 0, stocked: 10 });
    // The open order still holds its units and completes normally.
    await api.pay(created.body);
    await api.waitForStatus(created.body.orderId, ['PAID']);
    expect(await level(storeId, sku)).toMatchObject({ available: 8, reserved: 0, sold: 2, stocked: 10 });
    expect((await reconcileOnce()).repaired).toBe(0);
  });

  it('does not judge an item that moved within the quiet period', async () => {
    const { storeId, sku } = await seed(10);
    await leak(storeId, sku, 3, 5);
    const summary = await reconcileOnce();
    expect(summary.repaired).toBe(0);
    expect(await level(storeId, sku)).toMatchObject({ available: 7, reserved: 3 });
  });

  it('reports, never repairs, fewer reserved units than the open orders hold', async () => {
    const { storeId, sku } = await seed(10);
    const created = await api.createOrder({ storeId, customerId: 'c1', items: [{ sku, quantity: 2 }], paymentMethod: 'CARD' });
    expect(created.status).toBe(201);
    await leak(storeId, sku, -1, 600); // one reserved unit vanished into available
    const summary = await reconcileOnce();
    expect(summary.mismatches).toBeGreaterThanOrEqual(1);
    expect(await level(storeId, sku)).toMatchObject({ available: 9, reserved: 1 });
  });
});

describe('(c) inventory sweep cursor', () => {
  it('pages through every item of each segment exactly once, from cursor to cursor', async () => {
    for (let i = 0; i < 4; i++) await seed(5);
    const all: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(new ScanCommand({ TableName: tableName('inventory'), ConsistentRead: true, ExclusiveStartKey: startKey }));
      all.push(...(out.Items ?? []).map((i) => `${i.storeId}#${i.sku}`));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    const seen: string[] = [];
    for (let segment = 0; segment < 2; segment++) {
      let cursor: Awaited<ReturnType<ReconcileStore['inventorySegment']>>['nextKey'];
      do {
        const page = await index.inventorySegment(segment, 2, 3, cursor);
        expect(page.levels.length).toBeLessThanOrEqual(3);
        seen.push(...page.levels.map((l) => `${l.storeId}#${l.sku}`));
        cursor = page.nextKey;
      } while (cursor);
    }
    expect(seen).toHaveLength(all.length);
    expect(new Set(seen)).toEqual(new Set(all));
  });

  it('stores a cursor per segment and segment count, and starts over after a completed walk', async () => {
    const now = new Date().toISOString();
    expect(await index.inventoryCursor(3, 7)).toEqual({ passes: 0 });
    await index.saveInventoryCursor(3, 7, { storeId: 's-1', sku: 'tea' }, now);
    expect(await index.inventoryCursor(3, 7)).toEqual({ passes: 0, startKey: { storeId: 's-1', sku: 'tea' } });
    expect(await index.inventoryCursor(3, 8)).toEqual({ passes: 0 });
    await index.saveInventoryCursor(3, 7, undefined, now);
    expect(await index.inventoryCursor(3, 7)).toEqual({ passes: 1 });
  });
});
