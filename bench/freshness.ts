/**
 * `npx tsx bench/freshness.ts [--samples N] [--load C]`: how fast events turn into what operators read,
 * on the local system (child process, as `npm run bench`), against PRODUCT.md's figures:
 * - report freshness: an order is marked PAID (the OrderPaid fact; published right after) → the hourly
 *   sales report (GET /v1/reports/sales) counts it. Target <= 3 s.
 * - low-stock alert latency: the order whose reservation takes stock to its threshold is written
 *   (order `createdAt`, just before the decrement commits) → the alert is listed by GET /v1/alerts.
 *   Target <= 1 s.
 * Samples are taken one at a time; `--load C` keeps C other clients creating and paying orders meanwhile.
 * "Visible" is found by polling every 5 ms, so each figure carries up to ~5 ms of polling slack.
 * Prints a markdown table; exports {@link measureFreshness} for `bench/run.ts`.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import hdr from 'hdr-histogram-js';
import { ApiClient } from '../local/api-client.ts';
import { startLocalChild, type LocalChild } from '../local/demo/child.ts';

const SECRET = 'wandian-freshness-webhook-secret';
const POLL_MS = 5;
const TIMEOUT_MS = 30_000;

/** One figure: milliseconds. */
export interface LatencyFigure {
  name: string;
  target: string;
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every POLL_MS until it is true; returns Date.now() at that moment. Throws after TIMEOUT_MS. */
async function visibleAt(check: () => Promise<boolean>): Promise<number> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await check()) return Date.now();
    await sleep(POLL_MS);
  }
  throw new Error(`not visible within ${TIMEOUT_MS} ms`);
}

function figure(name: string, target: string, values: number[]): LatencyFigure {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000, numberOfSignificantValueDigits: 3 });
  for (const v of values) h.recordValue(Math.max(1, Math.round(v)));
  return { name, target, samples: values.length, p50: h.getValueAtPercentile(50), p99: h.getValueAtPercentile(99), max: h.maxValue };
}

async function expectOk(res: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Keeps `clients` loops creating and paying orders at another store until `stop()` is called. */
function backgroundLoad(api: ApiClient, storeId: string, sku: string, clients: number): { stop: () => Promise<number> } {
  let running = true;
  let orders = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const created = await api.createOrder({
        storeId,
        customerId: `load-${randomUUID().slice(0, 6)}`,
        items: [{ sku, quantity: 1 }],
        paymentMethod: 'CARD',
      });
      if (created.status === 201) {
        await api.pay(created.body);
        orders++;
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return orders;
    },
  };
}

/** Runs `samples` freshness and alert samples against the API at `api`; see the module doc. */
export async function measureFreshness(
  api: ApiClient,
  opts: { samples: number; load: number },
): Promise<{ figures: LatencyFigure[]; loadOrders: number }> {
  const run = randomUUID().slice(0, 6);
  const store = `fresh-${run}`;
  const loadStore = `fresh-load-${run}`;
  const sku = `fresh-sku-${run}`;
  for (const s of [store, loadStore])
    await expectOk(api.put(`/v1/stores/${s}`, { name: s, region: 'east', timezone: 'Asia/Shanghai' }), 'store');
  await expectOk(api.put(`/v1/catalog/${sku}`, { name: 'Fresh tea', unitPrice: 900, currency: 'CNY', category: 'bench' }), 'catalog');
  for (const s of [store, loadStore])
    await expectOk(api.put(`/v1/stores/${s}/inventory/${sku}`, { available: 10_000_000, lowStockThreshold: 0 }), 'inventory');
  const from = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
  const to = new Date(Date.parse(from) + 24 * 3_600_000).toISOString();

  const load = opts.load > 0 ? backgroundLoad(api, loadStore, sku, opts.load) : undefined;
  const freshness: number[] = [];
  const alerts: number[] = [];
  let loadOrders = 0;
  try {
    for (let i = 0; i < opts.samples; i++) {
      // Report freshness: PAID (OrderPaid) → counted by GET /v1/reports/sales.
      const order = await expectOk(
        api.createOrder({ storeId: store, customerId: `c-${i}`, items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' }),
        'order',
      );
      await expectOk(api.pay(order), 'pay');
      const seen = await visibleAt(async () => {
        const rows = (await api.get(`/v1/reports/sales?storeId=${store}&from=${from}&to=${to}`)).body.rows as { orders: number }[];
        return rows.reduce((n, r) => n + r.orders, 0) >= i + 1;
      });
      const paid = (await api.get(`/v1/orders/${order.orderId}`)).body.history.find((h: { status: string }) => h.status === 'PAID');
      freshness.push(seen - Date.parse(paid.at));

      // Alert latency: the reservation that reaches the threshold → listed by GET /v1/alerts.
      const lowSku = `fresh-low-${run}-${i}`;
      await expectOk(api.put(`/v1/catalog/${lowSku}`, { name: 'Low', unitPrice: 100, currency: 'CNY', category: 'bench' }), 'catalog');
      await expectOk(api.put(`/v1/stores/${store}/inventory/${lowSku}`, { available: 2, lowStockThreshold: 1 }), 'inventory');
      const low = await expectOk(
        api.createOrder({ storeId: store, customerId: `c-${i}`, items: [{ sku: lowSku, quantity: 1 }], paymentMethod: 'CARD' }),
        'order',
      );
      const alerted = await visibleAt(async () =>
        ((await api.get(`/v1/alerts?storeId=${store}`)).body.alerts as { sku: string }[]).some((a) => a.sku === lowSku),
      );
      alerts.push(alerted - Date.parse(low.createdAt));
    }
  } finally {
    loadOrders = (await load?.stop()) ?? 0;
  }
  return {
    figures: [
      figure('report freshness (PAID → in GET /v1/reports/sales)', '<= 3000', freshness),
      figure('low-stock alert (decrement → in GET /v1/alerts)', '<= 1000', alerts),
    ],
    loadOrders,
  };
}

/** Markdown table of the figures (ms). */
export function freshnessTable(figures: LatencyFigure[]): string {
  return [
    '| figure | samples | p50 ms | p99 ms | max ms | target ms |',
    '| --- | --- | --- | --- | --- | --- |',
    ...figures.map((f) => `| ${f.name} | ${f.samples} | ${f.p50} | ${f.p99} | ${f.max} | ${f.target} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { samples: { type: 'string', default: '100' }, load: { type: 'string', default: '0' } } });
  const samples = Number(values.samples);
  const load = Number(values.load);
  if (!(Number.isInteger(samples) && samples > 0 && Number.isInteger(load) && load >= 0))
    throw new Error('usage: npx tsx bench/freshness.ts [--samples N] [--load C]');
  let child: LocalChild | undefined;
  process.once('SIGINT', () => void (child?.stop() ?? Promise.resolve()).finally(() => process.exit(130)));
  try {
    child = await startLocalChild({ env: { WANDIAN_PAYMENT_WEBHOOK_SECRET: SECRET }, logName: 'wandian-bench-freshness' });
    const started = Date.now();
    const { figures, loadOrders } = await measureFreshness(new ApiClient(child.url, SECRET), { samples, load });
    console.log(freshnessTable(figures));
    console.log(
      `\n${samples} samples each, one at a time, in ${((Date.now() - started) / 1000).toFixed(1)} s; background load: ${load} clients (${loadOrders} orders paid meanwhile); polling every ${POLL_MS} ms.`,
    );
  } finally {
    await child?.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(`freshness bench failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  });
}
