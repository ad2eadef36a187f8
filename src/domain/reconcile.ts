/**
 * The reconciler's rules, pure (PRODUCT.md: "A periodic reconciler finds orders whose saga never started
 * or got stuck and drives them to a final state"; invariants 1-4). functions/jobs/reconcile.ts runs them
 * on a schedule; src/saga/reconciler.ts does the I/O.
 *
 * Which orders it looks at: the orders table's sparse `openOrders` index (lib/wiring.ts) holds exactly
 * the orders that may still need driving, keyed by `openShard` ('OPEN#0'..'OPEN#15', a hash of the order
 * id so that flash-sale writes spread) and sorted by `expiresAt`. The attribute is written with the order
 * and removed when the order leaves PENDING_PAYMENT / NEEDS_ATTENTION (src/store/order-store.ts).
 */
import { createHash } from 'node:crypto';
import { inventoryViolations, type StockCounts } from './inventory.ts';
import type { Order, OrderStatus } from './types.ts';

/** Number of `openShard` values; queries fan out over all of them. */
export const OPEN_SHARDS = 16;

/** Statuses that keep an order in the open-orders index. */
export const OPEN_STATUSES: readonly OrderStatus[] = ['PENDING_PAYMENT', 'NEEDS_ATTENTION'];

/** The order's shard in the open-orders index: `OPEN#<0..15>` from the MD5 of its id (stable, uniform). */
export function openShard(orderId: string): string {
  return `OPEN#${createHash('md5').update(orderId).digest()[0]! % OPEN_SHARDS}`;
}

/** Every shard value, `OPEN#0` .. `OPEN#15`. */
export const allOpenShards = (): string[] => Array.from({ length: OPEN_SHARDS }, (_, i) => `OPEN#${i}`);

/** True when an order in `status` stays in the open-orders index (PENDING_PAYMENT, NEEDS_ATTENTION). */
export const staysOpen = (status: OrderStatus): boolean => OPEN_STATUSES.includes(status);

/** Thresholds of a reconciler run, in seconds (defaults and env variables: src/config.ts). */
export interface ReconcileSettings {
  /**
   * (a) An order this old with no payment intent is treated as "placeOrder never ran"; (b) a claim this old on a
   * still-pending order means its segment did not finish (default 30; Express segments take seconds).
   */
  graceSeconds: number;
  /** (b) An unclaimed PENDING_PAYMENT order this long past expiresAt was missed by the expiry sweeper (default 120). */
  stuckAfterSeconds: number;
  /** (c) An inventory item must not have moved for this long before a leaked reservation is repaired. */
  quietSeconds: number;
  /** (c) The inventory table is swept in this many segments, one per run. */
  inventorySegments: number;
  /** Upper bound of orders examined per check per run (bounded work). */
  maxOrdersPerRun: number;
}

/** What one run did, by check; logged and returned by the reconcile function. */
export interface ReconcileSummary {
  /** (a) placeOrder started again for orders it never reached (no payment intent). */
  started: number;
  /** (b) confirmPayment started again for a PAYMENT claim whose commit did not finish (→ PAID). */
  committed: number;
  /** (b) compensateOrder started again for any other unfinished claim, or for an order the sweeper missed (claimed EXPIRY here). */
  compensated: number;
  /** Open orders parked in NEEDS_ATTENTION past their deadline (reported, left to operators). */
  needsAttention: number;
  /** (c) Inventory items (store x SKU) examined. */
  inventoryChecked: number;
  /** (c) Leaked reservations given back to `available`. */
  repaired: number;
  /** (c) Items whose counters no rule can repair safely (invariant 1 broken, or fewer reserved than open orders hold). */
  mismatches: number;
  /** Candidates whose handling threw (logged; retried next run). */
  errors: number;
}

/** A summary with every count at 0. */
export const emptySummary = (): ReconcileSummary => ({
  started: 0,
  committed: 0,
  compensated: 0,
  needsAttention: 0,
  inventoryChecked: 0,
  repaired: 0,
  mismatches: 0,
  errors: 0,
});

/** The stored order with the saga's bookkeeping attribute the domain type leaves out. */
export type StoredOrder = Order & { paymentClosedAt?: string };

const seconds = (iso: string): number => Date.parse(iso) / 1000;

/**
 * (a) True when the order is PENDING_PAYMENT, older than `graceSeconds`, and placeOrder has not touched it:
 * no payment intent, no claim, payment not closed. (placeOrder's first step records the intent.)
 */
export function sagaNeverStarted(order: StoredOrder, now: Date, graceSeconds: number): boolean {
  return (
    order.status === 'PENDING_PAYMENT' &&
    !order.paymentIntentId &&
    !order.claim &&
    !order.paymentClosedAt &&
    seconds(order.createdAt) <= now.getTime() / 1000 - graceSeconds
  );
}

/**
 * (b) True when a PENDING_PAYMENT order was claimed more than `graceSeconds` ago: the segment its claim started
 * (confirmPayment or compensateOrder) did not finish, e.g. it died with a process or kept failing; starting it
 * again is safe (nextSegment; every step is once-only).
 */
export function claimUnfinished(order: StoredOrder, now: Date, graceSeconds: number): boolean {
  return (
    order.status === 'PENDING_PAYMENT' &&
    order.claim !== undefined &&
    order.claimedAt !== undefined &&
    seconds(order.claimedAt) <= now.getTime() / 1000 - graceSeconds
  );
}

