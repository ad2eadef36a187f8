/**
 * The wrappers' correlation contract (functions/commons/powertools.ts correlateWith): a saga task and an
 * event consumer log one INFO line per invocation carrying the order's id as `correlation_id` (and `orderId`),
 * and the id is gone once the invocation ends, so a container's next invocation does not inherit it.
 * Handlers run here directly, one at a time, as in one Lambda container; the log lines are read from stdout.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
const { taskHandler } = await import('../../functions/commons/task.ts');
const { eventConsumer } = await import('../../functions/commons/event-consumer.ts');
const { logger, tracer } = await import('../../functions/commons/powertools.ts');
const { eventSource } = await import('../../src/events/catalog.ts');

const context = (functionName: string) =>
  ({ functionName, awsRequestId: `req-${functionName}`, getRemainingTimeInMillis: () => 1000 }) as unknown as Context;

const lines: Record<string, unknown>[] = [];
const realWrite = process.stdout.write.bind(process.stdout);
beforeAll(() => {
  process.stdout.write = ((chunk: unknown) => {
    for (const part of String(chunk).split('\n')) if (part.startsWith('{')) lines.push(JSON.parse(part) as Record<string, unknown>);
    return true;
  }) as typeof process.stdout.write;
});
afterAll(() => {
  process.stdout.write = realWrite as typeof process.stdout.write;
});

/** An InventoryLow delivery; `orderId` optional (v1 additive field). */
const inventoryLow = (orderId?: string) => ({
  version: '0',
  id: 'evt-1',
  'detail-type': 'InventoryLow',
  source: eventSource.InventoryLow,
  account: '000000000000',
  time: '2026-11-23T08:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    eventId: `InventoryLow:s1:tea:2026-11-23T08:00:00.000Z${orderId ?? ''}`,
    schemaVersion: 1,
    occurredAt: '2026-11-23T08:00:00.000Z',
    storeId: 's1',
    sku: 'tea',
    available: 1,
    lowStockThreshold: 2,
    ...(orderId ? { orderId } : {}),
  },
});

describe('correlation id', () => {
  it('is off outside AWS Lambda: Tracer disables itself, so nothing waits for X-Ray locally', () => {
    expect(tracer.isTracingEnabled()).toBe(false);
  });

  it("a saga task logs `task done` with the order's id, and forgets it afterwards", async () => {
    lines.length = 0;
    const task = taskHandler('CommitReservation', async ({ orderId }: { orderId: string }) => ({ orderId }));
    await task({ orderId: 'ord_task' }, context('commitReservation'));
    const done = lines.find((l) => l.message === 'task done');
    expect(done).toMatchObject({
      level: 'INFO',
      correlation_id: 'ord_task',
      orderId: 'ord_task',
      task: 'CommitReservation',
      function_name: 'commitReservation',
    });
    expect(logger.getCorrelationId()).toBeUndefined();
  });

  it('a failing task still logs its line (`task failed`, with the error name) and rethrows', async () => {
    lines.length = 0;
    const task = taskHandler('DebitWallet', async () => {
      throw Object.assign(new Error('declined'), { name: 'WalletDeclined' });
    });
    await expect(task({ orderId: 'ord_fail' }, context('debitWallet'))).rejects.toThrow('declined');
    expect(lines.find((l) => l.message === 'task failed')).toMatchObject({ correlation_id: 'ord_fail', errorName: 'WalletDeclined' });
  });

  it("an event consumer takes the detail's orderId as correlation id; a detail without one leaves none", async () => {
    lines.length = 0;
    const consumer = eventConsumer(['InventoryLow'], async () => undefined);
    await consumer(inventoryLow('ord_evt'), context('recordLowStockAlert'));
    await consumer(inventoryLow(), context('recordLowStockAlert'));
    const consumed = lines.filter((l) => l.message === 'event consumed');
    expect(consumed).toHaveLength(2);
    expect(consumed[0]).toMatchObject({ correlation_id: 'ord_evt', orderId: 'ord_evt', eventType: 'InventoryLow' });
    expect(consumed[1]!.correlation_id).toBeUndefined();
    expect(consumed[1]!.orderId).toBeUndefined();
  });
});
