/**
 * The append-only audit log (table `audit`). Writers never call this store directly: they add
 * {@link auditPut} to the TransactWriteItems of the change they audit, so the record exists exactly when the
 * change does. Key: pk `AUDIT#<yyyy-mm-dd>` (one partition per UTC day), sk `<auditId>` (time-ordered).
 */
import type { AuditRecord } from '../domain/audit.ts';
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
