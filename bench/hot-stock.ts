/**
 * Hot stock bench rows (issue 8, "Hot stock beyond one partition"):
 * (a) `measureHotSku`: POST /v1/orders on ONE store x SKU through the local API at N connections (autocannon),
 *     for an unsharded item and for one PUT with `shards: 16`. DynamoDB Local has no partition limit, so this
 *     shows what sharding costs locally (fall-overs, the metadata read), never the AWS partition ceiling; the
 *     AWS figure comes from the rule in {@link awsHotSkuOrdersPerSecond}.
 * (b) `measureDecrements`: the requirements' 100,000 concurrent decrements: reservation attempts on one hot
 *     (sharded) SKU through OrderStore.place, the very method create-order uses (the HTTP path would take too long
 *     locally), at `concurrency` in flight, on a DynamoDB Local of its own; afterwards the oversold units are
 *     counted from the table (sold + reserved beyond the stock, and any shard below zero): must be 0.
 * Results go to the "Hot stock" section of BENCHMARKS.md (between markers, kept by the full bench).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import hdr from 'hdr-histogram-js';
import { isDomainError } from '../src/domain/errors.ts';
import { inventoryViolations, MAX_INVENTORY_SHARDS, sumCounts } from '../src/domain/inventory.ts';
import type { Order } from '../src/domain/types.ts';
import { InventoryStore } from '../src/store/inventory-store.ts';
import { OrderStore } from '../src/store/order-store.ts';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { createTables, tableEnvironment } from '../local/tables.ts';
import { benchClient } from './raw-dynamo.ts';
import type { ApiCell, MachineNotes } from './report.ts';

/** DynamoDB's per-partition write ceiling (WCU/s). Source: AWS DynamoDB developer guide, "Partitions and data distribution" / burst and adaptive capacity. */
export const PARTITION_WCU_PER_SECOND = 1_000;
/**
 * Write units one paid order spends on its store x SKU item: the reservation and the commit are each a
 * transactional write of an item ≤ 1 KB = 2 WCU (transactions cost twice a standard write). Source: AWS
 * DynamoDB developer guide, "Read/write capacity mode" (transactional requests).
 */
export const WCU_PER_ORDER_PER_ITEM = 4;

/** The AWS ceiling of one store x SKU in orders/s: 1,000 WCU per partition ÷ WCU per order per item × shards. */
export const awsHotSkuOrdersPerSecond = (shards: number): number => (PARTITION_WCU_PER_SECOND / WCU_PER_ORDER_PER_ITEM) * shards;

/**
 * autocannon POST /v1/orders for `seconds` at `connections`: every request a fresh Idempotency-Key and one unit of
 * one of `skus` (in turn) at `storeId`, sent by one of the bench customers with their own access token (`tokens[i]`
 * is customer `bench-<i>`'s). The create-order cell of `npm run bench` (several SKUs) and of the hot-SKU rows (one).
 */
export async function measureCreateOrders(
  url: string,
  storeId: string,
  skus: readonly string[],
  connections: number,
  seconds: number,
  tokens: readonly string[],
): Promise<ApiCell> {
  let n = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/orders',
        setupRequest: (req) => {
          const i = n++;
          return {
            ...req,
            headers: {
              'content-type': 'application/json',
              'idempotency-key': randomUUID(),
              authorization: `Bearer ${tokens[i % tokens.length]}`,
            },
            body: JSON.stringify({
              storeId,
              customerId: `bench-${i % tokens.length}`,
              items: [{ sku: skus[i % skus.length], quantity: 1 }],
              paymentMethod: 'WECHAT_PAY',
            }),
          };
        },
      },
    ],
  });
  return {
    concurrency: connections,
    perSecond: result.requests.total / (result.duration || seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    count: result.requests.total,
  };
}

/** {@link measureCreateOrders} on ONE store x SKU (the hot-SKU rows). */
export const measureHotSku = (url: string, storeId: string, sku: string, connections: number, seconds: number, tokens: readonly string[]) =>
  measureCreateOrders(url, storeId, [sku], connections, seconds, tokens);

/** Outcome of the decrement run: attempts by answer, oversold units counted from the table, time. */
export interface DecrementResult {
  attempts: number;
  concurrency: number;
  stock: number;
  shards: number;
  placed: number;
  shortages: number;
  concurrentUpdates: number;
  errors: number;
  firstError?: string;
  oversoldUnits: number;
  invariantViolations: string[];
  reservedMatchesPlaced: boolean;
  elapsedMs: number;
  p50: number;
  p99: number;
}

const NOW = () => new Date().toISOString();

