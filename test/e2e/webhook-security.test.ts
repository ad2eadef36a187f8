/**
 * Webhook signature end to end on the local runtime (PRODUCT.md "Identity and access (contract v1.1)",
 * "Webhook signature"): POST /v1/payments/webhook/{provider} with `X-Signature: t=..,v1=..`; a replay of an
 * old, genuinely signed callback is 401 STALE_SIGNATURE and changes nothing; bad signatures 401
 * INVALID_SIGNATURE; unknown providers 404; per-provider secrets; the previous secret is accepted during a
 * rotation and not after it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/api.ts';
import { startTestSystem, type TestSystem } from '../helpers/local-system.ts';
import { sign } from '../../src/payments/signature.ts';

const SECRET = 'webhook-security-secret';
const PRICE = 1200;
let ts: TestSystem;
let api: ApiClient;
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;
const storeId = uid('whs-store');
const sku = uid('whs-sku');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Variables this file changes; restored after every test (test workers are shared between files). */
const ROTATION_VARS = [
  'WANDIAN_PAYMENT_WEBHOOK_SECRET',
  'WANDIAN_PAYMENT_WEBHOOK_SECRET_PREVIOUS',
  'WANDIAN_PAYMENT_WEBHOOK_SECRET_ALIPAY',
] as const;
let saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  ts = await startTestSystem(SECRET);
  api = ts.api;
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Webhook store', region: 'east', timezone: 'Asia/Shanghai' })).status).toBe(200);
  expect((await api.put(`/v1/catalog/${sku}`, { name: 'Bun', unitPrice: PRICE, currency: 'CNY', category: 'food' })).status).toBe(200);
  expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 100, lowStockThreshold: 0 })).status).toBe(200);
  saved = Object.fromEntries(ROTATION_VARS.map((k) => [k, process.env[k]]));
});

