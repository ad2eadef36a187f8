/**
 * `npm run bench`: create-order throughput and latency through the local API (POST /v1/orders, one line,
 * a fresh Idempotency-Key per request, driven by autocannon) at 8, 32 and 64 connections, against the
 * raw DynamoDB Local TransactWriteItems rate for the same items (bench/raw-dynamo.ts) at the same
 * concurrency; then, on the same local system, the event-driven latencies beside PRODUCT.md's targets:
 * report freshness and low-stock alert latency (bench/freshness.ts `measureFreshness`) and status push
 * latency (bench/status-push.ts `measureStatusPush`), p50/p99 in ms. Starts the local system as a child
 * process like `npm run demo`; prints markdown tables and writes BENCHMARKS.md.
 * Flags: --duration S (per cell, default 10), --concurrency 8,32,64, --samples N (freshness and alert
 * samples, default 150), --load C (clients creating and paying orders during those samples, default 4),
 * --push-orders N (status-push order lifecycles, default 400, 8 at a time).
 * Hot stock (bench/hot-stock.ts, the "Hot stock" section of BENCHMARKS.md): the full run also measures (a) one hot
 * store x SKU at 64 connections, unsharded and `shards: 16`. `--only hot-sku` runs just (a); `--only decrements`
 * runs just (b), the 100,000 concurrent decrements (--attempts N, default 100000; --decrement-concurrency C,
 * default 256; --stock U, default 50000; --shards N, default 16), on a DynamoDB Local of its own.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ApiClient } from '../local/api-client.ts';
import { startLocalChild, type LocalChild } from '../local/demo/child.ts';
import { measureFreshness } from './freshness.ts';
import { benchClient, measureRaw, prepareRaw, type RawCell } from './raw-dynamo.ts';
import { machineNotes, renderBenchmarks, type ApiCell } from './report.ts';
import { measureStatusPush } from './status-push.ts';
import {
  decrementsMarkdown,
  hotSkuMarkdown,
  hotStockSection,
  measureDecrements,
  measureCreateOrders,
  measureHotSku,
  writeHotStockSection,
} from './hot-stock.ts';
import { readFileSync } from 'node:fs';

const SECRET = 'wandian-bench-webhook-secret';
const STORE = 'bench-store';
const SKUS = ['bench-sku-1', 'bench-sku-2', 'bench-sku-3', 'bench-sku-4'];
const HUGE_STOCK = 10_000_000; // MAX_STOCK of the API (units)
const PUSH_CONCURRENCY = 8;

const BENCH_CUSTOMERS = 1000;

/** The create-order cell: {@link measureCreateOrders} over the bench store's SKUs. */
const measureApi = (url: string, connections: number, seconds: number, tokens: readonly string[]): Promise<ApiCell> =>
  measureCreateOrders(url, STORE, SKUS, connections, seconds, tokens);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      // Issue 8: DynamoDB Local warmed >= 30 s before the cells.
      warmup: { type: 'string', default: '30' },
      concurrency: { type: 'string', default: '8,32,64' },
      samples: { type: 'string', default: '150' },
      load: { type: 'string', default: '4' },
      'push-orders': { type: 'string', default: '400' },
      only: { type: 'string' },
      attempts: { type: 'string', default: '100000' },
      'decrement-concurrency': { type: 'string', default: '256' },
      stock: { type: 'string', default: '50000' },
      shards: { type: 'string', default: '16' },
    },
  });
  const benchFile = new URL('../BENCHMARKS.md', import.meta.url);
  if (values.only === 'decrements') {
    const before = machineNotes();
    const opts = {
      attempts: Number(values.attempts),
      concurrency: Number(values['decrement-concurrency']),
      stock: Number(values.stock),
      shards: Number(values.shards),
    };
    console.error(
      `bench: ${opts.attempts} reservation attempts on one SKU (${opts.stock} units, ${opts.shards} shards) at ${opts.concurrency} in flight...`,
    );
    const d = await measureDecrements(opts);
    writeHotStockSection(benchFile, { decrements: decrementsMarkdown(d, before, machineNotes()) });
    console.log(JSON.stringify(d, null, 2));
    return d.oversoldUnits === 0 && d.invariantViolations.length === 0 && d.errors === 0 ? 0 : 1;
  }
  if (values.only !== undefined && values.only !== 'hot-sku') throw new Error('usage: --only hot-sku | decrements');
  const seconds = Number(values.duration);
  const levels = values.concurrency!.split(',').map(Number);
  const [samples, load, pushOrders] = [values.samples, values.load, values['push-orders']].map(Number) as [number, number, number];
  if (
    !(seconds > 0) ||
    levels.some((c) => !Number.isInteger(c) || c < 1) ||
    ![samples, pushOrders].every((n) => Number.isInteger(n) && n > 0) ||
    !(Number.isInteger(load) && load >= 0)
  ) {
    throw new Error('usage: npm run bench -- [--duration S] [--concurrency 8,32,64] [--samples N] [--load C] [--push-orders N]');
  }
  const t0 = Date.now();
  const before = machineNotes();
  console.error('bench: starting the local system (child process)...');
  let child: LocalChild | undefined;
  process.once('SIGINT', () => void (child?.stop() ?? Promise.resolve()).finally(() => process.exit(130)));
  try {
    // The per-customer limit (20 orders a minute) guards against abuse; the bench measures throughput, so it is lifted.
    child = await startLocalChild({
      env: {
        WANDIAN_PAYMENT_WEBHOOK_SECRET: SECRET,
        WANDIAN_CUSTOMER_ORDERS_PER_MINUTE: '1000000',
        WANDIAN_CUSTOMER_TOPUPS_PER_MINUTE: '1000000',
      },
      logName: 'wandian-bench-local',
    });
    if (!child.dynamoEndpoint) throw new Error('the ready line names no DynamoDB Local endpoint; the raw comparison needs it');
    console.error(
      `bench: ready at ${child.url} in ${(child.startMs / 1000).toFixed(1)} s; seeding one store with ${SKUS.length} SKUs of ${HUGE_STOCK} units`,
    );
    const api = new ApiClient(child.url, SECRET);
    const seed: [string, unknown][] = [
      [`/v1/stores/${STORE}`, { name: 'Bench store', region: 'east', timezone: 'Asia/Shanghai' }],
      ...SKUS.map((sku): [string, unknown] => [
        `/v1/catalog/${sku}`,
        { name: `Bench ${sku}`, unitPrice: 1250, currency: 'CNY', category: 'bench' },
      ]),
      ...SKUS.map((sku): [string, unknown] => [`/v1/stores/${STORE}/inventory/${sku}`, { available: HUGE_STOCK, lowStockThreshold: 0 }]),
    ];
    for (const [path, body] of seed) {
      const res = await api.put(path, body);
      if (res.status !== 200) throw new Error(`seed PUT ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const tokenList = await Promise.all(
      Array.from({ length: BENCH_CUSTOMERS }, (_, i) => api.token({ sub: `bench-${i}`, groups: ['customer'] })),
    );
    // (a) One hot store x SKU at 64 connections, unsharded and 16 shards.
    const hotBefore = machineNotes();
    const hotCells: { shards: number; cell: ApiCell }[] = [];
    for (const shards of [1, 16]) {
      const sku = `hot-sku-${shards}`;
      for (const [path, body] of [
        [`/v1/catalog/${sku}`, { name: `Hot ${sku}`, unitPrice: 1250, currency: 'CNY', category: 'bench' }],
        [`/v1/stores/${STORE}/inventory/${sku}`, { available: HUGE_STOCK, lowStockThreshold: 0, shards }],
      ] as const) {
        const res = await api.put(path, body);
        if (res.status !== 200) throw new Error(`seed PUT ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      }
      console.error(`bench: hot SKU (${shards} shard(s)): warm-up 3 s, then ${seconds} s at 64 connections...`);
      await measureHotSku(child.url, STORE, sku, 8, 3, tokenList);
      const cell = await measureHotSku(child.url, STORE, sku, 64, seconds, tokenList);
      hotCells.push({ shards, cell });
      console.error(`bench:   ${cell.perSecond.toFixed(0)} orders/s, p50 ${cell.p50} ms, p99 ${cell.p99} ms, non-2xx ${cell.non2xx}`);
    }
    writeHotStockSection(benchFile, { hotSku: hotSkuMarkdown(hotCells, seconds, hotBefore, machineNotes()) });
    if (values.only === 'hot-sku') {
      const exit = await child.stop();
      return exit.code === 0 ? 0 : 1;
    }
    const doc = benchClient(child.dynamoEndpoint);
    await prepareRaw(doc, SKUS, HUGE_STOCK);

    const warmupSeconds = Number(values.warmup);
    console.error(`bench: warm-up (3 s API, ${warmupSeconds} s raw transactions on DynamoDB Local)`);
    const tokens = tokenList;
    await measureApi(child.url, 8, 3, tokens);
    await measureRaw(doc, SKUS, 8, warmupSeconds * 1000);
    const admin = await api.token({ sub: 'bench-admin', groups: ['chainAdmin'] });
    const ordersTable = await physicalTable(doc, 'orders');
    await drained(api, admin, doc, ordersTable, await placedCount(api, admin));

    const rows: { api: ApiCell; raw: RawCell }[] = [];
    for (const c of levels) {
      console.error(`bench: concurrency ${c}: API ${seconds} s...`);
      const placedBefore = await placedCount(api, admin);
      const cellStart = Date.now();
      const apiCell = await measureApi(child.url, c, seconds, tokens);
      const cellEnd = Date.now();
      // The backlog this cell left (sagas, consumers) drains before the raw cell, which would otherwise share the cores.
      const created = (await drained(api, admin, doc, ordersTable, placedBefore)) - placedBefore;
      const doneAt = Date.now();
      apiCell.pipelinePerSecond = created / ((doneAt - cellStart) / 1000);
      apiCell.drainSeconds = (doneAt - cellEnd) / 1000;
      console.error(`bench: concurrency ${c}: raw TransactWriteItems ${seconds} s...`);
      const rawCell = await measureRaw(doc, SKUS, c, seconds * 1000);
      rows.push({ api: apiCell, raw: rawCell });
      console.error(
        `bench:   API ${apiCell.perSecond.toFixed(0)} orders/s (p99 ${apiCell.p99} ms, non-2xx ${apiCell.non2xx}); raw ${rawCell.perSecond.toFixed(0)}/s (p99 ${rawCell.p99.toFixed(1)} ms)`,
      );
    }
    doc.destroy();

    const freshnessLoad = machineNotes().load1;
    console.error(
      `bench: report freshness and low-stock alert latency: ${samples} samples each, ${load} clients creating and paying orders meanwhile...`,
    );
    const freshnessStart = Date.now();
    const freshness = await measureFreshness(api, { samples, load });
    const freshnessMs = Date.now() - freshnessStart;
    for (const f of freshness.figures) console.error(`bench:   ${f.name}: p50 ${f.p50} ms, p99 ${f.p99} ms (target ${f.target})`);

    const pushLoad = machineNotes().load1;
    console.error(`bench: status push: warm-up, then ${pushOrders} orders at ${PUSH_CONCURRENCY} concurrent WebSocket clients...`);
    const pushStart = Date.now();
    const push = { storeId: STORE, sku: SKUS[0]!, baseUrl: child.url, webhookSecret: SECRET };
    await measureStatusPush({ ...push, orders: 20, concurrency: 2 });
    const statusPush = await measureStatusPush({ ...push, orders: pushOrders, concurrency: PUSH_CONCURRENCY });
    const pushMs = Date.now() - pushStart;
    console.error(
      `bench:   status change → client: p50 ${statusPush.statusToClient.p50} ms, p99 ${statusPush.statusToClient.p99} ms (target <= ${statusPush.targetMs}); ${statusPush.missed} missed`,
    );

    const logCounts = child.logCounts();
    const exit = await child.stop();
    const after = machineNotes();
    const report = renderBenchmarks({
      rows,
      seconds,
      warmupSeconds,
      before,
      after,
      logCounts,
      totalMs: Date.now() - t0,
      childExit: exit,
      latency: {
        freshness: { ...freshness, samples, load, ms: freshnessMs, load1: freshnessLoad },
        statusPush: { result: statusPush, orders: pushOrders, concurrency: PUSH_CONCURRENCY, ms: pushMs, load1: pushLoad },
      },
    });
    // The "Hot stock" section (bench/hot-stock.ts) is kept: its (b) row comes from its own run (--only decrements).
    const hot = hotStockSection(readFileSync(benchFile, 'utf8'));
    writeFileSync(benchFile, hot ? `${report.markdown.trimEnd()}\n\n${hot}\n` : report.markdown);
    console.log(report.console);
    console.log(
      `\nbench: wrote BENCHMARKS.md in ${((Date.now() - t0) / 1000).toFixed(0)} s; local system exit ${exit.code}, DynamoDB Local ${exit.dynamoGone ? 'gone' : 'STILL LISTENING'}`,
    );
    return exit.code === 0 && exit.dynamoGone && statusPush.missed === 0 ? 0 : 1;
  } catch (error) {
    console.error(`bench: failed: ${(error as Error).stack ?? error}`);
    await child?.stop();
    return 1;
  }
}

