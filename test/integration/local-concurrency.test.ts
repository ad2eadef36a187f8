/**
 * The local Lambda runtime's concurrency limits and timeouts, as Lambda has them: a function's reserved
 * concurrency (and the account's unreserved pool) throttles an invocation beyond it before any handler code runs
 * (TooManyRequestsException), the local HTTP API answers that 503 SERVICE_OVERLOADED problem+json with
 * Retry-After, and a function's timeout is its deployed one (lib/function-environment.ts functionTimeoutSeconds).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { functionTimeoutSeconds } from '../../lib/function-environment.ts';
import { functions as wiredFunctions } from '../../lib/wiring.ts';
import { startHttpApi, type HttpApi } from '../../local/http-api.ts';
import { createLambdaRuntime, LambdaThrottledError, LambdaTimeoutError, reservedConcurrencyFromEnv } from '../../local/lambda-runtime.ts';

const entry = 'test/fixtures/local-runtime/sleeper.ts';
const counter = globalThis as { sleeperCalls?: number };
const calls = () => counter.sleeperCalls ?? 0;
const settle = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, error }),
  );

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});
afterAll(() => {
  delete counter.sleeperCalls;
});

describe('reserved concurrency', () => {
  it('runs at most reservedConcurrency invocations at once and throttles the rest before the handler runs', async () => {
    const runtime = createLambdaRuntime({ functions: { limited: { entry, reservedConcurrency: 2 } }, isolation: 'process' });
    await runtime.invoke('limited', { ms: 0 }); // loaded (the module import is not part of the race below)
    const before = calls();
    const results = await Promise.all(Array.from({ length: 5 }, () => settle(runtime.invoke('limited', { ms: 300 }))));
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    const throttled = results.filter((r) => !r.ok).map((r) => (r as { error: Error }).error);
    expect(throttled).toHaveLength(3);
    for (const e of throttled) {
      expect(e).toBeInstanceOf(LambdaThrottledError);
      expect(e).toMatchObject({ name: 'TooManyRequestsException', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    }
    expect(calls() - before).toBe(2); // the throttled ones never reached the handler
    expect(runtime.stats().limited).toMatchObject({ invocations: 3, errors: 0, throttles: 3 });
    // The slots are given back: the next calls run.
    expect(await runtime.invoke('limited', { ms: 0 })).toMatchObject({ remainingMs: expect.any(Number) });
  });

  it('shares the account pool minus every reservation among the functions without one', async () => {
    const runtime = createLambdaRuntime({
      functions: { reserved: { entry, reservedConcurrency: 3 }, a: { entry }, b: { entry } },
      accountConcurrency: 5,
      isolation: 'process',
    });
    expect(runtime.concurrencyLimitOf('reserved')).toBe(3);
    expect(runtime.concurrencyLimitOf('a')).toBe(2);
    await Promise.all([runtime.invoke('a', {}), runtime.invoke('b', {})]);
    const results = await Promise.all(['a', 'b', 'a'].map((id) => settle(runtime.invoke(id, { ms: 200 }))));
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect((results[2] as { error: Error }).error).toMatchObject({ Reason: 'ConcurrentInvocationLimitExceeded' });
  });

  it('takes reserved concurrency overrides from the options, then WANDIAN_LOCAL_RESERVED_CONCURRENCY', () => {
    expect(reservedConcurrencyFromEnv('createOrder=4, paymentWebhook = 2,bad=x,=3')).toEqual({ createOrder: 4, paymentWebhook: 2 });
    const runtime = createLambdaRuntime({ reservedConcurrency: { createOrder: 6 } });
    expect(runtime.concurrencyLimitOf('createOrder')).toBe(6);
    expect(createLambdaRuntime().concurrencyLimitOf('createOrder')).toBe(wiredFunctions.createOrder.reservedConcurrency);
  });

  it('answers a throttled request 503 SERVICE_OVERLOADED problem+json with Retry-After, without running the handler', async () => {
    const runtime = createLambdaRuntime({ functions: { limited: { entry, reservedConcurrency: 1 } }, isolation: 'process' });
    api = await startHttpApi({ runtime, port: 0, routes: [{ method: 'POST', path: '/work', function: 'limited' }] });
    const post = (ms: number) =>
      fetch(`${api!.url}/work`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms }) });
    await (await post(0)).text();
    const before = calls();
    const [slow, shed] = await Promise.all([post(300), new Promise((r) => setTimeout(r, 50)).then(() => post(0))]);
    expect(slow.status).toBe(200);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(shed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await shed.json()).toMatchObject({ status: 503, code: 'SERVICE_OVERLOADED' });
    expect(calls() - before).toBe(1);
  });
});

describe('timeouts', () => {
  it('runs every wired function with its deployed timeout, and API functions well inside the HTTP API integration timeout', () => {
    const runtime = createLambdaRuntime();
    for (const [id, spec] of Object.entries(wiredFunctions)) {
      expect(runtime.timeoutSecondsOf(id), id).toBe(functionTimeoutSeconds(spec));
    }
  });

  it("times a handler out at its spec's timeout, counted from when the handler starts", async () => {
    const runtime = createLambdaRuntime({ functions: { quick: { entry, timeoutSeconds: 1 } }, isolation: 'process' });
    const first = (await runtime.invoke('quick', { ms: 0 })) as { remainingAtStartMs: number };
    // The module import (init phase) did not eat into the first invocation's budget.
    expect(first.remainingAtStartMs).toBeGreaterThan(900);
    expect(first.remainingAtStartMs).toBeLessThanOrEqual(1000);
    await expect(runtime.invoke('quick', { ms: 1_500 })).rejects.toBeInstanceOf(LambdaTimeoutError);
  });

  it('does not count the wait for a free isolate (worker mode) against the timeout', async () => {
    const runtime = createLambdaRuntime({
      functions: { queued: { entry, timeoutSeconds: 2 } },
      isolation: 'worker',
      maxIsolatesPerFunction: 1,
    });
    try {
      // One isolate: the second call waits ~1.2 s for it, then runs 1.2 s of its own 2 s.
      const results = (await Promise.all([runtime.invoke('queued', { ms: 1_200 }), runtime.invoke('queued', { ms: 1_200 })])) as {
        remainingAtStartMs: number;
      }[];
      for (const r of results) expect(r.remainingAtStartMs).toBeGreaterThan(1_500);
    } finally {
      await runtime.close();
    }
  }, 30_000);
});
