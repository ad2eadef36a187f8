/**
 * Report aggregates (row layout: src/domain/reports.ts), updated with atomic counters exactly once per
 * event (PRODUCT.md invariant 5), a batch of events at a time: each row a batch touches is written ONCE
 * with the sum of the batch's deltas, beside one small marker per event.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TRANSACT_RETRY, transactWrite } from './transact.ts';
import { tableName } from '../config.ts';
import { mergeUpdates, type CounterUpdate } from '../domain/reports.ts';
import { cancellationReasons } from './dynamo-errors.ts';

/**
 * Markers expire after 15 days: longer than any redelivery can come (SQS keeps a message 4 days, its
 * dead-letter queue 14; EventBridge retries for 2 h). A rebuild by replay starts from empty tables.
 */
export const MARKER_TTL_SECONDS = 15 * 24 * 3600;
/**
 * Concurrent batches update the same hourly rows (every batch of a region touches its shard rows of the
 * hour), so a TransactionConflict is expected under load: retried longer than a single-order write before
 * the batch's events go back to the queue (whose redelivery waits out the visibility timeout).
 */
const BATCH_RETRY = { ...TRANSACT_RETRY, attempts: 8 };
/** TransactWriteItems takes at most 100 items (markers + rows). */
export const MAX_TRANSACTION_ITEMS = 100;

/** One event to count: its id and the counter updates it makes (any rows, repeats allowed). */
export interface CountedEvent {
  eventId: string;
  updates: readonly CounterUpdate[];
}

/** What {@link ReportStore.applyBatchOnce} did with each event id. */
export interface BatchOutcome {
  /** Counted now. */
  applied: string[];
  /** Counted before (their marker existed), or repeated within the batch: nothing written for them. */
  duplicates: string[];
  /** Not counted: their transaction failed for another reason (throttling that outlasted the retries...). Redeliver them. */
  failed: { eventIds: string[]; error: unknown }[];
}

/** The marker key of an event (one per event: the projection counts every report of an event in one go). */
export const markerKey = (eventId: string) => ({ pk: `EVENT#reports#${eventId}`, sk: 'EVENT' });

function updateItem(TableName: string, u: CounterUpdate) {
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
  // No condition: counters only ever grow, and the markers beside it guard the whole transaction.
  return {
    Update: {
      TableName,
      Key: { pk: u.pk, sk: u.sk },
      UpdateExpression: expression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * Packs events into chunks whose markers + distinct rows fit one transaction (in order, greedily). A row
 * touched by events of two chunks is written once per chunk. Throws for an event that alone does not fit.
 */
export function chunkEvents(events: readonly CountedEvent[], limit = MAX_TRANSACTION_ITEMS): CountedEvent[][] {
  const chunks: CountedEvent[][] = [];
  let current: CountedEvent[] = [];
  let rows = new Set<string>();
  for (const e of events) {
    const own = new Set(e.updates.map((u) => `${u.pk}\u0000${u.sk}`));
    if (own.size + 1 > limit) throw new Error(`Event ${e.eventId} updates ${own.size} rows; one transaction takes ${limit - 1}`);
    const union = new Set([...rows, ...own]);
    if (current.length > 0 && current.length + 1 + union.size > limit) {
      chunks.push(current);
      current = [e];
      rows = own;
    } else {
      current.push(e);
      rows = union;
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export class ReportStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * Counts each event of `events` exactly once, however often it is delivered.
   *
   * Per chunk (see {@link chunkEvents}), ONE TransactWriteItems holds a conditional put of each event's
   * marker (`attribute_not_exists`; < 100 B, TTL {@link MARKER_TTL_SECONDS}) and one ADD per touched row
   * carrying the SUM of those events' deltas. Why this is exactly-once: a transaction is all or nothing, so
   * an event's deltas are added in, and only in, the transaction that creates its marker. If any marker
   * already exists (an earlier delivery counted that event) the whole transaction is cancelled and writes
   * nothing; its CancellationReasons name the markers that failed, those events are dropped as duplicates
   * and the rest are retried with their sums recomputed without them. A delivery whose transaction
   * committed but whose invocation then failed comes back, finds its marker and is a duplicate; two
   * batches racing with the same event are serialized by DynamoDB on the marker (one commits, the other
   * fails its condition). The same event twice in one batch is counted once.
   *
   * Write units: 2 per marker and 2 per distinct row per chunk (transactional writes, items < 1 KB),
   * instead of 2 x (1 + rows of the event) per event.
   */
  async applyBatchOnce(events: readonly CountedEvent[], now: Date): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { applied: [], duplicates: [], failed: [] };
    const unique: CountedEvent[] = [];
    const seen = new Set<string>();
    for (const e of events) {
      if (seen.has(e.eventId)) outcome.duplicates.push(e.eventId);
      else {
        seen.add(e.eventId);
        unique.push(e);
      }
    }
    const TableName = tableName('reports');
    const expiresAt = Math.floor(now.getTime() / 1000) + MARKER_TTL_SECONDS;
    for (const chunk of chunkEvents(unique)) {
      let pending = chunk;
      while (pending.length > 0) {
        const rows = mergeUpdates(pending.flatMap((e) => e.updates));
        try {
          await transactWrite(
            this.doc,
            {
              TransactItems: [
                ...pending.map((e) => ({
                  Put: { TableName, Item: { ...markerKey(e.eventId), expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' },
                })),
                ...rows.map((u) => updateItem(TableName, u)),
              ],
            },
            BATCH_RETRY,
          );
          outcome.applied.push(...pending.map((e) => e.eventId));
          break;
        } catch (error) {
          const reasons = cancellationReasons(error);
          const counted = new Set(pending.filter((_, i) => reasons?.[i]?.Code === 'ConditionalCheckFailed').map((e) => e.eventId));
          if (counted.size === 0) {
            outcome.failed.push({ eventIds: pending.map((e) => e.eventId), error });
            break;
          }
          outcome.duplicates.push(...counted);
          pending = pending.filter((e) => !counted.has(e.eventId));
        }
      }
    }
    return outcome;
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
