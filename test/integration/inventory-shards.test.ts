/**
 * Hot stock shards against real DynamoDB Local, as a fast-check property: random batches of CONCURRENT
 * reserve / commit / release / restock (refund) / reshard (N up and down) / rebalance on one sharded store x SKU.
 * After every batch, per shard and over the sum: available >= 0, reserved >= 0, sold >= 0,
 * available + reserved + sold = stocked; the sum of stocked never changes (no unit created or lost); each
 * shard's reserved and sold are exactly what the orders' recorded takes hold there (every reservation went
 * back to the shard it came from); and a sold-out marker stands only while nothing is available.
 * Specification: PRODUCT.md invariants 1 and 2; issue 8 ("Hot stock beyond one partition").
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { inventoryViolations, sumCounts } from '../../src/domain/inventory.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import type { Order } from '../../src/domain/types.ts';
import { InventoryStore } from '../../src/store/inventory-store.ts';
import { OrderStore, takesOf } from '../../src/store/order-store.ts';
import { IllegalOrderStateError } from '../../src/saga/errors.ts';
import { freshTables, type FreshTables } from '../helpers/dynamo.ts';

let db: FreshTables;
let inventory: InventoryStore;
let orders: OrderStore;
const NOW = '2026-12-02T08:00:00.000Z';
const STORE = 'S1';
let seq = 0;

function newOrder(sku: string, quantity: number): Order {
  const orderId = `ord_prop_${++seq}_${Date.now()}`;
  return {
    orderId,
    storeId: STORE,
    region: 'east',
    customerId: `cust-${seq}`,
    status: 'PENDING_PAYMENT',
    items: [{ sku, quantity, name: sku, unitPrice: 100, lineTotal: 100 * quantity }],
    pricing: { subtotal: 0, discount: 0, total: 0, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: 'CARD',
    createdAt: NOW,
    expiresAt: NOW,
    history: [{ status: 'PENDING_PAYMENT', at: NOW }],
    reservation: [{ sku, quantity }],
    couponRedemptions: [],
    stockState: 'RESERVED',
    couponsState: 'NONE',
    updatedAt: NOW,
  };
}

type Op =
  | { kind: 'reserve'; quantity: number }
  | { kind: 'commit' | 'release' | 'restock'; ref: number }
  | { kind: 'reshard'; shards: number }
  | { kind: 'rebalance' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('reserve' as const), quantity: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), ref: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), ref: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restock' as const), ref: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reshard' as const), shards: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rebalance' as const) }) },
);

/** Expected refusals: a shortage, a race lost too often, or a movement the order's state no longer allows. */
function expectedRefusal(e: unknown): boolean {
  return (isDomainError(e) && (e.code === 'INVENTORY_SHORTAGE' || e.code === 'CONCURRENT_UPDATE')) || e instanceof IllegalOrderStateError;
}

async function run(sku: string, placed: Order[], op: Op): Promise<void> {
  const pick = (ref: number) => placed[ref % Math.max(1, placed.length)];
  try {
    switch (op.kind) {
      case 'reserve':
        placed.push(await orders.place(newOrder(sku, op.quantity), new Map()));
        return;
      case 'commit':
      case 'release':
      case 'restock': {
        const o = pick(op.ref);
        if (!o) return;
        if (op.kind === 'commit') await orders.commit(o.orderId, NOW);
        else if (op.kind === 'release') await orders.releaseStock(o.orderId, NOW);
        else await orders.restock(o.orderId, NOW);
        return;
      }
      case 'reshard':
        await inventory.reshard(STORE, sku, op.shards, NOW);
        return;
      case 'rebalance':
        await inventory.rebalance(STORE, sku, NOW);
        return;
    }
  } catch (e) {
    if (!expectedRefusal(e)) throw e;
  }
}

