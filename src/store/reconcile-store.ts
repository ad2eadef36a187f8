/**
 * The reconciler's reads and its writes (a repair, its scan cursors). Reads never scan the orders table: open orders come from
 * the sparse `openOrders` index (lib/wiring.ts), whose entries vanish when an order is final. The
 * inventory table is read one page of one segment per run (a parallel-scan segment), resumed from that
 * segment's cursor in the `reconcilerState` table, so each run's work is bounded and the runs cover it all.
 */
import { GetCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tables } from '../../lib/wiring.ts';
import { tableName } from '../config.ts';
import { allOpenShards } from '../domain/reconcile.ts';
import type { InventoryLevel, OrderStatus } from '../domain/types.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

const OPEN_INDEX = 'openOrders';

/** The primary key of an inventory item: where a segment's next page starts (after it). */
export interface InventoryKey {
  storeId: string;
  sku: string;
}

/** A segment's resume point: after `startKey`, or at the top; `passes` = completed walks of the segment. */
export interface InventoryCursor {
  startKey?: InventoryKey;
  passes: number;
}

const cursorKey = (segment: number, totalSegments: number): string => `INVENTORY#${segment}/${totalSegments}`;
const openIndex = tables.orders.globalSecondaryIndexes[OPEN_INDEX];

/** What the open-orders index holds of an order (keys plus its projection). */
export interface OpenOrderRef {
  orderId: string;
  storeId: string;
  status: OrderStatus;
  createdAt: string;
  expiresAt: string;
  paymentIntentId?: string;
  /** When the order was claimed (src/domain/order-claim.ts); absent while nobody has decided it. */
  claimedAt?: string;
}

export interface OpenOrderQuery {
  /** Only orders with expiresAt < this (ISO). */
  expiresBefore?: string;
  /** Only orders with expiresAt >= this (ISO). */
  expiresFrom?: string;
  /** Only orders in this status. */
  status?: OrderStatus;
  /** Only orders created at or before this (ISO). */
  createdBy?: string;
  /** Only orders with no payment intent yet (the saga's first step records one). */
  withoutPaymentIntent?: boolean;
  /** true: only orders claimed at or before `claimedBy` (ISO; any claim time without it); false: only unclaimed orders. */
  claimed?: boolean;
  claimedBy?: string;
  /** Only orders of these stores (at most 100). */
  storeIds?: readonly string[];
  /** Stop after this many orders in total. */
  limit: number;
}

