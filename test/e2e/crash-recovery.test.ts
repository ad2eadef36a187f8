/**
 * Crash recovery (issue 4 item 5; PRODUCT.md invariants 1-4 "under any crash"): for each crash point of
 * the order path (src/faults.ts) the local runtime runs as a CHILD process (`local/main.ts --persist <dir>`)
 * with WANDIAN_FAULT_CRASH_AT naming the point and dies there (SIGKILL; DynamoDB Local, standing in for
 * the DynamoDB service, keeps every write it acknowledged and stops). It is restarted on the same
 * persisted data with the reconciler every second. Then no stock, coupon or money is lost: every order
 * ends final and consistent with its payment, every store x SKU has available + reserved + sold = stocked
 * with nothing left reserved, and each coupon counts exactly the redemptions of the orders still holding one.
 *
 * The local Step Functions executions live in memory and die with the process (as an Express execution may be
 * lost in AWS), so after the restart every segment that was in flight is gone: the reconciler drives those orders
 * from their state (a: start placeOrder that never ran; b: restart the segment of a claim that did not finish)
 * and the expiry sweeper expires the unpaid ones.
 *
 * The outbox (lib/wiring.ts `pipes`): every committed order change reaches the consumers exactly once after
 * the restart, whatever the crash point: the reports count every order placed, paid and cancelled once, and
 * every coupon redemption once. That includes a crash right after the order transaction (the 201 never sent)
 * and a crash of the local pipe between putting a batch on the bus and checkpointing it (redelivered after the
 * restart, deduplicated by the consumers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { TABLE_PREFIX } from '../../local/system.ts';
import type { CrashPoint } from '../../src/faults.ts';
import type { Coupon, InventoryLevel, Order } from '../../src/domain/types.ts';
import type { ReconcileSummary } from '../../src/domain/reconcile.ts';
import type { SweepSummary } from '../../src/saga/expiry.ts';
import { ApiClient } from '../helpers/api.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'crash-recovery-secret';
const FINAL = ['PAID', 'FULFILLED', 'CANCELLED', 'EXPIRED', 'PAYMENT_FAILED', 'REFUNDED'];
const COMPENSATED = ['CANCELLED', 'EXPIRED', 'PAYMENT_FAILED'];

interface Child {
  url: string;
  dynamoEndpoint: string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** Last lines of output, for failure messages. */
  tail: string[];
  /** The reconciler summaries the child logged (WARN level: runs that acted or failed). */
  summaries: ReconcileSummary[];
  /** The expiry sweeper's summaries the child logged (WARN level: sweeps that expired orders or failed). */
  sweeps: SweepSummary[];
  /** Lines reporting a scheduled run that threw. */
  failedRuns: string[];
  /** SIGTERM (SIGKILL after 20 s) and wait for the exit; harmless after a crash. */
  stop(): Promise<void>;
}

/** `local/main.ts --port 0 --persist <dir>` on this Node with `env` added; resolves at its `ready` line. */
async function startChild(dir: string, env: Record<string, string>): Promise<Child> {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', '--port', '0', '--persist', dir], {
    cwd: REPO_ROOT,
    env: { ...process.env, WANDIAN_PAYMENT_WEBHOOK_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => proc.kill('SIGKILL'); // never leave a runtime behind if this worker dies
  process.once('exit', killOnExit);
  const tail: string[] = [];
  const summaries: ReconcileSummary[] = [];
  const sweeps: SweepSummary[] = [];
  const failedRuns: string[] = [];
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const ready = new Promise<string>((resolve, reject) => {
    for (const stream of [proc.stdout!, proc.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 30) tail.shift();
        if (line.includes('run failed')) failedRuns.push(line);
        if (line.includes('"reconciled"')) summaries.push((JSON.parse(line) as { summary: ReconcileSummary }).summary);
        if (line.includes('"swept"')) sweeps.push((JSON.parse(line) as { summary: SweepSummary }).summary);
        if (line.includes('wandian local ready at')) resolve(line);
      });
    }
    void exited.then((code) => reject(new Error(`local runtime exited (${code}) before ready:\n${tail.join('\n')}`)));
  });
  const line = await ready;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return {
    url: /http:\/\/[^\s,)]+/.exec(line)![0],
    dynamoEndpoint: /DynamoDB Local (http:\/\/[^\s,)]+)/.exec(line)![1]!,
    exited,
    tail,
    summaries,
    sweeps,
    failedRuns,
    stop,
  };
}

