/**
 * Stock per store x SKU. Order-path movements (reserve, commit, release, restock) are conditional
 * writes inside the order's transactions (src/store/order-store.ts); this adapter does operator
 * set/restock and the low-stock flag.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import { DomainError } from '../domain/errors.ts';
import type { InventoryLevel } from '../domain/types.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

export class InventoryStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /** The level, or undefined when the store has never stocked the SKU. */
  async get(storeId: string, sku: string, consistent = false): Promise<InventoryLevel | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('inventory'), Key: { storeId, sku }, ConsistentRead: consistent }));
    return out.Item as InventoryLevel | undefined;
  }

  /**
   * Sets `available` (units) and the threshold. `stocked` moves by the same delta so that
   * available + reserved + sold = stocked keeps holding (invariant 1). Optimistic concurrency on
   * `version` (an operator action, not the hot path); throws CONCURRENT_UPDATE after 5 lost races.
   */
  async setLevel(storeId: string, sku: string, available: number, lowStockThreshold: number, now: string): Promise<InventoryLevel> {
    const TableName = tableName('inventory');
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(storeId, sku, true);
      if (!current) {
        const level: InventoryLevel = { storeId, sku, available, reserved: 0, sold: 0, stocked: available, lowStockThreshold, version: 1, updatedAt: now };
        try {
          // Condition: first writer creates the item; a racing creator makes us retry as an update.
          await this.doc.send(new PutCommand({ TableName, Item: level, ConditionExpression: 'attribute_not_exists(storeId)' }));
          return level;
        } catch (e) {
          if (isConditionalCheckFailed(e)) continue;
          throw e;
        }
      }
      const delta = available - current.available;
      try {
        const out = await this.doc.send(
          new UpdateCommand({
            TableName,
            Key: { storeId, sku },
            // Condition: nobody (including an order transaction) moved this item since we read it.
            ConditionExpression: 'version = :v',
            UpdateExpression:
              'SET available = :a, stocked = stocked + :d, lowStockThreshold = :t, version = version + :one, updatedAt = :now' +
              (available > lowStockThreshold ? ' REMOVE lowStockSince' : ''),
            ExpressionAttributeValues: { ':v': current.version, ':a': available, ':d': delta, ':t': lowStockThreshold, ':one': 1, ':now': now },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return out.Attributes as InventoryLevel;
      } catch (e) {
        if (isConditionalCheckFailed(e)) continue;
        throw e;
      }
    }
    throw new DomainError('CONCURRENT_UPDATE', `Inventory ${storeId}/${sku} kept changing; retry`);
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
          ConditionExpression: 'attribute_exists(storeId) AND lowStockThreshold > :zero AND available <= lowStockThreshold AND attribute_not_exists(lowStockSince)',
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
