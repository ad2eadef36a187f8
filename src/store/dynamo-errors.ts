/** Small predicates over DynamoDB errors, so adapters read as intent rather than error plumbing. */
import { ConditionalCheckFailedException, TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';

export const isConditionalCheckFailed = (e: unknown): e is ConditionalCheckFailedException =>
  e instanceof ConditionalCheckFailedException || (e as Error)?.name === 'ConditionalCheckFailedException';

/** CancellationReasons of a cancelled transaction (one per TransactItem, in order), or undefined. */
export function cancellationReasons(e: unknown): CancellationReason[] | undefined {
  if (e instanceof TransactionCanceledException || (e as Error)?.name === 'TransactionCanceledException') {
    return (e as TransactionCanceledException).CancellationReasons ?? [];
  }
  return undefined;
}

/** True when a transaction was cancelled only because some conditions failed (not throttling/conflicts). */
export function cancelledByConditionsOnly(reasons: CancellationReason[]): boolean {
  return (
    reasons.every((r) => r.Code === 'None' || r.Code === 'ConditionalCheckFailed') &&
    reasons.some((r) => r.Code === 'ConditionalCheckFailed')
  );
}
