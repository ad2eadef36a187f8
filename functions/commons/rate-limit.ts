/**
 * Per-principal limits as a middy middleware (contract v1.1, PRODUCT.md "Identity and access"): a route
 * with a `principalLimit` in lib/wiring.ts counts each call of the token's `sub` in the rateLimits table and
 * refuses calls over the limit with 429 RATE_LIMITED + `Retry-After` (seconds). Registered before the
 * idempotency middlewares, so a refused request writes nothing else (no idempotency record, no order).
 */
import type { MiddlewareObj } from '@middy/core';
import { routeByKey, type PrincipalLimitId } from '../../lib/wiring.ts';
import { principalLimitPerMinute } from '../../src/config.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { RateLimitStore, type RateLimitCounter } from '../../src/store/rate-limit-store.ts';
import { doc } from './clients.ts';
import type { HttpEvent, HttpResponse } from './http.ts';

/** Seams for tests; each defaults to the real thing. */
export interface PrincipalRateLimitOptions {
  /** Where calls are counted (default: the rateLimits table). */
  counter?: RateLimitCounter;
  /** Requests per minute allowed under a limit (default: src/config.ts principalLimitPerMinute, 20). */
  limitPerMinute?: (id: PrincipalLimitId) => number;
  /** Current time, epoch milliseconds (default Date.now). */
  now?: () => number;
}

/**
 * The token's `sub` as the HTTP JWT authorizer puts it in a payload-2.0 event
 * (`requestContext.authorizer.jwt.claims.sub`), or undefined when there is none (no authorizer in front).
 */
export function principalOf(event: HttpEvent): string | undefined {
  const context = event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } } | undefined;
  const sub = context?.authorizer?.jwt?.claims?.sub;
  return typeof sub === 'string' && sub !== '' ? sub : undefined;
}

let defaultCounter: RateLimitCounter | undefined;

/**
 * Middleware: looks the route up by `event.routeKey` (routeByKey); if it names a `principalLimit` and the
 * event carries a `sub`, counts the call (one conditional write) and throws DomainError RATE_LIMITED (429,
 * header `retry-after` = whole seconds until the minute window ends, >= 1; extra `retryAfterSeconds`,
 * `limitPerMinute`) when the principal is over the limit. Routes without a limit, and events without a
 * `sub`, pass uncounted: authentication is enforced elsewhere (the JWT authorizer / the auth step).
 */
export function principalRateLimit(options: PrincipalRateLimitOptions = {}): MiddlewareObj<HttpEvent, HttpResponse> {
  const limitPerMinute = options.limitPerMinute ?? principalLimitPerMinute;
  const now = options.now ?? (() => Date.now());
  return {
    before: async (request) => {
      const limitId = routeByKey(request.event.routeKey)?.principalLimit;
      const principal = principalOf(request.event);
      if (!limitId || !principal) return;
      const counter = options.counter ?? (defaultCounter ??= new RateLimitStore(doc));
      const limit = limitPerMinute(limitId);
      const decision = await counter.hit(limitId, principal, limit, now());
      if (decision.allowed) return;
      throw new DomainError(
        'RATE_LIMITED',
        `At most ${limit} requests a minute for this operation; retry after ${decision.retryAfterSeconds} s`,
        { retryAfterSeconds: decision.retryAfterSeconds, limitPerMinute: limit },
        { 'retry-after': String(decision.retryAfterSeconds) },
      );
    },
  };
}
