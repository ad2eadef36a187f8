/**
 * Stock per store x SKU. Order-path movements (reserve, commit, release, restock) are conditional
 * writes inside the order's transactions (src/store/order-store.ts); this adapter does operator
 * set/restock and the low-stock flag.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import type { AuditOf } from '../domain/audit.ts';
import type { InventoryLevel } from '../domain/types.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';
import { putUnlessChanged, untilUnchanged } from './optimistic.ts';

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
  const { lowStockSince, ...rest } = current;
  return {
    ...rest,
    available,
    stocked: current.stocked + (available - current.available),
    lowStockThreshold,
    version: current.version + 1,
    updatedAt: now,
    ...(lowStockSince !== undefined && available <= lowStockThreshold ? { lowStockSince } : {}),
  };
}

export class InventoryStore {
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
      return putUnlessChanged(this.doc, tableName('inventory'), current, after, ['storeId', 'sku'], audit, ['lowStockSince']);
    });
  }

  /**
   * Flags the item as low once per crossing: succeeds (true) only for the caller that sets the flag
   * while available <= threshold, so InventoryLow is emitted once though OrderPlaced arrives at least once.
   */
  async flagLowStock(storeId: string, sku: string, now: string): Promise<InventoryLevel | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: tableName('inventory'),
          Key: { storeId, sku },
          ConditionExpression:
            'attribute_exists(storeId) AND lowStockThreshold > :zero AND available <= lowStockThreshold AND attribute_not_exists(lowStockSince)',
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

  /** Clears the low-stock flag when stock is back above the threshold (after releases/restocks). */
  async clearLowStockFlag(storeId: string, sku: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: tableName('inventory'),
          Key: { storeId, sku },
          ConditionExpression: 'attribute_exists(lowStockSince) AND available > lowStockThreshold',
          UpdateExpression: 'REMOVE lowStockSince',
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }
}
