/**
 * Chain-wide promotion counter slices against real DynamoDB Local: a coupon PUT with `counterShards` counts its
 * redemptions over slice items under distinct partition keys; concurrent orders never redeem it beyond
 * `maxRedemptions` in total (falling over between slices when one is used up), a release returns to the slice
 * it came from, a resliced coupon keeps the limit, and per-customer limits keep working.
 * Specification: PRODUCT.md invariant 3; issue 8 ("The same for a chain-wide promotion's redemption counter").
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.ts';
import type { Order } from '../../src/domain/types.ts';
import { startShard } from '../../src/domain/inventory.ts';
import { CouponStore, sliceKey } from '../../src/store/coupon-store.ts';
import { InventoryStore } from '../../src/store/inventory-store.ts';
import { OrderStore } from '../../src/store/order-store.ts';
import { freshTables, type FreshTables } from '../helpers/dynamo.ts';

let db: FreshTables;
let coupons: CouponStore;
let orders: OrderStore;
const NOW = '2026-12-02T08:00:00.000Z';
let seq = 0;

function order(code: string, slices: number, customerId = `cust-${++seq}`, perCustomer = false): Order {
  const orderId = `ord_slice_${++seq}_${Date.now()}`;
  return {
    orderId,
    storeId: 'S1',
    region: 'east',
    customerId,
    status: 'PENDING_PAYMENT',
    items: [{ sku: 'A', quantity: 1, name: 'A', unitPrice: 100, lineTotal: 100 }],
    pricing: { subtotal: 100, discount: 10, total: 90, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: 'CARD',
    createdAt: NOW,
    expiresAt: NOW,
    history: [{ status: 'PENDING_PAYMENT', at: NOW }],
    reservation: [{ sku: 'A', quantity: 1 }],
    couponRedemptions: [{ code, perCustomer, ...(slices > 1 ? { slices } : {}) }],
    stockState: 'RESERVED',
    couponsState: 'REDEEMED',
    updatedAt: NOW,
  };
}

async function sliceCounter(code: string, slice: number): Promise<number> {
  const out = await db.doc.send(new GetCommand({ TableName: db.names.coupons, Key: sliceKey(code, slice), ConsistentRead: true }));
  return Number(out.Item?.redemptions ?? 0);
}

async function placeAll(list: Order[], limits = new Map<string, number>()) {
  const placed: Order[] = [];
  const refused: string[] = [];
  await Promise.all(
    list.map((o) =>
      orders.place(o, limits).then(
        (p) => placed.push(p),
        (e) => {
          if (!isDomainError(e)) throw e;
          refused.push(e.code);
        },
      ),
    ),
  );
  return { placed, refused };
}

/** `n` one-unit orders redeeming `code` (priced with `slices` counter slices), placed concurrently. */
const placeMany = (n: number, code: string, slices: number) => placeAll(Array.from({ length: n }, () => order(code, slices)));

type PromotionDefinition = Parameters<CouponStore['put']>[0];

/** A chain-wide automatic promotion of 10 off under a fresh code `<prefix><now>`; `fields` add limits and slices. */
function promotion(prefix: string, fields: Partial<PromotionDefinition> = {}): PromotionDefinition {
  return {
    code: `${prefix}${Date.now()}`,
    type: 'AMOUNT_OFF',
    amountOff: 10,
    stackable: true,
    automatic: true,
    updatedAt: NOW,
    ...fields,
  };
}

beforeAll(async () => {
  db = await freshTables();
  const inventory = new InventoryStore(db.doc);
  coupons = new CouponStore(db.doc);
  orders = new OrderStore(db.doc, inventory);
  await inventory.setLevel('S1', 'A', 100_000, 0, NOW);
});