/** Resolves once nothing accepts connections at `endpoint` (the crashed DynamoDB Local is gone). */
async function portClosed(endpoint: string): Promise<void> {
  const { hostname, port } = new URL(endpoint);
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (!open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every item of a local table. */
async function scanAll<T>(db: DynamoDBDocumentClient, table: string): Promise<T[]> {
  const items: T[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new ScanCommand({ TableName: `${TABLE_PREFIX}${table}`, ConsistentRead: true, ExclusiveStartKey }));
    items.push(...((out.Items ?? []) as T[]));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

type StoredOrder = Order & { openShard?: string };

/** Polls the orders table until `done(orders)` holds (or fails after 120 s with the last statuses). */
async function waitForOrders(db: DynamoDBDocumentClient, done: (orders: StoredOrder[]) => boolean): Promise<StoredOrder[]> {
  const deadline = Date.now() + 120_000;
  let orders: StoredOrder[] = [];
  while (Date.now() < deadline) {
    orders = await scanAll<StoredOrder>(db, 'orders');
    if (done(orders)) return orders;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`orders did not settle: ${JSON.stringify(orders.map((o) => [o.orderId, o.status]))}`);
}

interface Seeded {
  storeId: string;
  code: string;
}

const WALLET_TOP_UP = 50_000;

/**
 * A store with SKUs A (10 units) and B (5 units) at 1250 CNY, coupon SAVE1 (100 off, at most 5 uses, 3 per
 * customer), and a wallet of 50,000 CNY minor units for customer cust-1.
 */
async function seed(api: ApiClient): Promise<Seeded> {
  const storeId = 'crash-store';
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Crash store', region: 'east', timezone: 'Asia/Shanghai' })).status).toBe(200);
  for (const [sku, available] of [
    ['A', 10],
    ['B', 5],
  ] as const) {
    expect((await api.put(`/v1/catalog/${sku}`, { name: `Item ${sku}`, unitPrice: 1250, currency: 'CNY', category: 'food' })).status).toBe(
      200,
    );
    expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: 0 })).status).toBe(200);
  }
  const code = 'SAVE1';
  expect(
    (await api.put(`/v1/coupons/${code}`, { type: 'AMOUNT_OFF', amountOff: 100, maxRedemptions: 5, perCustomerLimit: 3 })).status,
  ).toBe(200);
  // Contract v1.1: the wallet is funded by a top-up that the provider's webhook confirms.
  const topUp = await api.topUp('cust-1', WALLET_TOP_UP, 'CNY', 'CARD', 'seed-top-up');
  expect(topUp.status).toBe(201);
  expect((await api.payTopup(topUp.body)).body.disposition).toBe('APPLIED');
  return { storeId, code };
}

const order = (s: Seeded, withCoupon = true, paymentMethod = 'CARD') => ({
  storeId: s.storeId,
  customerId: 'cust-1',
  items: [
    { sku: 'A', quantity: 2 },
    { sku: 'B', quantity: 1 },
  ],
  ...(withCoupon ? { couponCodes: [s.code] } : {}),
  paymentMethod,
});

/** Swallows the connection error of a request the crash cut off (the answer never comes). */
const cutOff = (request: Promise<unknown>) =>
  request.then(
    () => undefined,
    () => undefined,
  );

/**
 * The invariants after recovery, from the tables themselves: PRODUCT.md invariants 1 (stock), 2
 * (reserved once, released or committed once), 3 (coupon counters) and 4 (money) over every order.
 */
