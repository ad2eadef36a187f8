/**
 * Hourly sales aggregates, updated with atomic counters exactly once per event: the event's marker
 * (`EVENT#<eventId>`) and the counter increments go in one transaction whose marker put is conditional,
 * so a redelivered event changes nothing (PRODUCT.md invariant 5).
 */
import { TransactWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import { cancellationReasons } from './dynamo-errors.ts';

/** Counters of one hour; money in minor units, units of stock. */
export interface HourlySales {
  orders: number;
  units: number;
  revenue: number;
  discount: number;
  cancelled: number;
  refunded: number;
}

/** Markers expire after 7 days; EventBridge retries for at most 24 h. */
const MARKER_TTL_SECONDS = 7 * 24 * 3600;

export class ReportStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * Adds `delta` to the hour (`YYYY-MM-DDTHH`, UTC) of every scope (e.g. `STORE#s1`, `REGION#east`)
   * once per eventId. Returns false when the event was already counted.
   */
  async addOnce(eventId: string, hour: string, scopes: string[], delta: Partial<HourlySales>, now: Date): Promise<boolean> {
    const entries = Object.entries(delta).filter(([, v]) => v !== undefined);
    const TableName = tableName('reports');
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName,
                Item: { pk: `EVENT#${eventId}`, sk: 'EVENT', expiresAt: Math.floor(now.getTime() / 1000) + MARKER_TTL_SECONDS },
                // Invariant 5: each event is counted once.
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...scopes.map((pk) => ({
              Update: {
                TableName,
                Key: { pk, sk: `HOUR#${hour}` },
                UpdateExpression: `ADD ${entries.map(([k]) => `#${k} :${k}`).join(', ')} SET #hour = :hour`,
                ExpressionAttributeNames: { ...Object.fromEntries(entries.map(([k]) => [`#${k}`, k])), '#hour': 'hour' },
                ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([k, v]) => [`:${k}`, v])), ':hour': hour },
              },
            })),
          ],
        }),
      );
      return true;
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (reasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw e;
    }
  }

  /** Rows of a scope with hour in [fromHour, toHour) (both `YYYY-MM-DDTHH`). */
  async hours(scope: string, fromHour: string, toHour: string): Promise<(HourlySales & { hour: string })[]> {
    const rows: (HourlySales & { hour: string })[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: tableName('reports'),
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': scope, ':from': `HOUR#${fromHour}`, ':to': `HOUR#${toHour}` },
          ExclusiveStartKey,
        }),
      );
      for (const item of out.Items ?? []) {
        if (item.hour >= toHour) continue;
        rows.push({ hour: item.hour, orders: item.orders ?? 0, units: item.units ?? 0, revenue: item.revenue ?? 0, discount: item.discount ?? 0, cancelled: item.cancelled ?? 0, refunded: item.refunded ?? 0 });
      }
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return rows;
  }
}
