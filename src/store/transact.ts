/**
 * TransactWriteItems with retries for the transient cancellations DynamoDB documents: a
 * `TransactionConflict` (another transaction or write touched an item at the same moment, common on a
 * hot item such as a flash-sale SKU) or a throttled item. Conditions that failed are final and are never
 * retried. DynamoDB Local serializes transactions, so these paths are covered by unit tests with
 * injected errors (test/unit/transact.test.ts).
 */
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { cancellationReasons } from './dynamo-errors.ts';

const TRANSIENT = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/** Attempts and base delay (ms) of the full-jitter backoff: waits up to 25, 50, 100 ms between 4 attempts. */
export const TRANSACT_RETRY = { attempts: 4, baseDelayMs: 25 };

/** True when a cancellation was caused only by transient reasons (no failed condition). */
export function isTransientCancellation(error: unknown): boolean {
  const reasons = cancellationReasons(error);
  return !!reasons && reasons.some((r) => TRANSIENT.has(r.Code ?? '')) && !reasons.some((r) => r.Code === 'ConditionalCheckFailed');
}

/**
 * Sends the transaction, retrying transient cancellations with full-jitter backoff; rethrows anything
 * else (including the last transient error). Same input on every attempt, so a ClientRequestToken stays valid.
 */
export async function transactWrite(
  doc: Pick<DynamoDBDocumentClient, 'send'>,
  input: TransactWriteCommandInput,
  retry = TRANSACT_RETRY,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await doc.send(new TransactWriteCommand(input));
      return;
    } catch (error) {
      if (attempt >= retry.attempts || !isTransientCancellation(error)) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * retry.baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}