export class ReconcileStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * Open orders (PENDING_PAYMENT or NEEDS_ATTENTION) matching `q`, oldest expiresAt first within each
   * of the 16 shards (queried in parallel). `complete` is false when `limit` cut the answer short.
   * Eventually consistent (a GSI): callers re-read each order before acting on it.
   */
  async openOrders(q: OpenOrderQuery): Promise<{ orders: OpenOrderRef[]; complete: boolean }> {
    const { partitionKey: pk, sortKey: sk } = openIndex;
    const names: Record<string, string> = { '#pk': pk, ...(q.expiresBefore || q.expiresFrom ? { '#sk': sk } : {}) };
    const values: Record<string, unknown> = {};
    let keyCondition = '#pk = :shard';
    if (q.expiresFrom && q.expiresBefore) keyCondition += ' AND #sk BETWEEN :from AND :before';
    else if (q.expiresBefore) keyCondition += ' AND #sk < :before';
    else if (q.expiresFrom) keyCondition += ' AND #sk >= :from';
    if (q.expiresBefore) values[':before'] = q.expiresBefore;
    if (q.expiresFrom) values[':from'] = q.expiresFrom;
    const filters: string[] = [];
    if (q.status) {
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = q.status;
    }
    if (q.createdBy) {
      filters.push('createdAt <= :createdBy');
      values[':createdBy'] = q.createdBy;
    }
    if (q.withoutPaymentIntent) filters.push('attribute_not_exists(paymentIntentId)');
    if (q.claimed === false) filters.push('attribute_not_exists(claimedAt)');
    if (q.claimed === true) filters.push('attribute_exists(claimedAt)');
    if (q.claimed === true && q.claimedBy) {
      filters.push('claimedAt <= :claimedBy');
      values[':claimedBy'] = q.claimedBy;
    }
    if (q.storeIds?.length) {
      filters.push(`storeId IN (${q.storeIds.map((_, i) => `:s${i}`).join(', ')})`);
      q.storeIds.forEach((s, i) => {
        values[`:s${i}`] = s;
      });
    }
    const perShard = await Promise.all(
      allOpenShards().map(async (shard) => {
        const found: OpenOrderRef[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const out = await this.doc.send(
            new QueryCommand({
              TableName: tableName('orders'),
              IndexName: OPEN_INDEX,
              KeyConditionExpression: keyCondition,
              FilterExpression: filters.length ? filters.join(' AND ') : undefined,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ...values, ':shard': shard },
              ExclusiveStartKey: startKey,
            }),
          );
          found.push(...((out.Items ?? []) as OpenOrderRef[]));
          startKey = out.LastEvaluatedKey;
        } while (startKey && found.length < q.limit);
        return { found, more: Boolean(startKey) };
      }),
    );
    const all = perShard.flatMap((s) => s.found);
    return { orders: all.slice(0, q.limit), complete: all.length <= q.limit && perShard.every((s) => !s.more) };
  }

  /**
   * One page of segment `segment` of `totalSegments` of the inventory table (strongly consistent
   * parallel-scan segment): at most `maxItems` items, starting after `startKey` (from the segment's top
   * without one). `nextKey` is the key the next page starts after, absent when the page reached the
   * segment's end. Scan `Limit` keeps it exact: DynamoDB stops evaluating at the last item returned, so
   * no item read past the cap is skipped by the next page.
   */
  async inventorySegment(
    segment: number,
    totalSegments: number,
    maxItems: number,
    startKey?: InventoryKey,
  ): Promise<{ levels: InventoryLevel[]; nextKey?: InventoryKey }> {
    const levels: InventoryLevel[] = [];
    let next: Record<string, unknown> | undefined = startKey ? { ...startKey } : undefined;
    do {
      const out = await this.doc.send(
        new ScanCommand({
          TableName: tableName('inventory'),
          Segment: segment,
          TotalSegments: totalSegments,
          ConsistentRead: true,
          ExclusiveStartKey: next,
          Limit: maxItems - levels.length,
        }),
      );
      levels.push(...((out.Items ?? []) as InventoryLevel[]));
      next = out.LastEvaluatedKey;
    } while (next && levels.length < maxItems);
    return { levels, ...(next ? { nextKey: { storeId: String(next.storeId), sku: String(next.sku) } } : {}) };
  }

  /** Where the next run of inventory segment `segment` (of `totalSegments`) starts: after `startKey`, or at the top. */
  async inventoryCursor(segment: number, totalSegments: number): Promise<InventoryCursor> {
    const out = await this.doc.send(
      new GetCommand({ TableName: tableName('reconcilerState'), Key: { pk: cursorKey(segment, totalSegments) }, ConsistentRead: true }),
    );
    const item = out.Item as (InventoryCursor & { pk: string }) | undefined;
    return { passes: item?.passes ?? 0, ...(item?.startKey ? { startKey: item.startKey } : {}) };
  }

  /**
   * Stores where the segment's next run starts: after `nextKey`, or back at the top when the segment was
   * read to its end (then `passes`, the number of completed walks of the segment, goes up by one). The key
   * names the segment count too, so changing WANDIAN_RECONCILE_INVENTORY_SEGMENTS starts afresh.
   */
  async saveInventoryCursor(segment: number, totalSegments: number, nextKey: InventoryKey | undefined, now: string): Promise<void> {
    const pk = cursorKey(segment, totalSegments);
    await this.doc.send(
      new UpdateCommand({
        TableName: tableName('reconcilerState'),
        Key: { pk },
        UpdateExpression: nextKey
          ? 'SET startKey = :key, updatedAt = :now'
          : 'REMOVE startKey SET updatedAt = :now, passes = if_not_exists(passes, :zero) + :one',
        ExpressionAttributeValues: nextKey ? { ':key': nextKey, ':now': now } : { ':now': now, ':zero': 0, ':one': 1 },
      }),
    );
  }

  /**
   * Gives `excess` leaked reserved units back to `available` (stocked unchanged, so invariant 1 keeps
   * holding). Returns false, writing nothing, if the item moved since `seen` was read.
   */
  async releaseLeakedReservation(seen: InventoryLevel, excess: number, now: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: tableName('inventory'),
          Key: { storeId: seen.storeId, sku: seen.sku },
          // Invariants 1 and 2: only the counters that were judged (nothing moved since), never below zero.
          ConditionExpression: 'updatedAt = :seenAt AND reserved = :seenReserved AND reserved >= :x',
          UpdateExpression: 'SET reserved = reserved - :x, available = available + :x, updatedAt = :now',
          ExpressionAttributeValues: { ':seenAt': seen.updatedAt, ':seenReserved': seen.reserved, ':x': excess, ':now': now },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }
}