async function expectNothingLost(db: DynamoDBDocumentClient, orders: StoredOrder[], s: Seeded): Promise<void> {
  for (const o of orders) {
    const where = `${o.orderId} (${o.status})`;
    expect(FINAL, where).toContain(o.status);
    expect(o.openShard, `${where} left the open-orders index`).toBeUndefined();
    const captured = o.payment?.status === 'SUCCEEDED';
    if (o.status === 'PAID') {
      // Paid in full, kept, stock sold; a wallet order's debit stands.
      expect(o.payment, where).toMatchObject({ status: 'SUCCEEDED', amount: o.pricing.total, currency: o.pricing.currency });
      expect(o.refundId, where).toBeUndefined();
      expect(o.stockState, where).toBe('COMMITTED');
      if (o.paymentMethod === 'BALANCE') expect(o.walletDebit, where).toBe('DEBITED');
    } else {
      // Compensated: any captured money was refunded (a wallet debit credited back), stock and coupons given back.
      expect(COMPENSATED, where).toContain(o.status);
      if (captured) expect(o.refundId, `${where} refunded`).toBeDefined();
      expect(o.walletDebit, where).not.toBe('DEBITED');
      expect(o.stockState, where).toBe('RELEASED');
      expect(o.couponsState, where).not.toBe('REDEEMED');
    }
  }
  // The wallet holds the top-up minus exactly the orders it still pays for.
  const debited = orders.filter((o) => o.walletDebit === 'DEBITED').reduce((n, o) => n + o.pricing.total, 0);
  const wallet = (
    await db.send(new GetCommand({ TableName: `${TABLE_PREFIX}wallets`, Key: { customerId: 'cust-1' }, ConsistentRead: true }))
  ).Item;
  expect(wallet?.balance, 'wallet balance = top-up - debits not given back').toBe(WALLET_TOP_UP - debited);

  const levels = await scanAll<InventoryLevel>(db, 'inventory');
  expect(levels.map((l) => l.sku).sort()).toEqual(['A', 'B']);
  for (const level of levels) {
    const sold = orders
      .filter((o) => o.stockState === 'COMMITTED')
      .flatMap((o) => o.reservation)
      .filter((l) => l.sku === level.sku)
      .reduce((n, l) => n + l.quantity, 0);
    expect(level.available + level.reserved + level.sold, `${level.sku}: available + reserved + sold = stocked`).toBe(level.stocked);
    expect(level.reserved, `${level.sku}: nothing reserved once every order is final`).toBe(0);
    expect(level.sold, `${level.sku}: sold = units of PAID orders`).toBe(sold);
  }

  const holding = orders.filter((o) => o.couponsState === 'REDEEMED' && o.couponRedemptions.some((r) => r.code === s.code));
  const key = (scope: string) => ({ TableName: `${TABLE_PREFIX}coupons`, Key: { code: s.code, scope }, ConsistentRead: true });
  const coupon = (await db.send(new GetCommand(key('COUPON')))).Item as Coupon;
  expect(coupon.redemptions, 'coupon redemptions = orders still holding one').toBe(holding.length);
  const perCustomer = (await db.send(new GetCommand(key('CUSTOMER#cust-1')))).Item as { redemptions?: number } | undefined;
  expect(perCustomer?.redemptions ?? 0, 'per-customer redemptions = orders still holding one').toBe(holding.length);
}

/** Polls `read` until `done(value)`; throws after 60 s with the last value (events flow asynchronously). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`not reached in 60 s; last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
    last = await read();
  }
  return last;
}

/**
 * The outbox after recovery: every order change the tables hold reached the consumers, each once. The funnel
 * counts every order placed and every PAID one, the sales report every PAID and every compensated order, the
 * coupon report every order that redeemed the coupon at placement (a release is not announced).
 */
