/**
 * Hot stock shards through the local runtime (real HTTP, real DynamoDB Local): a store x SKU PUT with
 * `shards: 8` sells exactly its stock to a burst of concurrent orders (the rest 409 INVENTORY_SHORTAGE),
 * GET answers the totals over the shards, and PUTs changing the shard count (up and down) in the middle of
 * the traffic lose no unit. Specification: PRODUCT.md (PUT/GET inventory `shards`, invariant 1); issue 8.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { startLocalSystem } from '../../local/system.ts';
import { tableName } from '../../src/config.ts';
import { inventoryViolations, parseShardPartitionKey, sumCounts } from '../../src/domain/inventory.ts';
import type { InventoryLevel } from '../../src/domain/types.ts';
import type { ApiClient, ApiResponse } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
let doc: DynamoDBDocumentClient;
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

async function seed(sku: string, available: number, shards: number): Promise<string> {
  const storeId = uid('hot');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Hot store', region: 'south', timezone: 'Asia/Singapore' })).status).toBe(200);
  expect((await api.put(`/v1/catalog/${sku}`, { name: `Item ${sku}`, unitPrice: 990, currency: 'CNY', category: 'food' })).status).toBe(
    200,
  );
  const put = await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: 0, shards });
  expect(put.status).toBe(200);
  expect(put.body).toMatchObject({ available, reserved: 0, sold: 0, shards });
  return storeId;
}

/** Every shard item of the store x SKU, straight from the table. */
async function shardItems(storeId: string, sku: string): Promise<InventoryLevel[]> {
  const items: InventoryLevel[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: tableName('inventory'), ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(
      ...((out.Items ?? []) as InventoryLevel[]).filter((i) => i.sku === sku && parseShardPartitionKey(i.storeId).storeId === storeId),
    );
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const order = (storeId: string, sku: string, i: number) =>
  api.createOrderUntilAnswered({ storeId, customerId: `hot${i}`, items: [{ sku, quantity: 1 }], paymentMethod: 'WECHAT_PAY' });

beforeAll(async () => {
  ({ system, api, doc } = await startTestSystem('shards-webhook-secret'));
});

afterAll(async () => {
  await system?.stop();
});

describe('hot stock shards', () => {
  it('sells exactly the stock of an 8-shard item to a concurrent burst, the rest 409, GET totals right', async () => {
    const sku = uid('flash');
    const storeId = await seed(sku, 40, 8);
    const items = await shardItems(storeId, sku);
    expect(items).toHaveLength(8);
    // Spread over 8 distinct partition keys.
    expect(new Set(items.map((i) => i.storeId)).size).toBe(8);
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => order(storeId, sku, i)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(40);
    expect(statuses.filter((s) => s === 409)).toHaveLength(80);
    const refusal = results.find((r) => r.status === 409)!.body;
    expect(refusal).toMatchObject({ code: 'INVENTORY_SHORTAGE' });
    expect(refusal.shortages[0]).toMatchObject({ sku, requested: 1, available: 0 });
    expect((await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body).toMatchObject({
      available: 0,
      reserved: 40,
      sold: 0,
      shards: 8,
    });
    for (const item of await shardItems(storeId, sku)) expect(inventoryViolations(item), item.storeId).toEqual([]);
  }, 120_000);

  it('raises the low-stock alert on the total over the shards', async () => {
    const sku = uid('low');
    const storeId = uid('hot');
    expect((await api.put(`/v1/stores/${storeId}`, { name: 'Hot store', region: 'south', timezone: 'Asia/Singapore' })).status).toBe(200);
    expect((await api.put(`/v1/catalog/${sku}`, { name: `Item ${sku}`, unitPrice: 990, currency: 'CNY', category: 'food' })).status).toBe(
      200,
    );
    expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 12, lowStockThreshold: 4, shards: 4 })).status).toBe(200);
    // 8 units leave 4 in total (1 per shard on average): no single shard is what crosses the threshold.
    for (let i = 0; i < 8; i++) expect((await order(storeId, sku, 1000 + i)).status).toBe(201);
    let alerts: any[] = [];
    for (let i = 0; i < 100 && alerts.length === 0; i++) {
      alerts = (await api.get(`/v1/alerts?storeId=${storeId}`)).body.alerts ?? [];
      if (alerts.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(alerts).toEqual([{ storeId, sku, available: 4, lowStockThreshold: 4, at: expect.stringMatching(/Z$/) }]);
  }, 120_000);

  it('loses no unit when PUTs change the shard count up and down in the middle of the traffic', async () => {
    const sku = uid('reshard');
    const storeId = await seed(sku, 60, 4);
    const answers: ApiResponse[] = [];
    let answered = 0;
    let up: Promise<ApiResponse> | undefined;
    let down: Promise<ApiResponse> | undefined;
    const traffic = Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        order(storeId, sku, i).then((res) => {
          answers.push(res);
          answered++;
          // Reshard up after 30 answers, then down after 80 (once the first PUT is done), while requests are in flight.
          if (answered === 30) up = api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 50, lowStockThreshold: 0, shards: 16 });
          if (answered === 80)
            down = up!.then(() => api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 40, lowStockThreshold: 0, shards: 2 }));
        }),
      ),
    );
    await traffic;
    const puts = [await up!, await down!];
    expect(puts.map((p) => p.status)).toEqual([200, 200]);
    expect(puts.map((p) => p.body.shards)).toEqual([16, 2]);
    expect(answers.every((r) => r.status === 201 || (r.status === 409 && r.body.code === 'INVENTORY_SHORTAGE'))).toBe(true);
    const created = answers.filter((r) => r.status === 201).length;
    const items = await shardItems(storeId, sku);
    for (const item of items) expect(inventoryViolations(item), item.storeId).toEqual([]);
    const sum = sumCounts(items);
    // Every unit is either reserved by an order that was answered 201 or still available; none vanished and
    // none appeared after the last PUT (which set the stock: its answer's total is the stock from then on).
    const last = puts[1]!.body;
    expect(sum.reserved).toBe(created);
    expect(sum.stocked).toBe(last.available + last.reserved + last.sold);
    expect(sum.available + sum.reserved + sum.sold).toBe(sum.stocked);
    expect((await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body).toMatchObject({
      available: sum.available,
      reserved: created,
      sold: 0,
      shards: 2,
    });
    // Drained shards (>= 2) hold no available units once rebalanced; their reservations stay until released.
    for (const item of items) if (parseShardPartitionKey(item.storeId).shard >= 2) expect(item.available).toBe(0);
  }, 180_000);
});
