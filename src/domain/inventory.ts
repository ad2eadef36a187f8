/**
 * Stock arithmetic for one (store, SKU), in units of stock (PRODUCT.md invariant 1 and
 * PUT /v1/stores/{storeId}/inventory/{sku}). Pure helpers; the conditional writes live in the store layer.
 */
import { createHash } from 'node:crypto';
import { DomainError } from './errors.ts';

/** The four counters of a (store, SKU), in units of stock. */
export interface StockCounts {
  available: number;
  reserved: number;
  sold: number;
  stocked: number;
}

/**
 * Lists what breaks invariant 1 (PRODUCT.md): every counter an integer, available ≥ 0, reserved ≥ 0,
 * sold ≥ 0, available + reserved + sold = stocked. Returns [] when the level is sound.
 */
export function inventoryViolations(level: StockCounts): string[] {
  const out: string[] = [];
  for (const key of ['available', 'reserved', 'sold', 'stocked'] as const) {
    if (!Number.isSafeInteger(level[key])) out.push(`${key} is not an integer (${level[key]})`);
  }
  if (level.available < 0) out.push(`available < 0 (${level.available})`);
  if (level.reserved < 0) out.push(`reserved < 0 (${level.reserved})`);
  if (level.sold < 0) out.push(`sold < 0 (${level.sold})`);
  const sum = level.available + level.reserved + level.sold;
  if (sum !== level.stocked) out.push(`available + reserved + sold = ${sum} but stocked = ${level.stocked}`);
  return out;
}

/**
 * Units to add to both `available` and `stocked` when an operator sets `available` to
 * `newAvailable` (PUT inventory "set or restock"). Positive = restock; negative = a write-off,
 * which lowers `stocked` too so invariant 1 keeps holding; reserved and sold are never touched.
 * Throws DomainError VALIDATION_FAILED when `newAvailable` is not an integer ≥ 0.
 */
export function restockDelta(current: { available: number }, newAvailable: number): number {
  if (!Number.isSafeInteger(newAvailable) || newAvailable < 0) {
    throw new DomainError('VALIDATION_FAILED', 'available must be an integer >= 0', {
      errors: [{ path: 'available', message: 'Must be an integer >= 0' }],
    });
  }
  return newAvailable - current.available;
}

/** The counters after `restockDelta` is applied: available = newAvailable, stocked moves by the same delta. */
export function applySetAvailable<T extends StockCounts>(level: T, newAvailable: number): T {
  const delta = restockDelta(level, newAvailable);
  return { ...level, available: level.available + delta, stocked: level.stocked + delta };
}

/**
 * True when a (store, SKU) is low on stock: `available <= threshold` with `threshold > 0`
 * (a threshold of 0 switches alerts off). Units of stock. Source: PRODUCT.md (low-stock alerts).
 */
export function isLowStock(available: number, threshold: number): boolean {
  return threshold > 0 && available <= threshold;
}

/**
 * True when a change of `available` from `before` to `after` crosses into low stock
 * (not low before, low after), so InventoryLow fires once per crossing (PRODUCT.md Events).
 */
export function crossedIntoLowStock(before: number, after: number, threshold: number): boolean {
  return !isLowStock(before, threshold) && isLowStock(after, threshold);
}

/**
 * Hot stock shards. A store x SKU marked hot (`shards` N on its inventory PUT, 1..MAX_INVENTORY_SHARDS) keeps its
 * stock in N shard items, each with its own available/reserved/sold/stocked (invariant 1 holds per shard, hence
 * over the sum). One DynamoDB partition takes 1,000 WCU/s and a transactional write costs 2 WCU per item, so the
 * shards need DISTINCT PARTITION KEYS: shard 0 is the item of an unsharded SKU (key `{storeId, sku}`, unchanged)
 * and also holds the metadata (`shards`, `shardHighWater`, `lowStockThreshold`, `version`, the sold-out marker);
 * shard k > 0 is `{storeId: '<storeId>#<k>', sku}` ('#' cannot occur in an id, ID_PATTERN). Shards at or beyond N
 * after a reshard down are "drained": no new reservation is planned on them, their available units are moved to
 * active shards, and their reserved units stay until committed or released. `shardHighWater` (H) is the largest
 * N ever set: shard items 0..H-1 may exist and totals sum over all of them.
 */
export const MAX_INVENTORY_SHARDS = 64;

/** How long a sold-out marker holds at most without being re-checked (ms); see README "Hot stock shards". */
export const SOLD_OUT_TTL_MS = 5_000;

/** One part of an order line taken from one shard (units of stock). */
export interface ShardTake {
  shard: number;
  quantity: number;
}

/** The partition-key value of shard `shard` of `storeId`'s item (shard 0 = the plain store id). */
export function shardPartitionKey(storeId: string, shard: number): string {
  return shard === 0 ? storeId : `${storeId}#${shard}`;
}

/** Inverse of {@link shardPartitionKey}: the store id and shard number of an inventory item's partition key. */
export function parseShardPartitionKey(key: string): { storeId: string; shard: number } {
  const at = key.indexOf('#');
  if (at < 0) return { storeId: key, shard: 0 };
  return { storeId: key.slice(0, at), shard: Number(key.slice(at + 1)) };
}

/** The shard an order tries first for `sku` among `n` active shards: MD5 of orderId and SKU (uniform, stable). */
export function startShard(orderId: string, sku: string, n: number): number {
  if (n <= 1) return 0;
  return createHash('md5').update(`${orderId}\n${sku}`).digest().readUInt32BE(0) % n;
}

