/**
 * Per-principal rate limits (contract v1.1, PRODUCT.md "Identity and access": default 20 order creations
 * and 20 top-ups a minute per customer, answered 429 RATE_LIMITED with Retry-After in seconds). Fixed
 * one-minute windows aligned to the epoch minute: one counter item per (limit, principal, minute), so a
 * request costs one conditional write. Pure: no I/O, the time is passed in.
 */

/** Window length in seconds (the contract counts "a minute"). */
export const RATE_WINDOW_SECONDS = 60;
/** How long a counter item outlives its window before DynamoDB TTL may delete it, in seconds. */
export const RATE_COUNTER_GRACE_SECONDS = 60;

/** The fixed window containing an instant. */
export interface RateWindow {
  /** Epoch minute (floor(epoch ms / 60,000)): the window's id in counter keys. */
  minute: number;
  /** Window end, epoch seconds (exclusive). */
  endsAtSeconds: number;
  /** Whole seconds from `nowMs` until the window ends, at least 1: the Retry-After of a refused request. */
  retryAfterSeconds: number;
  /** Epoch seconds after which the counter may be deleted (DynamoDB TTL): window end + 60 s. */
  expiresAt: number;
}

/** The window containing `nowMs` (epoch milliseconds). */
export function rateWindow(nowMs: number): RateWindow {
  const minute = Math.floor(nowMs / (RATE_WINDOW_SECONDS * 1000));
  const endsAtSeconds = (minute + 1) * RATE_WINDOW_SECONDS;
  // ceil: a client waiting this long is in the next window; never 0, which would invite an immediate retry.
  const retryAfterSeconds = Math.max(1, Math.ceil((endsAtSeconds * 1000 - nowMs) / 1000));
  return { minute, endsAtSeconds, retryAfterSeconds, expiresAt: endsAtSeconds + RATE_COUNTER_GRACE_SECONDS };
}

/** Counter key `<limitId>#<principal>#<epoch minute>` (the rateLimits table's `pk`, lib/wiring.ts). */
export const rateCounterKey = (limitId: string, principal: string, minute: number): string => `${limitId}#${principal}#${minute}`;

/** Outcome of counting one request: allowed, or refused with the seconds until the window ends (>= 1). */
export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}
