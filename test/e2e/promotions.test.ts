/**
 * The promotions engine through the API on the local runtime: automatic (store-wide) promotions that
 * need no code, their scope, exclusive groups with entered codes, and limits on automatic promotions.
 * Specification: shared/brief/PRODUCT.md (PUT /v1/coupons, POST /v1/orders, invariant 3) and the rules
 * of src/domain/pricing.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startLocalSystem } from '../../local/system.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
const SECRET = 'promotions-secret';
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;
/** A fresh sales region, so that region-scoped promotions of one test never reach another's stores. */
const region = () => `r${randomUUID().slice(0, 8)}`;

/** A store in `regionName` selling BURGER (2500) and COLA (800), 50 of each; returns its id and skus. */
async function seedStore(regionName: string) {
  const storeId = uid('store');
  const burger = uid('BURGER');
  const cola = uid('COLA');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Promo store', region: regionName, timezone: 'Asia/Shanghai' })).status).toBe(200);
  for (const [sku, unitPrice] of [
    [burger, 2500],
    [cola, 800],
  ] as const) {
    expect((await api.put(`/v1/catalog/${sku}`, { name: sku, unitPrice, currency: 'CNY', category: 'food' })).status).toBe(200);
    expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 50, lowStockThreshold: 0 })).status).toBe(200);
  }
  return { storeId, burger, cola };
}

const putCoupon = async (code: string, body: Record<string, unknown>) => {
  const res = await api.put(`/v1/coupons/${code}`, body);
  expect(res.status).toBe(200);
  return res.body;
};
const inventoryOf = async (storeId: string, sku: string) => (await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body;

beforeAll(async () => {
  ({ system, api } = await startTestSystem(SECRET));
});

afterAll(async () => {
  await system?.stop();
});

describe('automatic promotions', () => {
  it('apply without a code in their region only, reserve automatic gifts, and stop when made non-automatic', async () => {
    const east = region();
    const here = await seedStore(east);
    const elsewhere = await seedStore(region());
    const tenOff = uid('AUTO10');
    const gift = uid('GIFT');
    expect(await putCoupon(tenOff, { type: 'PERCENT_OFF', percentOff: 10, automatic: true, region: east })).toMatchObject({
      automatic: true,
      version: 1,
      redemptions: 0,
    });
    await putCoupon(gift, { type: 'FREE_ITEM', sku: here.cola, quantity: 1, automatic: true, minSubtotal: 5000, storeIds: [here.storeId] });

    const order = await api.createOrder({
      storeId: here.storeId,
      customerId: 'c1',
      items: [{ sku: here.burger, quantity: 2 }],
      paymentMethod: 'CARD',
    });
    expect(order.status).toBe(201);
    expect(order.body.pricing).toMatchObject({ subtotal: 5000, discount: 500, total: 4500 });
    expect(order.body.appliedCoupons).toEqual([
      { code: tenOff, type: 'PERCENT_OFF', amountOff: 500, automatic: true },
      { code: gift, type: 'FREE_ITEM', amountOff: 0, automatic: true },
    ]);
    expect(await inventoryOf(here.storeId, here.cola)).toMatchObject({ available: 49, reserved: 1 });

    const small = await api.createOrder({
      storeId: here.storeId,
      customerId: 'c1',
      items: [{ sku: here.burger, quantity: 1 }],
      paymentMethod: 'CARD',
    });
    expect(small.body.appliedCoupons.map((c: any) => c.code)).toEqual([tenOff]);
    expect(small.body.rejectedCoupons).toEqual([{ code: gift, reason: 'MIN_SUBTOTAL_NOT_MET', automatic: true }]);

    const away = await api.createOrder({
      storeId: elsewhere.storeId,
      customerId: 'c1',
      items: [{ sku: elsewhere.burger, quantity: 2 }],
      paymentMethod: 'CARD',
    });
    expect(away.body).toMatchObject({ pricing: { discount: 0 }, appliedCoupons: [], rejectedCoupons: [] });

    expect(await putCoupon(tenOff, { type: 'PERCENT_OFF', percentOff: 10, region: east })).toMatchObject({ version: 2, redemptions: 2 });
    const after = await api.createOrder({
      storeId: here.storeId,
      customerId: 'c1',
      items: [{ sku: here.burger, quantity: 2 }],
      paymentMethod: 'CARD',
    });
    expect(after.body.appliedCoupons.map((c: any) => c.code)).toEqual([gift]);
  });

  it('resolves an entered code against an automatic promotion of the same exclusive group, best for the customer', async () => {
    const here = await seedStore(region());
    const autoFive = uid('AUTO5');
    const code = uid('CODE800');
    await putCoupon(autoFive, { type: 'AMOUNT_OFF', amountOff: 500, automatic: true, exclusiveGroup: 'WELCOME', storeIds: [here.storeId] });
    await putCoupon(code, { type: 'AMOUNT_OFF', amountOff: 800, exclusiveGroup: 'WELCOME' });
    const order = await api.createOrder({
      storeId: here.storeId,
      customerId: 'c2',
      items: [{ sku: here.burger, quantity: 1 }],
      couponCodes: [code],
      paymentMethod: 'CARD',
    });
    expect(order.body.appliedCoupons).toEqual([{ code, type: 'AMOUNT_OFF', amountOff: 800 }]);
    expect(order.body.rejectedCoupons).toEqual([{ code: autoFive, reason: 'EXCLUSIVE_GROUP', automatic: true }]);
  });

  it('skips an automatic promotion whose perCustomerLimit the customer has used, instead of failing the order', async () => {
    const here = await seedStore(region());
    const first = uid('FIRSTORDER');
    await putCoupon(first, { type: 'AMOUNT_OFF', amountOff: 300, automatic: true, perCustomerLimit: 1, storeIds: [here.storeId] });
    const body = (customerId: string) => ({
      storeId: here.storeId,
      customerId,
      items: [{ sku: here.burger, quantity: 1 }],
      paymentMethod: 'CARD',
    });

    const one = await api.createOrder(body('newbie'));
    expect(one.body.appliedCoupons).toEqual([{ code: first, type: 'AMOUNT_OFF', amountOff: 300, automatic: true }]);
    const two = await api.createOrder(body('newbie'));
    expect(two.status).toBe(201);
    expect(two.body.pricing.discount).toBe(0);
    expect(two.body.rejectedCoupons).toEqual([{ code: first, reason: 'EXHAUSTED', automatic: true }]);
    expect((await api.createOrder(body('other'))).body.pricing.discount).toBe(300);

    // Cancelling the first order gives the customer's redemption back.
    await api.cancel(one.body.orderId);
    await api.waitForStatus(one.body.orderId, ['CANCELLED']);
    expect((await api.createOrder(body('newbie'))).body.pricing.discount).toBe(300);
  });
});
