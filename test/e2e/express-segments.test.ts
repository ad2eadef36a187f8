/**
 * The order Saga's EXPRESS segments under at-least-once starts (issue 8: "every step stays once-only under
 * at-least-once starts"). Express has no execution-name dedupe (the local runner does not dedupe EXPRESS names
 * either), so each segment is started twice at once for the same order, straight on the local Step Functions
 * service, and the order, stock, coupon and wallet must each have moved exactly once: one final status, one
 * debit, one commit or release, one coupon release, and one event id per kind.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc } from '../../functions/commons/clients.ts';
import { tableName } from '../../src/config.ts';
import type { Order } from '../../src/domain/types.ts';
import { COUPON_SCOPE } from '../../src/store/coupon-store.ts';
import { OrderStore } from '../../src/store/order-store.ts';
import type { startLocalSystem } from '../../local/system.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
let store: OrderStore;
const SECRET = 'segments-secret';
const events: { type: string; orderId?: string; eventId?: string }[] = [];
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  ({ system, api } = await startTestSystem(SECRET, {
    paymentTimeoutSeconds: 600,
    scheduleSeconds: 0,
    busOptions: {
      onEvent: (e) => {
        const d = e.detail as { orderId?: string; eventId?: string };
        events.push({ type: e['detail-type'], orderId: d.orderId, eventId: d.eventId });
      },
    },
  }));
  store = new OrderStore(doc);
});

afterAll(async () => {
  await system?.stop();
});

/** Starts `machine` twice at once with the same input and waits for both; returns their statuses. */
async function startTwice(machine: string, input: Record<string, unknown>, extra: Record<string, unknown>[] = []) {
  const arn = system.stepFunctions.arns[machine]!;
  const records = [input, input, ...extra].map((i) =>
    system.stepFunctions.startExecution({ stateMachineArn: arn, input: JSON.stringify(i) }),
  );
  expect(new Set(records.map((r) => r.executionArn)).size).toBe(records.length);
  return Promise.all(records.map(async (r) => (await system.stepFunctions.waitForExecution(r.executionArn)).status));
}

async function seed(available: number) {
  const storeId = uid('store');
  const sku = uid('sku');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'S', region: 'east', timezone: 'Asia/Shanghai' })).status).toBe(200);
  expect((await api.put(`/v1/catalog/${sku}`, { name: 'Tea', unitPrice: 800, currency: 'CNY', category: 'drinks' })).status).toBe(200);
  expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: 0 })).status).toBe(200);
  return { storeId, sku };
}

