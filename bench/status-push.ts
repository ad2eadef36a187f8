/**
 * Status push latency (PRODUCT.md: status update to the client <= 500 ms end to end), on the local system:
 * `npx tsx bench/status-push.ts [--orders 300] [--concurrency 8]`. Starts the local system as a child process
 * (like `npm run bench`); each worker subscribes a WebSocket client to a fresh customer
 * (`ws://.../ws?token=<that customer's access token>&customerId=`, the token from `POST /local/token`), places an order, waits for PENDING_PAYMENT, pays it through the signed webhook
 * and waits for PAID. Figures, in ms:
 * - status change → message: message arrival minus the message's `at` (when the handler stamped the new
 *   status, just before writing it), so it covers the DynamoDB write, the event, the bus, the push Lambda and
 *   the management API. Same machine, same clock.
 * - webhook → PAID at client: from sending the payment callback to the PAID message (the saga's resume,
 *   CommitReservation and the push), what a paying customer waits for.
 * `measureStatusPush` is exported for bench/run.ts.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { ApiClient } from '../local/api-client.ts';
import { startLocalChild } from '../local/demo/child.ts';

const TARGET_MS = 500;
const MESSAGE_TIMEOUT_MS = 10_000;

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface StatusPushResult {
  /** Status change → message at the client, both statuses. */
  statusToClient: LatencySummary;
  byStatus: Record<'PENDING_PAYMENT' | 'PAID', LatencySummary>;
  /** Payment webhook sent → PAID message at the client. */
  webhookToPaid: LatencySummary;
  /** Messages that did not arrive within 10 s. */
  missed: number;
  targetMs: number;
}

/** Nearest-rank percentiles of `values` (ms). */
export function summarize(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

/**
 * Runs `orders` order lifecycles against the API at `baseUrl` (its WebSocket at `/ws`) with `concurrency`
 * workers, on the store and SKU given (which must have stock). Returns the latency figures.
 */
export async function measureStatusPush(opts: {
  baseUrl: string;
  webhookSecret: string;
  storeId: string;
  sku: string;
  orders: number;
  concurrency: number;
}): Promise<StatusPushResult> {
  const api = new ApiClient(opts.baseUrl, opts.webhookSecret);
  const wsBase = opts.baseUrl.replace(/^http/, 'ws');
  const lat: Record<'PENDING_PAYMENT' | 'PAID', number[]> = { PENDING_PAYMENT: [], PAID: [] };
  const webhookToPaid: number[] = [];
  let missed = 0;
  let next = 0;

  const worker = async () => {
    while (next < opts.orders) {
      next++;
      const customerId = `push-${randomUUID().slice(0, 12)}`;
      const token = await api.token({ sub: customerId, groups: ['customer'] });
      const ws = new WebSocket(`${wsBase}/ws?token=${encodeURIComponent(token)}&customerId=${customerId}`);
      const waiters = new Map<string, (receivedAt: number, at: string) => void>();
      ws.on('message', (data) => {
        const receivedAt = Date.now();
        const m = JSON.parse(data.toString()) as { status: string; at: string };
        waiters.get(m.status)?.(receivedAt, m.at);
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const arrival = (status: 'PENDING_PAYMENT' | 'PAID') =>
        new Promise<{ receivedAt: number; at: string } | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), MESSAGE_TIMEOUT_MS);
          waiters.set(status, (receivedAt, at) => {
            clearTimeout(timer);
            resolve({ receivedAt, at });
          });
        });
      try {
        const pending = arrival('PENDING_PAYMENT');
        const created = await api.createOrder({
          storeId: opts.storeId,
          customerId,
          items: [{ sku: opts.sku, quantity: 1 }],
          paymentMethod: 'WECHAT_PAY',
        });
        if (created.status !== 201) throw new Error(`create order: ${created.status} ${JSON.stringify(created.body)}`);
        const placed = await pending;
        if (placed) lat.PENDING_PAYMENT.push(placed.receivedAt - Date.parse(placed.at));
        else missed++;
        const paidArrival = arrival('PAID');
        const sentAt = Date.now();
        const paid = await api.pay(created.body);
        if (paid.status !== 200) throw new Error(`pay: ${paid.status} ${JSON.stringify(paid.body)}`);
        const got = await paidArrival;
        if (got) {
          lat.PAID.push(got.receivedAt - Date.parse(got.at));
          webhookToPaid.push(got.receivedAt - sentAt);
        } else missed++;
      } finally {
        ws.close();
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return {
    statusToClient: summarize([...lat.PENDING_PAYMENT, ...lat.PAID]),
    byStatus: { PENDING_PAYMENT: summarize(lat.PENDING_PAYMENT), PAID: summarize(lat.PAID) },
    webhookToPaid: summarize(webhookToPaid),
    missed,
    targetMs: TARGET_MS,
  };
}

/** Markdown table of a result. */
export function renderStatusPush(r: StatusPushResult, concurrency: number): string {
  const row = (name: string, s: LatencySummary) =>
    `| ${name} | ${s.count} | ${s.p50} | ${s.p99} | ${s.max} | <= ${r.targetMs} | ${s.p99 <= r.targetMs ? 'met' : 'MISSED'} |`;
  return [
    `Status push at ${concurrency} concurrent clients (ms; ${r.missed} messages missed):`,
    '',
    '| figure | messages | p50 | p99 | max | target | p99 vs target |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- |',
    row('status change → message at client (all)', r.statusToClient),
    row('  PENDING_PAYMENT (order placed)', r.byStatus.PENDING_PAYMENT),
    row('  PAID (payment committed)', r.byStatus.PAID),
    row('payment webhook sent → PAID at client', r.webhookToPaid),
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { orders: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '8' } } });
  const orders = Number(values.orders);
  const concurrency = Number(values.concurrency);
  if (!(Number.isInteger(orders) && orders > 0 && Number.isInteger(concurrency) && concurrency > 0)) {
    throw new Error('usage: npx tsx bench/status-push.ts [--orders N] [--concurrency C]');
  }
  const secret = 'wandian-bench-webhook-secret';
  console.error('status-push: starting the local system (child process)...');
  const child = await startLocalChild({ env: { WANDIAN_PAYMENT_WEBHOOK_SECRET: secret }, logName: 'wandian-bench-status-push' });
  try {
    const api = new ApiClient(child.url, secret);
    const storeId = 'push-bench-store';
    const sku = 'push-bench-sku';
    for (const [path, body] of [
      [`/v1/stores/${storeId}`, { name: 'Push bench', region: 'east', timezone: 'Asia/Shanghai' }],
      [`/v1/catalog/${sku}`, { name: 'Tea', unitPrice: 800, currency: 'CNY', category: 'bench' }],
      [`/v1/stores/${storeId}/inventory/${sku}`, { available: 10_000_000, lowStockThreshold: 0 }],
    ] as const) {
      const res = await api.put(path, body);
      if (res.status !== 200) throw new Error(`seed PUT ${path}: ${res.status}`);
    }
    console.error(`status-push: warm-up, then ${orders} orders at concurrency ${concurrency}`);
    await measureStatusPush({ baseUrl: child.url, webhookSecret: secret, storeId, sku, orders: 20, concurrency: 2 });
    const result = await measureStatusPush({ baseUrl: child.url, webhookSecret: secret, storeId, sku, orders, concurrency });
    console.log(renderStatusPush(result, concurrency));
    return result.missed === 0 ? 0 : 1;
  } finally {
    await child.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(`status-push: failed: ${(error as Error).stack ?? error}`);
      process.exit(1);
    },
  );
}
