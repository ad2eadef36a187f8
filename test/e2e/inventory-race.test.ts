/**
 * Concurrency and idempotency through the local runtime (real HTTP, real DynamoDB Local), with the
 * default payment timeout so no reservation expires during the race.
 * Specification: shared/brief/PRODUCT.md invariants 1, 2 and 6.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { startLocalSystem } from '../../local/system.ts';
import { tableName } from '../../src/config.ts';
import { inventoryViolations } from '../../src/domain/inventory.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
let doc: DynamoDBDocumentClient;
const SECRET = 'race-webhook-secret';
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

async function seedStore(stock: Record<string, number>) {
  const storeId = uid('store');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Race store', region: 'south', timezone: 'Asia/Singapore' })).status).toBe(200);
  for (const [sku, available] of Object.entries(stock)) {
    expect((await api.put(`/v1/catalog/${sku}`, { name: `Item ${sku}`, unitPrice: 990, currency: 'CNY', category: 'food' })).status).toBe(
      200,
    );
    expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: 0 })).status).toBe(200);
  }
  return storeId;
}

const inventoryOf = async (storeId: string, sku: string) => (await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body;

async function allInventory(): Promise<any[]> {
  const out = await doc.send(new ScanCommand({ TableName: tableName('inventory'), ConsistentRead: true }));
  return out.Items ?? [];
}

beforeAll(async () => {
  ({ system, api, doc } = await startTestSystem(SECRET));
});

afterAll(async () => {
  await system?.stop();
});

describe('inventory under concurrency', () => {
  it('sells exactly the stock when 300 customers race for 50 units, and the invariants hold', async () => {
    const sku = uid('flash');
    const storeId = await seedStore({ [sku]: 50 });
    // Each customer behaves as a client should: on an in-doubt answer (5xx, key in progress) it
    // retries with the SAME Idempotency-Key, so every customer ends with exactly one answer.
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        api.createOrderUntilAnswered({ storeId, customerId: `racer${i}`, items: [{ sku, quantity: 1 }], paymentMethod: 'WECHAT_PAY' }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(50);
    expect(statuses.filter((s) => s === 409)).toHaveLength(250);
    const shortage = results.find((r) => r.status === 409)!.body;
    expect(shortage.code).toBe('INVENTORY_SHORTAGE');
    expect(shortage.shortages[0]).toMatchObject({ sku, requested: 1, available: 0 });
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 0, reserved: 50, sold: 0 });
    for (const level of await allInventory()) expect(inventoryViolations(level), `${level.storeId}/${level.sku}`).toEqual([]);
  });
});

describe('idempotency', () => {
  it('returns the same response for a retried Idempotency-Key and 422 for another body', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 5 });
    const key = randomUUID();
    const body = { storeId, customerId: 'c9', items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' };
    const first = await api.createOrder(body, key);
    const replay = await api.createOrder(body, key);
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.body.orderId).toBe(first.body.orderId);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 4, reserved: 1 });

    const other = await api.createOrder({ ...body, items: [{ sku, quantity: 2 }] }, key);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 4, reserved: 1 });
  });

  it('scopes Idempotency-Keys by customer: two customers sending the same key get their own orders', async () => {
    const sku = uid('sku');
    const storeId = await seedStore({ [sku]: 5 });
    const key = randomUUID();
    const order = (customerId: string) =>
      api.createOrder({ storeId, customerId, items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' }, key);
    const [a, b] = [await order('shared-key-a'), await order('shared-key-b')];
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.orderId).not.toBe(b.body.orderId);
    expect([a.body.customerId, b.body.customerId]).toEqual(['shared-key-a', 'shared-key-b']);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 3, reserved: 2 });
  });
});
