/**
 * `npm run cost [-- --orders 20]`: the cost and capacity model, measured. Starts the local system (in-process
 * handlers, counting instrumentation on: local/metering.ts), seeds one store / SKU / wallets per flow, runs
 * every demo scenario (local/demo/traffic.ts SCENARIOS) as a flow of N orders, waits until the sagas and the
 * event consumers are quiet, and divides the counts by N. The brief's mix weighs the flows by the scenario
 * weights; src/capacity/model.ts turns the mixed counts into USD per 1,000,000 orders and orders/s per
 * quota. Writes docs/capacity.json and docs/capacity.md. Seeding, and the script's own checks of order
 * status (read straight from DynamoDB Local), are not counted. Nothing here is hard-coded per order: after
 * a change to the flows, re-run it.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DEPLOYED_LOG_LEVEL } from '../lib/function-environment.ts';
import { schedules, stateMachines, tables } from '../lib/wiring.ts';
import { ApiClient } from '../local/api-client.ts';
import { SCENARIOS } from '../local/demo/traffic.ts';
import { REPO_ROOT } from '../local/lambda-runtime.ts';
import { meter } from '../local/metering.ts';
import { startLocalSystem, type LocalSystem } from '../local/system.ts';
import { renderCapacity, type CapacityInput, type FlowResult } from '../src/capacity/report.ts';

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '20' },
    // Orders of one flow in flight together. Batched consumers (the reporting queue, the pipes) batch across orders
    // as they do at volume; `--concurrency 1` measures each order alone (the worst case for batching).
    concurrency: { type: 'string', default: '20' },
    out: { type: 'string', default: 'docs' },
    // Also write every flow's raw counters (local/metering.ts names) to this JSON file, for digging into a figure.
    counters: { type: 'string' },
  },
});
const N = Math.max(1, Number(args.orders));
const CONCURRENCY = Math.max(1, Number(args.concurrency));
/** Orders per flow run one at a time for the Lambda durations when CONCURRENCY > 1. */
const DURATION_ORDERS = 5;
/** The per-container master data cache's default TTL (src/store/master-data-cache.ts) plus a margin, ms. */
const MASTER_DATA_CACHE_MS = 5_500;
const SECRET = 'cost-model-secret';
const PAYMENT_TIMEOUT_SECONDS = 2;
const PRICE = 1250;

type Flow = keyof typeof SCENARIOS | 'PROMO' | 'HOT';
/** Lines per order at most (the demo's 1-4). */
const MAX_LINES = 4;
/** Shards asked for on the HOT flow's inventory PUT (issue 8: `shards` 1-64). */
const MAX_SHARDS = 64;

process.env.WANDIAN_PAYMENT_TIMEOUT_SECONDS = String(PAYMENT_TIMEOUT_SECONDS);
// Handlers log as deployed (lib/function-environment.ts DEPLOYED_LOG_LEVEL), EMF metric lines included: both are
// CloudWatch Logs ingestion.
process.env.POWERTOOLS_LOG_LEVEL = DEPLOYED_LOG_LEVEL;
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET = SECRET;
process.env.WANDIAN_CUSTOMER_ORDERS_PER_MINUTE = '100000';
process.env.WANDIAN_CUSTOMER_TOPUPS_PER_MINUTE = '100000';