async function expectEveryEventOnce(api: ApiClient, orders: StoredOrder[], s: Seeded, from: string): Promise<void> {
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const q = new URLSearchParams({ storeId: s.storeId, from, to }).toString();
  const paid = orders.filter((o) => o.status === 'PAID').length;
  const compensated = orders.filter((o) => COMPENSATED.includes(o.status)).length;
  const withCoupon = orders.filter((o) => o.appliedCoupons.some((c) => c.code === s.code)).length;
  const funnel = (r: { body: { placed?: number; paid?: number } }) => [r.body.placed ?? 0, r.body.paid ?? 0];
  const sum = (r: { body: { rows?: Record<string, number>[] } }, k: string) => (r.body.rows ?? []).reduce((n, row) => n + (row[k] ?? 0), 0);
  const sales = (r: { body: { rows?: Record<string, number>[] } }) => [sum(r, 'orders'), sum(r, 'cancelled'), sum(r, 'refunded')];
  const expected = { funnel: [orders.length, paid], sales: [paid, compensated, 0], coupons: withCoupon };
  // Wait until every count is reached, then check that none went beyond (a repeat would show as one too many).
  const read = async () => ({
    funnel: funnel(await api.get(`/v1/reports/funnel?${q}`)),
    sales: sales(await api.get(`/v1/reports/sales?${q}`)),
    coupons: sum(await api.get(`/v1/reports/coupons?${new URLSearchParams({ code: s.code, from, to })}`), 'redemptions'),
  });
  const reached = (v: typeof expected) =>
    v.funnel.every((n, i) => n >= expected.funnel[i]!) && v.sales.every((n, i) => n >= expected.sales[i]!) && v.coupons >= expected.coupons;
  await eventually(read, reached);
  await new Promise((r) => setTimeout(r, 1_000)); // late duplicates would land now
  expect(await read(), 'every order change counted exactly once by the consumers').toEqual(expected);
}

/**
 * Runs `before` on a fresh child armed to crash at `point`, waits for the crash, restarts on the same
 * data with the reconciler every second, waits until `settled`, checks every invariant, and returns
 * the orders. `timeoutSeconds` is the payment timeout of both runs.
 */
