/**
 * `npx tsx bench/report-writes.ts [--burst N]`: DynamoDB write units the REPORTS table takes per order, counted
 * by the AWS rules on every write the handlers send (an SDK middleware on the shared client,
 * functions/commons/clients.ts): a write costs 1 WCU per started KB of the item, a write inside
 * TransactWriteItems 2 (report rows and markers are all well under 1 KB: the largest item written is
 * printed). Runs the local system in-process and drives, one at a time so each event is a batch of its
 * own (the worst case for batching): a card order paid, paid with a coupon, cancelled, expired, and paid
 * then refunded; then a burst of N orders (default 100, 16 at a time) created and paid at one store, where
 * the 1 s batching window collects many events per batch. Prints a markdown table: reports WCU per order,
 * EventBridge target invocations per order (every rule target, the local bus's deliveries) and invocations
 * of the reporting Lambdas per order.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { dynamo } from '../functions/commons/clients.ts';
import { ApiClient } from '../local/api-client.ts';
import { startLocalSystem } from '../local/system.ts';

const SECRET = 'wandian-report-writes-secret';
const TRANSACT_FACTOR = 2;

let units = 0;
let largestItem = 0;

/** Approximate DynamoDB item size (attribute names + values, UTF-8), as the AWS size rules count it. */
function itemSize(item: Record<string, unknown> | undefined): number {
  if (!item) return 0;
  const size = (v: unknown): number => {
    if (v === null || v === undefined) return 1;
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (typeof v === 'number' || typeof v === 'bigint') return 21;
    if (typeof v === 'boolean') return 1;
    if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + size(x), 0);
    if (typeof v === 'object') {
      // Marshalled AttributeValue ({S: ...}, {N: ...}) or a plain map.
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 1 && ['S', 'N', 'BOOL', 'NULL', 'M', 'L'].includes(entries[0]![0])) return size(entries[0]![1]);
      return 3 + entries.reduce((n, [k, x]) => n + Buffer.byteLength(k) + 1 + size(x), 0);
    }
    return 0;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + size(v), 0);
}

/** Write units of one write of `item` (for an update: its key and values, a lower bound of the new item). */
function writeUnits(input: Record<string, any>, factor: number): number {
  const bytes = itemSize(input.Item ?? { ...input.Key, ...input.ExpressionAttributeValues });
  largestItem = Math.max(largestItem, bytes);
  return factor * Math.max(1, Math.ceil(bytes / 1024));
}

function countReportWrites(reportsTable: () => string | undefined): void {
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, any>;
      const table = reportsTable();
      const op = context.commandName;
      if (op === 'TransactWriteItemsCommand') {
        for (const item of input.TransactItems ?? []) {
          const write = item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck;
          if (write?.TableName === table) units += writeUnits(write, TRANSACT_FACTOR);
        }
      } else if (['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand'].includes(op ?? '') && input.TableName === table) {
        units += writeUnits(input, 1);
      } else if (op === 'BatchWriteItemCommand') {
        for (const req of input.RequestItems?.[table ?? ''] ?? []) units += writeUnits(req.PutRequest ?? req.DeleteRequest, 1);
      }
      return next(args);
    },
    { step: 'build', name: 'countReportWrites', override: true },
  );
}

