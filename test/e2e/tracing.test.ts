/**
 * End-to-end tracing (issue 9): one order's correlation id, its orderId, follows it from the API through the
 * saga steps, the events and their consumers, and is on every log line of that order. The handlers' Powertools
 * logger writes JSON lines to stdout (worker threads' stdout flows to this process's), so the test reads them
 * there, at INFO (the local default, WARN, keeps runs quiet).
 *
 * Runs with worker isolation (WANDIAN_LOCAL_ISOLATION=worker: each function in its own isolate, one invocation
 * at a time, as in Lambda). In `process` isolation every handler shares one Powertools logger in one process,
 * so concurrent invocations overwrite each other's function_name and correlation_id: the test skips itself
 * where the runtime offers no worker isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSystem } from '../../local/system.ts';
import type { ApiClient } from '../../local/api-client.ts';
import { startTestSystem } from '../helpers/local-system.ts';

const SECRET = 'tracing-secret';
let system: LocalSystem;
let api: ApiClient;

/** Every JSON log line written to stdout while the system runs (split on newlines: chunks may hold several or part of one). */
const lines: Record<string, unknown>[] = [];
let pending = '';
const realWrite = process.stdout.write.bind(process.stdout);
const previousEnv = {
  POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL,
  WANDIAN_LOCAL_ISOLATION: process.env.WANDIAN_LOCAL_ISOLATION,
};

function capture(chunk: unknown): void {
  pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  const parts = pending.split('\n');
  pending = parts.pop() ?? '';
  for (const part of parts) {
    if (!part.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(part) as Record<string, unknown>);
    } catch {
      // Not a log line (some other JSON-looking output): ignored.
    }
  }
}

/** The wiring ids of the functions that logged a line with `correlationId`, from `function_name` (`…-<id>`). */
function functionsCorrelatedWith(correlationId: string): Set<string> {
  return new Set(
    lines
      .filter((l) => l.correlation_id === correlationId)
      .map(
        (l) =>
          String(l.function_name ?? '')
            .split('-')
            .at(-1)!,
      ),
  );
}

/** Polls `check` until it passes (log lines of worker threads arrive asynchronously) or `timeoutMs` ends. */
async function eventually(check: () => void, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.WANDIAN_LOCAL_ISOLATION = 'worker';
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    capture(chunk);
    return (realWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  ({ system, api } = await startTestSystem(SECRET));
  await api.put('/v1/stores/tr-store', { name: 'Trace store', region: 'west', timezone: 'Asia/Shanghai' });
  await api.put('/v1/catalog/tr-sku', { name: 'Dumplings', unitPrice: 1200, currency: 'CNY', category: 'food' });
  // Two of three units sold leaves one, at the threshold: the order's placement raises InventoryLow.
  await api.put('/v1/stores/tr-store/inventory/tr-sku', { available: 3, lowStockThreshold: 1 });
  await api.put('/v1/coupons/TRACE100', { type: 'AMOUNT_OFF', amountOff: 100, currency: 'CNY' });
});

afterAll(async () => {
  await system?.stop();
  process.stdout.write = realWrite as typeof process.stdout.write;
  for (const [name, value] of Object.entries(previousEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** True when the local runtime runs each function in its own isolate (see the header). */
const workerIsolation = (): boolean => (system.runtime as { isolation?: string }).isolation === 'worker';

describe('tracing', () => {
  it("follows one order's correlation id through the API, the saga steps, the events and their consumers", async (ctx) => {
    if (!workerIsolation()) ctx.skip();
    const created = await api.createOrder({
      storeId: 'tr-store',
      items: [{ sku: 'tr-sku', quantity: 2 }],
      couponCodes: ['TRACE100'],
      paymentMethod: 'WECHAT_PAY',
    });
    expect(created.status).toBe(201);
    const { orderId } = created.body;
    expect((await api.pay(created.body)).status).toBe(200);
    await api.waitForStatus(orderId, ['PAID']);
    await system.bus.idle();

    await eventually(() => {
      expect([...functionsCorrelatedWith(orderId)].sort()).toEqual(
        expect.arrayContaining([
          // API
          'createOrder',
          'paymentWebhook',
          // saga steps
          'createPaymentIntent',
          'commitReservation',
          // the pipes (enrichment, status fan-out with low-stock detection), the consumers of OrderPlaced
          // (with its coupon), OrderPaid, and of the InventoryLow the placement raised
          'fanOutOrderStatus',
          'projectReports',
          'recordLowStockAlert',
        ]),
      );
    });

    // The id is the order's own, and no other order's line carries it.
    const correlated = lines.filter((l) => l.correlation_id === orderId);
    expect(correlated.every((l) => l.orderId === orderId)).toBe(true);
    // Each consumer names the event it consumed; the saga steps their task.
    expect(correlated.filter((l) => l.message === 'event consumed').map((l) => l.eventType)).toEqual(
      expect.arrayContaining(['OrderPlaced', 'OrderPaid', 'InventoryLow']),
    );
    expect(correlated.filter((l) => l.message === 'task done').map((l) => l.task)).toEqual(
      expect.arrayContaining(['CreatePaymentIntent', 'CommitReservation']),
    );
  });

  it("keeps one order's correlation id off the next request a handler serves", async (ctx) => {
    if (!workerIsolation()) ctx.skip();
    const before = lines.length;
    const res = await api.get('/v1/reports/sales?storeId=tr-store&from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z');
    expect(res.status).toBe(200);
    await eventually(() =>
      expect(lines.slice(before).some((l) => String(l.function_name).endsWith('getSalesReport') && l.message === 'request handled')).toBe(
        true,
      ),
    );
    const reportLine = lines
      .slice(before)
      .find((l) => String(l.function_name).endsWith('getSalesReport') && l.message === 'request handled')!;
    expect(reportLine.orderId).toBeUndefined();
    expect(String(reportLine.correlation_id)).not.toMatch(/^ord/);
  });
});
