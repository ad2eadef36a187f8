/**
 * Wallets end to end on the local runtime: top-ups as provider payments (contract v1.1: PENDING until the
 * provider's signed webhook confirms, credited exactly once under duplicate and concurrent callbacks), the
 * saga's DebitWallet for BALANCE orders (a conditional write, no provider callback), compensation of orders
 * the wallet cannot cover, refunds credited back exactly once, and audited chainAdmin adjustments.
 * Specification: shared/brief/PRODUCT.md (API contract v1 wallet routes, "Identity and access (contract
 * v1.1)": "Wallet top-ups are payments" and the adjustments route; field notes on BALANCE; invariants 1, 2, 4, 6).
 */
import { randomUUID } from 'node:crypto';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { startLocalSystem } from '../../local/system.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';
import { sandboxProvider } from '../../src/payments/provider.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
let doc: DynamoDBDocumentClient;
const SECRET = 'wallet-webhook-secret';
const PRICE = 1000;
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

async function seedStore(stock: Record<string, number>) {
  const storeId = uid('store');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Wallet store', region: 'east', timezone: 'Asia/Shanghai' })).status).toBe(200);
  for (const [sku, available] of Object.entries(stock)) {
    expect((await api.put(`/v1/catalog/${sku}`, { name: `Item ${sku}`, unitPrice: PRICE, currency: 'CNY', category: 'food' })).status).toBe(
      200,
    );
    expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: 0 })).status).toBe(200);
  }
  return storeId;
}

