/**
 * Optimistic writes for operator actions whose audit record must show the exact item before and after:
 * read the item, write it in one TransactWriteItems conditioned on it being unchanged since the read
 * (together with the audit Put, src/store/audit-store.ts), and start again from a fresh read when
 * another writer got in between. After {@link OPTIMISTIC_ATTEMPTS} lost races: 409 CONCURRENT_UPDATE.
 */
import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../domain/errors.ts';
import { cancellationReasons, cancelledByConditionsOnly } from './dynamo-errors.ts';
import { transactWrite } from './transact.ts';
import type { AuditOf } from '../domain/audit.ts';
import { auditPut } from './audit-store.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** How many read-check-write rounds an operator write gets before answering CONCURRENT_UPDATE. */
export const OPTIMISTIC_ATTEMPTS = 5;

/** A condition expression with its placeholders (merged into the item's own names and values). */
export interface Condition {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/**
 * The condition "this item is exactly `seen`": every attribute of `seen` except `keys` still has the value
 * read, and each of `optional` that `seen` lacks is still absent (attributes another writer may add, e.g.
 * an inventory item's `lowStockSince`). `seen` undefined = the item must not exist (`attribute_not_exists`
 * of the first key). Placeholders are `#u<i>` / `:u<i>`, so they never clash with an update's own.
 */
export function unchangedCondition(seen: object | undefined, keys: readonly string[], optional: readonly string[] = []): Condition {
  if (!seen) return { expression: `attribute_not_exists(#u0)`, names: { '#u0': keys[0]! }, values: {} };
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let i = 0;
  for (const [name, value] of Object.entries(seen)) {
    if (keys.includes(name) || value === undefined) continue;
    names[`#u${i}`] = name;
    values[`:u${i}`] = value;
    parts.push(`#u${i} = :u${i}`);
    i++;
  }
  for (const name of optional) {
    if ((seen as Record<string, unknown>)[name] !== undefined) continue;
    names[`#u${i}`] = name;
    parts.push(`attribute_not_exists(#u${i})`);
    i++;
  }
  names[`#u${i}`] = keys[0]!;
  parts.unshift(`attribute_exists(#u${i})`);
  return { expression: parts.join(' AND '), names, values };
}

/**
 * Sends `items` as one transaction. Returns false when the FIRST item's condition failed (the target
 * changed since it was read: read again and retry); rethrows anything else, including a failed condition
 * of another item (e.g. an audit record that already exists), unless `anyCondition` (every item is
 * conditioned on what was read: any failed condition means "changed").
 */
export async function writeUnlessChanged(
  doc: Pick<DynamoDBDocumentClient, 'send'>,
  items: TransactItem[],
  anyCondition = false,
): Promise<boolean> {
  try {
    await transactWrite(doc, { TransactItems: items });
    return true;
  } catch (e) {
    const reasons = cancellationReasons(e);
    if (
      reasons &&
      cancelledByConditionsOnly(reasons) &&
      (anyCondition ||
        (reasons[0]?.Code === 'ConditionalCheckFailed' && reasons.slice(1).every((r) => r.Code !== 'ConditionalCheckFailed')))
    ) {
      return false;
    }
    throw e;
  }
}

/** Marks a round whose write found the target changed: {@link untilUnchanged} starts another round. */
export const CHANGED = Symbol('changed');

/**
 * Runs `round` (read, check, conditional write) until it returns something other than {@link CHANGED};
 * after `attempts` changed rounds throws DomainError CONCURRENT_UPDATE (409) naming `what`.
 */
export async function untilUnchanged<T>(
  what: string,
  round: () => Promise<T | typeof CHANGED>,
  attempts = OPTIMISTIC_ATTEMPTS,
): Promise<T> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const result = await round();
    if (result !== CHANGED) return result;
    if (attempt < attempts) await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
  }
  throw new DomainError('CONCURRENT_UPDATE', `${what} kept changing; retry`);
}

/** `{ExpressionAttributeValues}` only when there are any (DynamoDB refuses an empty map). */
export const valuesOf = (v: Record<string, unknown>) => (Object.keys(v).length ? { ExpressionAttributeValues: v } : {});

/**
 * One round of an audited replace: Put `after` into `table` conditioned on the item being exactly `seen`
 * ({@link unchangedCondition} over `keys` and `optional`; `seen` undefined = still absent), with `audit`'s record
 * of seen → after in the same transaction. Returns `after`, or {@link CHANGED} when another writer got in between.
 */
export async function putUnlessChanged<T extends object>(
  doc: Pick<DynamoDBDocumentClient, 'send'>,
  table: string,
  seen: T | undefined,
  after: T,
  keys: readonly string[],
  audit?: AuditOf<T>,
  optional: readonly string[] = [],
): Promise<T | typeof CHANGED> {
  const unchanged = unchangedCondition(seen, keys, optional);
  const items: TransactItem[] = [
    {
      // Condition: the item is still exactly what was read (or still absent), so the audit's `before` is exact.
      Put: {
        TableName: table,
        Item: after,
        ConditionExpression: unchanged.expression,
        ExpressionAttributeNames: unchanged.names,
        ...valuesOf(unchanged.values),
      },
    },
  ];
  if (audit) items.push(auditPut(audit(seen, after)));
  return (await writeUnlessChanged(doc, items)) ? after : CHANGED;
}
