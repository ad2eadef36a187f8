/**
 * Coupon redemption limits under concurrency, through the local runtime (real HTTP, real DynamoDB
 * Local, the real Saga): the limit is a conditional write inside each order's transaction, and the
 * compensation of a cancelled order gives its redemption back.
 * Specification: shared/brief/PRODUCT.md invariant 3 ("a coupon is never redeemed beyond its limits;
 * a released coupon can be used again").
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { startLocalSystem } from '../../local/system.ts';
import { tableName } from '../../src/config.ts';
import { COUPON_SCOPE } from '../../src/store/coupon-store.ts';
import type { ApiClient, ApiResponse } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
let doc: DynamoDBDocumentClient;
const SECRET = 'coupon-race-secret';
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

/** The coupon's stored redemption counter (consistent read). */
async function redemptions(code: string): Promise<number> {
  const out = await doc.send(new GetCommand({ TableName: tableName('coupons'), Key: { code, scope: COUPON_SCOPE }, ConsistentRead: true }));
  return out.Item?.redemptions as number;
}

beforeAll(async () => {
  ({ system, api, doc } = await startTestSystem(SECRET));
});

afterAll(async () => {
  await system?.stop();
});

describe('coupon redemption limits under concurrency', () => {
  it('redeems a maxRedemptions: 20 coupon exactly 20 times for 200 racing orders, and 5 more after 5 winners cancel', async () => {
    const storeId = uid('store');
    const sku = uid('sku');
    const code = uid('FLASH');
    expect((await api.put(`/v1/stores/${storeId}`, { name: 'Coupon race', region: 'north', timezone: 'Asia/Shanghai' })).status).toBe(200);
    expect((await api.put(`/v1/catalog/${sku}`, { name: 'Bun', unitPrice: 600, currency: 'CNY', category: 'food' })).status).toBe(200);
    expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 1000, lowStockThreshold: 0 })).status).toBe(200);
    expect((await api.put(`/v1/coupons/${code}`, { type: 'AMOUNT_OFF', amountOff: 100, maxRedemptions: 20 })).status).toBe(200);
    const order = (customerId: string) =>
      // In-doubt answers under load are retried with the same Idempotency-Key, as a real client would.
      api.createOrderUntilAnswered({
        storeId,
        customerId,
        items: [{ sku, quantity: 1 }],
        couponCodes: [code],
        paymentMethod: 'WECHAT_PAY',
      });
    const winnersOf = (results: ApiResponse[]) => results.filter((r) => r.status === 201);
    const losersOf = (results: ApiResponse[]) => results.filter((r) => r.status !== 201);

    const race = await Promise.all(Array.from({ length: 200 }, (_, i) => order(`racer${i}`)));
    const winners = winnersOf(race);
    expect(winners).toHaveLength(20);
    for (const w of winners) {
      expect(w.body.appliedCoupons).toEqual([{ code, type: 'AMOUNT_OFF', amountOff: 100 }]);
      expect(w.body.pricing).toMatchObject({ subtotal: 600, discount: 100, total: 500 });
    }
    expect(losersOf(race).map((r) => [r.status, r.body.code])).toEqual(Array(180).fill([422, 'COUPON_EXHAUSTED']));
    expect(await redemptions(code)).toBe(20);

    // Cancel 5 winners: their compensation (ReleaseCoupons) gives the redemptions back.
    const cancelled = winners.slice(0, 5).map((w) => w.body.orderId as string);
    for (const id of cancelled) expect((await api.cancel(id)).status).toBe(202);
    for (const id of cancelled) await api.waitForStatus(id, ['CANCELLED']);
    expect(await redemptions(code)).toBe(15);

    const second = await Promise.all(Array.from({ length: 40 }, (_, i) => order(`late${i}`)));
    expect(winnersOf(second)).toHaveLength(5);
    expect(losersOf(second).map((r) => r.body.code)).toEqual(Array(35).fill('COUPON_EXHAUSTED'));
    expect(await redemptions(code)).toBe(20);
    expect((await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body).toMatchObject({ available: 1000 - 20, reserved: 20 });
  });
});
