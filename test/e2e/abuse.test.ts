/**
 * Regression tests for the abuse found with no credentials against `npm run local` (issue 7), on the local
 * system with real tokens. Each case is what a caller tried, what they must get now, and that nothing moved.
 * Elsewhere: deep JSON (test/e2e/bad-input.test.ts), stale webhooks (test/e2e/webhook-security.test.ts),
 * someone else's live status (test/e2e/live-status.test.ts), the idempotency leak between handlers
 * (test/integration/idempotency-isolation.test.ts), every route x principal (authorization-matrix.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem, type TestSystem } from '../helpers/local-system.ts';

let t: TestSystem;
let admin: ApiClient;
const run = randomUUID().slice(0, 6);
const STORE = `abuse-store-${run}`;
const SKU = `abuse-sku-${run}`;
const PRICE = 1200;

beforeAll(async () => {
  // The default per-customer limit (PRODUCT.md: 20 order creations and 20 top-ups a minute).
  t = await startTestSystem('abuse-secret', { customerLimitPerMinute: 20 });
  admin = await t.api.asUser(`abuse-admin-${run}`, ['chainAdmin']);
  expect((await admin.put(`/v1/stores/${STORE}`, { name: 'Abuse store', region: 'east', timezone: 'Asia/Shanghai' })).status).toBe(200);
  expect((await admin.put(`/v1/catalog/${SKU}`, { name: 'Tea', unitPrice: PRICE, currency: 'CNY', category: 'drinks' })).status).toBe(200);
  expect((await admin.put(`/v1/stores/${STORE}/inventory/${SKU}`, { available: 500, lowStockThreshold: 0 })).status).toBe(200);
});

afterAll(async () => {
  await t?.system.stop();
});

const order = (c: ApiClient) => c.createOrder({ storeId: STORE, items: [{ sku: SKU, quantity: 1 }], paymentMethod: 'CARD' });

describe('prices and promotions', () => {
  it('a customer or anonymous caller cannot set a catalog price to 0: orders still cost the real price', async () => {
    const mallory = await t.api.asUser(`mallory-${run}`);
    const free = { name: 'Tea', unitPrice: 0, currency: 'CNY', category: 'drinks' };
    expect((await t.api.anonymous().put(`/v1/catalog/${SKU}`, free)).status).toBe(401);
    expect((await mallory.put(`/v1/catalog/${SKU}`, free)).status).toBe(403);
    const placed = await order(mallory);
    expect(placed.status).toBe(201);
    expect(placed.body.pricing.total).toBe(PRICE);
  });

  it('a customer cannot define an automatic 100 % promotion: the next order is not free', async () => {
    const mallory = await t.api.asUser(`mallory2-${run}`);
    const res = await mallory.put(`/v1/coupons/FREE-${run}`, { type: 'PERCENT_OFF', percentOff: 100, automatic: true });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
    const placed = await order(mallory);
    expect(placed.body.pricing.total).toBe(PRICE);
    expect(placed.body.appliedCoupons.map((c: { code: string }) => c.code)).not.toContain(`FREE-${run}`);
  });
});

describe("other people's orders and stock", () => {
  it('another customer cannot cancel (or even see) an order: 404, and it stays PENDING_PAYMENT', async () => {
    const alice = await t.api.asUser(`alice-${run}`);
    const mallory = await t.api.asUser(`mallory3-${run}`);
    const placed = await order(alice);
    const cancel = await mallory.request('POST', `/v1/orders/${placed.body.orderId}/cancel`);
    expect(cancel.status).toBe(404);
    expect(cancel.body.code).toBe('ORDER_NOT_FOUND');
    expect((await mallory.get(`/v1/orders/${placed.body.orderId}`)).status).toBe(404);
    expect((await alice.get(`/v1/orders/${placed.body.orderId}`)).body.status).toBe('PENDING_PAYMENT');
  });

  it("a customer, anonymous caller or another store's staff cannot reset a store's stock", async () => {
    const before = (await admin.get(`/v1/stores/${STORE}/inventory/${SKU}`)).body;
    const reset = { available: 0, lowStockThreshold: 0 };
    const otherStaffSub = `staff-other-${run}`;
    expect((await admin.put(`/v1/staff/${otherStaffSub}`, { stores: [`other-store-${run}`] })).status).toBe(200);
    expect((await t.api.anonymous().put(`/v1/stores/${STORE}/inventory/${SKU}`, reset)).status).toBe(401);
    expect((await (await t.api.asUser(`mallory4-${run}`)).put(`/v1/stores/${STORE}/inventory/${SKU}`, reset)).status).toBe(403);
    expect((await (await t.api.asUser(otherStaffSub, ['storeStaff'])).put(`/v1/stores/${STORE}/inventory/${SKU}`, reset)).status).toBe(403);
    expect((await admin.get(`/v1/stores/${STORE}/inventory/${SKU}`)).body).toEqual(before);
  });
});

describe('money only from payments', () => {
  it("a customer's own 1,000,000 top-up adds nothing until the provider confirms it: a 500,000 BALANCE order fails", async () => {
    const sub = `rich-${run}`;
    const mallory = await t.api.asUser(sub);
    const topup = await mallory.request(
      'POST',
      `/v1/customers/${sub}/wallet/topups`,
      { amount: 1_000_000, currency: 'CNY', paymentMethod: 'CARD' },
      { 'idempotency-key': randomUUID() },
    );
    expect(topup.status).toBe(201);
    expect(topup.body.status).toBe('PENDING');
    expect((await mallory.get(`/v1/customers/${sub}/wallet`)).status).toBe(404);
    const placed = await mallory.createOrder({ storeId: STORE, items: [{ sku: SKU, quantity: 1 }], paymentMethod: 'BALANCE' });
    expect(placed.status).toBe(201);
    expect((await mallory.waitForStatus(placed.body.orderId, ['PAID', 'PAYMENT_FAILED'])).status).toBe('PAYMENT_FAILED');
  });

  it("anonymous callers and other customers cannot top up someone's wallet", async () => {
    const body = { amount: 1_000_000, currency: 'CNY', paymentMethod: 'CARD' };
    const key = () => ({ 'idempotency-key': randomUUID() });
    expect((await t.api.anonymous().request('POST', `/v1/customers/victim-${run}/wallet/topups`, body, key())).status).toBe(401);
    expect(
      (await (await t.api.asUser(`mallory5-${run}`)).request('POST', `/v1/customers/victim-${run}/wallet/topups`, body, key())).status,
    ).toBe(404);
  });
});

describe('per-customer limits', () => {
  it('answers 429 RATE_LIMITED with Retry-After past 20 order creations a minute, and a refused order reserves nothing', async () => {
    const flooder = await t.api.asUser(`flooder-${run}`);
    const before = (await admin.get(`/v1/stores/${STORE}/inventory/${SKU}`)).body;
    const answers = [];
    for (let i = 0; i < 45; i++) answers.push(await order(flooder));
    const placed = answers.filter((a) => a.status === 201);
    const limited = answers.filter((a) => a.status === 429);
    // 45 requests fall into at most two minute windows: at most 40 pass, the rest are refused.
    expect(placed.length).toBeGreaterThanOrEqual(20);
    expect(placed.length).toBeLessThanOrEqual(40);
    expect(placed.length + limited.length).toBe(45);
    for (const a of limited) {
      expect(a.body.code).toBe('RATE_LIMITED');
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(a.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    }
    const after = (await admin.get(`/v1/stores/${STORE}/inventory/${SKU}`)).body;
    expect(after.reserved - before.reserved).toBe(placed.length);
    // Another customer is not held back by this one's limit.
    expect((await order(await t.api.asUser(`bystander-${run}`))).status).toBe(201);
  });
});
