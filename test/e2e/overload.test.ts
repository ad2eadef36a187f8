/**
 * No lies under overload (issue 8): POST /v1/orders with createOrder's reserved concurrency cut to a few
 * (as `WANDIAN_LOCAL_RESERVED_CONCURRENCY=createOrder=6` would) and a burst far beyond it for scarce stock.
 * Every answer is final (201, 409) or a refusal to retry (429/503 with Retry-After) that wrote nothing; retrying
 * every non-201 with the same Idempotency-Key converges; orders that exist = 201s = units reserved. Then: a
 * failure after the commit still answers 201, and an in-doubt request (its first attempt's idempotency record
 * left IN_PROGRESS, as a Lambda killed after the commit leaves it) is settled by the same key.
 * Runs with the order path's master-data cache on (5 s), as deployed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamo } from '../../functions/commons/clients.ts';
import { type DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalSystem } from '../../local/system.ts';
import type { ApiResponse } from '../../local/api-client.ts';
import { tableName } from '../../src/config.ts';
import { inventoryViolations } from '../../src/domain/inventory.ts';
import { orderIdFor } from '../../src/domain/order-factory.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

const SECRET = 'overload-webhook-secret';
const RESERVED = 6;
const BURST = 200;
const STOCK = 40;
let system: LocalSystem;
let api: ApiClient;
let doc: DynamoDBDocumentClient;
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

async function seedStore(sku: string, available: number): Promise<string> {
  const storeId = uid('store');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Overload store', region: 'south', timezone: 'Asia/Singapore' })).status).toBe(
    200,
  );
  expect((await api.put(`/v1/catalog/${sku}`, { name: `Item ${sku}`, unitPrice: 990, currency: 'CNY', category: 'food' })).status).toBe(
    200,
  );
  expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: 0 })).status).toBe(200);
  return storeId;
}

const inventoryOf = async (storeId: string, sku: string) =>
  (await doc.send(new GetCommand({ TableName: tableName('inventory'), Key: { storeId, sku }, ConsistentRead: true }))).Item!;
const orderExists = async (orderId: string) =>
  !!(await doc.send(new GetCommand({ TableName: tableName('orders'), Key: { orderId }, ConsistentRead: true }))).Item;
async function scanAll(table: Parameters<typeof tableName>[0]): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: tableName(table), ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

beforeAll(async () => {
  ({ system, api, doc } = await startTestSystem(SECRET, { reservedConcurrency: { createOrder: RESERVED }, masterDataCacheSeconds: 5 }));
});

afterAll(async () => {
  await system?.stop();
});

describe('overload', () => {
  it(`sheds a ${BURST}-way burst beyond reserved concurrency ${RESERVED} before any write, and same-key retries converge`, async () => {
    expect(system.runtime.concurrencyLimitOf('createOrder')).toBe(RESERVED);
    const sku = uid('flash');
    const storeId = await seedStore(sku, STOCK);
    const customers = Array.from({ length: BURST }, (_, i) => ({ customerId: `burst${i}-${randomUUID().slice(0, 6)}`, key: randomUUID() }));
    await Promise.all(customers.map((c) => api.token({ sub: c.customerId, groups: ['customer'] })));
    const body = (customerId: string) => ({ storeId, customerId, items: [{ sku, quantity: 1 }], paymentMethod: 'WECHAT_PAY' });

    const first = await Promise.all(customers.map((c) => api.createOrder(body(c.customerId), c.key)));
    const statuses = first.map((r) => r.status);
    expect(new Set(statuses).size > 1, 'the burst was shed in part').toBe(true);
    for (const status of statuses) expect([201, 409, 429, 503]).toContain(status);
    const refused = first.flatMap((r, i) => (r.status === 429 || r.status === 503 ? [{ res: r, ...customers[i]! }] : []));
    expect(refused.length).toBeGreaterThan(0);
    for (const { res, customerId, key } of refused) {
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(['SERVICE_OVERLOADED', 'RATE_LIMITED', 'ORDER_IN_DOUBT']).toContain(res.body.code);
      // Shed before any write: no order under this key (ORDER_IN_DOUBT alone may have one: its retry says).
      if (res.body.code !== 'ORDER_IN_DOUBT') expect(await orderExists(orderIdFor(customerId, key)), key).toBe(false);
    }
    const created = first.filter((r) => r.status === 201).length;
    const inDoubt = refused.filter((r) => r.res.body.code === 'ORDER_IN_DOUBT').length;
    const afterBurst = await inventoryOf(storeId, sku);
    expect(afterBurst.reserved).toBeGreaterThanOrEqual(created);
    expect(afterBurst.reserved).toBeLessThanOrEqual(created + inDoubt);

    // Every non-201 retried with its own key, as a client should (Retry-After, jitter) until the answer is final.
    const final: ApiResponse[] = await Promise.all(
      first.map((r, i) => (r.status === 201 ? r : api.createOrderUntilAnswered(body(customers[i]!.customerId), 80, customers[i]!.key))),
    );
    for (const r of final) expect([201, 409]).toContain(r.status);
    const winners = final.filter((r) => r.status === 201);
    expect(winners).toHaveLength(STOCK);
    for (const r of final.filter((x) => x.status === 409)) expect(r.body.code).toBe('INVENTORY_SHORTAGE');
    // Orders that exist = 201s = units reserved + sold.
    const stored = (await scanAll('orders')).filter((o) => o.storeId === storeId);
    expect(new Set(stored.map((o) => o.orderId))).toEqual(new Set(winners.map((r) => r.body.orderId)));
    const level = await inventoryOf(storeId, sku);
    expect(level).toMatchObject({ available: 0 });
    expect(level.reserved + level.sold).toBe(stored.length);
    expect(inventoryViolations(level as any)).toEqual([]);
    expect(system.runtime.stats().createOrder?.throttles ?? 0).toBeGreaterThan(0);
  }, 240_000);

  it('answers 201 when a failure follows the committed order transaction; the replay gets the same order', async () => {
    const sku = uid('sku');
    const storeId = await seedStore(sku, 5);
    const key = randomUUID();
    const body = { storeId, customerId: uid('cust'), items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' };
    process.env.WANDIAN_FAULT_THROW_AT = 'after-order-transaction';
    let res: ApiResponse;
    try {
      res = await api.createOrder(body, key);
    } finally {
      delete process.env.WANDIAN_FAULT_THROW_AT;
    }
    expect(res.status).toBe(201);
    expect(await orderExists(res.body.orderId)).toBe(true);
    const replay = await api.createOrder(body, key);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(res.body);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 4, reserved: 1 });
  });

  it('answers 201 when only storing the answer for replays fails after the commit; the same key then finds the order', async () => {
    const sku = uid('sku');
    const storeId = await seedStore(sku, 5);
    const key = randomUUID();
    const body = { storeId, customerId: uid('cust'), items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' };
    const send = dynamo.send.bind(dynamo);
    // Powertools completes its record with one UpdateItem on the idempotency table: that call fails, once.
    let failed = 0;
    const spy = vi.spyOn(dynamo, 'send').mockImplementation(((command: any, ...rest: any[]) => {
      if (command?.constructor?.name === 'UpdateItemCommand' && command.input?.TableName === tableName('idempotency') && failed++ === 0) {
        return Promise.reject(Object.assign(new Error('injected: idempotency table unavailable'), { name: 'InternalServerError' }));
      }
      return (send as any)(command, ...rest);
    }) as typeof dynamo.send);
    let res: ApiResponse;
    try {
      res = await api.createOrder(body, key);
    } finally {
      spy.mockRestore();
    }
    expect(failed).toBeGreaterThan(0);
    expect(res.status).toBe(201);
    expect(await orderExists(res.body.orderId)).toBe(true);
    const retry = await api.createOrder(body, key);
    expect(retry.status).toBe(201);
    expect(retry.body.orderId).toBe(res.body.orderId);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 4, reserved: 1 });
  });

  it('settles an in-doubt request by its Idempotency-Key: 409 while in progress, the committed order once that expires', async () => {
    const sku = uid('sku');
    const storeId = await seedStore(sku, 5);
    const key = randomUUID();
    const body = { storeId, customerId: uid('cust'), items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' };
    const before = new Set((await scanAll('idempotency')).map((r) => r.id));
    const created = await api.createOrder(body, key);
    expect(created.status).toBe(201);
    const records = (await scanAll('idempotency')).filter((r) => !before.has(r.id) && String(r.id).startsWith('createOrder#'));
    expect(records).toHaveLength(1);
    // As a Lambda killed after its commit leaves it: IN_PROGRESS until the invocation's own timeout.
    const leaveInProgress = (expiresAtMs: number) =>
      doc.send(
        new UpdateCommand({
          TableName: tableName('idempotency'),
          Key: { id: records[0]!.id },
          UpdateExpression: 'SET #s = :p, in_progress_expiration = :e REMOVE #d',
          ExpressionAttributeNames: { '#s': 'status', '#d': 'data' },
          ExpressionAttributeValues: { ':p': 'INPROGRESS', ':e': expiresAtMs },
        }),
      );
    await leaveInProgress(Date.now() + 60_000);
    const during = await api.createOrder(body, key);
    expect(during.status).toBe(409);
    expect(during.body.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await leaveInProgress(Date.now() - 1);
    const settled = await api.createOrder(body, key);
    expect(settled.status).toBe(201);
    expect(settled.body.orderId).toBe(created.body.orderId);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 4, reserved: 1 });
  });
});
