/**
 * Stock per store x SKU. Order-path movements (reserve, commit, release, restock) are conditional
 * writes inside the order's transactions (src/store/order-store.ts); this adapter does operator
 * set/restock, the low-stock flag, and the hot-stock shards: totals over the shards, resharding and
 * rebalancing by conditional transactions, and the sold-out marker (layout: src/domain/inventory.ts).
 */
import { GetCommand, TransactGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import type { AuditOf } from '../domain/audit.ts';
import {
  MAX_INVENTORY_SHARDS,
  planRebalance,
  planSetAvailable,
  SOLD_OUT_TTL_MS,
  shardPartitionKey,
  sumCounts,
} from '../domain/inventory.ts';
import type { InventoryLevel } from '../domain/types.ts';
import { cancellationReasons, cancelledByConditionsOnly, isConditionalCheckFailed } from './dynamo-errors.ts';
import { auditPut } from './audit-store.ts';
import { CHANGED, putUnlessChanged, type TransactItem, untilUnchanged } from './optimistic.ts';
import { batchGetAll } from './batch-get.ts';
import { transactWrite } from './transact.ts';

/** What the order path needs of an item's shard-0 metadata: N, H, and the sold-out marker. */
export interface ShardMeta {
  shards: number;
  highWater: number;
  soldOutUntil?: string;
}

/** How long create-order keeps an item's ShardMeta per container (ms): a reshard reaches the order path within it. */
export const SHARD_META_TTL_MS = 1_000;

/** One shard item as stored (shard 0 also carries the metadata). */
export type ShardItem = InventoryLevel;

const metaOf = (item: Partial<InventoryLevel> | undefined): ShardMeta => ({
  shards: item?.shards ?? 1,
  highWater: Math.max(item?.shardHighWater ?? 1, item?.shards ?? 1),
  ...(item?.soldOutUntil ? { soldOutUntil: item.soldOutUntil } : {}),
});

/** True when `meta`'s sold-out marker holds at `nowMs`. */
export const soldOut = (meta: ShardMeta, nowMs: number): boolean => !!meta.soldOutUntil && Date.parse(meta.soldOutUntil) > nowMs;

/**
 * The level after an operator sets `available` and `lowStockThreshold` on `current` (undefined: a new item,
 * stocked = available): `stocked` moves by the same delta as `available`, `version` + 1, and the low-stock
 * flag is dropped once stock is above the threshold.
 */
export function nextLevel(
  current: InventoryLevel | undefined,
  set: { storeId: string; sku: string; available: number; lowStockThreshold: number; now: string },
): InventoryLevel {
  const { storeId, sku, available, lowStockThreshold, now } = set;
  if (!current) return { storeId, sku, available, reserved: 0, sold: 0, stocked: available, lowStockThreshold, version: 1, updatedAt: now };
  const { lowStockSince, soldOutUntil, ...rest } = current;
  return {
    ...rest,
    // A PUT with stock clears the sold-out marker (kept when it sets 0).
    ...(soldOutUntil !== undefined && available === 0 ? { soldOutUntil } : {}),
    available,
    stocked: current.stocked + (available - current.available),
    lowStockThreshold,
    version: current.version + 1,
    updatedAt: now,
    ...(lowStockSince !== undefined && available <= lowStockThreshold ? { lowStockSince } : {}),
  };
}

export class InventoryStore {
  private readonly metaCache = new Map<string, { meta: ShardMeta; at: number }>();

  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /** The level, or undefined when the store has never stocked the SKU. */
  async get(storeId: string, sku: string, consistent = false): Promise<InventoryLevel | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: tableName('inventory'), Key: { storeId, sku }, ConsistentRead: consistent }),
    );
    return out.Item as InventoryLevel | undefined;
  }

  /**
   * Sets `available` (units) and the threshold. `stocked` moves by the same delta so that
   * available + reserved + sold = stocked keeps holding (invariant 1). Optimistic concurrency: the write is
   * conditioned on the item being exactly as read (every quantity, `version`, `lowStockSince`), since order
   * movements change `available`/`reserved`/`sold` without bumping `version`; with `audit`, the record of
   * the exact level before (undefined for a new item) and after is appended in the same transaction.
   * Returns the level written. Throws CONCURRENT_UPDATE (409) after 5 lost races (an operator action, not
   * the hot path).
   */
  setLevel(
    storeId: string,
    sku: string,
    available: number,
    lowStockThreshold: number,
    now: string,
    audit?: AuditOf<InventoryLevel>,
  ): Promise<InventoryLevel> {
    return untilUnchanged(`Inventory ${storeId}/${sku}`, async () => {
      const current = await this.get(storeId, sku, true);
      const after = nextLevel(current, { storeId, sku, available, lowStockThreshold, now });
      // Also conditioned on lowStockSince still absent if it was: the low-stock detector may set it meanwhile.
      return putUnlessChanged(this.doc, tableName('inventory'), current, after, ['storeId', 'sku'], audit, [
        'lowStockSince',
        'soldOutUntil',
      ]);
    });
  }

  /**
   * PUT inventory with hot-stock shards: sets the TOTAL `available` over the shards, `lowStockThreshold` and
   * `shards` (1..64; undefined = keep), then rebalances. Used when `shards` > 1 is asked or the item is sharded
   * already (else {@link setLevel}). Without downtime: orders keep reserving meanwhile, so the write is
   * conditioned only on the metadata `version` read and, for a write-off, on each shard it takes from still
   * holding those units; the stock change is applied as deltas (ADD), equivalent to the PUT happening at its
   * read followed by the orders since. Restocked units go evenly to the active shards. The audit record holds
   * the totals read and written. Then {@link rebalance}. Returns the totals (stocked = sum). Throws
   * CONCURRENT_UPDATE (409) after 5 lost races.
   */
  setSharded(
    storeId: string,
    sku: string,
    set: { available: number; lowStockThreshold: number; shards?: number },
    now: string,
    audit?: AuditOf<InventoryLevel>,
  ): Promise<InventoryLevel> {
    const table = tableName('inventory');
    return untilUnchanged(`Inventory ${storeId}/${sku}`, async () => {
      // A snapshot: the new total is planned from the total at one instant (see snapshotShards).
      const shards = await this.readShards(storeId, sku, true, true);
      const head = shards[0];
      const meta = metaOf(head);
      const n = Math.min(MAX_INVENTORY_SHARDS, Math.max(1, set.shards ?? meta.shards));
      const h = Math.max(meta.highWater, n);
      const availableBy = Array.from({ length: h }, (_, k) => shards[k]?.available ?? 0);
      const before = this.total(storeId, sku, shards);
      const deltas = planSetAvailable(availableBy, n, set.available - before.available);
      if (!deltas) return CHANGED;
      const items: TransactItem[] = [];
      const headValues: Record<string, unknown> = {
        ':n': n,
        ':h': h,
        ':t': set.lowStockThreshold,
        ':now': now,
        ':zero': 0,
        ':one': 1,
        ':d': deltas.get(0) ?? 0,
      };
      let headCondition = 'attribute_not_exists(storeId)';
      if (head) {
        headCondition = '#version = :v AND available >= :need';
        headValues[':v'] = head.version;
        headValues[':need'] = Math.max(0, -(deltas.get(0) ?? 0));
      }
      const removes = [...(set.available > 0 ? ['soldOutUntil'] : []), ...(set.available > set.lowStockThreshold ? ['lowStockSince'] : [])];
      items.push({
        Update: {
          TableName: table,
          Key: { storeId, sku },
          ConditionExpression: headCondition,
          UpdateExpression: `SET #shards = :n, shardHighWater = :h, lowStockThreshold = :t, updatedAt = :now, #version = if_not_exists(#version, :zero) + :one, available = if_not_exists(available, :zero) + :d, stocked = if_not_exists(stocked, :zero) + :d, reserved = if_not_exists(reserved, :zero), sold = if_not_exists(sold, :zero)${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ExpressionAttributeNames: { '#version': 'version', '#shards': 'shards' },
          ExpressionAttributeValues: headValues,
        },
      });
      for (let shard = 1; shard < h; shard++) {
        const d = deltas.get(shard) ?? 0;
        if (d === 0 && shards[shard]) continue;
        items.push(shardDelta(table, storeId, sku, shard, d, now));
      }
      const after: InventoryLevel = {
        ...before,
        available: set.available,
        stocked: before.stocked + (set.available - before.available),
        lowStockThreshold: set.lowStockThreshold,
        shards: n,
        shardHighWater: h,
        version: (head?.version ?? 0) + 1,
        updatedAt: now,
      };
      if (audit) items.push(auditPut(audit(head ? before : undefined, after)));
      if (!(await tryTransact(this.doc, items))) return CHANGED;
      this.metaCache.delete(`${storeId}\n${sku}`);
      return after;
    }).then(async () => {
      await this.rebalance(storeId, sku, now);
      const total = await this.getTotal(storeId, sku);
      if (!total) throw new Error(`Inventory ${storeId}/${sku} vanished`);
      return total;
    });
  }

  /**
   * Changes only the number of active shards N (1..64) of a stocked item, keeping its stock: a metadata update
   * of shard 0 conditioned on its `version` (orders never touch it), then {@link rebalance} moves the available
   * units onto the new active set. Orders keep reserving meanwhile (with the old N for up to SHARD_META_TTL_MS;
   * every take is conditional on its shard, so a stale N costs a fall-over, never a unit). Returns false when
   * the item does not exist. Throws CONCURRENT_UPDATE after 5 lost races with other metadata writes.
   */
  async reshard(storeId: string, sku: string, shards: number, now: string): Promise<boolean> {
    const n = Math.min(MAX_INVENTORY_SHARDS, Math.max(1, Math.trunc(shards)));
    const done = await untilUnchanged(`Inventory ${storeId}/${sku}`, async () => {
      const head = await this.get(storeId, sku, true);
      if (!head) return false;
      const h = Math.max(metaOf(head).highWater, n);
      const items: TransactItem[] = [
        {
          Update: {
            TableName: tableName('inventory'),
            Key: { storeId, sku },
            ConditionExpression: '#version = :v',
            UpdateExpression: 'SET #shards = :n, shardHighWater = :h, #version = :v + :one, updatedAt = :now',
            ExpressionAttributeNames: { '#version': 'version', '#shards': 'shards' },
            ExpressionAttributeValues: { ':v': head.version, ':n': n, ':h': h, ':one': 1, ':now': now },
          },
        },
      ];
      // New shard items exist (with zero counters) before any order may plan on them.
      for (let shard = metaOf(head).highWater; shard < h; shard++)
        items.push(shardDelta(tableName('inventory'), storeId, sku, shard, 0, now));
      return (await tryTransact(this.doc, items)) ? true : CHANGED;
    });
    if (!done) return false;
    this.metaCache.delete(`${storeId}\n${sku}`);
    await this.rebalance(storeId, sku, now);
    return true;
  }

  /**
   * Every shard item of the item (strongly consistent unless `consistent` is false: half the read units, for
   * readers that tolerate about a second of staleness), index = shard number, 0..H-1; absent shards are
   * undefined. One GetItem of shard 0, then one BatchGetItem of shards 1..H-1 when sharded.
   */
  async readShards(storeId: string, sku: string, consistent = true, snapshot = false): Promise<(ShardItem | undefined)[]> {
    const head = await this.get(storeId, sku, consistent);
    const h = metaOf(head).highWater;
    const out: (ShardItem | undefined)[] = [head];
    if (h <= 1) return out;
    if (snapshot) return this.snapshotShards(storeId, sku, h);
    const keys = Array.from({ length: h - 1 }, (_, i) => ({ storeId: shardPartitionKey(storeId, i + 1), sku }));
    const items = await batchGetAll<ShardItem>(this.doc, tableName('inventory'), keys, consistent);
    const found = new Map(items.map((item) => [item.storeId, item]));
    for (let k = 1; k < h; k++) out[k] = found.get(shardPartitionKey(storeId, k));
    return out;
  }

  /**
   * Every shard item 0..h-1 read in ONE TransactGetItems, a serializable snapshot: a rebalance moves units between
   * shards in one transaction, so separate reads taken while it commits could count its units twice or not at all
   * (a PUT's total would then be planned, or answered, off by them). Retries a snapshot that lost to a concurrent
   * transaction (TransactionCanceled) and one whose shard 0 shows more shards than were read (h grew meanwhile).
   */
  private async snapshotShards(storeId: string, sku: string, h: number): Promise<(ShardItem | undefined)[]> {
    const table = tableName('inventory');
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      const keys = Array.from({ length: h }, (_, k) => ({ storeId: k === 0 ? storeId : shardPartitionKey(storeId, k), sku }));
      try {
        const res = await this.doc.send(new TransactGetCommand({ TransactItems: keys.map((Key) => ({ Get: { TableName: table, Key } })) }));
        const items = (res.Responses ?? []).map((r) => r.Item as ShardItem | undefined);
        const grown = metaOf(items[0]).highWater;
        if (grown > h && attempt < 10) {
          h = Math.min(MAX_INVENTORY_SHARDS, grown);
          continue;
        }
        return items;
      } catch (e) {
        if ((e as Error).name !== 'TransactionCanceledException' || attempt >= 10) throw e;
      }
    }
  }

  /**
   * The level with the counters summed over every shard (GET inventory, low-stock detection, PUT's answer):
   * shard 0's metadata with available/reserved/sold/stocked totals and `shards`. Undefined when never stocked.
   */
  async getTotal(storeId: string, sku: string): Promise<InventoryLevel | undefined> {
    const shards = await this.readShards(storeId, sku, true, true);
    if (!shards[0]) return undefined;
    return this.total(storeId, sku, shards);
  }

  private total(storeId: string, sku: string, shards: readonly (ShardItem | undefined)[]): InventoryLevel {
    const head = shards[0];
    const sum = sumCounts(shards.filter((s): s is ShardItem => s !== undefined));
    return {
      storeId,
      sku,
      lowStockThreshold: head?.lowStockThreshold ?? 0,
      version: head?.version ?? 0,
      updatedAt: head?.updatedAt ?? '',
      ...(head?.lowStockSince ? { lowStockSince: head.lowStockSince } : {}),
      ...(head?.soldOutUntil ? { soldOutUntil: head.soldOutUntil } : {}),
      ...sum,
      shards: head?.shards ?? 1,
      shardHighWater: metaOf(head).highWater,
    };
  }

  /**
   * Moves available units so the N active shards hold about equal shares and drained shards (≥ N) none
   * (planRebalance): one transaction of net deltas summing to 0, each source conditioned on still holding what
   * leaves it (never creates or loses units; reserved and sold never move). Reserved units of drained shards
   * stay until committed or released. Re-reads and retries when orders took the units meanwhile (3 rounds,
   * then leaves it: an uneven spread costs only fall-overs). Returns the units moved.
   */
  async rebalance(storeId: string, sku: string, now: string): Promise<number> {
    const table = tableName('inventory');
    for (let round = 0; round < 3; round++) {
      const shards = await this.readShards(storeId, sku);
      if (!shards[0]) return 0;
      const { shards: n, highWater: h } = metaOf(shards[0]);
      if (h <= 1) return 0;
      const deltas = planRebalance(
        Array.from({ length: h }, (_, k) => shards[k]?.available ?? 0),
        n,
      );
      if (deltas.size === 0) return 0;
      const items = [...deltas].map(([shard, d]) => shardDelta(table, storeId, sku, shard, d, now));
      if (await tryTransact(this.doc, items)) {
        return [...deltas.values()].filter((d) => d > 0).reduce((s, d) => s + d, 0);
      }
    }
    return 0;
  }

  /**
   * The shard metadata create-order needs (N, H, sold-out marker), cached per container for
   * SHARD_META_TTL_MS (one eventually consistent read a second per item and container). A cached marker is
   * never trusted alone: {@link confirmSoldOut} re-reads it.
   */
  async meta(storeId: string, sku: string, nowMs = Date.now()): Promise<ShardMeta> {
    const key = `${storeId}\n${sku}`;
    const hit = this.metaCache.get(key);
    if (hit && nowMs - hit.at < SHARD_META_TTL_MS) return hit.meta;
    return this.readMeta(storeId, sku, false, nowMs);
  }

  /** Reads the metadata of shard 0 (consistent on request) and caches it. */
  async readMeta(storeId: string, sku: string, consistent: boolean, nowMs = Date.now()): Promise<ShardMeta> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: tableName('inventory'),
        Key: { storeId, sku },
        ConsistentRead: consistent,
        ProjectionExpression: '#shards, shardHighWater, soldOutUntil',
        ExpressionAttributeNames: { '#shards': 'shards' },
      }),
    );
    const meta = metaOf(out.Item as Partial<InventoryLevel> | undefined);
    if (this.metaCache.size > 10_000) this.metaCache.clear();
    this.metaCache.set(`${storeId}\n${sku}`, { meta, at: nowMs });
    return meta;
  }

  /** True when the sold-out marker holds on a strongly consistent read (one 1-RCU read instead of a transaction). */
  async confirmSoldOut(storeId: string, sku: string, nowMs = Date.now()): Promise<boolean> {
    return soldOut(await this.readMeta(storeId, sku, true, nowMs), nowMs);
  }

  /**
   * Sets the sold-out marker (`soldOutUntil` = now + SOLD_OUT_TTL_MS) only if EVERY shard 0..H-1 has
   * available = 0 at one instant: one transaction with a ConditionCheck per shard (H ≤ 64 items) and the
   * update of shard 0 conditioned on H unchanged. A release or restock that lands first fails it; one that
   * lands after clears it (clearSoldOutIfSet). Returns true when set. Best effort: errors are swallowed (the
   * marker is an optimisation; the transaction conditions stay the authority).
   */
  async markSoldOut(storeId: string, sku: string, meta: ShardMeta, nowMs = Date.now()): Promise<boolean> {
    const table = tableName('inventory');
    const until = new Date(nowMs + SOLD_OUT_TTL_MS).toISOString();
    const items: TransactItem[] = [
      {
        Update: {
          TableName: table,
          Key: { storeId, sku },
          // H unchanged since read: a reshard up meanwhile may have stocked shards this transaction does not check.
          ConditionExpression:
            meta.highWater === 1
              ? 'available = :zero AND (attribute_not_exists(shardHighWater) OR shardHighWater = :h)'
              : 'available = :zero AND shardHighWater = :h',
          UpdateExpression: 'SET soldOutUntil = :until',
          ExpressionAttributeValues: { ':zero': 0, ':h': meta.highWater, ':until': until },
        },
      },
    ];
    for (let k = 1; k < meta.highWater; k++) {
      items.push({
        ConditionCheck: {
          TableName: table,
          Key: { storeId: shardPartitionKey(storeId, k), sku },
          ConditionExpression: 'attribute_not_exists(available) OR available = :zero',
          ExpressionAttributeValues: { ':zero': 0 },
        },
      });
    }
    try {
      if (!(await tryTransact(this.doc, items))) return false;
    } catch {
      return false;
    }
    this.metaCache.set(`${storeId}\n${sku}`, { meta: { ...meta, soldOutUntil: until }, at: nowMs });
    return true;
  }

  /**
   * After stock came back (release, restock): removes the sold-out marker if it is set (a consistent 1-RCU
   * read first, so the common case writes nothing), and rebalances when units landed on a drained shard
   * (`landedOn` ≥ N). Returns the metadata read.
   */
  async afterStockReturned(storeId: string, sku: string, landedOn: readonly number[], now: string): Promise<ShardMeta> {
    const meta = await this.readMeta(storeId, sku, true);
    if (meta.soldOutUntil) {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: tableName('inventory'),
            Key: { storeId, sku },
            ConditionExpression: 'attribute_exists(soldOutUntil)',
            UpdateExpression: 'REMOVE soldOutUntil',
          }),
        );
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
      this.metaCache.delete(`${storeId}\n${sku}`);
    }
    if (landedOn.some((shard) => shard >= meta.shards)) await this.rebalance(storeId, sku, now);
    return meta;
  }

  /**
   * Flags the item as low once per crossing: succeeds (true) only for the caller that sets the flag
   * while available <= threshold, so InventoryLow is emitted once though OrderPlaced arrives at least once.
   * A sharded item (`sharded`): the caller judged the TOTAL over the shards low, so shard 0's own available is
   * not part of the condition.
   */
  async flagLowStock(storeId: string, sku: string, now: string, sharded = false): Promise<InventoryLevel | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: tableName('inventory'),
          Key: { storeId, sku },
          ConditionExpression: `attribute_exists(storeId) AND lowStockThreshold > :zero AND ${sharded ? '' : 'available <= lowStockThreshold AND '}attribute_not_exists(lowStockSince)`,
          UpdateExpression: 'SET lowStockSince = :now',
          ExpressionAttributeValues: { ':zero': 0, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as InventoryLevel;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return undefined;
      throw e;
    }
  }

  /** Clears the low-stock flag when stock is back above the threshold (after releases/restocks; `sharded`: judged on the total by the caller). */
  async clearLowStockFlag(storeId: string, sku: string, sharded = false): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: tableName('inventory'),
          Key: { storeId, sku },
          ConditionExpression: sharded
            ? 'attribute_exists(lowStockSince)'
            : 'attribute_exists(lowStockSince) AND available > lowStockThreshold',
          UpdateExpression: 'REMOVE lowStockSince',
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }
}

/**
 * An update moving shard `shard`'s available AND stocked by `delta` (creating the shard item with zero
 * counters if absent; shard items carry `shard` and `baseStoreId` for scans). A negative delta is conditioned
 * on the shard still holding the units (invariant 1: available never below zero).
 */
function shardDelta(table: string, storeId: string, sku: string, shard: number, delta: number, now: string): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: { storeId: shardPartitionKey(storeId, shard), sku },
      ...(delta < 0 ? { ConditionExpression: 'available >= :need' } : {}),
      UpdateExpression:
        shard === 0
          ? 'SET available = available + :d, stocked = stocked + :d, updatedAt = :now'
          : 'SET available = if_not_exists(available, :zero) + :d, stocked = if_not_exists(stocked, :zero) + :d, reserved = if_not_exists(reserved, :zero), sold = if_not_exists(sold, :zero), #shard = :shard, baseStoreId = :base, updatedAt = :now',
      ...(shard === 0 ? {} : { ExpressionAttributeNames: { '#shard': 'shard' } }),
      ExpressionAttributeValues: {
        ':d': delta,
        ':now': now,
        ...(delta < 0 ? { ':need': -delta } : {}),
        ...(shard === 0 ? {} : { ':zero': 0, ':shard': shard, ':base': storeId }),
      },
    },
  };
}

/** Sends the transaction; false when it was cancelled by failed conditions only (re-read and retry), else throws. */
async function tryTransact(doc: DynamoDBDocumentClient, items: TransactItem[]): Promise<boolean> {
  try {
    await transactWrite(doc, { TransactItems: items });
    return true;
  } catch (e) {
    const reasons = cancellationReasons(e);
    if (reasons && cancelledByConditionsOnly(reasons)) return false;
    throw e;
  }
}