async function checkInvariants(sku: string, stocked: number, placed: Order[]): Promise<void> {
  const shards = await inventory.readShards(STORE, sku);
  const present = shards.filter((s) => s !== undefined);
  for (const [k, s] of shards.entries()) if (s) expect(inventoryViolations(s), `shard ${k}`).toEqual([]);
  const sum = sumCounts(present);
  expect(inventoryViolations(sum), 'sum').toEqual([]);
  expect(sum.stocked, 'no unit created or lost').toBe(stocked);
  expect(sum.sold + sum.reserved).toBeLessThanOrEqual(stocked);
  // Every shard holds exactly the reserved / sold units the orders' takes put there.
  const current = await Promise.all(placed.map((o) => orders.get(o.orderId)));
  const reservedBy = new Map<number, number>();
  const soldBy = new Map<number, number>();
  for (const o of current) {
    if (!o) continue;
    const into = o.stockState === 'RESERVED' ? reservedBy : o.stockState === 'COMMITTED' ? soldBy : undefined;
    if (!into) continue;
    for (const take of takesOf(o.reservation[0]!)) into.set(take.shard, (into.get(take.shard) ?? 0) + take.quantity);
  }
  for (const [k, s] of shards.entries()) {
    expect(s?.reserved ?? 0, `reserved on shard ${k}`).toBe(reservedBy.get(k) ?? 0);
    expect(s?.sold ?? 0, `sold on shard ${k}`).toBe(soldBy.get(k) ?? 0);
  }
  // A sold-out marker never stands while units are available (releases and restocks clear it).
  const head = shards[0]!;
  if (head.soldOutUntil && Date.parse(head.soldOutUntil) > Date.now()) expect(sum.available).toBe(0);
}

beforeAll(async () => {
  db = await freshTables();
  inventory = new InventoryStore(db.doc);
  orders = new OrderStore(db.doc, inventory);
});

describe('sharded stock under random concurrent interleavings', () => {
  it('keeps invariant 1 per shard and in sum, and returns every reservation to its shard', async () => {
    let runNo = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 2, max: 8 }),
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }),
        async (stock, shards, batches) => {
          const sku = `hot-${++runNo}-${Date.now()}`;
          await inventory.setSharded(STORE, sku, { available: stock, lowStockThreshold: 0, shards }, NOW);
          const placed: Order[] = [];
          await checkInvariants(sku, stock, placed);
          for (const batch of batches) {
            await Promise.all(batch.map((op) => run(sku, placed, op)));
            await checkInvariants(sku, stock, placed);
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it('sells exactly the stock to concurrent reservations over 8 shards, splitting lines when needed', async () => {
    const sku = `burst-${Date.now()}`;
    await inventory.setSharded(STORE, sku, { available: 37, lowStockThreshold: 0, shards: 8 }, NOW);
    const placed: Order[] = [];
    const wanted = Array.from({ length: 60 }, (_, i) => 1 + (i % 3));
    const results = await Promise.allSettled(wanted.map((q) => orders.place(newOrder(sku, q), new Map()).then((o) => placed.push(o))));
    const total = await inventory.getTotal(STORE, sku);
    const reserved = placed.reduce((s, o) => s + o.reservation[0]!.quantity, 0);
    expect(total).toMatchObject({ reserved, available: 37 - reserved, shards: 8 });
    // Nothing is released here, so available only falls: a shortage for q units means fewer than q are left now.
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') continue;
      expect(r.reason).toMatchObject({ code: 'INVENTORY_SHORTAGE' });
      expect(total!.available).toBeLessThan(wanted[i]!);
    }
    expect(placed.some((o) => (o.reservation[0]!.takes?.length ?? 0) > 1 || o.reservation[0]!.takes?.[0]?.shard !== 0)).toBe(true);
    await checkInvariants(sku, 37, placed);
  }, 60_000);

  it('marks the item sold out only when every shard is empty, and a release clears the marker', async () => {
    const sku = `soldout-${Date.now()}`;
    await inventory.setSharded(STORE, sku, { available: 4, lowStockThreshold: 0, shards: 4 }, NOW);
    const placed: Order[] = [];
    for (let i = 0; i < 4; i++) placed.push(await orders.place(newOrder(sku, 1), new Map()));
    await expect(orders.place(newOrder(sku, 1), new Map())).rejects.toMatchObject({ code: 'INVENTORY_SHORTAGE' });
    expect((await inventory.get(STORE, sku, true))?.soldOutUntil).toBeDefined();
    // While the marker holds, a create is refused without a transaction.
    await expect(orders.place(newOrder(sku, 1), new Map())).rejects.toMatchObject({ code: 'INVENTORY_SHORTAGE' });
    await orders.releaseStock(placed[0]!.orderId, NOW);
    expect((await inventory.get(STORE, sku, true))?.soldOutUntil).toBeUndefined();
    const again = await orders.place(newOrder(sku, 1), new Map());
    expect(takesOf(again.reservation[0]!)).toEqual(placed[0]!.reservation[0]!.takes);
  }, 30_000);
});
