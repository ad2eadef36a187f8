/**
 * Wallet payments (paymentMethod BALANCE) end to end on the local runtime: top-ups with
 * Idempotency-Key, the saga's DebitWallet (a conditional write, no provider callback), compensation
 * of orders the wallet cannot cover, and refunds credited back exactly once.
 * Specification: shared/brief/PRODUCT.md (API contract v1 wallet routes, field notes on BALANCE,
 * invariants 1, 2 and 4).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startLocalSystem } from '../../local/system.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
const SECRET = 'wallet-webhook-secret';
const PRICE = 1000;
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

async function seedStore(stock: Record<string, number>) {
  const storeId = uid('store');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Wallet store', region: 'east', timezone: 'Asia/Shanghai' })).status).toBe(200);
  for (const [sku, available] of Object.entries(stock)) {
    expect((await api.put(`/v1/catalog/${sku}`, { name: `Item ${sku}`, unitPrice: PRICE, currency: 'CNY', category: 'food' })).status).toBe(200);
    expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: 0 })).status).toBe(200);
  }
  return storeId;
}

const topUp = (customerId: string, amount: number, currency = 'CNY', key: string = randomUUID()) =>
  api.request('POST', `/v1/customers/${customerId}/wallet/topups`, { amount, currency }, { 'idempotency-key': key });
const balanceOf = async (customerId: string) => (await api.get(`/v1/customers/${customerId}/wallet`)).body.balance as number;
const inventoryOf = async (storeId: string, sku: string) => (await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body;
const orderBalance = (storeId: string, customerId: string, sku: string, quantity = 1) =>
  api.createOrder({ storeId, customerId, items: [{ sku, quantity }], paymentMethod: 'BALANCE' });

beforeAll(async () => {
  ({ system, api } = await startTestSystem(SECRET));
});

afterAll(async () => {
  await system?.stop();
});

describe('wallet top-ups', () => {
  it('creates the wallet on the first top-up, adds later ones, and applies a retried Idempotency-Key once', async () => {
    const customerId = uid('cust');
    expect((await api.get(`/v1/customers/${customerId}/wallet`)).status).toBe(404);
    const first = await topUp(customerId, 2500, 'CNY', 'topup-1');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ customerId, balance: 2500, currency: 'CNY' });
    const replay = await topUp(customerId, 2500, 'CNY', 'topup-1');
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect((await topUp(customerId, 500)).body.balance).toBe(3000);
    expect((await api.get(`/v1/customers/${customerId}/wallet`)).body).toMatchObject({ customerId, balance: 3000, currency: 'CNY' });
  });

  it('keeps one currency per wallet: a top-up in another currency is 422 CURRENCY_MISMATCH and adds nothing', async () => {
    const customerId = uid('cust');
    await topUp(customerId, 100, 'CNY');
    const other = await topUp(customerId, 100, 'USD');
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'CURRENCY_MISMATCH', walletCurrency: 'CNY' });
    expect(await balanceOf(customerId)).toBe(100);
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
    ['a wallet that is short of the total', async (customerId: string) => void (await topUp(customerId, PRICE - 1))],
    ['a wallet in another currency', async (customerId: string) => void (await topUp(customerId, 100 * PRICE, 'USD'))],
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
