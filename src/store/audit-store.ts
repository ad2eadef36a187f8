/**
 * The append-only audit log (table `audit`). Writers never call this store directly: they add
 * {@link auditPut} to the TransactWriteItems of the change they audit, so the record exists exactly when the
 * change does. Key: pk `AUDIT#<yyyy-mm-dd>` (one partition per UTC day), sk `<auditId>` (time-ordered,
 * unique). Indexes byActor (actor, sk) and byStore (storeId, sk) serve the filtered reads (lib/wiring.ts).
 * Known limit: one day's partition takes ~500 audited transactional writes/s (2 WCU each); operator writes
 * are far below that, a machine client bulk-setting inventory would need a sharded day key.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../domain/audit.ts';
import { auditDays, type AuditQuery } from '../domain/audit-query.ts';
import { tableName } from '../config.ts';

/** Partition key of the day `at` (ISO-8601 UTC) falls in. */
export const auditDayKey = (at: string): string => `AUDIT#${at.slice(0, 10)}`;

/** The transaction item appending `record`; refused if a record with its id exists (append-only, no overwrite). */
export function auditPut(record: AuditRecord) {
  return {
    Put: {
      TableName: tableName('audit'),
      Item: { pk: auditDayKey(record.at), sk: record.auditId, ...record },
      // Append-only: a record is never replaced.
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** A page of records, newest first; `last` is the sort key of the last one when more may follow (the next cursor). */
export interface AuditPage {
  records: AuditRecord[];
  last?: string;
}

/** Reads the audit log (GET /v1/audit). The only writers are {@link auditPut} items in other stores' transactions. */
export class AuditStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * Up to `q.limit` records with `from <= at < to` (and sort key below the cursor `q.before`), newest first,
   * filtered by actor and/or store. Access: `storeId` → index byStore (plus a filter on `actor` if given),
   * `actor` → index byActor, neither → the day partitions of the range, newest day first. Reads one record
   * beyond the page to tell whether another page exists (then `last` is set).
   */
  async query(q: AuditQuery): Promise<AuditPage> {
    const upper = q.before !== undefined && q.before < q.to ? q.before : q.to;
    const want = q.limit + 1;
    const found: AuditRecord[] = [];
    const partitions: { index?: string; key: [string, string] }[] = q.storeId
      ? [{ index: 'byStore', key: ['storeId', q.storeId] }]
      : q.actor
        ? [{ index: 'byActor', key: ['actor', q.actor] }]
        : auditDays(q.from, upper).map((day) => ({ key: ['pk', `AUDIT#${day}`] as [string, string] }));
    for (const { index, key } of partitions) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.doc.send(
          new QueryCommand({
            TableName: tableName('audit'),
            IndexName: index,
            // BETWEEN is inclusive: `to` itself is never a sort key (they carry '#<requestId>'), the cursor is dropped below.
            KeyConditionExpression: '#p = :p AND sk BETWEEN :from AND :upper',
            ...(q.storeId && q.actor ? { FilterExpression: '#actor = :actor' } : {}),
            ExpressionAttributeNames: { '#p': key[0], ...(q.storeId && q.actor ? { '#actor': 'actor' } : {}) },
            ExpressionAttributeValues: {
              ':p': key[1],
              ':from': q.from,
              ':upper': upper,
              ...(q.storeId && q.actor ? { ':actor': q.actor } : {}),
            },
            ScanIndexForward: false,
            Limit: want - found.length + 1,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) {
          if (item.sk === q.before) continue;
          const { pk: _pk, sk: _sk, ...record } = item;
          found.push(record as AuditRecord);
        }
        start = out.LastEvaluatedKey;
      } while (start && found.length < want);
      if (found.length >= want) break;
    }
    const records = found.slice(0, q.limit);
    return found.length > q.limit ? { records, last: auditSortKey(records.at(-1)!) } : { records };
  }
}

/** The sort key of a record (its auditId). */
export const auditSortKey = (record: AuditRecord): string => record.auditId;