void main().then((code) => process.exit(code));

/** The physical name of a wiring table in the child's DynamoDB Local (`<prefix>-<id>`). */
async function physicalTable(doc: ReturnType<typeof benchClient>, id: string): Promise<string> {
  const { TableNames = [] } = await doc.send(new ListTablesCommand({}));
  const name = TableNames.find((t) => t.endsWith(`-${id}`) || t === id);
  if (!name) throw new Error(`no ${id} table in ${TableNames.join(', ')}`);
  return name;
}

/** Orders placed at the bench store today by the funnel report (counted by the OrderPlaced consumer). */
async function placedCount(api: ApiClient, token: string): Promise<number> {
  const day = new Date().toISOString().slice(0, 10);
  const to = new Date(Date.parse(day) + 2 * 86_400_000).toISOString().slice(0, 10);
  const res = await api.as(token).get(`/v1/reports/funnel?storeId=${STORE}&from=${day}T00:00:00Z&to=${to}T00:00:00Z`);
  if (res.status !== 200) throw new Error(`funnel report: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { placed: number }).placed;
}

/** Orders of the bench store still waiting for their placeOrder segment (no payment intent yet). */
async function withoutIntent(doc: ReturnType<typeof benchClient>, table: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        Select: 'COUNT',
        FilterExpression: 'storeId = :s AND attribute_not_exists(paymentIntentId) AND #status = :p',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':s': STORE, ':p': 'PENDING_PAYMENT' },
        ExclusiveStartKey: start,
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

/**
 * Waits until the backlog drained: the funnel's placed count (>= `floor`) did not move over one 500 ms poll and no
 * order waits for its placeOrder segment. Returns the placed count. Throws after 300 s.
 */
async function drained(api: ApiClient, token: string, doc: ReturnType<typeof benchClient>, table: string, floor: number): Promise<number> {
  const deadline = Date.now() + 300_000;
  let last = -1;
  for (;;) {
    const placed = await placedCount(api, token);
    // Quiet = the funnel did not move over one poll and no order waits for its saga's first segment.
    if (placed >= floor && placed === last && (await withoutIntent(doc, table)) === 0) return placed;
    if (Date.now() > deadline) throw new Error('the pipeline did not drain within 300 s');
    last = placed;
    await new Promise((r) => setTimeout(r, 500));
  }
}
