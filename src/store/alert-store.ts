/**
 * Low-stock alerts (GET /v1/alerts, PRODUCT.md), kept 30 days. One alert per InventoryLow event, stored
 * twice in one transaction: under scope `ALL` (the chain-wide list) and `STORE#<storeId>` (one store's
 * list); sort key `<at>#<storeId>#<sku>` so a Query newest-first is the alert list. The `ALL` item also
 * records whether the alert was sent (`notifiedAt`), so a redelivery re-sends only an unsent alert.
 */
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { transactWrite } from './transact.ts';
import { tableName } from '../config.ts';
import { cancellationReasons } from './dynamo-errors.ts';

/** A low-stock alert: stock in units, `at` = when the crossing was detected (ISO-8601 UTC). */
export interface LowStockAlert {
  storeId: string;
  sku: string;
  available: number;
  lowStockThreshold: number;
  at: string;
  /** The InventoryLow event's detail.eventId. */
  eventId: string;
}

/** What is stored: the alert plus when it was stored and (once sent) when it was sent. */
export interface StoredAlert extends LowStockAlert {
  recordedAt: string;
  notifiedAt?: string;
}

const ALERT_TTL_SECONDS = 30 * 24 * 3600;
const sortKey = (a: LowStockAlert) => `${a.at}#${a.storeId}#${a.sku}`;

export class AlertStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * Stores the alert once per (at, storeId, sku), i.e. per InventoryLow event. Returns the stored alert:
   * the new one, or on a redelivery the one stored first (with its `notifiedAt` if it was sent).
   */
  async recordOnce(alert: LowStockAlert, now: Date): Promise<{ created: boolean; stored: StoredAlert }> {
    const TableName = tableName('alerts');
    const item: StoredAlert = { ...alert, recordedAt: now.toISOString() };
    const expiresAt = Math.floor(now.getTime() / 1000) + ALERT_TTL_SECONDS;
    const put = (scope: string) => ({
      Put: {
        TableName,
        Item: { scope, sk: sortKey(alert), ...item, expiresAt },
        // One alert per InventoryLow event (EventBridge delivers at least once).
        ConditionExpression: 'attribute_not_exists(#scope)',
        ExpressionAttributeNames: { '#scope': 'scope' },
      },
    });
    try {
      await transactWrite(this.doc, { TransactItems: [put('ALL'), put(`STORE#${alert.storeId}`)] });
      return { created: true, stored: item };
    } catch (e) {
      if (!cancellationReasons(e)?.some((r) => r.Code === 'ConditionalCheckFailed')) throw e;
      const out = await this.doc.send(new GetCommand({ TableName, Key: { scope: 'ALL', sk: sortKey(alert) }, ConsistentRead: true }));
      return { created: false, stored: out.Item as StoredAlert };
    }
  }

  /** Records that the alert was sent (SNS or log). */
  async markNotified(alert: LowStockAlert, now: Date): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: tableName('alerts'),
        Key: { scope: 'ALL', sk: sortKey(alert) },
        UpdateExpression: 'SET notifiedAt = if_not_exists(notifiedAt, :now)',
        // Only an alert recordOnce stored (never creates a stray item).
        ConditionExpression: 'attribute_exists(#scope)',
        ExpressionAttributeNames: { '#scope': 'scope' },
        ExpressionAttributeValues: { ':now': now.toISOString() },
      }),
    );
  }

  /** The newest `limit` alerts, of one store or of all stores, newest first. */
  async list(storeId: string | undefined, limit: number): Promise<StoredAlert[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: tableName('alerts'),
        KeyConditionExpression: '#scope = :scope',
        ExpressionAttributeNames: { '#scope': 'scope' },
        ExpressionAttributeValues: { ':scope': storeId === undefined ? 'ALL' : `STORE#${storeId}` },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []) as StoredAlert[];
  }
}
