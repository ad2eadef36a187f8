/**
 * A compensation that keeps failing is never silently lost: after its retries the order is parked in
 * NEEDS_ATTENTION, OrderNeedsAttention is emitted and the execution fails (which alarms in AWS).
 * The fault is injected by binding the ReleaseStock task to a failing fixture (the rest is the real wiring).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { functions } from '../../lib/wiring.ts';
import { startLocalSystem } from '../../local/system.ts';
import { ApiClient } from '../helpers/api.ts';

const SECRET = 'needs-attention-secret';
let system: Awaited<ReturnType<typeof startLocalSystem>>;
let api: ApiClient;
const seen: string[] = [];

beforeAll(async () => {
  process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET = SECRET;
  system = await startLocalSystem({
    port: 0,
    quiet: true,
    sfnOptions: { retryIntervalMs: 5 },
    busOptions: { onEvent: (e) => seen.push(`${e['detail-type']}:${(e.detail as { orderId?: string }).orderId}`) },
    wiring: { functions: { ...functions, releaseStock: { entry: 'test/fixtures/saga/always-fails.ts' } } },
  });
  api = new ApiClient(system.url, SECRET);
});

afterAll(async () => {
  await system?.stop();
});

it('parks the order in NEEDS_ATTENTION when ReleaseStock keeps failing, and fails the execution', async () => {
  await api.put('/v1/stores/na-store', { name: 'S', region: 'west', timezone: 'Asia/Kolkata' });
  await api.put('/v1/catalog/na-sku', { name: 'Bun', unitPrice: 300, currency: 'CNY', category: 'bakery' });
  await api.put('/v1/stores/na-store/inventory/na-sku', { available: 5, lowStockThreshold: 0 });
  const created = await api.createOrder({
    storeId: 'na-store',
    customerId: 'c1',
    items: [{ sku: 'na-sku', quantity: 2 }],
    paymentMethod: 'CARD',
  });
  expect(created.status).toBe(201);
  await api.pay(created.body, { status: 'FAILED' });

  const parked = await api.waitForStatus(created.body.orderId, ['NEEDS_ATTENTION', 'PAYMENT_FAILED'], 20_000);
  expect(parked.status).toBe('NEEDS_ATTENTION');
  expect(parked.history.at(-1).reason).toMatch(/ServiceUnavailable/);
  // Nothing was released by the failing step: the units stay reserved for an operator to resolve.
  expect((await api.get('/v1/stores/na-store/inventory/na-sku')).body).toMatchObject({ available: 3, reserved: 2 });

  // The failed payment's claim started compensateOrder (EXPRESS: found by its input, executions have no order-id names).
  const execution = system.stepFunctions
    .list()
    .find((e) => e.stateMachineArn.endsWith('compensateOrder') && JSON.parse(e.input).orderId === created.body.orderId)!;
  const done = await system.stepFunctions.waitForExecution(execution.executionArn);
  expect(done.status).toBe('FAILED');
  expect(done.error).toBe('CompensationFailed');
  await system.bus.idle();
  expect(seen).toContain(`OrderNeedsAttention:${created.body.orderId}`);
});