async function crashAndRecover(
  point: CrashPoint,
  opts: {
    timeoutSeconds: number;
    /** False when the crash may leave nothing to repair (the saga can finish before the process dies). */
    expectRepairs?: boolean;
    before: (api: ApiClient, s: Seeded) => Promise<void>;
    /** Checks on the persisted data directory between the crash and the restart. */
    afterCrash?: (dir: string) => void;
    after?: (api: ApiClient, db: DynamoDBDocumentClient) => Promise<void>;
  },
): Promise<StoredOrder[]> {
  const dir = mkdtempSync(join(tmpdir(), `wandian-crash-${point}-`));
  const env = {
    WANDIAN_PAYMENT_TIMEOUT_SECONDS: String(opts.timeoutSeconds),
    WANDIAN_RECONCILE_GRACE_SECONDS: '1',
    WANDIAN_RECONCILE_STUCK_AFTER_SECONDS: '1',
    WANDIAN_RECONCILE_INVENTORY_SEGMENTS: '1',
  };
  const children: Child[] = [];
  try {
    // No reconciler before the crash: what gets repaired is repaired after the restart.
    const from = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    const first = await startChild(dir, { ...env, WANDIAN_LOCAL_SCHEDULE_SECONDS: '0', WANDIAN_FAULT_CRASH_AT: point });
    children.push(first);
    const api = new ApiClient(first.url, SECRET);
    const s = await seed(api);
    await opts.before(api, s);
    expect(await first.exited, `crashed at ${point}:\n${first.tail.join('\n')}`).toBe('SIGKILL');
    await portClosed(first.dynamoEndpoint);
    opts.afterCrash?.(dir);

    const second = await startChild(dir, { ...env, WANDIAN_LOCAL_SCHEDULE_SECONDS: '1' });
    children.push(second);
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: second.dynamoEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    await opts.after?.(new ApiClient(second.url, SECRET), db);
    const orders = await waitForOrders(db, (all) => all.length > 0 && all.every((o) => FINAL.includes(o.status)));
    await expectNothingLost(db, orders, s);
    await expectEveryEventOnce(new ApiClient(second.url, SECRET), orders, s, from);
    // The reconciler and the expiry sweeper did the driving (no execution survived the crash), and every run went through.
    const acted =
      second.summaries.reduce((n, r) => n + r.started + r.committed + r.compensated, 0) + second.sweeps.reduce((n, r) => n + r.expired, 0);
    if (opts.expectRepairs !== false) expect(acted, 'segments started again or orders expired after the restart').toBeGreaterThan(0);
    expect(second.failedRuns).toEqual([]);
    expect(second.summaries.filter((r) => r.errors > 0 || r.mismatches > 0)).toEqual([]);
    expect(second.sweeps.filter((r) => r.errors > 0)).toEqual([]);
    db.destroy();
    return orders;
  } finally {
    for (const child of children) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const statuses = (orders: StoredOrder[]) => orders.map((o) => o.status).sort();

// Each case starts the local runtime twice (DynamoDB Local and all): minutes on a busy 2-core machine.
describe('crash recovery of the order path (local runtime killed and restarted on its persisted data)', { timeout: 300_000 }, () => {
  it('after-order-transaction: starts the saga that never started, and the customer can still pay', async () => {
    const orders = await crashAndRecover('after-order-transaction', {
      timeoutSeconds: 40,
      before: async (api, s) => cutOff(api.createOrder(order(s))),
      after: async (api, db) => {
        // The reconciler's (a) check starts the order saga: its first step records a payment intent.
        const [pending] = await waitForOrders(db, (all) => all.length === 1 && all[0]!.paymentIntentId !== undefined);
        expect((await api.pay(pending!)).status).toBe(200);
      },
    });
    expect(statuses(orders)).toEqual(['PAID']);
    expect(orders[0]!.couponsState).toBe('REDEEMED');
  });

  it('after-saga-start: an order whose saga died with the process expires and gives everything back', async () => {
    const orders = await crashAndRecover('after-saga-start', {
      timeoutSeconds: 4,
      before: async (api, s) => cutOff(api.createOrder(order(s))),
    });
    expect(statuses(orders)).toEqual(['EXPIRED']);
  });

  it('after-saga-start, wallet payment: the wallet is debited once and kept only for a PAID order', async () => {
    const orders = await crashAndRecover('after-saga-start', {
      timeoutSeconds: 4,
      expectRepairs: false, // the wallet saga may finish before the process dies
      before: async (api, s) => cutOff(api.createOrder(order(s, true, 'BALANCE'))),
    });
    expect(orders).toHaveLength(1);
    expect(['PAID', 'EXPIRED']).toContain(orders[0]!.status);
  });

  it('after-payment-recorded: commits a payment that was recorded in time though the saga never heard of it', async () => {
    const orders = await crashAndRecover('after-payment-recorded', {
      timeoutSeconds: 4,
      before: async (api, s) => {
        expect((await api.createOrder(order(s, false))).status).toBe(201); // a bystander nobody pays
        const created = await api.createOrder(order(s));
        expect(created.status).toBe(201);
        await cutOff(api.pay(created.body));
      },
    });
    expect(statuses(orders)).toEqual(['EXPIRED', 'PAID']);
  });

  it('after-commit: a committed order stays PAID and a bystander pending order expires', async () => {
    const orders = await crashAndRecover('after-commit', {
      timeoutSeconds: 4,
      before: async (api, s) => {
        expect((await api.createOrder(order(s, false))).status).toBe(201);
        const created = await api.createOrder(order(s));
        expect(created.status).toBe(201);
        await cutOff(api.pay(created.body));
      },
    });
    expect(statuses(orders)).toEqual(['EXPIRED', 'PAID']);
  });

  it('after-release-stock: finishes a cancel compensation halfway done (coupons released, order CANCELLED)', async () => {
    const orders = await crashAndRecover('after-release-stock', {
      timeoutSeconds: 4,
      before: async (api, s) => {
        expect((await api.createOrder(order(s, false))).status).toBe(201);
        const created = await api.createOrder(order(s));
        expect(created.status).toBe(201);
        expect((await api.cancel(created.body.orderId)).status).toBe(202);
      },
    });
    expect(statuses(orders)).toEqual(['CANCELLED', 'EXPIRED']);
    expect(orders.find((o) => o.status === 'CANCELLED')!.couponsState).toBe('RELEASED');
  });

  it('after-pipe-delivery: the local pipe dies after the consumers counted a batch but before its checkpoint; the restart delivers it again, counted once', async () => {
    const orders = await crashAndRecover('after-pipe-delivery', {
      timeoutSeconds: 4,
      before: async (api, s) => cutOff(api.createOrder(order(s))),
      // Nothing was checkpointed: the restarted pipe reads the stream from its start and puts OrderPlaced again.
      afterCrash: (dir) => expect(existsSync(join(dir, 'stream-checkpoints.json'))).toBe(false),
    });
    expect(statuses(orders)).toEqual(['EXPIRED']);
  });
});