/** An order written straight through the store (stock reserved, coupons redeemed, no segment started). */
async function placeDirect(
  storeId: string,
  sku: string,
  opts: { paymentMethod?: Order['paymentMethod']; customerId?: string; coupon?: string } = {},
): Promise<Order> {
  const now = new Date().toISOString();
  const order: Order = {
    orderId: uid('ord'),
    storeId,
    region: 'east',
    customerId: opts.customerId ?? 'c1',
    status: 'PENDING_PAYMENT',
    items: [{ sku, name: 'Tea', quantity: 2, unitPrice: 800, lineTotal: 1600 }],
    pricing: { subtotal: 1600, discount: 0, total: 1600, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: opts.paymentMethod ?? 'CARD',
    createdAt: now,
    expiresAt: new Date(Date.now() + 600_000).toISOString(),
    history: [{ status: 'PENDING_PAYMENT', at: now }],
    reservation: [{ sku, quantity: 2 }],
    couponRedemptions: opts.coupon ? [{ code: opts.coupon, perCustomer: false }] : [],
    stockState: 'RESERVED',
    couponsState: opts.coupon ? 'REDEEMED' : 'NONE',
    updatedAt: now,
  };
  await store.place(order, new Map());
  return order;
}

const stock = async (storeId: string, sku: string) => (await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body;
const historyOf = async (orderId: string) => ((await store.get(orderId))?.history ?? []).map((h) => h.status);

/** After the bus is idle: each kind of event for the order carries one event id (consumers dedupe by it). */
async function oneEventIdPerKind(orderId: string, kinds: string[]) {
  await system.bus.idle();
  for (const kind of kinds) {
    const ids = new Set(events.filter((e) => e.orderId === orderId && e.type === kind).map((e) => e.eventId));
    expect(ids.size, `${kind} of ${orderId}`).toBe(1);
  }
}

describe('each segment started twice at once for the same order', () => {
  it('placeOrder (BALANCE): the wallet is debited once, stock committed once, one PAID', async () => {
    const { storeId, sku } = await seed(5);
    const customerId = uid('cust');
    await api.fundWallet(customerId, 5000, 'CNY');
    const order = await placeDirect(storeId, sku, { paymentMethod: 'BALANCE', customerId });
    expect(await startTwice('placeOrder', { orderId: order.orderId })).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const customer = await api.asUser(customerId);
    expect((await customer.get(`/v1/customers/${customerId}/wallet`)).body.balance).toBe(5000 - 1600);
    expect(await historyOf(order.orderId)).toEqual(['PENDING_PAYMENT', 'PAID']);
    expect(await stock(storeId, sku)).toMatchObject({ available: 3, reserved: 0, sold: 2 });
    await oneEventIdPerKind(order.orderId, ['OrderPaid']);
  });

  it('confirmPayment: stock committed once, one PAID; then the refund saga twice: refunded and restocked once', async () => {
    const { storeId, sku } = await seed(5);
    const order = await placeDirect(storeId, sku);
    const at = new Date().toISOString();
    const payment = {
      paymentId: uid('pay'),
      status: 'SUCCEEDED' as const,
      amount: 1600,
      currency: 'CNY' as const,
      occurredAt: at,
      receivedAt: at,
    };
    expect((await store.recordPayment(order.orderId, payment, 'PAYMENT', at))?.claim).toBe('PAYMENT');
    expect(await startTwice('confirmPayment', { orderId: order.orderId })).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await historyOf(order.orderId)).toEqual(['PENDING_PAYMENT', 'PAID']);
    expect(await stock(storeId, sku)).toMatchObject({ available: 3, reserved: 0, sold: 2 });

    expect(await store.requestRefund(order.orderId, new Date().toISOString())).toBe('REQUESTED');
    expect(await startTwice('refundSaga', { orderId: order.orderId })).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await historyOf(order.orderId)).toEqual(['PENDING_PAYMENT', 'PAID', 'REFUNDED']);
    expect((await store.get(order.orderId))?.refundId).toBe(`rf_${payment.paymentId}`);
    expect(await stock(storeId, sku)).toMatchObject({ available: 5, reserved: 0, sold: 0 });
    await oneEventIdPerKind(order.orderId, ['OrderPaid', 'OrderRefunded']);
  });

  it('compensateOrder: stock and coupon released once, one final status (the winning claim), also against a losing claim', async () => {
    const { storeId, sku } = await seed(5);
    const code = uid('SAVE').toUpperCase();
    expect((await api.put(`/v1/coupons/${code}`, { type: 'AMOUNT_OFF', amountOff: 100, maxRedemptions: 5 })).status).toBe(200);
    const order = await placeDirect(storeId, sku, { coupon: code });
    const coupon = async () =>
      (await doc.send(new GetCommand({ TableName: tableName('coupons'), Key: { code, scope: COUPON_SCOPE }, ConsistentRead: true }))).Item;
    expect((await coupon())?.redemptions).toBe(1);
    expect((await store.claim(order.orderId, 'EXPIRY', new Date().toISOString()))?.won).toBe(true);
    const statuses = await startTwice('compensateOrder', { orderId: order.orderId, claim: 'EXPIRY' }, [
      { orderId: order.orderId, claim: 'CANCEL' }, // a cancel that lost the claim race acts on the EXPIRY claim
    ]);
    expect(statuses).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(await historyOf(order.orderId)).toEqual(['PENDING_PAYMENT', 'EXPIRED']);
    expect(await stock(storeId, sku)).toMatchObject({ available: 5, reserved: 0, sold: 0 });
    expect((await coupon())?.redemptions).toBe(0);
    expect((await store.get(order.orderId))?.couponsState).toBe('RELEASED');
    await oneEventIdPerKind(order.orderId, ['OrderCancelled']);
  });
});
