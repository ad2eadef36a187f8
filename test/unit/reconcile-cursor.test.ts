/**
 * The reconciler's inventory sweep (check (c)) covers the whole table on a known cycle: each run reads one page
 * of one segment from that segment's stored cursor (src/saga/reconciler.ts over an in-memory store with the
 * paging contract of ReconcileStore.inventorySegment), and the cycle is src/domain/reconcile.ts
 * inventoryCycleRuns. The DynamoDB side of the paging is tested in test/e2e/reconciler.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  emptySummary,
  inventoryCycleRuns,
  inventoryItemsPerRun,
  itemsWithinStoreLimit,
  type ReconcileSettings,
} from '../../src/domain/reconcile.ts';
import type { InventoryLevel } from '../../src/domain/types.ts';
import { reconcile, type ReconcilerDeps } from '../../src/saga/reconciler.ts';
import type { InventoryCursor, InventoryKey, OpenOrderQuery } from '../../src/store/reconcile-store.ts';
import { schedules } from '../../lib/wiring.ts';

const INTERVAL = 300;
const T0 = Date.UTC(2026, 10, 23, 0, 0, 0); // a multiple of the interval: run i sweeps segment i % segments

/** An inventory table in memory: segment = position % segments, pages in key order, cursors per segment. */
function memoryStore(levels: InventoryLevel[]) {
  const keyOf = (l: InventoryKey) => `${l.storeId}#${l.sku}`;
  const cursors = new Map<string, InventoryCursor>();
  const read: string[] = [];
  const storeQueries: number[] = [];
  const store = {
    async openOrders(q: OpenOrderQuery) {
      if (q.storeIds) storeQueries.push(q.storeIds.length);
      return { orders: [], complete: true };
    },
    async inventorySegment(segment: number, total: number, maxItems: number, startKey?: InventoryKey) {
      const inSegment = levels.filter((_, i) => i % total === segment);
      const from = startKey ? inSegment.findIndex((l) => keyOf(l) === keyOf(startKey)) + 1 : 0;
      const page = inSegment.slice(from, from + maxItems);
      read.push(...page.map(keyOf));
      const last = page.at(-1);
      return { levels: page, ...(from + maxItems < inSegment.length && last ? { nextKey: { storeId: last.storeId, sku: last.sku } } : {}) };
    },
    async inventoryCursor(segment: number, total: number): Promise<InventoryCursor> {
      return cursors.get(`${segment}/${total}`) ?? { passes: 0 };
    },
    async saveInventoryCursor(segment: number, total: number, nextKey: InventoryKey | undefined) {
      const passes = (cursors.get(`${segment}/${total}`)?.passes ?? 0) + (nextKey ? 0 : 1);
      cursors.set(`${segment}/${total}`, { passes, ...(nextKey ? { startKey: nextKey } : {}) });
    },
    async releaseLeakedReservation() {
      return true;
    },
  };
  return { store, cursors, read, storeQueries, keyOf };
}

const level = (storeId: string, sku: string, reserved = 0): InventoryLevel => ({
  storeId,
  sku,
  available: 10 - reserved,
  reserved,
  sold: 0,
  stocked: 10,
  lowStockThreshold: 0,
  version: 1,
  updatedAt: new Date(T0).toISOString(),
});

function deps(store: ReturnType<typeof memoryStore>['store']): ReconcilerDeps {
  return {
    orders: { get: async () => undefined },
    store,
    sfn: {},
    warn: () => {},
  } as unknown as ReconcilerDeps;
}

const settings = (inventorySegments: number, maxOrdersPerRun: number): ReconcileSettings => ({
  graceSeconds: 30,
  stuckAfterSeconds: 120,
  quietSeconds: 600,
  inventorySegments,
  maxOrdersPerRun,
});

describe('inventory sweep cycle', () => {
  it('is segments x pages per segment runs: 160 runs, 800 minutes, for 10,000 stores x 30 SKUs at the defaults', () => {
    const perRun = inventoryItemsPerRun({ maxOrdersPerRun: 200 });
    expect(perRun).toBe(2000);
    const runs = inventoryCycleRuns(10_000 * 30, 16, perRun);
    expect(runs).toBe(16 * 10);
    expect(runs * schedules.reconcile.rateMinutes).toBe(800);
    expect(inventoryCycleRuns(10, 16, 2000)).toBe(16); // a small table: one page per segment
  });

  it('checks every item exactly once per cycle, resuming each segment where its last run stopped', async () => {
    const levels = Array.from({ length: 300 }, (_, i) => level(`s${String(Math.floor(i / 30)).padStart(3, '0')}`, `sku${i % 30}`));
    const mem = memoryStore(levels);
    const cfg = settings(4, 2); // 20 items a run
    const cycle = inventoryCycleRuns(levels.length, 4, inventoryItemsPerRun(cfg));
    expect(cycle).toBe(16);
    let checked = 0;
    for (let run = 0; run < cycle; run++) {
      checked += (await reconcile(deps(mem.store), cfg, new Date(T0 + run * INTERVAL * 1000), INTERVAL)).inventoryChecked;
    }
    expect(checked).toBe(300);
    expect(new Set(mem.read).size).toBe(300);
    expect(mem.read).toHaveLength(300);
    // Every segment was walked to its end once and starts again from the top.
    expect([...mem.cursors.values()]).toEqual([{ passes: 1 }, { passes: 1 }, { passes: 1 }, { passes: 1 }]);
    // The next cycle reads the same items again.
    mem.read.length = 0;
    for (let run = cycle; run < 2 * cycle; run++) await reconcile(deps(mem.store), cfg, new Date(T0 + run * INTERVAL * 1000), INTERVAL);
    expect(new Set(mem.read).size).toBe(300);
  });

  it('stops a page at the 100th store with reserved units and starts the next visit with the first item left out', async () => {
    const levels = Array.from({ length: 150 }, (_, i) => level(`s${String(i).padStart(3, '0')}`, 'tea', 1));
    const mem = memoryStore(levels);
    const cfg = settings(1, 20); // 200 items a run, one segment
    const first = await reconcile(deps(mem.store), cfg, new Date(T0), INTERVAL);
    expect(first.inventoryChecked).toBe(100);
    expect(mem.cursors.get('0/1')).toEqual({ passes: 0, startKey: { storeId: 's099', sku: 'tea' } });
    const second = await reconcile(deps(mem.store), cfg, new Date(T0 + INTERVAL * 1000), INTERVAL);
    expect(second.inventoryChecked).toBe(50);
    expect(mem.storeQueries).toEqual([100, 50]);
    expect(mem.cursors.get('0/1')).toEqual({ passes: 1 });
    expect(second).toEqual({ ...emptySummary(), inventoryChecked: 50 });
  });
});

describe('itemsWithinStoreLimit', () => {
  const l = (storeId: string, reserved: number) => ({ storeId, reserved });

  it('keeps a whole page whose reserved items belong to at most the limit of stores', () => {
    expect(itemsWithinStoreLimit([l('a', 1), l('a', 2), l('b', 1), l('c', 0)], 2)).toBe(4);
    expect(itemsWithinStoreLimit([], 2)).toBe(0);
  });

  it('cuts before the first reserved item of one store too many; items without reserved units never count', () => {
    expect(itemsWithinStoreLimit([l('a', 1), l('x', 0), l('b', 1), l('a', 3), l('c', 1), l('b', 1)], 2)).toBe(4);
    expect(itemsWithinStoreLimit([l('x', 0), l('y', 0), l('z', 0)], 1)).toBe(3);
  });
});