// Handlers log to stdout and stderr (Powertools JSON lines; CloudWatch Logs ingests both): counted, not shown.
const stderrWrite = process.stderr.write.bind(process.stderr);
const log = (line: string) => stderrWrite(`cost: ${line}\n`);
for (const stream of [process.stdout, process.stderr]) {
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    meter.add('logs.applicationBytes', typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  // Schedules on (the expiry sweeper ends the EXPIRED flow), but scheduled jobs are per period, not per order:
  // their own invocations and reads are left out (a sweep a minute in AWS; see docs/capacity.md).
  for (const s of Object.values(schedules)) meter.unmetered.add(s.target);
  const system = await startLocalSystem({ port: 0, quiet: true, metering: true, scheduleSeconds: 1 });
  try {
    const results = await runFlows(system);
    const input: CapacityInput = {
      generatedAt: new Date().toISOString(),
      ordersPerFlow: N,
      concurrency: CONCURRENCY,
      paymentTimeoutSeconds: PAYMENT_TIMEOUT_SECONDS,
      weights: Object.fromEntries(Object.entries(SCENARIOS).map(([k, v]) => [k, v.weight])),
      types: Object.fromEntries(Object.entries(stateMachines).map(([id, s]) => [id, s.type])),
      tableNames: Object.fromEntries(
        Object.keys(process.env)
          .filter((k) => k.startsWith('TABLE_'))
          .map((k) => [process.env[k]!, k]),
      ),
      flows: results,
      hotSkuPartitions: results.HOT?.stockPartitionKeys ?? 1,
      hotSkuShardsRequested: results.HOT ? MAX_SHARDS : undefined,
      promotionPartitions: results.PROMO?.promotionSlices ?? 1,
    };
    const { json, markdown } = renderCapacity(input);
    writeFileSync(resolve(REPO_ROOT, args.out!, 'capacity.json'), `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(resolve(REPO_ROOT, args.out!, 'capacity.md'), markdown);
    if (args.counters)
      writeFileSync(
        resolve(args.counters),
        `${JSON.stringify(Object.fromEntries(Object.entries(results).map(([f, r]) => [f, { orders: r!.orders, counters: r!.counters }])), null, 2)}\n`,
      );
    log(`wrote ${args.out}/capacity.json and ${args.out}/capacity.md`);
    log(
      `cost per 1M orders $${json.costPerMillionOrdersUsd.toFixed(2)}; default-quota ceiling ${json.maxOrdersPerSecondDefaultQuotas.toFixed(0)} orders/s (${json.bindingQuota})`,
    );
  } finally {
    await system.stop();
  }
}

async function runFlows(system: LocalSystem): Promise<Partial<Record<Flow, FlowResult>>> {
  const api = new ApiClient(system.url, SECRET);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: system.dynamoEndpoint }));
  const statusOf = async (orderId: string) =>
    (await doc.send(new GetCommand({ TableName: process.env.TABLE_ORDERS, Key: { orderId }, ConsistentRead: true }))).Item?.status as
      | string
      | undefined;
  const waitFor = async (orderId: string, statuses: string[], timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await statusOf(orderId);
      if (s && statuses.includes(s)) return s;
      if (Date.now() > deadline) throw new Error(`order ${orderId}: ${s}, expected ${statuses.join('|')}`);
      await sleep(40);
    }
  };
  /** Waits until no execution runs and the bus has nothing queued, twice in a row 100 ms apart. */
  const quiet = async () => {
    for (let calm = 0; calm < 2; ) {
      await system.bus.idle();
      const running = system.stepFunctions.list().some((e) => e.status === 'RUNNING');
      calm = running ? 0 : calm + 1;
      await sleep(100);
    }
  };
  const ok = (res: { status: number; body: any }, what: string, ...expected: number[]) => {
    if (!expected.includes(res.status)) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  /** A store in `region` with MAX_LINES SKUs in stock; the first is the flow's measured (or, for HOT, sharded) SKU. */
  const seed = async (flow: string, region = 'east') => {
    const storeId = `cost-${flow.toLowerCase()}-${randomUUID().slice(0, 6)}`;
    const skus = Array.from({ length: MAX_LINES }, (_, i) => `sku-${flow.toLowerCase()}-${i}-${randomUUID().slice(0, 6)}`);
    ok(await api.put(`/v1/stores/${storeId}`, { name: `Cost ${flow}`, region, timezone: 'Asia/Shanghai' }), 'store', 200);
    for (const [i, sku] of skus.entries()) {
      ok(await api.put(`/v1/catalog/${sku}`, { name: `Item ${sku}`, unitPrice: PRICE, currency: 'CNY', category: 'food' }), 'catalog', 200);
      const inventory = { available: 100_000, lowStockThreshold: 5, ...(flow === 'HOT' && i === 0 ? { shards: MAX_SHARDS } : {}) };
      const put = await api.put(`/v1/stores/${storeId}/inventory/${sku}`, inventory);
      if (flow === 'HOT' && put.status !== 200) return undefined; // no `shards` in this build: nothing to measure
      ok(put, 'inventory', 200);
    }
    return { storeId, sku: skus[0]!, skus };
  };

  const run = async (flow: Flow, n: number, width: number): Promise<FlowResult | undefined> => {
    const region = flow === 'PROMO' ? `promo-${randomUUID().slice(0, 6)}` : 'east';
    const seeded = await seed(flow, region);
    if (!seeded) return undefined;
    const { storeId, sku, skus } = seeded;
    const balance = flow.startsWith('BALANCE');
    const customers = Array.from({ length: n }, (_, i) => `cost-${flow.toLowerCase()}-${i}-${randomUUID().slice(0, 4)}`);
    if (balance) for (const c of customers) await api.fundWallet(c, flow === 'BALANCE_SHORT' ? 1 : 10 * PRICE, 'CNY');
    const code = `COST${randomUUID().slice(0, 8).toUpperCase()}`;
    ok(await api.put(`/v1/coupons/${code}`, { type: 'AMOUNT_OFF', amountOff: 100, currency: 'CNY', stackable: true }), 'coupon', 200);
    let promo: string | undefined;
    let promoSlices = 1;
    if (flow === 'PROMO') {
      // A chain-wide automatic promotion (no region / store scope) whose redemption counter every order moves.
      promo = `CHAIN${randomUUID().slice(0, 6).toUpperCase()}`;
      // Its redemption counter split over MAX_SHARDS slice items under distinct partition keys (counterShards).
      const sliced = { type: 'PERCENT_OFF', percentOff: 5, automatic: true, maxRedemptions: 1_000_000_000, counterShards: MAX_SHARDS };
      promoSlices = (await api.put(`/v1/coupons/${promo}`, sliced)).status === 200 ? MAX_SHARDS : 1;
      if (promoSlices === 1)
        ok(await api.put(`/v1/coupons/${promo}`, { type: 'PERCENT_OFF', percentOff: 5, automatic: true }), 'promotion', 200);
      // Automatic promotions are cached per container (src/store/master-data-cache.ts): wait until every order sees it.
      await sleep(MASTER_DATA_CACHE_MS);
    }
    await quiet();
    meter.reset();

    const one = async (i: number) => {
      const customerId = customers[i]!;
      // The demo's order shape (local/demo/traffic.ts planDay): 1-4 lines (here 1, 2, 3, 4 in turn: mean 2.5), one
      // in five orders with an entered coupon code. HOT / PROMO orders: one line (the measured item).
      const lines = flow === 'HOT' || flow === 'PROMO' ? 1 : (i % MAX_LINES) + 1;
      const order = ok(
        await api.createOrder({
          storeId,
          customerId,
          items: skus.slice(0, lines).map((s) => ({ sku: s, quantity: 1 })),
          ...(i % 5 === 4 && flow !== 'HOT' && flow !== 'PROMO' ? { couponCodes: [code] } : {}),
          paymentMethod: balance ? 'BALANCE' : 'CARD',
        }),
        `${flow} create`,
        201,
      );
      const id = order.orderId as string;
      const pay = (overrides: Record<string, unknown> = {}) => api.pay(order, overrides);
      switch (flow) {
        case 'PAY':
        case 'PROMO':
        case 'HOT':
          ok(await pay(), 'pay', 200);
          await waitFor(id, ['PAID']);
          break;
        case 'PAY_TWICE': {
          const payload = { paymentId: `pay_${randomUUID()}` };
          ok(await pay(payload), 'pay', 200);
          ok(await pay(payload), 'pay again', 200);
          await waitFor(id, ['PAID']);
          break;
        }
        case 'FAIL':
          ok(await pay({ status: 'FAILED' }), 'fail', 200);
          await waitFor(id, ['PAYMENT_FAILED']);
          break;
        case 'WRONG_AMOUNT':
          ok(await pay({ amount: order.pricing.total + 1 }), 'wrong amount', 200);
          await waitFor(id, ['PAYMENT_FAILED']);
          break;
        case 'NO_CALLBACK':
          await waitFor(id, ['EXPIRED']);
          break;
        case 'CANCEL_BEFORE_PAY':
          ok(await api.cancel(id), 'cancel', 202);
          await waitFor(id, ['CANCELLED']);
          break;
        case 'CANCEL_THEN_LATE_PAYMENT':
          ok(await api.cancel(id), 'cancel', 202);
          await waitFor(id, ['CANCELLED']);
          ok(await pay(), 'late pay', 200);
          break;
        case 'CANCEL_AFTER_PAY':
          ok(await pay(), 'pay', 200);
          await waitFor(id, ['PAID']);
          ok(await api.cancel(id), 'cancel paid', 202);
          await waitFor(id, ['REFUNDED']);
          break;
        case 'FULFIL':
          ok(await pay(), 'pay', 200);
          await waitFor(id, ['PAID']);
          ok(await api.request('POST', `/v1/orders/${id}/fulfil`), 'fulfil', 200);
          if (i % 4 === 0) ok(await api.cancel(id), 'cancel fulfilled', 409); // as the demo: a quarter try
          break;
        case 'BALANCE_PAY':
          await waitFor(id, ['PAID']);
          break;
        case 'BALANCE_SHORT':
          await waitFor(id, ['PAYMENT_FAILED']);
          break;
        case 'BALANCE_REFUND':
          await waitFor(id, ['PAID']);
          ok(await api.cancel(id), 'cancel paid', 202);
          await waitFor(id, ['REFUNDED']);
          break;
      }
      await quiet();
    };
    for (let i = 0; i < n; i += width) await Promise.all(customers.slice(i, i + width).map((_, j) => one(i + j)));
    await quiet();
    await sleep(200);
    const counters = meter.snapshot();
    const items = meter.items();
    // Write units on the flow's stock: every inventory item whose key names its store and SKU (one item, or its shards).
    const inventoryTable = `${process.env.TABLE_INVENTORY}|`;
    const stockItems = Object.entries(items).filter(([k]) => k.startsWith(inventoryTable) && k.includes(storeId) && k.includes(sku));
    const partitionKeys = new Set(
      stockItems.map(([k]) => JSON.stringify(JSON.parse(k.slice(inventoryTable.length))[tables.inventory.partitionKey])),
    );
    // The promotion's counter items: the coupon item (slice 0) and its slices `<code>#<k>` (scope SLICE).
    const promoItems = promo
      ? Object.entries(items).filter(([k]) => /"scope":"(COUPON|SLICE)"/.test(k) && new RegExp(`"code":"${promo}(#\\d+)?"`).test(k))
      : [];
    return {
      orders: n,
      counters,
      inventoryItemWcu: stockItems.reduce((n, [, v]) => n + v, 0),
      stockItems: stockItems.length,
      stockPartitionKeys: partitionKeys.size,
      promotionCounterWcu: promo ? promoItems.reduce((n, [, v]) => n + v, 0) : undefined,
      promotionSlices: promo ? promoSlices : undefined,
    };
  };

  const flows: Flow[] = [...(Object.keys(SCENARIOS) as Flow[]), 'PROMO', 'HOT'];
  const out: Partial<Record<Flow, FlowResult>> = {};
  for (const flow of flows) {
    const started = Date.now();
    // Two passes: the counts from N orders in flight together (batching as at volume), the Lambda durations from a
    // few orders one at a time (in-process handlers share one event loop, so concurrent wall time is not duration).
    const alone = CONCURRENCY > 1 ? await run(flow, DURATION_ORDERS, 1) : undefined;
    const result = await run(flow, N, CONCURRENCY);
    if (result && alone) result.counters = withDurationsOf(result.counters, alone.counters);
    if (result) out[flow] = result;
    log(
      `${flow}: ${result ? `${N} orders in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'skipped (inventory PUT refuses `shards`)'}`,
    );
  }
  return out;
}

/**
 * `counters` with each function's `lambda.ms.<fn>` and `lambda.gbSeconds.<fn>` replaced by its invocations times the
 * per-invocation figures of `alone` (the same flow run one order at a time). A function `alone` never ran keeps its own.
 */
function withDurationsOf(counters: Record<string, number>, alone: Record<string, number>): Record<string, number> {
  const out = { ...counters };
  for (const [key, invocations] of Object.entries(counters)) {
    if (!key.startsWith('lambda.invocations.')) continue;
    const fn = key.slice('lambda.invocations.'.length);
    const n = alone[key];
    if (!n) continue;
    for (const metric of ['ms', 'gbSeconds']) out[`lambda.${metric}.${fn}`] = (invocations * (alone[`lambda.${metric}.${fn}`] ?? 0)) / n;
  }
  return out;
}

await main().catch((error: Error) => {
  stderrWrite(`cost: failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
