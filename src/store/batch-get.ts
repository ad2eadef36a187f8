/**
 * BatchGetItem of up to 100 keys of one table, repeated for its UnprocessedKeys (DynamoDB may return some under
 * load) with exponential backoff: waits 50, 100, 200 ... ms, at most 1 s, until every key was answered.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The items found for `keys` in `table` (absent keys are simply missing), strongly consistent when `consistent`. */
export async function batchGetAll<T = Record<string, unknown>>(
  doc: Pick<DynamoDBDocumentClient, 'send'>,
  table: string,
  keys: Record<string, unknown>[],
  consistent = false,
): Promise<T[]> {
  const found: T[] = [];
  let pending = keys;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
    const out = await doc.send(
      new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ...(consistent ? { ConsistentRead: true } : {}) } } }),
    );
    found.push(...((out.Responses?.[table] ?? []) as T[]));
    pending = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
  }
  return found;
}