describe('promotion counter slices', () => {
  it('never redeems beyond maxRedemptions in total, and a release returns to its slice', async () => {
    const { code } = await coupons.put(promotion('FLASH', { maxRedemptions: 21, counterShards: 4 }));
    const { placed, refused } = await placeMany(45, code, 4);
    expect(placed).toHaveLength(21);
    expect(refused.every((c) => c === 'COUPON_EXHAUSTED')).toBe(true);
    expect(await coupons.totalRedemptions(code)).toBe(21);
    // Spread: more than one slice used, each within its share.
    const counters = await Promise.all([0, 1, 2, 3].map((k) => sliceCounter(code, k)));
    expect(counters.filter((c) => c > 0).length).toBeGreaterThan(1);
    // Release three: each goes back to the slice it took; the freed redemptions can be used again.
    const released = placed.slice(0, 3);
    for (const o of released) await orders.releaseCoupons(o.orderId, NOW);
    const after = await Promise.all([0, 1, 2, 3].map((k) => sliceCounter(code, k)));
    for (let k = 0; k < 4; k++) expect(counters[k]! - after[k]!).toBe(released.filter((o) => o.couponRedemptions[0]!.slice === k).length);
    const again = await placeMany(10, code, 4);
    expect(again.placed).toHaveLength(3);
    expect(await coupons.totalRedemptions(code)).toBe(21);
  });

  it('keeps the limit when the slice count changes after redemptions', async () => {
    const def = promotion('RESLICE', { maxRedemptions: 30 });
    const { code } = def;
    await coupons.put({ ...def, counterShards: 8 });
    expect((await placeMany(12, code, 8)).placed).toHaveLength(12);
    await coupons.put({ ...def, counterShards: 2 });
    const rest = await placeMany(30, code, 2);
    expect(rest.placed).toHaveLength(18);
    expect(await coupons.totalRedemptions(code)).toBe(30);
    await coupons.put({ ...def, counterShards: 16, maxRedemptions: 35 });
    expect((await placeMany(10, code, 16)).placed).toHaveLength(5);
    expect(await coupons.totalRedemptions(code)).toBe(35);
  });

  it('keeps the limit when a sliced coupon goes back to one slice', async () => {
    const def = promotion('UNSLICE', { maxRedemptions: 20 });
    const { code } = def;
    await coupons.put({ ...def, counterShards: 8 });
    expect((await placeMany(12, code, 8)).placed).toHaveLength(12);
    // One slice again: orders carry no slice; slices 1..7 still hold most of the 12 redemptions.
    await coupons.put({ ...def, counterShards: 1 });
    const rest = await placeMany(15, code, 1);
    expect(rest.placed).toHaveLength(8);
    expect(rest.refused.every((c) => c === 'COUPON_EXHAUSTED')).toBe(true);
    expect(await coupons.totalRedemptions(code)).toBe(20);
  });

  it('lets orders priced before a coupon was sliced use every slice, and no more than the limit', async () => {
    const def = promotion('RESLICEUP', { maxRedemptions: 10 });
    const { code } = def;
    await coupons.put(def);
    expect((await placeMany(2, code, 1)).placed).toHaveLength(2);
    // Sliced in 4 (slice 0's share: 2 more); orders built from master data cached before carry no slice.
    await coupons.put({ ...def, counterShards: 4 });
    const stale = await placeMany(12, code, 1);
    expect(stale.placed).toHaveLength(8);
    expect(stale.refused.every((c) => c === 'COUPON_EXHAUSTED')).toBe(true);
    expect(new Set(stale.placed.map((o) => o.couponRedemptions[0]!.slice ?? 0)).size).toBeGreaterThan(1);
    expect(await coupons.totalRedemptions(code)).toBe(10);
  });

  it('finds the one slice with room among 16, however far from it the order starts', async () => {
    const { code } = await coupons.put(promotion('LAST', { maxRedemptions: 1, counterShards: 16 }));
    // Only slice 0 has a share (planSliceLimits); this order starts at slice 1, 15 steps from it round-robin,
    // more than the rounds one placement may take.
    let candidate = order(code, 16);
    while (startShard(candidate.orderId, code, 16) !== 1) candidate = order(code, 16);
    const { placed } = await placeAll([candidate]);
    expect(placed.map((o) => o.couponRedemptions[0]!.slice)).toEqual([0]);
    const late = await placeAll([order(code, 16)]);
    expect(late.refused).toEqual(['COUPON_EXHAUSTED']);
    expect(await coupons.totalRedemptions(code)).toBe(1);
  });

  it('keeps per-customer limits on a sliced coupon', async () => {
    const { code } = await coupons.put(promotion('PERCUST', { maxRedemptions: 100, perCustomerLimit: 2, counterShards: 4 }));
    const { placed, refused } = await placeAll(
      Array.from({ length: 5 }, () => order(code, 4, 'same-customer', true)),
      new Map([[code, 2]]),
    );
    expect(placed).toHaveLength(2);
    expect(refused).toEqual(['COUPON_EXHAUSTED', 'COUPON_EXHAUSTED', 'COUPON_EXHAUSTED']);
    expect(await coupons.totalRedemptions(code)).toBe(2);
  });
});