afterEach(() => {
  for (const k of ROTATION_VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

afterAll(async () => {
  await ts?.system.stop();
});

async function placeOrder(paymentMethod = 'CARD') {
  const res = await api.createOrder({ storeId, customerId: uid('cust'), items: [{ sku, quantity: 1 }], paymentMethod });
  expect(res.status).toBe(201);
  return res.body as { orderId: string; pricing: { total: number; currency: string }; paymentMethod: string };
}

const callbackFor = (order: { orderId: string; pricing: { total: number; currency: string } }, occurredAt = new Date().toISOString()) => ({
  paymentId: `pay_${randomUUID()}`,
  orderId: order.orderId,
  status: 'SUCCEEDED',
  amount: order.pricing.total,
  currency: order.pricing.currency,
  occurredAt,
});

describe('webhook signature', () => {
  it('refuses a replay of a genuinely signed callback from 2019 with 401 STALE_SIGNATURE and leaves the order unchanged', async () => {
    const order = await placeOrder();
    const before = (await api.get(`/v1/orders/${order.orderId}`)).body;
    const body = callbackFor(order, '2019-06-01T08:00:00Z');
    const raw = JSON.stringify(body);
    const t2019 = Math.floor(Date.parse('2019-06-01T08:00:00Z') / 1000);
    const replay = await api.webhook(body, sign(raw, SECRET, t2019));
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ status: 401, code: 'STALE_SIGNATURE' });
    expect(replay.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // A signature 301 s in the future is as stale as one in the past.
    expect((await api.webhook(body, sign(raw, SECRET, nowSeconds() + 301))).body.code).toBe('STALE_SIGNATURE');
    const after = (await api.get(`/v1/orders/${order.orderId}`)).body;
    expect(after).toEqual(before);
    expect(after.status).toBe('PENDING_PAYMENT');
    expect(after.payment).toBeUndefined();
    // The same callback signed now is accepted (the window, not the body, was the problem).
    expect((await api.webhook(body)).body.disposition).toBe('APPLIED');
    expect((await api.waitForStatus(order.orderId, ['PAID'])).status).toBe('PAID');
  });

  it('refuses a re-timed header (t is signed), a tampered body, a wrong secret and a missing header with 401 INVALID_SIGNATURE', async () => {
    const order = await placeOrder();
    const body = callbackFor(order);
    const raw = JSON.stringify(body);
    const old = nowSeconds() - 3600;
    const retimed = sign(raw, SECRET, old).replace(`t=${old}`, `t=${nowSeconds()}`);
    const tampered = sign(JSON.stringify({ ...body, amount: 1 }), SECRET, nowSeconds());
    for (const header of [retimed, tampered, sign(raw, 'not-the-secret', nowSeconds()), `sha256=${'0'.repeat(64)}`, '']) {
      const res = await api.webhook(body, header);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('INVALID_SIGNATURE');
    }
    const unsigned = await api.anonymous().request('POST', '/v1/payments/webhook/card', raw);
    expect(unsigned.body.code).toBe('INVALID_SIGNATURE');
    expect((await api.get(`/v1/orders/${order.orderId}`)).body.payment).toBeUndefined();
  });

  it('answers 404 for an unknown provider, before any signature work', async () => {
    const order = await placeOrder();
    const res = await api.webhook(callbackFor(order), undefined, 'paypal');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('ROUTE_NOT_FOUND');
  });

  it('routes each payment method to its provider path: WECHAT_PAY → wechat-pay, ALIPAY → alipay', async () => {
    for (const method of ['WECHAT_PAY', 'ALIPAY']) {
      const order = await placeOrder(method);
      expect((await api.pay(order)).body.disposition).toBe('APPLIED');
      expect((await api.waitForStatus(order.orderId, ['PAID'])).status).toBe('PAID');
    }
  });

  it('accepts the previous secret during a rotation, and refuses it once the rotation is over', async () => {
    const NEW = 'webhook-security-secret-2';
    process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET = NEW;
    process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET_PREVIOUS = SECRET;
    const rotated = new ApiClient(ts.system.url, NEW);
    const byOld = await placeOrder();
    expect((await api.pay(byOld)).body.disposition).toBe('APPLIED');
    const byNew = await placeOrder();
    expect((await rotated.pay(byNew)).body.disposition).toBe('APPLIED');
    // A provider that signs with both during its own switch-over (two v1 entries) is accepted too.
    const both = await placeOrder();
    const body = callbackFor(both);
    expect((await api.webhook(body, sign(JSON.stringify(body), ['unknown-key', NEW], nowSeconds()))).body.disposition).toBe('APPLIED');

    delete process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET_PREVIOUS;
    const late = await placeOrder();
    const refused = await api.pay(late);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('INVALID_SIGNATURE');
    expect((await api.get(`/v1/orders/${late.orderId}`)).body.payment).toBeUndefined();
    expect((await rotated.pay(late)).body.disposition).toBe('APPLIED');
  });

  it('checks each provider against its own secret when a per-provider variable is set', async () => {
    process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET_ALIPAY = 'alipay-only-secret';
    const alipayOrder = await placeOrder('ALIPAY');
    const wrong = await api.pay(alipayOrder);
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('INVALID_SIGNATURE');
    expect((await new ApiClient(ts.system.url, 'alipay-only-secret').pay(alipayOrder)).body.disposition).toBe('APPLIED');
    // The card provider still uses the shared secret, and cannot sign for alipay with it.
    const cardOrder = await placeOrder('CARD');
    expect((await api.pay(cardOrder)).body.disposition).toBe('APPLIED');
  });

  it('protects top-up confirmations the same way: a stale or unsigned confirmation credits nothing', async () => {
    const customerId = uid('cust');
    const topup = (await api.topUp(customerId, 1_000_000, 'CNY', 'CARD')).body;
    const body = {
      paymentId: `pay_${randomUUID()}`,
      topupId: topup.topupId,
      status: 'SUCCEEDED',
      amount: topup.amount,
      currency: topup.currency,
      occurredAt: '2019-06-01T08:00:00Z',
    };
    const stale = await api.webhook(body, sign(JSON.stringify(body), SECRET, Math.floor(Date.parse('2019-06-01T08:00:00Z') / 1000)));
    expect(stale.body.code).toBe('STALE_SIGNATURE');
    expect((await api.webhook(body, sign(JSON.stringify(body), 'forged', nowSeconds()))).body.code).toBe('INVALID_SIGNATURE');
    expect((await api.get(`/v1/customers/${customerId}/wallet`)).status).toBe(404);
    expect((await api.get(`/v1/customers/${customerId}/wallet/topups/${topup.topupId}`)).body.status).toBe('PENDING');
  });
});
