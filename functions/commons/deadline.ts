/**
 * A request's time budget inside its Lambda timeout (context.getRemainingTimeInMillis()), for handlers that
 * write: shed before the write when too little time is left (503 SERVICE_OVERLOADED, nothing written), bound
 * the write so an answer is always sent before the timeout (503 ORDER_IN_DOUBT when the write did not answer
 * in time: it may have committed; a retry with the same Idempotency-Key settles it), and keep work after the
 * commit from turning a success into a failure. README "Overload and retries".
 */
import type { Context } from 'aws-lambda';
import { DomainError } from '../../src/domain/errors.ts';
import { logger } from './powertools.ts';

/**
 * Milliseconds kept back after the write for completing the request: the idempotency record's COMPLETED
 * update (one DynamoDB call, normally a few ms) and the answer. Work after the commit gets what is left
 * above this reserve.
 */
export const COMPLETION_RESERVE_MS = 2_500;
/** The least time the write itself is given (a TransactWriteItems takes tens of ms; DynamoDB Local under load, up to ~1 s). */
export const MIN_WRITE_MS = 1_500;
/** Retry-After, in seconds, of a shed or in-doubt answer. */
export const SHED_RETRY_AFTER_SECONDS = 1;

/** 503 SERVICE_OVERLOADED: nothing was written; retry with the same Idempotency-Key after Retry-After. */
export const overloaded = (detail: string): DomainError =>
  new DomainError(
    'SERVICE_OVERLOADED',
    detail,
    { retryAfterSeconds: SHED_RETRY_AFTER_SECONDS },
    {
      'retry-after': String(SHED_RETRY_AFTER_SECONDS),
    },
  );

/** 503 ORDER_IN_DOUBT: the write did not answer in time and may have committed; the same key's retry answers which. */
export const inDoubt = (detail: string): DomainError =>
  new DomainError(
    'ORDER_IN_DOUBT',
    detail,
    { retryAfterSeconds: SHED_RETRY_AFTER_SECONDS },
    {
      'retry-after': String(SHED_RETRY_AFTER_SECONDS),
    },
  );

/**
 * How long the write may take (ms): what remains of the invocation minus COMPLETION_RESERVE_MS. Throws 503
 * SERVICE_OVERLOADED when that is under MIN_WRITE_MS: the request waited too long already (a slow database,
 * a saturated container), and writing now could outlive the timeout after committing.
 */
export function writeAllowanceMs(context: Pick<Context, 'getRemainingTimeInMillis'>): number {
  const allowance = context.getRemainingTimeInMillis() - COMPLETION_RESERVE_MS;
  if (allowance < MIN_WRITE_MS) {
    logger.warn('Shedding before the write: too little time left', { remainingMs: context.getRemainingTimeInMillis() });
    throw overloaded('The service is too busy to take this request now; nothing was done. Retry with the same Idempotency-Key.');
  }
  return allowance;
}

/**
 * `write` settled within `ms`, else rejects with 503 ORDER_IN_DOUBT (the write goes on in the background; it
 * is idempotent by its ClientRequestToken and by the order id derived from the Idempotency-Key). The write's
 * own rejection is passed on, except an SDK timeout or abort (it may have committed), which becomes ORDER_IN_DOUBT.
 */
export async function within<T>(write: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(inDoubt('The order write did not answer in time.')), ms);
  });
  try {
    return await Promise.race([write, late]);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError' || name === 'RequestTimeout') {
      throw inDoubt('The order write timed out and may or may not have committed.');
    }
    throw error;
  } finally {
    clearTimeout(timer);
    write.catch(() => {}); // a write that lost the race must not surface as an unhandled rejection
  }
}

/**
 * Runs `work` that follows a commit (starting the saga, publishing events...) within what remains above
 * COMPLETION_RESERVE_MS; a failure or overrun is logged, never thrown: the commit stands and the reconciler
 * (or the outbox) recovers what did not happen. Returns whether the work completed.
 */
export async function afterCommit(context: Pick<Context, 'getRemainingTimeInMillis'>, work: () => Promise<unknown>): Promise<boolean> {
  const ms = context.getRemainingTimeInMillis() - COMPLETION_RESERVE_MS;
  try {
    if (ms <= 0) throw new Error('no time left after the commit');
    let timer: NodeJS.Timeout | undefined;
    const pending = Promise.resolve().then(work);
    pending.catch(() => {});
    await Promise.race([
      pending,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`work after the commit took over ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
    return true;
  } catch (error) {
    logger.error('Work after the commit failed; answering the committed result (the reconciler recovers the rest)', {
      error: error as Error,
    });
    return false;
  }
}