function hotOrder(sku: string, i: number): Order {
  const now = NOW();
  return {
    orderId: `ord_bench_${i}_${randomUUID().slice(0, 8)}`,
    storeId: 'hot-store',
    region: 'east',
    customerId: `bench-${i % 1000}`,
    status: 'PENDING_PAYMENT',
    items: [{ sku, name: 'Hot item', quantity: 1, unitPrice: 1250, lineTotal: 1250 }],
    pricing: { subtotal: 1250, discount: 0, total: 1250, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: 'WECHAT_PAY',
    createdAt: now,
    expiresAt: now,
    history: [{ status: 'PENDING_PAYMENT', at: now }],
    reservation: [{ sku, quantity: 1 }],
    couponRedemptions: [],
    stockState: 'RESERVED',
    couponsState: 'NONE',
    updatedAt: now,
  };
}

/**
 * (b) `attempts` reservations of 1 unit on one SKU stocked with `stock` units over `shards` shards, `concurrency`
 * in flight, through OrderStore.place on a fresh in-memory DynamoDB Local (started and stopped here).
 */
export async function measureDecrements(opts: {
  attempts: number;
  concurrency: number;
  stock: number;
  shards: number;
}): Promise<DecrementResult> {
  const ddb = await startDynamoDbLocal();
  const doc = benchClient(ddb.endpoint);
  try {
    const names = await createTables(doc as never, { prefix: 'hot-' });
    Object.assign(process.env, tableEnvironment(names));
    const inventory = new InventoryStore(doc);
    const orders = new OrderStore(doc, inventory);
    const sku = 'hot-sku';
    await inventory.setSharded('hot-store', sku, { available: opts.stock, lowStockThreshold: 0, shards: opts.shards }, NOW());
    const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
    const r = { placed: 0, shortages: 0, concurrentUpdates: 0, errors: 0, firstError: undefined as string | undefined };
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      for (let i = next++; i < opts.attempts; i = next++) {
        const start = performance.now();
        try {
          await orders.place(hotOrder(sku, i), new Map());
          r.placed++;
        } catch (e) {
          if (isDomainError(e) && e.code === 'INVENTORY_SHORTAGE') r.shortages++;
          else if (isDomainError(e) && e.code === 'CONCURRENT_UPDATE') r.concurrentUpdates++;
          else {
            r.errors++;
            r.firstError ??= String((e as Error).message ?? e);
          }
        }
        histogram.recordValue(Math.max(1, Math.round((performance.now() - start) * 1000)));
        if (i > 0 && i % 10_000 === 0)
          console.error(`bench: decrements: ${i} attempts, ${r.placed} placed, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const elapsedMs = performance.now() - t0;
    const shards = (await inventory.readShards('hot-store', sku)).filter((s) => s !== undefined);
    const sum = sumCounts(shards);
    const oversoldUnits = Math.max(0, sum.sold + sum.reserved - opts.stock) + shards.reduce((s, x) => s + Math.max(0, -x.available), 0);
    const invariantViolations = [
      ...shards.flatMap((s, k) => inventoryViolations(s).map((v) => `shard ${k}: ${v}`)),
      ...inventoryViolations(sum).map((v) => `sum: ${v}`),
    ];
    return {
      ...opts,
      ...r,
      oversoldUnits,
      invariantViolations,
      reservedMatchesPlaced: sum.reserved === r.placed,
      elapsedMs,
      p50: histogram.getValueAtPercentile(50) / 1000,
      p99: histogram.getValueAtPercentile(99) / 1000,
    };
  } finally {
    doc.destroy();
    await ddb.stop();
  }
}

const START = '<!-- hot-stock:start -->';
const END = '<!-- hot-stock:end -->';
const f0 = (n: number) => Math.round(n).toLocaleString('en-US');

/** The current "Hot stock" section of BENCHMARKS.md (markers included), or '' when absent. */
export function hotStockSection(markdown: string): string {
  const a = markdown.indexOf(START);
  const b = markdown.indexOf(END);
  return a >= 0 && b > a ? markdown.slice(a, b + END.length) : '';
}

/** Parts of the section, each kept until its own run replaces it. */
export interface HotStockParts {
  hotSku?: string;
  decrements?: string;
}

function parts(section: string): HotStockParts {
  const pick = (name: string) => {
    const m = section.match(new RegExp(`<!-- ${name} -->([\\s\\S]*?)<!-- /${name} -->`));
    return m ? m[1]!.trim() : undefined;
  };
  return { hotSku: pick('hot-sku'), decrements: pick('decrements') };
}

function renderSection(p: HotStockParts): string {
  return `${START}
## Hot stock: one store x SKU beyond one partition

A store x SKU PUT with \`shards: N\` keeps its stock in N shard items under distinct partition keys
(README "Hot stock shards"). In AWS one partition takes ${f0(PARTITION_WCU_PER_SECOND)} WCU/s and a paid order writes
its item twice transactionally (reserve + commit, 2 WCU each = ${WCU_PER_ORDER_PER_ITEM} WCU), so one item tops out at
${f0(awsHotSkuOrdersPerSecond(1))} orders/s and N shards at ${f0(awsHotSkuOrdersPerSecond(1))} x N (16: ${f0(awsHotSkuOrdersPerSecond(16))}; ${MAX_INVENTORY_SHARDS}: ${f0(awsHotSkuOrdersPerSecond(MAX_INVENTORY_SHARDS))}).
**DynamoDB Local has no partition limit**: the local rows below cannot show that ceiling, only what sharding costs
locally (a fall-over when a shard runs dry, one cached metadata read per item and container).

<!-- hot-sku -->
${p.hotSku ?? '_(a) not run yet: `npm run bench -- --only hot-sku`._'}
<!-- /hot-sku -->

<!-- decrements -->
${p.decrements ?? '_(b) not run yet: `npm run bench -- --only decrements`._'}
<!-- /decrements -->
${END}`;
}

/** Markdown of run (a). */
export function hotSkuMarkdown(cells: { shards: number; cell: ApiCell }[], seconds: number, m: MachineNotes, after: MachineNotes): string {
  return [
    `(a) \`POST /v1/orders\` on ONE store x SKU (10,000,000 units) through the local API, autocannon, ${seconds} s per cell after a warm-up,`,
    `every request 1 unit with a fresh Idempotency-Key (\`npm run bench -- --only hot-sku\`). Measured ${m.date} on ${m.cores} cores (${m.cpu}),`,
    `${m.memoryGiB} GiB, Node ${m.node}, ${m.java}; 1-min load ${m.load1} before, ${after.load1} after (the machine was shared with other work).`,
    '',
    '| item | concurrency | create-order/s | p50 ms | p99 ms | non-2xx + timeouts | AWS ceiling from the rule (orders/s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...cells.map(
      ({ shards, cell }) =>
        `| ${shards === 1 ? 'unsharded' : `\`shards: ${shards}\``} | ${cell.concurrency} | ${f0(cell.perSecond)} | ${cell.p50} | ${cell.p99} | ${cell.non2xx + cell.errors} | ${f0(awsHotSkuOrdersPerSecond(shards))} |`,
    ),
  ].join('\n');
}

/** Markdown of run (b). */
export function decrementsMarkdown(d: DecrementResult, m: MachineNotes, after: MachineNotes): string {
  return [
    `(b) The requirements' 100,000 concurrent decrements (\`npm run bench -- --only decrements\`): ${f0(d.attempts)} reservation attempts of 1 unit`,
    `on one SKU stocked with ${f0(d.stock)} units over \`shards: ${d.shards}\`, ${d.concurrency} in flight, through \`OrderStore.place\` (the method`,
    'create-order uses: sold-out marker check, shard choice and fall-over, the conditional order transaction) on a DynamoDB Local of its own;',
    'the HTTP path would take too long locally. Oversold units are counted from the table afterwards (sold + reserved beyond the stock, plus',
    `any shard below zero). Measured ${m.date} on ${m.cores} cores (${m.cpu}), Node ${m.node}; 1-min load ${m.load1} before, ${after.load1} after.`,
    '',
    '| attempts | concurrency | shards | stock | placed | 409 shortage | 409 retry (CONCURRENT_UPDATE) | errors | oversold units | invariant 1 (per shard and sum) | elapsed s | attempts/s | p50 ms | p99 ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    `| ${f0(d.attempts)} | ${d.concurrency} | ${d.shards} | ${f0(d.stock)} | ${f0(d.placed)} | ${f0(d.shortages)} | ${f0(d.concurrentUpdates)} | ${f0(d.errors)} | **${d.oversoldUnits}** | ${d.invariantViolations.length ? d.invariantViolations.slice(0, 3).join('; ') : `holds; reserved = placed: ${d.reservedMatchesPlaced}`} | ${(d.elapsedMs / 1000).toFixed(1)} | ${f0(d.attempts / (d.elapsedMs / 1000))} | ${d.p50.toFixed(1)} | ${d.p99.toFixed(1)} |`,
    ...(d.firstError ? ['', `First error: ${d.firstError}`] : []),
  ].join('\n');
}

/** Writes `update` into the "Hot stock" section of BENCHMARKS.md at `file`, keeping the other part and the rest of the file. */
export function writeHotStockSection(file: URL, update: HotStockParts): void {
  let md = '';
  try {
    md = readFileSync(file, 'utf8');
  } catch {
    md = '# Benchmarks\n';
  }
  const old = hotStockSection(md);
  const section = renderSection({ ...parts(old), ...Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined)) });
  writeFileSync(file, old ? md.replace(old, section) : `${md.trimEnd()}\n\n${section}\n`);
}
