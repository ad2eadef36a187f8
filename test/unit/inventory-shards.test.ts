/**
 * Hot stock shards, pure planning (src/domain/inventory.ts): shard keys, the first shard an order tries, the
 * fall-over and split of a reservation, rebalancing and an operator's set over the shards.
 * Specification: PRODUCT.md (PUT inventory `shards`, invariant 1) and issue 8 ("Hot stock beyond one partition").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_INVENTORY_SHARDS,
  parseShardPartitionKey,
  pickSlice,
  planRebalance,
  planSliceLimits,
  planSetAvailable,
  planTake,
  shardPartitionKey,
  startShard,
  sumCounts,
} from '../../src/domain/inventory.ts';
import { heldByOrders } from '../../src/domain/reconcile.ts';
import type { Order } from '../../src/domain/types.ts';
import { sumShardRows } from '../../local/demo/summary.ts';

describe('shard keys', () => {
  it('keeps shard 0 as the unsharded item and gives every other shard its own partition key', () => {
    expect(shardPartitionKey('S1', 0)).toBe('S1');
    expect(shardPartitionKey('S1', 7)).toBe('S1#7');
    const keys = Array.from({ length: MAX_INVENTORY_SHARDS }, (_, k) => shardPartitionKey('S1', k));
    expect(new Set(keys).size).toBe(MAX_INVENTORY_SHARDS);
    for (const [k, key] of keys.entries()) expect(parseShardPartitionKey(key)).toEqual({ storeId: 'S1', shard: k });
  });

  it('exports 64 as the largest shard count', () => {
    expect(MAX_INVENTORY_SHARDS).toBe(64);
  });
});

describe('startShard', () => {
  it('is stable per order and SKU, within range, and spreads orders over the shards', () => {
    expect(startShard('ord_1', 'tea', 1)).toBe(0);
    expect(startShard('ord_1', 'tea', 16)).toBe(startShard('ord_1', 'tea', 16));
    const hits = new Array(16).fill(0);
    for (let i = 0; i < 1600; i++) hits[startShard(`ord_${i}`, 'tea', 16)]++;
    for (const h of hits) expect(h).toBeGreaterThan(50);
  });
});

describe('planTake', () => {
  it('tries the start shard first when nothing is known', () => {
    expect(planTake(2, 8, 8, 5, new Map())).toEqual([{ shard: 5, quantity: 2 }]);
  });

  it('falls over round-robin past shards known to be short', () => {
    expect(planTake(2, 4, 4, 3, new Map([[3, 1]]))).toEqual([{ shard: 0, quantity: 2 }]);
    expect(
      planTake(
        2,
        4,
        4,
        3,
        new Map([
          [3, 0],
          [0, 1],
        ]),
      ),
    ).toEqual([{ shard: 1, quantity: 2 }]);
  });

  it('uses a drained shard only when it is known to hold the units', () => {
    const known = new Map([
      [0, 0],
      [1, 0],
      [2, 5],
    ]);
    expect(planTake(3, 2, 3, 0, known)).toEqual([{ shard: 2, quantity: 3 }]);
  });

  it('splits a line over the largest shards when no single shard holds enough', () => {
    const known = new Map([
      [0, 2],
      [1, 3],
      [2, 1],
    ]);
    expect(planTake(5, 3, 3, 0, known)).toEqual([
      { shard: 1, quantity: 3 },
      { shard: 0, quantity: 2 },
    ]);
  });

  it('gives up (shortage) only when the known sum is short', () => {
    const known = new Map([
      [0, 2],
      [1, 2],
    ]);
    expect(planTake(5, 2, 2, 0, known)).toBeUndefined();
    expect(planTake(4, 2, 2, 0, known)).toHaveLength(2);
  });

  it('never plans more than a shard is known to hold, and always the exact quantity', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 64 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        (n0, available, quantity, start0) => {
          const h = available.length;
          const n = Math.min(n0, h);
          const known = new Map(available.map((a, k) => [k, a]));
          const takes = planTake(quantity, n, h, start0 % n, known);
          const sum = available.reduce((a, b) => a + b, 0);
          if (!takes) {
            expect(sum).toBeLessThan(quantity);
            return;
          }
          expect(takes.reduce((s, t) => s + t.quantity, 0)).toBe(quantity);
          expect(new Set(takes.map((t) => t.shard)).size).toBe(takes.length);
          for (const t of takes) expect(t.quantity).toBeLessThanOrEqual(known.get(t.shard)!);
        },
      ),
    );
  });
});

describe('planRebalance', () => {
  it('spreads the available units evenly over the active shards and empties drained ones', () => {
    const deltas = planRebalance([10, 0, 0, 0, 6], 4);
    const after = [10, 0, 0, 0, 6].map((a, k) => a + (deltas.get(k) ?? 0));
    expect(after).toEqual([4, 4, 4, 4, 0]);
  });

  it('moves nothing when the spread is already even', () => {
    expect(planRebalance([3, 3, 2], 3).size).toBe(0);
  });

  it('never creates or loses units and never leaves a shard negative', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 64 }),
        fc.integer({ min: 1, max: 64 }),
        (available, n) => {
          const deltas = planRebalance(available, n);
          expect([...deltas.values()].reduce((a, b) => a + b, 0)).toBe(0);
          const size = Math.max(available.length, n);
          for (let k = 0; k < size; k++) {
            const after = (available[k] ?? 0) + (deltas.get(k) ?? 0);
            expect(after).toBeGreaterThanOrEqual(0);
            if (k >= n) expect(after).toBe(0);
          }
        },
      ),
    );
  });
});

describe('planSetAvailable', () => {
  it('spreads a restock evenly over the active shards', () => {
    expect([...planSetAvailable([0, 0, 0, 0], 4, 10)!]).toEqual([
      [0, 3],
      [1, 3],
      [2, 2],
      [3, 2],
    ]);
  });

  it('writes off from drained shards first, then the fullest', () => {
    expect([...planSetAvailable([5, 1, 4], 2, -6)!]).toEqual([
      [2, -4],
      [0, -2],
    ]);
  });

  it('refuses a write-off the shards cannot cover', () => {
    expect(planSetAvailable([1, 1], 2, -3)).toBeUndefined();
  });

  it('always changes the total by exactly the delta and never below zero', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: -500, max: 500 }),
        (available, n, delta) => {
          const plan = planSetAvailable(available, n, delta);
          const total = available.reduce((a, b) => a + b, 0);
          if (!plan) {
            expect(total + delta).toBeLessThan(0);
            return;
          }
          expect([...plan.values()].reduce((a, b) => a + b, 0)).toBe(delta);
          for (const [k, d] of plan) expect((available[k] ?? 0) + d).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('sumCounts', () => {
  it('adds the counters of the shards', () => {
    expect(
      sumCounts([
        { available: 1, reserved: 2, sold: 3, stocked: 6 },
        { available: 4, reserved: 0, sold: 1, stocked: 5 },
      ]),
    ).toEqual({ available: 5, reserved: 2, sold: 4, stocked: 11 });
  });
});

describe('promotion counter slices', () => {
  it('shares the remaining limit over the active slices and keeps what each has redeemed', () => {
    expect(planSliceLimits(10, 4, [])).toEqual([3, 3, 2, 2]);
    expect(planSliceLimits(10, 2, [3, 1, 2, 0])).toEqual([5, 3, 2, 0]);
    // Already past a lowered limit: no slice gets more room.
    expect(planSliceLimits(3, 2, [2, 2])).toEqual([2, 2]);
  });

  it('never lets the total pass the limit (or what is already redeemed)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.nat(50), { maxLength: 64 }),
        (limit, k, redeemed) => {
          const limits = planSliceLimits(limit, k, redeemed);
          const used = redeemed.reduce((a, b) => a + b, 0);
          expect(limits.reduce((a, b) => a + b, 0)).toBe(Math.max(limit, used));
          for (const [s, l] of limits.entries()) expect(l).toBeGreaterThanOrEqual(redeemed[s] ?? 0);
        },
      ),
    );
  });

  it('picks a slice round-robin from a hash, skipping full ones', () => {
    const first = pickSlice('ord_1', 'FLASH', 4, new Set());
    expect(first).toBeGreaterThanOrEqual(0);
    expect(pickSlice('ord_1', 'FLASH', 4, new Set([first!]))).toBe((first! + 1) % 4);
    expect(pickSlice('ord_1', 'FLASH', 4, new Set([0, 1, 2, 3]))).toBeUndefined();
  });
});

describe('sums over shards outside the store', () => {
  it('the reconciler counts the units open orders took from each shard', () => {
    const o = (takes?: { shard: number; quantity: number }[]) =>
      ({
        storeId: 'S1',
        stockState: 'RESERVED',
        reservation: [{ sku: 'a', quantity: 3, ...(takes ? { takes } : {}) }],
      }) as unknown as Order;
    const orders = [
      o(),
      o([
        { shard: 2, quantity: 2 },
        { shard: 0, quantity: 1 },
      ]),
    ];
    expect(heldByOrders(orders, 'S1', 'a', 0)).toBe(4);
    expect(heldByOrders(orders, 'S1', 'a', 2)).toBe(2);
    expect(heldByOrders(orders, 'S1', 'a', 1)).toBe(0);
  });

  it('the demo folds shard items into their store x SKU, so its invariant and oversold checks see the sum', () => {
    const rows = sumShardRows([
      { storeId: 'S1', sku: 'a', available: 1, reserved: 2, sold: 3, stocked: 6, lowStockThreshold: 1 },
      { storeId: 'S1#3', sku: 'a', available: 4, reserved: 0, sold: 1, stocked: 5 },
      { storeId: 'S2', sku: 'a', available: 1, reserved: 0, sold: 0, stocked: 1 },
    ]);
    expect(rows).toEqual([
      { storeId: 'S1', sku: 'a', available: 5, reserved: 2, sold: 4, stocked: 11, lowStockThreshold: 1 },
      { storeId: 'S2', sku: 'a', available: 1, reserved: 0, sold: 0, stocked: 1 },
    ]);
  });
});
