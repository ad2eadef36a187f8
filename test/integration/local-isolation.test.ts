/**
 * The local runtime runs each function like a Lambda execution environment (local/lambda-runtime.ts,
 * `isolation: 'worker'`): its own isolate with its own module state and its own environment, built from its
 * spec by the builder the CDK stack uses (lib/function-environment.ts), reused while warm and scaled with
 * concurrency up to a per-function limit; and, in both isolation modes, a call its deployed role would not
 * allow fails locally with AccessDeniedException (local/access-guard.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionEnvironment } from '../../lib/function-environment.ts';
import { tables } from '../../lib/wiring.ts';
import { createLambdaRuntime, type LocalFunctionSpec } from '../../local/lambda-runtime.ts';
import { startLocalSystem, type LocalSystem } from '../../local/system.ts';

const entry = 'test/fixtures/local-runtime/isolation.ts';
const functions = {
  alpha: { entry, tables: { stores: 'read' } },
  beta: { entry, tables: { orders: 'readWrite' }, publishesEvents: true, memoryMb: 256 },
  gamma: { entry, tables: { stores: 'readWrite' } },
  delta: { entry, tables: {} },
  broken: { entry: 'test/fixtures/local-runtime/init-fails.ts', tables: {} },
} satisfies Record<string, LocalFunctionSpec>;

let system: LocalSystem;
const STORES = () => process.env[tables.stores.envVar]!;
const ORDERS = () => process.env[tables.orders.envVar]!;
const state = (id: string, event: Record<string, unknown> = {}) => system.runtime.invoke(id, { op: 'state', ...event }) as Promise<any>;
const rejection = async (p: Promise<unknown>): Promise<any> =>
  p.then(
    () => expect.unreachable('expected a rejection'),
    (e) => e,
  );

beforeAll(async () => {
  system = await startLocalSystem({
    port: 0,
    quiet: true,
    isolation: 'worker',
    maxIsolatesPerFunction: 2,
    wiring: { functions, routes: [], stateMachines: {}, rules: {} },
  });
}, 60_000);

afterAll(async () => {
  await system?.stop();
});

describe('isolates (worker mode)', () => {
  it('gives each function its own environment, the one lib/function-environment.ts builds from its spec', async () => {
    expect(system.runtime.isolation).toBe('worker');
    const [alpha, beta] = await Promise.all([state('alpha'), state('beta')]);
    const tableNames = { stores: STORES(), orders: ORDERS() };
    const resourceVars = (env: Record<string, string>) =>
      Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('TABLE_') || k === 'EVENT_BUS_NAME'));
    expect(alpha.env).toEqual(resourceVars(functionEnvironment('alpha', functions.alpha, { tableNames, busName: 'wandian-local' })));
    expect(beta.env).toEqual(resourceVars(functionEnvironment('beta', functions.beta, { tableNames, busName: 'wandian-local' })));
    expect(alpha.env).toEqual({ TABLE_STORES: STORES() }); // no TABLE_ORDERS, no bus
    expect(beta.env).toEqual({ TABLE_ORDERS: ORDERS(), EVENT_BUS_NAME: 'wandian-local' });
    expect([alpha.memory, beta.memory]).toEqual(['512', '256']); // the deployed default, and the spec's
    // This process (the tests' own code) still sees every table.
    expect(process.env.TABLE_ORDERS).toBe(ORDERS());
    expect(process.env.TABLE_STORES).toBe(STORES());
  });

  it("keeps two functions' module state, environment and globals apart under concurrent invocations", async () => {
    const rounds = await Promise.all(
      Array.from({ length: 6 }, (_, i) => [
        state('alpha', { set: `a${i}`, delayMs: 20 }),
        state('beta', { set: `b${i}`, delayMs: 20 }),
      ]).flat(),
    );
    for (const r of rounds) {
      const own = r.fn === 'wandian-local-alpha' ? 'a' : 'b';
      expect(r.remembered.startsWith(own), JSON.stringify(r)).toBe(true);
      expect(r.envRemembered.startsWith(own)).toBe(true);
      expect(r.globalRemembered.startsWith(own)).toBe(true);
    }
    const alphaThreads = new Set(rounds.filter((r) => r.fn === 'wandian-local-alpha').map((r) => r.threadId));
    const betaThreads = new Set(rounds.filter((r) => r.fn === 'wandian-local-beta').map((r) => r.threadId));
    expect([...alphaThreads].some((t) => betaThreads.has(t))).toBe(false);
    expect(alphaThreads.has(0)).toBe(false); // never the main thread
    // Nothing leaked into this process.
    expect(process.env.FIXTURE_REMEMBERED).toBeUndefined();
    expect((globalThis as { fixtureRemembered?: string }).fixtureRemembered).toBeUndefined();
  });

  it('reuses a warm isolate: module state survives across invocations of one function', async () => {
    const first = await state('gamma', { set: 'kept' });
    const second = await state('gamma');
    const third = await state('gamma');
    expect([first.invocations, second.invocations, third.invocations]).toEqual([1, 2, 3]);
    expect(new Set([first.threadId, second.threadId, third.threadId]).size).toBe(1);
    expect(third.loadedAt).toBe(first.loadedAt); // imported once
    expect(third.remembered).toBe('kept');
  });

  it('scales with concurrency up to the per-function limit, then queues', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => state('delta', { delayMs: 150 })));
    expect(new Set(results.map((r) => r.threadId)).size).toBe(2); // maxIsolatesPerFunction
    expect(system.runtime.isolates().delta).toEqual({ busy: 0, idle: 2 });
  });

  it('keeps error names across the isolate boundary, and replaces an isolate that timed out', async () => {
    const error = await rejection(system.runtime.invoke('gamma', { op: 'fail', name: 'PaymentProviderDown' }));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PaymentProviderDown');
    expect(error.message).toBe('failing as PaymentProviderDown');
    expect(error.detail).toEqual({ code: 42 });

    const before = await state('gamma');
    const timedOut = await rejection(system.runtime.invoke('gamma', { op: 'sleep', ms: 5_000 }, { timeoutSeconds: 0.3 }));
    expect(timedOut.name).toBe('Sandbox.Timedout');
    const after = await state('gamma');
    expect(after.invocations).toBe(1); // a fresh isolate: module state starts over
    expect(after.threadId).not.toBe(before.threadId);
  });

  it('fails an invocation whose isolate cannot initialize with the init error, and tries a fresh isolate next time', async () => {
    for (let i = 0; i < 2; i++) {
      const error = await rejection(system.runtime.invoke('broken', {}));
      expect(error.name).toBe('FixtureInitError');
    }
    expect(system.runtime.stats().broken).toEqual({ invocations: 2, errors: 2 });
  });
});

describe('IAM-like access checks', () => {
  it('refuses a table the spec does not declare with AccessDeniedException (worker mode)', async () => {
    const denied = await rejection(system.runtime.invoke('alpha', { op: 'get', table: ORDERS(), key: { orderId: 'o-1' } }));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain('dynamodb:GetItem');
    expect(denied.message).toContain(`table/${ORDERS()}`);
    // Its declared table works; beta may use the table alpha may not.
    expect(await system.runtime.invoke('alpha', { op: 'get', table: STORES(), key: { storeId: 's-1' } })).toEqual({ found: false });
    expect(await system.runtime.invoke('beta', { op: 'put', table: ORDERS(), item: { orderId: 'iso-1' } })).toEqual({ put: true });
    expect(await system.runtime.invoke('beta', { op: 'get', table: ORDERS(), key: { orderId: 'iso-1' } })).toEqual({ found: true });
  });

  it('refuses a write to a table declared read-only, also through the document client', async () => {
    const denied = await rejection(system.runtime.invoke('alpha', { op: 'put', table: STORES(), item: { storeId: 's-x' } }));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain('dynamodb:PutItem');
    expect(await system.runtime.invoke('gamma', { op: 'put', table: STORES(), item: { storeId: 's-x' } })).toEqual({ put: true });
  });

  it('refuses the same calls when handlers run in this process (isolation: process)', async () => {
    const runtime = createLambdaRuntime({ functions, isolation: 'process' });
    runtime.configure({ tableNames: { stores: STORES(), orders: ORDERS() } });
    const denied = await rejection(runtime.invoke('alpha', { op: 'get', table: ORDERS(), key: { orderId: 'o-1' } }));
    expect(denied.name).toBe('AccessDeniedException');
    expect(await runtime.invoke('beta', { op: 'get', table: ORDERS(), key: { orderId: 'iso-1' } })).toEqual({ found: true });
    await runtime.close();
  });
});
