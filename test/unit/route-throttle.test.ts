/**
 * The local route throttle (local/route-throttle.ts): a token bucket per route from the wiring's
 * `throttle` (rateLimit/s refill, burstLimit capacity), on an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { RouteThrottle, TokenBucket } from '../../local/route-throttle.ts';
import { routeByKey } from '../../lib/wiring.ts';

describe('TokenBucket', () => {
  it('grants a full burst, then refuses with the seconds until the next token', () => {
    let now = 1_000_000;
    const bucket = new TokenBucket({ rateLimit: 2, burstLimit: 3 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect(bucket.take()).toBe(1); // half a second to the next token at 2/s, rounded up to whole seconds
    now += 500;
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(1);
  });

  it('refills at rateLimit per second but never beyond burstLimit', () => {
    let now = 0;
    const bucket = new TokenBucket({ rateLimit: 1, burstLimit: 2 }, () => now);
    bucket.take();
    bucket.take();
    now += 60_000; // a minute idle: still only 2 tokens
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 1]);
  });

  it('answers a Retry-After of several seconds for a slow route', () => {
    const bucket = new TokenBucket({ rateLimit: 0.2, burstLimit: 1 }, () => 0);
    bucket.take();
    expect(bucket.take()).toBe(5);
  });
});

describe('RouteThrottle', () => {
  it('keeps one bucket per route and leaves routes without a throttle alone', () => {
    const throttle = new RouteThrottle(() => 0);
    const tight = { method: 'POST', path: '/a', throttle: { rateLimit: 1, burstLimit: 1 } } as const;
    const other = { method: 'POST', path: '/b', throttle: { rateLimit: 1, burstLimit: 1 } } as const;
    const fixture = { method: 'POST', path: '/c' } as const;
    expect([throttle.take(tight), throttle.take(tight)]).toEqual([0, 1]);
    expect(throttle.take(other)).toBe(0);
    expect(Array.from({ length: 1_000 }, () => throttle.take(fixture)).every((s) => s === 0)).toBe(true);
  });

  it("uses the wiring's throttle of a route (create order: burst 4,000)", () => {
    const route = routeByKey('POST /v1/orders')!;
    const throttle = new RouteThrottle(() => 0);
    const answers = Array.from({ length: route.throttle.burstLimit + 1 }, () => throttle.take(route));
    expect(answers.filter((s) => s === 0)).toHaveLength(route.throttle.burstLimit);
    expect(answers.at(-1)).toBe(1);
  });
});
