/**
 * The reconciler's reads and its one write. Reads never scan the orders table: open orders come from
 * the sparse `openOrders` index (lib/wiring.ts), whose entries vanish when an order is final. The
 * inventory table is read one segment per run (a parallel-scan segment), so each run's work is bounded.
 */
import { QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tables } from '../../lib/wiring.ts';
import { tableName } from '../config.ts';
import { allOpenShards } from '../domain/reconcile.ts';
import type { InventoryLevel, OrderStatus } from '../domain/types.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

const OPEN_INDEX = 'openOrders';
const openIndex = tables.orders.globalSecondaryIndexes[OPEN_INDEX];

/** What the open-orders index holds of an order (keys plus its projection). */
export interface OpenOrderRef {
  orderId: string;
  storeId: string;
  status: OrderStatus;
  createdAt: string;
  expiresAt: string;
  paymentIntentId?: string;
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
    if (q.storeIds?.length) {
      filters.push(`storeId IN (${q.storeIds.map((_, i) => `:s${i}`).join(', ')})`);
      q.storeIds.forEach((s, i) => (values[`:s${i}`] = s));
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
   * Segment `segment` of `totalSegments` of the inventory table (strongly consistent parallel-scan
   * segment), at most `maxItems` items; `complete` is false when the cap cut it short.
   */
  async inventorySegment(segment: number, totalSegments: number, maxItems: number): Promise<{ levels: InventoryLevel[]; complete: boolean }> {
    const levels: InventoryLevel[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new ScanCommand({
          TableName: tableName('inventory'),
          Segment: segment,
          TotalSegments: totalSegments,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      levels.push(...((out.Items ?? []) as InventoryLevel[]));
      startKey = out.LastEvaluatedKey;
    } while (startKey && levels.length < maxItems);
    return { levels: levels.slice(0, maxItems), complete: !startKey && levels.length <= maxItems };
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
