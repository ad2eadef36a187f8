/**
 * API Gateway route throttling for the local HTTP API: one token bucket per route, sized by the route's
 * `throttle` in lib/wiring.ts (`rateLimit` tokens/s refill, `burstLimit` capacity), as API Gateway
 * throttles per route (per region; one local process = one region). Routes without `throttle` (test
 * fixtures) are not throttled. A refused request is answered 429 RATE_LIMITED problem+json with
 * Retry-After before the handler runs, as the gateway does. No maintained limiter library is in
 * node_modules (p-limit bounds concurrency, not rate), hence these few lines.
 */
import type { ServerResponse } from 'node:http';
import type { RouteSpec, Throttle } from '../lib/wiring.ts';

/** A token bucket; `now` in epoch milliseconds (injected for tests). Starts full. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly throttle: Throttle,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = throttle.burstLimit;
    this.last = now();
  }

  /** Takes one token. Returns 0 when granted, else whole seconds (>= 1) until a token will be there. */
  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.throttle.burstLimit, this.tokens + (Math.max(0, t - this.last) / 1000) * this.throttle.rateLimit);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.throttle.rateLimit));
  }
}

/** The buckets of every throttled route, created on a route's first request. */
export class RouteThrottle {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one request to `route`: 0 = pass, else the Retry-After in seconds. Unthrottled routes always pass. */
  take(route: Pick<RouteSpec, 'method' | 'path'> & { throttle?: Throttle }): number {
    if (!route.throttle) return 0;
    const key = `${route.method} ${route.path}`;
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new TokenBucket(route.throttle, this.now)));
    return bucket.take();
  }
}

/** Writes the 429 RATE_LIMITED problem+json answer with `Retry-After: retryAfterSeconds`. */
export function writeThrottled(res: ServerResponse, retryAfterSeconds: number): void {
  const body = JSON.stringify({
    type: 'https://wandian.dev/problems/rate-limited',
    title: 'Too many requests',
    status: 429,
    code: 'RATE_LIMITED',
    detail: `This route is throttled; retry after ${retryAfterSeconds} s`,
    retryAfterSeconds,
  });
  res.writeHead(429, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'retry-after': String(retryAfterSeconds),
  });
  res.end(body);
}