/** (b) True when an unclaimed PENDING_PAYMENT order is more than `stuckAfterSeconds` past its expiresAt (the sweeper missed it). */
export function isStuck(order: StoredOrder, now: Date, stuckAfterSeconds: number): boolean {
  return order.status === 'PENDING_PAYMENT' && !order.claim && seconds(order.expiresAt) <= now.getTime() / 1000 - stuckAfterSeconds;
}

/**
 * (c) Units of `sku` at `storeId` held by `orders` on hot-stock shard `shard` (0 = the item of an unsharded
 * SKU): the reservations of those whose stock is still RESERVED (released or committed stock no longer
 * counts), by the shards each line took from (`takes`; none = all from shard 0). Every such order counts,
 * however recent: counting too much only makes the repair give back less, never too much. The reconciler
 * judges each shard item on its own (invariant 1 holds per shard, hence over the sum).
 */
export function heldByOrders(orders: readonly Order[], storeId: string, sku: string, shard = 0): number {
  let held = 0;
  for (const o of orders) {
    if (o.storeId !== storeId || o.stockState !== 'RESERVED') continue;
    for (const line of o.reservation) {
      if (line.sku !== sku) continue;
      if (!line.takes) held += shard === 0 ? line.quantity : 0;
      else for (const take of line.takes) if (take.shard === shard) held += take.quantity;
    }
  }
  return held;
}

export type ReservationCheck =
  | { kind: 'OK' }
  /** Reserved units no open order accounts for, safe to give back to `available`. */
  | { kind: 'LEAKED'; excess: number }
  /** Counters that no rule repairs safely: report for an operator. */
  | { kind: 'MISMATCH'; detail: string }
  /** Moved too recently to judge (an order may be on its way into the index). */
  | { kind: 'NOT_QUIET' };

/**
 * (c) Compares an inventory item with the units its store's open orders hold (`held`). The repair rule:
 * reserved units beyond `held` are LEAKED only if the item has not moved for `quietSeconds`. Every
 * order movement stamps the item's `updatedAt` in the same transaction, so an order holding the item was
 * placed before that stamp; after the quiet period it is visible in the (eventually consistent) index,
 * and counted in `held` if it still holds stock. The repair itself is conditional on the item being
 * unchanged since it was read. Fewer reserved than held, or a broken invariant 1, is a MISMATCH (never
 * repaired automatically: it would hide lost stock).
 */
export function checkReservation(
  level: StockCounts & { updatedAt: string },
  held: number,
  now: Date,
  quietSeconds: number,
): ReservationCheck {
  const violations = inventoryViolations(level);
  if (violations.length > 0) return { kind: 'MISMATCH', detail: violations.join('; ') };
  if (level.reserved === held) return { kind: 'OK' };
  if (seconds(level.updatedAt) > now.getTime() / 1000 - quietSeconds) return { kind: 'NOT_QUIET' };
  if (level.reserved < held) return { kind: 'MISMATCH', detail: `reserved ${level.reserved} < ${held} held by open orders` };
  return { kind: 'LEAKED', excess: level.reserved - held };
}

/**
 * (c) Which inventory segment a run sweeps: runs `intervalSeconds` apart walk the segments in turn. Each
 * visit reads one page of the segment from that segment's stored cursor (ReconcileStore.inventoryCursor),
 * so the whole table is covered every {@link inventoryCycleRuns} runs.
 */
export function inventorySegmentFor(now: Date, intervalSeconds: number, segments: number): number {
  return Math.floor(now.getTime() / 1000 / Math.max(1, intervalSeconds)) % segments;
}

/** (c) Inventory items read per run, one page of one segment: 10 x maxOrdersPerRun (2,000 by default). */
export const inventoryItemsPerRun = (settings: Pick<ReconcileSettings, 'maxOrdersPerRun'>): number => settings.maxOrdersPerRun * 10;

/**
 * (c) Runs needed to check every inventory item once: each segment is visited every `segments` runs and
 * advances one page of `itemsPerRun`, so the cycle is segments x pages per segment (segments split the table
 * about evenly). 300,000 items (10,000 stores x 30 SKUs), 16 segments, 2,000 a run: 16 x 10 = 160 runs,
 * 800 minutes at one run every 5 minutes.
 */
export function inventoryCycleRuns(items: number, segments: number, itemsPerRun: number): number {
  return segments * Math.max(1, Math.ceil(items / segments / itemsPerRun));
}

/**
 * (c) How many of a page's items, in scan order, one run can judge when it may look up the open orders of
 * at most `maxStores` stores (one index query filters by at most 100). Only items with reserved units need
 * their store's orders; the page is cut just before the first item of one store too many, and the run's
 * cursor stops there, so the next visit starts with that item instead of skipping it.
 */
export function itemsWithinStoreLimit(levels: readonly { storeId: string; reserved: number }[], maxStores: number): number {
  const stores = new Set<string>();
  for (const [i, level] of levels.entries()) {
    if (level.reserved === 0 || stores.has(level.storeId)) continue;
    if (stores.size === maxStores) return i;
    stores.add(level.storeId);
  }
  return levels.length;
}
