/**
 * Per-principal limits: the window arithmetic (src/domain/rate-limit.ts) and the middleware's decision
 * (functions/commons/rate-limit.ts) with a fake counter: which routes count, who is counted, and the 429
 * RATE_LIMITED + Retry-After answer (PRODUCT.md "Identity and access").
 */
import { describe, expect, it } from 'vitest';
import { rateCounterKey, rateWindow, type RateDecision } from '../../src/domain/rate-limit.ts';
import { principalOf, principalRateLimit } from '../../functions/commons/rate-limit.ts';
import { problem, type HttpEvent } from '../../functions/commons/http.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { RateLimitCounter } from '../../src/store/rate-limit-store.ts';

const MINUTE = 29_000_000; // an epoch minute (2025)
const at = (secondsIntoMinute: number) => (MINUTE * 60 + secondsIntoMinute) * 1000;

describe('rateWindow', () => {
  it('is the epoch minute, ending at the next minute, kept 60 s longer', () => {
    expect(rateWindow(at(0))).toEqual({
      minute: MINUTE,
      endsAtSeconds: (MINUTE + 1) * 60,
      retryAfterSeconds: 60,
      expiresAt: (MINUTE + 1) * 60 + 60,
    });
    expect(rateWindow(at(59.999)).minute).toBe(MINUTE);
    expect(rateWindow(at(60)).minute).toBe(MINUTE + 1);
  });
  it('answers Retry-After in whole seconds until the window ends, at least 1', () => {
    expect(rateWindow(at(0.5)).retryAfterSeconds).toBe(60);
    expect(rateWindow(at(45)).retryAfterSeconds).toBe(15);
    expect(rateWindow(at(59.2)).retryAfterSeconds).toBe(1);
    expect(rateWindow(at(59.999)).retryAfterSeconds).toBe(1);
  });
  it('keys counters by limit, principal and minute', () => {
    expect(rateCounterKey('topups', 'sub-1', MINUTE)).toBe(`topups#sub-1#${MINUTE}`);
  });
});

/** A counter that allows `limit` hits per key and records what it was asked. */
function fakeCounter() {
  const hits = new Map<string, number>();
  const calls: [string, string, number][] = [];
  const counter: RateLimitCounter = {
    async hit(limitId, principal, limit, nowMs): Promise<RateDecision> {
      calls.push([limitId, principal, limit]);
      const w = rateWindow(nowMs);
      const key = rateCounterKey(limitId, principal, w.minute);
      const n = hits.get(key) ?? 0;
      if (n >= limit) return { allowed: false, retryAfterSeconds: w.retryAfterSeconds };
      hits.set(key, n + 1);
      return { allowed: true, retryAfterSeconds: 0 };
    },
  };
  return { counter, calls };
}

const event = (routeKey: string, sub?: string): HttpEvent =>
  ({
    routeKey,
    headers: {},
    requestContext: { routeKey, ...(sub ? { authorizer: { jwt: { claims: { sub } } } } : {}) },
  }) as unknown as HttpEvent;

async function run(mw: ReturnType<typeof principalRateLimit>, e: HttpEvent): Promise<DomainError | undefined> {
  try {
    await mw.before!({ event: e } as never);
    return undefined;
  } catch (error) {
    return error as DomainError;
  }
}

describe('principalRateLimit', () => {
  it('lets `limit` calls a minute through, then answers 429 RATE_LIMITED with Retry-After', async () => {
    const { counter, calls } = fakeCounter();
    let now = at(45);
    const mw = principalRateLimit({ counter, limitPerMinute: () => 3, now: () => now });
    const e = event('POST /v1/customers/{customerId}/wallet/topups', 'cust-1');
    for (let i = 0; i < 3; i++) expect(await run(mw, e)).toBeUndefined();
    const refused = await run(mw, e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      headers: { 'retry-after': '15' },
      extra: { retryAfterSeconds: 15, limitPerMinute: 3 },
    });
    const response = problem(refused!);
    expect(response.statusCode).toBe(429);
    expect(response.headers).toMatchObject({ 'content-type': 'application/problem+json', 'retry-after': '15' });
    expect(JSON.parse(response.body)).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterSeconds: 15 });
    expect(calls[0]).toEqual(['topups', 'cust-1', 3]);
    now = at(60); // the next window
    expect(await run(mw, e)).toBeUndefined();
  });

  it('counts each principal and each limit separately', async () => {
    const { counter } = fakeCounter();
    const mw = principalRateLimit({ counter, limitPerMinute: () => 1, now: () => at(1) });
    expect(await run(mw, event('POST /v1/orders', 'a'))).toBeUndefined();
    expect(await run(mw, event('POST /v1/orders', 'b'))).toBeUndefined();
    expect(await run(mw, event('POST /v1/customers/{customerId}/wallet/topups', 'a'))).toBeUndefined();
    expect((await run(mw, event('POST /v1/orders', 'a')))?.code).toBe('RATE_LIMITED');
  });

  it('takes the limit named by the route (orderCreations for POST /v1/orders)', async () => {
    const { counter, calls } = fakeCounter();
    const mw = principalRateLimit({ counter, limitPerMinute: (id) => (id === 'orderCreations' ? 7 : 9), now: () => at(1) });
    await run(mw, event('POST /v1/orders', 'a'));
    expect(calls).toEqual([['orderCreations', 'a', 7]]);
  });

  it('does not count routes without a principal limit, nor events without a sub', async () => {
    const { counter, calls } = fakeCounter();
    const mw = principalRateLimit({ counter, limitPerMinute: () => 0, now: () => at(1) });
    expect(await run(mw, event('GET /v1/orders/{orderId}', 'a'))).toBeUndefined();
    expect(await run(mw, event('POST /v1/orders'))).toBeUndefined();
    expect(await run(mw, event('GET /nowhere', 'a'))).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('reads the principal from the JWT authorizer claims only', () => {
    expect(principalOf(event('POST /v1/orders', 'sub-9'))).toBe('sub-9');
    expect(principalOf(event('POST /v1/orders'))).toBeUndefined();
    expect(principalOf({ requestContext: { authorizer: { jwt: { claims: { sub: 42 } } } } } as unknown as HttpEvent)).toBeUndefined();
  });
});