/**
 * Where to take `quantity` units from, given what is known of the shards' available units (`known`: shard →
 * available as last seen; unknown shards are absent). Active shards are 0..n-1, drained ones n..h-1.
 * 1. One shard expected to hold it all: active shards round-robin from `start` that are unknown or known to
 *    suffice, then drained shards known to suffice.
 * 2. Otherwise a split over the known shards, largest first (fewest items in the transaction), when their
 *    known sum suffices.
 * Returns undefined when neither works: the caller re-reads the shards, or answers INVENTORY_SHORTAGE when a
 * fresh read of every shard is short.
 */
export function planTake(
  quantity: number,
  n: number,
  h: number,
  start: number,
  known: ReadonlyMap<number, number>,
): ShardTake[] | undefined {
  for (let i = 0; i < n; i++) {
    const shard = (start + i) % n;
    const seen = known.get(shard);
    if (seen === undefined || seen >= quantity) return [{ shard, quantity }];
  }
  for (let shard = n; shard < h; shard++) if ((known.get(shard) ?? 0) >= quantity) return [{ shard, quantity }];
  const byStock = [...known].filter(([, a]) => a > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const takes: ShardTake[] = [];
  let left = quantity;
  for (const [shard, available] of byStock) {
    if (left === 0) break;
    const q = Math.min(available, left);
    takes.push({ shard, quantity: q });
    left -= q;
  }
  return left === 0 ? takes : undefined;
}

/**
 * Net moves of available units that spread `available` (per shard, index = shard number, length h) evenly over
 * the `n` active shards and empty the drained ones (shard ≥ n): targets floor(T/n), the first T mod n shards
 * one more. Returns shard → delta (negative = units leave), only non-zero entries; the deltas sum to 0, so a
 * rebalance never creates or loses units.
 */
export function planRebalance(available: readonly number[], n: number): Map<number, number> {
  const total = available.reduce((s, a) => s + a, 0);
  const deltas = new Map<number, number>();
  const size = Math.max(available.length, n);
  for (let shard = 0; shard < size; shard++) {
    const target = shard < n ? Math.floor(total / n) + (shard < total % n ? 1 : 0) : 0;
    const delta = target - (available[shard] ?? 0);
    if (delta !== 0) deltas.set(shard, delta);
  }
  return deltas;
}

/**
 * How an operator's change of the total available by `delta` units is spread: a restock (delta > 0) evenly over
 * the `n` active shards; a write-off (delta < 0) from the shards with the most available first (any shard,
 * drained ones first). Returns shard → delta (only non-zero), summing to `delta`; undefined when the shards do
 * not hold -delta units.
 */
export function planSetAvailable(available: readonly number[], n: number, delta: number): Map<number, number> | undefined {
  const out = new Map<number, number>();
  if (delta > 0) {
    for (let shard = 0; shard < n; shard++) {
      const part = Math.floor(delta / n) + (shard < delta % n ? 1 : 0);
      if (part > 0) out.set(shard, part);
    }
    return out;
  }
  let left = -delta;
  const order = available
    .map((a, shard) => ({ a, shard }))
    .sort((x, y) => Number(y.shard >= n) - Number(x.shard >= n) || y.a - x.a || x.shard - y.shard);
  for (const { a, shard } of order) {
    if (left === 0) break;
    const q = Math.min(a, left);
    if (q > 0) out.set(shard, -q);
    left -= q;
  }
  return left === 0 ? out : undefined;
}

/** The sum of the counters of a store x SKU's shards (units of stock). */
export function sumCounts(shards: readonly StockCounts[]): StockCounts {
  const sum: StockCounts = { available: 0, reserved: 0, sold: 0, stocked: 0 };
  for (const s of shards) {
    sum.available += s.available;
    sum.reserved += s.reserved;
    sum.sold += s.sold;
    sum.stocked += s.stocked;
  }
  return sum;
}

/**
 * Chain-wide promotion counter slices (the coupon analogue of stock shards): a coupon PUT with `counterShards` K
 * (2..MAX_COUPON_COUNTER_SHARDS) counts its redemptions in K slice items under distinct partition keys (slice 0 =
 * the coupon item itself, slice k > 0 = `{code: '<code>#<k>', scope: 'SLICE'}`), each with its own `sliceLimit`.
 * The limits are set by {@link planSliceLimits} so their sum never lets the total pass `maxRedemptions`.
 */
export const MAX_COUPON_COUNTER_SHARDS = 64;

/**
 * Slice limits for a coupon limit `limit` over `k` active slices, given each existing slice's redemptions so far
 * (`redeemed`, index = slice, may be longer than k after a reduction): every slice keeps what it has redeemed and
 * the remaining `limit - Σ redeemed` (if any) is shared evenly over the active slices; drained slices (≥ k) get no
 * share. The limits sum to max(limit, Σ redeemed): the total never passes the limit by a redemption made after.
 */
export function planSliceLimits(limit: number, k: number, redeemed: readonly number[]): number[] {
  const size = Math.max(k, redeemed.length);
  const used = redeemed.reduce((s, r) => s + r, 0);
  const remaining = Math.max(0, limit - used);
  return Array.from({ length: size }, (_, slice) => {
    const share = slice < k ? Math.floor(remaining / k) + (slice < remaining % k ? 1 : 0) : 0;
    return (redeemed[slice] ?? 0) + share;
  });
}

/** The slice an order tries for coupon `code` among `k` active slices, skipping `full` ones (round-robin from a hash of the order id); undefined when all are full. */
export function pickSlice(orderId: string, code: string, k: number, full: ReadonlySet<number>): number | undefined {
  const start = startShard(orderId, code, k);
  for (let i = 0; i < k; i++) {
    const slice = (start + i) % k;
    if (!full.has(slice)) return slice;
  }
  return undefined;
}