/** Funds a wallet the v1.1 way (top-up + the provider's confirmation); expects the money to be credited. */
const topUp = async (customerId: string, amount: number, currency = 'CNY') => {
  const confirmed = await api.fundWallet(customerId, amount, currency);
  expect(confirmed.body.disposition).toBe('APPLIED');
};
const openTopup = async (
  customerId: string,
  amount: number,
  paymentMethod: 'WECHAT_PAY' | 'ALIPAY' | 'CARD' = 'CARD',
  currency = 'CNY',
) => {
  const res = await api.topUp(customerId, amount, currency, paymentMethod);
  expect(res.status).toBe(201);
  return res.body as { topupId: string; amount: number; currency: string; paymentMethod: string; status: string };
};
const balanceOf = async (customerId: string) => (await api.get(`/v1/customers/${customerId}/wallet`)).body.balance as number;
const topupOf = async (customerId: string, topupId: string) => (await api.get(`/v1/customers/${customerId}/wallet/topups/${topupId}`)).body;
const inventoryOf = async (storeId: string, sku: string) => (await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body;
const orderBalance = (storeId: string, customerId: string, sku: string, quantity = 1) =>
  api.createOrder({ storeId, customerId, items: [{ sku, quantity }], paymentMethod: 'BALANCE' });
/** Audit records of wallet adjustments of `customerId`, read behind the API (table TABLE_AUDIT). */
const auditOf = async (customerId: string) =>
  (
    await doc.send(
      new ScanCommand({
        TableName: process.env.TABLE_AUDIT,
        ConsistentRead: true,
        FilterExpression: '#action = :action AND #target.#id = :id',
        ExpressionAttributeNames: { '#action': 'action', '#target': 'target', '#id': 'id' },
        ExpressionAttributeValues: { ':action': 'wallet.adjust', ':id': customerId },
      }),
    )
  ).Items ?? [];
const adjust = (client: ApiClient, customerId: string, body: unknown, key: string = randomUUID()) =>
  client.request('POST', `/v1/customers/${customerId}/wallet/adjustments`, body, { 'idempotency-key': key });

beforeAll(async () => {
  ({ system, api, doc } = await startTestSystem(SECRET));
});

afterAll(async () => {
  await system?.stop();
});

describe('wallet top-ups (contract v1.1: top-ups are payments)', () => {
  // Contract change v1 → v1.1: POST topups used to credit at once (201 wallet); now it answers 201 PENDING
  // top-up and only the provider's confirmation moves the balance.
  it('opens a PENDING top-up of 1,000,000 that changes nothing until the provider confirms it, then credits it once', async () => {
    const customerId = uid('cust');
    await topUp(customerId, 500);
    const key = randomUUID();
    const opened = await api.topUp(customerId, 1_000_000, 'CNY', 'WECHAT_PAY', key);
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ status: 'PENDING', amount: 1_000_000, currency: 'CNY', paymentMethod: 'WECHAT_PAY' });
    expect(opened.body.topupId).toMatch(/^top_/);
    expect(typeof opened.body.createdAt).toBe('string');
    expect(opened.headers.get('location')).toBe(`/v1/customers/${customerId}/wallet/topups/${opened.body.topupId}`);
    // A retried request (same key, same body) is the same top-up, and still credits nothing.
    const replay = await api.topUp(customerId, 1_000_000, 'CNY', 'WECHAT_PAY', key);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(opened.body);
    expect(await balanceOf(customerId)).toBe(500);
    expect(await topupOf(customerId, opened.body.topupId)).toMatchObject({ status: 'PENDING' });

    const confirmed = await api.payTopup(opened.body);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toEqual({ received: true, disposition: 'APPLIED' });
    expect(await balanceOf(customerId)).toBe(1_000_500);
    expect(await topupOf(customerId, opened.body.topupId)).toMatchObject({ status: 'SUCCEEDED', amount: 1_000_000 });
  });

  it('credits once when the same confirmation arrives 10 times at once', async () => {
    const customerId = uid('cust');
    const topup = await openTopup(customerId, 2500, 'ALIPAY');
    const paymentId = `pay_${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => api.payTopup(topup, { paymentId })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const dispositions = answers.map((a) => a.body.disposition).sort();
    expect(dispositions).toEqual(['APPLIED', ...Array(9).fill('DUPLICATE')]);
    expect(await balanceOf(customerId)).toBe(2500);
    expect((await api.payTopup(topup, { paymentId })).body.disposition).toBe('DUPLICATE');
    expect(await balanceOf(customerId)).toBe(2500);
  });

  it('credits once when two different payments confirm one top-up: the second is refunded once per paymentId', async () => {
    const customerId = uid('cust');
    const topup = await openTopup(customerId, 700);
    const refund = vi.spyOn(sandboxProvider, 'refund');
    try {
      const [first, second] = [`pay_${randomUUID()}`, `pay_${randomUUID()}`];
      const answers = await Promise.all([
        ...Array.from({ length: 5 }, () => api.payTopup(topup, { paymentId: first })),
        ...Array.from({ length: 5 }, () => api.payTopup(topup, { paymentId: second })),
      ]);
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
      const applied = answers.filter((a) => a.body.disposition === 'APPLIED');
      expect(applied).toHaveLength(1);
      expect(answers.filter((a) => a.body.disposition === 'REFUNDED').length).toBeGreaterThanOrEqual(1);
      expect(await balanceOf(customerId)).toBe(700);
      // Exactly one of the two payments is given back, exactly once.
      const refunded = refund.mock.calls.map(([r]) => r).filter((r) => r.topupId === topup.topupId);
      expect(refunded).toHaveLength(1);
      expect([first, second]).toContain(refunded[0]!.paymentId);
      expect(refunded[0]).toMatchObject({ customerId, amount: 700, currency: 'CNY' });
      // A late third payment is refunded too (once), and the balance still holds the top-up once.
      const late = `pay_${randomUUID()}`;
      expect((await api.payTopup(topup, { paymentId: late })).body.disposition).toBe('REFUNDED');
      expect((await api.payTopup(topup, { paymentId: late })).body.disposition).toBe('REFUNDED');
      expect(refund.mock.calls.filter(([r]) => r.paymentId === late)).toHaveLength(1);
      expect(await balanceOf(customerId)).toBe(700);
    } finally {
      refund.mockRestore();
    }
  });

  it('ends a top-up FAILED once when the provider says FAILED; money arriving later is refunded, never credited', async () => {
    const customerId = uid('cust');
    const topup = await openTopup(customerId, 900);
    const failed = { paymentId: `pay_${randomUUID()}`, status: 'FAILED' };
    const answers = await Promise.all(Array.from({ length: 3 }, () => api.payTopup(topup, failed)));
    expect(answers.map((a) => a.body.disposition).sort()).toEqual(['APPLIED', 'DUPLICATE', 'DUPLICATE']);
    expect(await topupOf(customerId, topup.topupId)).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_FAILED' });
    expect((await api.payTopup(topup)).body.disposition).toBe('REFUNDED');
    expect((await api.get(`/v1/customers/${customerId}/wallet`)).status).toBe(404);
  });

  it.each([
    ['another amount', { amount: 899 }, undefined],
    ['another currency', { currency: 'USD' }, undefined],
    ['another provider than the payment method', {}, 'alipay'],
  ])('never credits a payment of %s: REJECTED, the top-up ends FAILED', async (_name, overrides, provider) => {
    const customerId = uid('cust');
    const topup = await openTopup(customerId, 900);
    const rejected = await api.payTopup(topup, overrides, provider);
    expect(rejected.status).toBe(200);
    expect(rejected.body.disposition).toBe('REJECTED');
    expect(await topupOf(customerId, topup.topupId)).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_MISMATCH' });
    // The right payment arriving afterwards finds a closed top-up: refunded, not credited.
    expect((await api.payTopup(topup)).body.disposition).toBe('REFUNDED');
    expect((await api.get(`/v1/customers/${customerId}/wallet`)).status).toBe(404);
  });

  it('keeps one currency per wallet: a top-up in another currency is 422 CURRENCY_MISMATCH and adds nothing', async () => {
    const customerId = uid('cust');
    await topUp(customerId, 100, 'CNY');
    const other = await api.topUp(customerId, 100, 'USD');
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'CURRENCY_MISMATCH', walletCurrency: 'CNY' });
    expect(await balanceOf(customerId)).toBe(100);
  });

  it('refunds a confirmed top-up the wallet can no longer take (its currency changed meanwhile)', async () => {
    const customerId = uid('cust');
    const usd = await openTopup(customerId, 300, 'CARD', 'USD');
    await topUp(customerId, 100, 'CNY');
    expect((await api.payTopup(usd)).body.disposition).toBe('REFUNDED');
    expect(await topupOf(customerId, usd.topupId)).toMatchObject({ status: 'FAILED', failureReason: 'CURRENCY_MISMATCH' });
    expect((await api.get(`/v1/customers/${customerId}/wallet`)).body).toMatchObject({ balance: 100, currency: 'CNY' });
  });

  it('refunds a confirmed top-up that would take the wallet past its maximum balance', async () => {
    const customerId = uid('cust');
    const half = 600_000_000_000; // two of them pass the 10^12 minor-unit maximum
    const [a, b] = [await openTopup(customerId, half), await openTopup(customerId, half)];
    expect((await api.payTopup(a)).body.disposition).toBe('APPLIED');
    expect((await api.payTopup(b)).body.disposition).toBe('REFUNDED');
    expect(await topupOf(customerId, b.topupId)).toMatchObject({ status: 'FAILED', failureReason: 'WALLET_LIMIT_EXCEEDED' });
    expect(await balanceOf(customerId)).toBe(half);
    // A third cannot even be opened now: it could never be credited.
    expect((await api.topUp(customerId, half, 'CNY')).body.code).toBe('WALLET_LIMIT_EXCEEDED');
  });

  it("hides another customer's top-ups (404) and lets a chainAdmin read any", async () => {
    const owner = uid('cust');
    const topup = await openTopup(owner, 100);
    const other = await api.asUser(uid('cust'));
    const peek = await other.get(`/v1/customers/${owner}/wallet/topups/${topup.topupId}`);
    expect(peek.status).toBe(404);
    expect(peek.body.code).toBe('TOPUP_NOT_FOUND');
    const own = await api.asUser(owner);
    expect((await own.get(`/v1/customers/${owner}/wallet/topups/top_unknown`)).body.code).toBe('TOPUP_NOT_FOUND');
    const foreign = await other.request(
      'POST',
      `/v1/customers/${owner}/wallet/topups`,
      { amount: 100, currency: 'CNY', paymentMethod: 'CARD' },
      { 'idempotency-key': randomUUID() },
    );
    expect(foreign.status).toBe(404);
    const admin = await api.asUser('wallet-admin', ['chainAdmin']);
    expect((await admin.get(`/v1/customers/${owner}/wallet/topups/${topup.topupId}`)).body).toMatchObject({
      topupId: topup.topupId,
      customerId: owner,
      status: 'PENDING',
    });
  });
});

describe('wallet adjustments (chainAdmin, audited)', () => {
  it('is 403 for anyone but a chainAdmin, and writes nothing', async () => {
    const customerId = uid('cust');
    await topUp(customerId, 1000);
    const self = await api.asUser(customerId);
    for (const client of [self, await api.asUser(uid('staff'), ['storeStaff']), await api.asUser(uid('rm'), ['regionManager'])]) {
      const res = await adjust(client, customerId, { amount: 5000, currency: 'CNY', reason: 'self-service bonus' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    expect((await adjust(api.anonymous(), customerId, { amount: 5000, currency: 'CNY', reason: 'x' })).status).toBe(401);
    expect(await balanceOf(customerId)).toBe(1000);
    expect(await auditOf(customerId)).toEqual([]);
  });

  it('never goes below zero: 422 INSUFFICIENT_FUNDS, and neither the wallet nor the audit log changes', async () => {
    const customerId = uid('cust');
    await topUp(customerId, 1000);
    const before = (await api.get(`/v1/customers/${customerId}/wallet`)).body;
    const res = await adjust(api, customerId, { amount: -1001, currency: 'CNY', reason: 'chargeback' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('INSUFFICIENT_FUNDS');
    expect((await api.get(`/v1/customers/${customerId}/wallet`)).body).toEqual(before);
    expect(await auditOf(customerId)).toEqual([]);
    const currency = await adjust(api, customerId, { amount: 10, currency: 'USD', reason: 'wrong currency' });
    expect(currency.status).toBe(422);
    expect(currency.body.code).toBe('CURRENCY_MISMATCH');
    expect(await auditOf(customerId)).toEqual([]);
  });

  it('moves the balance by the signed amount and writes exactly one audit record with the exact before and after', async () => {
    const customerId = uid('cust');
    await topUp(customerId, 1000);
    const admin = await api.asUser('wallet-admin', ['chainAdmin']);
    const res = await adjust(admin, customerId, { amount: -1000, currency: 'CNY', reason: 'chargeback of top-up' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ customerId, balance: 0, currency: 'CNY' });
    expect(await balanceOf(customerId)).toBe(0);
    const records = await auditOf(customerId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      actor: 'wallet-admin',
      role: 'chainAdmin',
      action: 'wallet.adjust',
      target: { type: 'wallet', id: customerId },
      before: { balance: 1000 },
      after: { balance: 0, amount: -1000, currency: 'CNY', reason: 'chargeback of top-up' },
    });
    expect(typeof records[0]!.requestId).toBe('string');
  });

  it('keeps before/after exact under concurrent adjustments: every record chains, the sum is applied', async () => {
    const customerId = uid('cust');
    await topUp(customerId, 100);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => adjust(api, customerId, { amount: 10, currency: 'CNY', reason: 'goodwill' })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
    expect(await balanceOf(customerId)).toBe(150);
    const records = await auditOf(customerId);
    expect(records).toHaveLength(5);
    expect(records.map((r) => (r.before as { balance: number }).balance).sort((a, b) => a - b)).toEqual([100, 110, 120, 130, 140]);
    for (const r of records) expect((r.after as { balance: number }).balance).toBe((r.before as { balance: number }).balance + 10);
  });
});

describe('BALANCE orders', () => {
  it('pays from the wallet with no callback: PAID, stock sold, balance reduced by the total', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 5 });
    const customerId = uid('cust');
    await topUp(customerId, 5000);
    const created = await orderBalance(storeId, customerId, sku, 2);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'PENDING_PAYMENT', paymentMethod: 'BALANCE', pricing: { total: 2 * PRICE } });
    const paid = await api.waitForStatus(created.body.orderId, ['PAID', 'PAYMENT_FAILED']);
    expect(paid.status).toBe('PAID');
    expect(paid.payment).toMatchObject({ status: 'SUCCEEDED', amount: 2 * PRICE, currency: 'CNY' });
    expect(await balanceOf(customerId)).toBe(5000 - 2 * PRICE);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 3, reserved: 0, sold: 2 });
  });

  it.each([
    ['no wallet', async (_customerId: string) => {}],
    ['a wallet that is short of the total', async (customerId: string) => topUp(customerId, PRICE - 1)],
    ['a wallet in another currency', async (customerId: string) => topUp(customerId, 100 * PRICE, 'USD')],
  ])('ends PAYMENT_FAILED and gives the stock back with %s', async (_name, prepare) => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 3 });
    const customerId = uid('cust');
    await prepare(customerId);
    const before = (await api.get(`/v1/customers/${customerId}/wallet`)).body;
    const created = await orderBalance(storeId, customerId, sku);
    expect(created.status).toBe(201);
    const failed = await api.waitForStatus(created.body.orderId, ['PAID', 'PAYMENT_FAILED']);
    expect(failed.status).toBe('PAYMENT_FAILED');
    expect(failed.history.at(-1)).toMatchObject({ status: 'PAYMENT_FAILED', reason: 'PAYMENT_FAILED' });
    expect(failed.payment).toBeUndefined();
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 3, reserved: 0, sold: 0 });
    expect((await api.get(`/v1/customers/${customerId}/wallet`)).body).toEqual(before);
  });

  it('lets exactly the 10 orders the wallet covers pay when 30 race, compensates the other 20, and never goes below zero', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 30 });
    const customerId = uid('racer');
    await topUp(customerId, 10 * PRICE);

    const created = await Promise.all(Array.from({ length: 30 }, () => orderBalance(storeId, customerId, sku)));
    expect(created.map((r) => r.status)).toEqual(Array(30).fill(201));
    // Sample the balance while the sagas run: it may only ever be seen at or above zero.
    const samples: number[] = [];
    let racing = true;
    const sampler = (async () => {
      while (racing) samples.push(await balanceOf(customerId));
    })();
    const final = await Promise.all(created.map((r) => api.waitForStatus(r.body.orderId, ['PAID', 'PAYMENT_FAILED'], 60_000)));
    racing = false;
    await sampler;

    const statuses = final.map((o) => o.status);
    expect(statuses.filter((s) => s === 'PAID')).toHaveLength(10);
    expect(statuses.filter((s) => s === 'PAYMENT_FAILED')).toHaveLength(20);
    expect(await balanceOf(customerId)).toBe(0);
    expect(samples.length).toBeGreaterThan(0);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 20, reserved: 0, sold: 10 });
    for (const o of final.filter((x) => x.status === 'PAYMENT_FAILED')) expect(o.payment).toBeUndefined();
  });

  it('credits a refunded PAID order back to the wallet exactly once, however often the refund steps run', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 4 });
    const customerId = uid('cust');
    await topUp(customerId, 5000);
    const created = await orderBalance(storeId, customerId, sku, 3);
    await api.waitForStatus(created.body.orderId, ['PAID']);
    expect(await balanceOf(customerId)).toBe(5000 - 3 * PRICE);

    const cancel = await api.cancel(created.body.orderId);
    expect(cancel.status).toBe(202);
    expect(cancel.body.action).toBe('REFUND');
    const refunded = await api.waitForStatus(created.body.orderId, ['REFUNDED']);
    expect(refunded.history.map((h: any) => h.status)).toEqual(['PENDING_PAYMENT', 'PAID', 'REFUNDED']);
    expect(await balanceOf(customerId)).toBe(5000);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 4, reserved: 0, sold: 0 });

    // Saga steps are retried at least once in AWS: running both money-back steps again changes nothing.
    await system.runtime.invoke('refundPayment', { orderId: created.body.orderId });
    await system.runtime.invoke('voidPayment', { orderId: created.body.orderId });
    expect(await balanceOf(customerId)).toBe(5000);
    expect((await api.cancel(created.body.orderId)).status).toBe(409);
  });

  it('never lets a provider callback pay a BALANCE order: the callback is refunded, the wallet payment stands', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 2 });
    const customerId = uid('cust');
    await topUp(customerId, 5000);
    const created = await orderBalance(storeId, customerId, sku);
    const stray = await api.pay(created.body);
    expect(stray.status).toBe(200);
    expect(stray.body.disposition).toBe('REFUNDED');
    const paid = await api.waitForStatus(created.body.orderId, ['PAID', 'PAYMENT_FAILED']);
    expect(paid.status).toBe('PAID');
    expect(paid.payment.paymentId).toBe(`wallet_${created.body.orderId}`);
    expect(await balanceOf(customerId)).toBe(5000 - PRICE);
  });
});
