/**
 * placeWithPromotionFallback (src/orders/place-order.ts): the create-order retry rule when coupon limits bite
 * between reading and writing, with a fake store (the transaction itself is tested against DynamoDB Local in
 * test/integration/order-store.test.ts and end to end in test/e2e/coupon-race.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import type { Order } from '../../src/domain/types.ts';
import { placeWithPromotionFallback, type OrderPlacer } from '../../src/orders/place-order.ts';

/** A store that refuses the listed codes (once each, or always) as COUPON_EXHAUSTED, recording each attempt. */
function fakeStore(refusals: string[][], other?: Error) {
  const attempts: Array<{ codes: string[]; attempt: number }> = [];
  const store: OrderPlacer = {
    async place(order, _limits, attempt) {
      attempts.push({ codes: order.appliedCoupons.map((c) => c.code), attempt });
      if (other) throw other;
      const refused = refusals[attempts.length - 1]?.filter((code) => order.appliedCoupons.some((c) => c.code === code)) ?? [];
      if (refused.length) throw new DomainError('COUPON_EXHAUSTED', 'used up', { couponCodes: refused });
    },
  };
  return { store, attempts };
}

/** Builds an order applying every code not yet excluded. */
const builder = (codes: string[]) => (exhausted: ReadonlySet<string>) =>
  ({ orderId: 'ord_1', appliedCoupons: codes.filter((c) => !exhausted.has(c)).map((code) => ({ code, amount: 100 })) }) as unknown as Order;

describe('placeWithPromotionFallback', () => {
  it('writes the order at once when nothing is refused', async () => {
    const { store, attempts } = fakeStore([]);
    const order = await placeWithPromotionFallback(store, builder(['AUTO1', 'CODE']), new Map(), ['CODE']);
    expect(order.appliedCoupons.map((c) => c.code)).toEqual(['AUTO1', 'CODE']);
    expect(attempts).toEqual([{ codes: ['AUTO1', 'CODE'], attempt: 0 }]);
  });

  it('drops an automatic promotion the database refused and places the order without it (next attempt number)', async () => {
    const { store, attempts } = fakeStore([['AUTO1'], ['AUTO2']]);
    const order = await placeWithPromotionFallback(store, builder(['AUTO1', 'AUTO2', 'CODE']), new Map(), ['CODE']);
    expect(order.appliedCoupons.map((c) => c.code)).toEqual(['CODE']);
    expect(attempts.map((a) => a.attempt)).toEqual([0, 1, 2]);
  });

  it('fails the order with COUPON_EXHAUSTED when a code the customer entered is refused', async () => {
    const { store, attempts } = fakeStore([['CODE']]);
    await expect(placeWithPromotionFallback(store, builder(['AUTO1', 'CODE']), new Map(), ['CODE'])).rejects.toMatchObject({
      code: 'COUPON_EXHAUSTED',
    });
    expect(attempts).toHaveLength(1);
  });

  it('fails rather than loop when an excluded code is refused again', async () => {
    // A builder that ignores the exclusions would otherwise retry for ever.
    const stubborn = () => builder(['AUTO1'])(new Set());
    const { store, attempts } = fakeStore([['AUTO1'], ['AUTO1'], ['AUTO1']]);
    await expect(placeWithPromotionFallback(store, stubborn, new Map(), [])).rejects.toMatchObject({ code: 'COUPON_EXHAUSTED' });
    expect(attempts).toHaveLength(2);
  });

  it('passes any other failure through unchanged (e.g. INVENTORY_SHORTAGE), without a retry', async () => {
    const shortage = new DomainError('INVENTORY_SHORTAGE', 'no stock', { shortages: [] });
    const { store, attempts } = fakeStore([], shortage);
    await expect(placeWithPromotionFallback(store, builder(['AUTO1']), new Map(), [])).rejects.toBe(shortage);
    expect(attempts).toHaveLength(1);
  });
});