async function ok(res: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Waits until the bus is idle and no report write came for 1.5 s (a saga step may publish after the status the flow waited for). */
async function settle(system: { bus: { idle(): Promise<void> } }): Promise<void> {
  for (;;) {
    await system.bus.idle();
    const before = units;
    await new Promise((r) => setTimeout(r, 1500));
    await system.bus.idle();
    if (units === before) return;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { burst: { type: 'string', default: '100' } } });
  const burst = Number(values.burst);
  process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET = SECRET;
  process.env.WANDIAN_PAYMENT_TIMEOUT_SECONDS = '8'; // the expired flow waits it out; the burst pays well within it
  process.env.WANDIAN_CUSTOMER_ORDERS_PER_MINUTE = '100000';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const system = await startLocalSystem({ port: 0, quiet: true });
  countReportWrites(() => process.env.TABLE_REPORTS);
  const api = new ApiClient(system.url, SECRET);
  const run = randomUUID().slice(0, 6);
  const store = `rw-${run}`;
  const sku = `rw-sku-${run}`;
  const code = `RW${run}`.toUpperCase();
  try {
    await ok(api.put(`/v1/stores/${store}`, { name: store, region: 'east', timezone: 'Asia/Shanghai' }), 'store');
    await ok(api.put(`/v1/catalog/${sku}`, { name: 'Tea', unitPrice: 900, currency: 'CNY', category: 'bench' }), 'catalog');
    await ok(api.put(`/v1/stores/${store}/inventory/${sku}`, { available: 1_000_000, lowStockThreshold: 0 }), 'inventory');
    await ok(api.put(`/v1/coupons/${code}`, { type: 'AMOUNT_OFF', amountOff: 100 }), 'coupon');
    const create = (extra: object = {}) =>
      ok(
        api.createOrder({
          storeId: store,
          customerId: `c-${randomUUID().slice(0, 6)}`,
          items: [{ sku, quantity: 1 }],
          paymentMethod: 'CARD',
          ...extra,
        }),
        'order',
      );
    const flows: Record<string, () => Promise<void>> = {
      paid: async () => {
        const o = await create();
        await ok(api.pay(o), 'pay');
        await api.waitForStatus(o.orderId, ['PAID']);
      },
      'paid with a coupon': async () => {
        const o = await create({ couponCodes: [code] });
        await ok(api.pay(o), 'pay');
        await api.waitForStatus(o.orderId, ['PAID']);
      },
      cancelled: async () => {
        const o = await create();
        await ok(api.cancel(o.orderId), 'cancel');
        await api.waitForStatus(o.orderId, ['CANCELLED']);
      },
      expired: async () => {
        const o = await create();
        await api.waitForStatus(o.orderId, ['EXPIRED'], 30_000);
      },
      refunded: async () => {
        const o = await create();
        await ok(api.pay(o), 'pay');
        await api.waitForStatus(o.orderId, ['PAID']);
        await ok(api.cancel(o.orderId), 'refund');
        await api.waitForStatus(o.orderId, ['REFUNDED']);
      },
    };
    const rows: string[] = [];
    const REPORTING = ['recordSales', 'recordFunnel', 'recordCouponRedemptions', 'projectReports'];
    const counts = () => {
      const stats = system.stats();
      return {
        targets: stats.bus.delivered,
        lambdas: REPORTING.reduce((n, id) => n + (stats.functions[id]?.invocations ?? 0), 0),
      };
    };
    const row = (name: string, orders: number, before: ReturnType<typeof counts>) => {
      const after = counts();
      const per = (n: number) => (n / orders).toFixed(2).replace(/\.00$/, '');
      return `| ${name} | ${orders} | ${units} | ${per(units)} | ${per(after.targets - before.targets)} | ${per(after.lambdas - before.lambdas)} |`;
    };
    for (const [name, flow] of Object.entries(flows)) {
      await settle(system);
      units = 0;
      const before = counts();
      await flow();
      await settle(system);
      rows.push(row(`${name}, alone`, 1, before));
    }
    await settle(system);
    units = 0;
    const beforeBurst = counts();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next++ < burst) {
          const o = await create();
          await ok(api.pay(o), 'pay');
          await api.waitForStatus(o.orderId, ['PAID']);
        }
      }),
    );
    await settle(system);
    rows.push(row('paid, burst at one store (16 at a time)', burst, beforeBurst));
    console.log(
      [
        '| flow | orders | reports WCU | reports WCU per order | target invocations per order | reporting Lambda invocations per order |',
        '| --- | --- | --- | --- | --- | --- |',
        ...rows,
      ].join('\n'),
    );
    console.log(`\nlargest item written to the reports table: ~${largestItem} B (1 KB = 1 WCU, x2 in a transaction)`);
  } finally {
    await system.stop();
  }
}

main().catch((error) => {
  console.error(`report-writes bench failed: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
