/**
 * The order path end to end on the local runtime: real HTTP, real DynamoDB Local, the real Saga ASL
 * executed by aws-local-stepfunctions, the local bus routing by the deployed rule patterns.
 * Specification: shared/brief/PRODUCT.md (API contract v1, the Saga, invariants 1-6).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startLocalSystem } from '../../local/system.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
const SECRET = 'test-webhook-secret';
const PAYMENT_TIMEOUT_SECONDS = 2;

const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

/** A store with stock of the given SKUs (price 1250 CNY each unless given). */
async function seedStore(stock: Record<string, number>, threshold = 0) {
  const storeId = uid('store');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Test store', region: 'east', timezone: 'Asia/Shanghai' })).status).toBe(200);
  for (const [sku, available] of Object.entries(stock)) {
    expect((await api.put(`/v1/catalog/${sku}`, { name: `Item ${sku}`, unitPrice: 1250, currency: 'CNY', category: 'food' })).status).toBe(
      200,
    );
    expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: threshold })).status).toBe(200);
  }
  return storeId;
}

const inventoryOf = async (storeId: string, sku: string) => (await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body;

beforeAll(async () => {
  ({ system, api } = await startTestSystem(SECRET, { paymentTimeoutSeconds: PAYMENT_TIMEOUT_SECONDS }));
});

afterAll(async () => {
  await system?.stop();
});

describe('order saga', () => {
  it('marks an order PAID when the provider confirms the exact amount, moving reserved units to sold', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 10 });
    const created = await api.createOrder({ storeId, customerId: 'c1', items: [{ sku, quantity: 3 }], paymentMethod: 'WECHAT_PAY' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/orders/${created.body.orderId}`);
    expect(created.body).toMatchObject({
      status: 'PENDING_PAYMENT',
      pricing: { subtotal: 3750, discount: 0, total: 3750, currency: 'CNY' },
    });
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 7, reserved: 3, sold: 0 });

    expect((await api.pay(created.body)).status).toBe(200);
    const paid = await api.waitForStatus(created.body.orderId, ['PAID']);
    expect(paid.history.map((h: any) => h.status)).toEqual(['PENDING_PAYMENT', 'PAID']);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 7, reserved: 0, sold: 3 });
  });

  it('compensates a FAILED payment: stock and coupon come back, order ends PAYMENT_FAILED', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 5 });
    const code = uid('SAVE');
    expect((await api.put(`/v1/coupons/${code}`, { type: 'AMOUNT_OFF', amountOff: 500, maxRedemptions: 1 })).status).toBe(200);
    const created = await api.createOrder({
      storeId,
      customerId: 'c2',
      items: [{ sku, quantity: 2 }],
      couponCodes: [code],
      paymentMethod: 'ALIPAY',
    });
    expect(created.status).toBe(201);
    expect(created.body.pricing).toMatchObject({ subtotal: 2500, discount: 500, total: 2000 });

    // The coupon is used up while the order is pending.
    const second = await api.createOrder({
      storeId,
      customerId: 'c3',
      items: [{ sku, quantity: 1 }],
      couponCodes: [code],
      paymentMethod: 'ALIPAY',
    });
    expect(second.status).toBe(422);
    expect(second.body.code).toBe('COUPON_EXHAUSTED');

    await api.pay(created.body, { status: 'FAILED' });
    const failed = await api.waitForStatus(created.body.orderId, ['PAYMENT_FAILED']);
    expect(failed.history.at(-1)).toMatchObject({ status: 'PAYMENT_FAILED', reason: 'PAYMENT_FAILED' });
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 5, reserved: 0, sold: 0 });

    // The released coupon can be used again.
    const third = await api.createOrder({
      storeId,
      customerId: 'c3',
      items: [{ sku, quantity: 1 }],
      couponCodes: [code],
      paymentMethod: 'ALIPAY',
    });
    expect(third.status).toBe(201);
  });

  it('expires an unpaid order at expiresAt and releases its stock', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 4 });
    const created = await api.createOrder({ storeId, customerId: 'c4', items: [{ sku, quantity: 4 }], paymentMethod: 'CARD' });
    expect(created.status).toBe(201);
    expect(Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt)).toBe(PAYMENT_TIMEOUT_SECONDS * 1000);
    const expired = await api.waitForStatus(created.body.orderId, ['EXPIRED'], 15_000);
    expect(expired.history.at(-1).reason).toBe('EXPIRED');
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 4, reserved: 0, sold: 0 });
  });

  it('cancels an unpaid order on customer request and refunds a payment that arrives afterwards', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 3 });
    const created = await api.createOrder({ storeId, customerId: 'c5', items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' });
    const cancel = await api.request('POST', `/v1/orders/${created.body.orderId}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body.action).toBe('CANCEL');
    await api.waitForStatus(created.body.orderId, ['CANCELLED']);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 3, reserved: 0 });

    const late = await api.pay(created.body);
    expect(late.status).toBe(200);
    expect(late.body.disposition).toBe('REFUNDED');
    expect((await api.get(`/v1/orders/${created.body.orderId}`)).body.status).toBe('CANCELLED');

    const again = await api.request('POST', `/v1/orders/${created.body.orderId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ORDER_NOT_CANCELLABLE');
  });

  it('refunds and restocks a PAID order that is cancelled', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 6 });
    const created = await api.createOrder({ storeId, customerId: 'c6', items: [{ sku, quantity: 2 }], paymentMethod: 'WECHAT_PAY' });
    await api.pay(created.body);
    await api.waitForStatus(created.body.orderId, ['PAID']);
    const cancel = await api.request('POST', `/v1/orders/${created.body.orderId}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body.action).toBe('REFUND');
    const refunded = await api.waitForStatus(created.body.orderId, ['REFUNDED']);
    expect(refunded.history.map((h: any) => h.status)).toEqual(['PENDING_PAYMENT', 'PAID', 'REFUNDED']);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 6, reserved: 0, sold: 0 });
  });

  it('applies a duplicated callback once', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 6 });
    const created = await api.createOrder({ storeId, customerId: 'c7', items: [{ sku, quantity: 1 }], paymentMethod: 'ALIPAY' });
    const payload = {
      paymentId: uid('pay'),
      orderId: created.body.orderId,
      status: 'SUCCEEDED',
      amount: created.body.pricing.total,
      currency: 'CNY',
      occurredAt: new Date().toISOString(),
    };
    const [a, b] = await Promise.all([api.webhook(payload), api.webhook(payload)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.disposition, b.body.disposition].sort()).toEqual(['APPLIED', 'DUPLICATE']);
    const paid = await api.waitForStatus(created.body.orderId, ['PAID']);
    expect((await api.webhook(payload)).body.disposition).toBe('DUPLICATE');
    expect(paid.history.filter((h: any) => h.status === 'PAID')).toHaveLength(1);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 5, reserved: 0, sold: 1 });
  });

  it('never marks an order PAID for the wrong amount (invariant 4)', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 2 });
    const created = await api.createOrder({ storeId, customerId: 'c8', items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' });
    await api.pay(created.body, { amount: created.body.pricing.total - 1 });
    const failed = await api.waitForStatus(created.body.orderId, ['PAYMENT_FAILED', 'PAID']);
    expect(failed.status).toBe('PAYMENT_FAILED');
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 2, reserved: 0, sold: 0 });
  });
});
