/**
 * Report aggregates (row layout: src/domain/reports.ts), updated with atomic counters exactly once per
 * event and consumer: the consumer's marker for the event (`EVENT#<consumer>#<eventId>`) and every counter
 * update go in ONE transaction whose marker put is conditional, so a redelivered event changes nothing
 * (PRODUCT.md invariant 5).
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { transactWrite } from './transact.ts';
import { tableName } from '../config.ts';
import type { CounterUpdate } from '../domain/reports.ts';
import { cancellationReasons } from './dynamo-errors.ts';

/** Markers expire after 7 days; EventBridge retries for at most 24 h (a rebuild by replay starts from empty tables). */
const MARKER_TTL_SECONDS = 7 * 24 * 3600;
/** TransactWriteItems takes at most 100 items; one is the marker. */
export const MAX_UPDATES_PER_EVENT = 99;

/** Same pk+sk twice in one transaction is a ValidationException: merge them (adds summed, sets merged). */
function mergeUpdates(updates: CounterUpdate[]): CounterUpdate[] {
  const byKey = new Map<string, CounterUpdate>();
  for (const u of updates) {
    const key = `${u.pk}\u0000${u.sk}`;
    const prev = byKey.get(key);
    if (!prev) {
      byKey.set(key, { pk: u.pk, sk: u.sk, add: { ...u.add }, set: { ...u.set } });
      continue;
    }
    for (const [k, v] of Object.entries(u.add)) prev.add[k] = (prev.add[k] ?? 0) + v;
    Object.assign(prev.set, u.set);
  }
  return [...byKey.values()];
}

export class ReportStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * Applies `updates` (ADD counters, SET labels) once per (consumer, eventId). Returns false when this
   * consumer already applied the event. Throws for more than {@link MAX_UPDATES_PER_EVENT} distinct rows.
   */
  async applyOnce(consumer: string, eventId: string, updates: CounterUpdate[], now: Date): Promise<boolean> {
    const rows = mergeUpdates(updates);
    if (rows.length > MAX_UPDATES_PER_EVENT)
      throw new Error(`Event ${eventId} updates ${rows.length} rows; one transaction takes ${MAX_UPDATES_PER_EVENT}`);
    const TableName = tableName('reports');
    try {
      await transactWrite(this.doc, {
        TransactItems: [
          {
            Put: {
              TableName,
              Item: { pk: `EVENT#${consumer}#${eventId}`, sk: 'EVENT', expiresAt: Math.floor(now.getTime() / 1000) + MARKER_TTL_SECONDS },
              // Invariant 5: each event is counted once per consumer.
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...rows.map((u) => {
            const adds = Object.entries(u.add);
            const sets = Object.entries(u.set);
            const names = Object.fromEntries([...adds, ...sets].map(([k]) => [`#${k}`, k]));
            const values = Object.fromEntries([...adds, ...sets].map(([k, v]) => [`:${k}`, v]));
            const expression = [
              adds.length ? `ADD ${adds.map(([k]) => `#${k} :${k}`).join(', ')}` : '',
              sets.length ? `SET ${sets.map(([k]) => `#${k} = :${k}`).join(', ')}` : '',
            ]
              .filter(Boolean)
              .join(' ');
            // No condition: counters only ever grow, and the marker above guards the whole transaction.
            return {
              Update: {
                TableName,
                Key: { pk: u.pk, sk: u.sk },
                UpdateExpression: expression,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              },
            };
          }),
        ],
      });
      return true;
    } catch (e) {
      if (cancellationReasons(e)?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw e;
    }
  }

  /**
   * Rows of every partition key in `pks` whose hour is in [fromHour, toHour): sort keys
   * `<prefix><hour>` or `<prefix><hour>#...`, read with strong consistency. Raw items, shards not summed.
   */
  async rows(pks: string[], prefix: string, fromHour: string, toHour: string): Promise<Record<string, unknown>[]> {
    const perKey = await Promise.all(
      pks.map(async (pk) => {
        const items: Record<string, unknown>[] = [];
        let ExclusiveStartKey: Record<string, unknown> | undefined;
        do {
          const out = await this.doc.send(
            new QueryCommand({
              TableName: tableName('reports'),
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: { ':pk': pk, ':from': `${prefix}${fromHour}`, ':to': `${prefix}${toHour}` },
              ConsistentRead: true,
              ExclusiveStartKey,
            }),
          );
          for (const item of out.Items ?? []) if ((item.hour as string) < toHour) items.push(item);
          ExclusiveStartKey = out.LastEvaluatedKey;
        } while (ExclusiveStartKey);
        return items;
      }),
    );
    return perKey.flat();
  }
}
