/**
 * The demo's traffic model: one trading day of customers, fast-forwarded. Each customer places an order
 * at a store (Zipf-popular SKUs, 1-4 lines of 1-3 units, 20% with coupon codes on top of the automatic
 * promotions, WeChat Pay / Alipay / card, or the wallet for the BALANCE scenarios) and then behaves as one
 * of the scenarios below; a flash sale sends hundreds of customers at one scarce item all at once. Every
 * request is timed (hdr-histogram, µs) and every answer tallied by status and code.
 */
import { randomUUID } from 'node:crypto';
import hdr from 'hdr-histogram-js';
import type { ApiClient, ApiResponse } from '../api-client.ts';
import { distinct, zipf, type Rng } from './random.ts';
import { forEachLimited, type ChainPlan, type WalletPlan } from './seed.ts';

/** What a customer does after placing the order, with the final status the Saga must reach for it. */
export const SCENARIOS = {
  /** Provider confirms the exact amount. */
  PAY: { weight: 47.25, expected: 'PAID' },
  /** Provider confirms, and delivers the callback twice (half of them concurrently). ~5% of successes. */
  PAY_TWICE: { weight: 3.75, expected: 'PAID' },
  /** Provider reports a failed payment. */
  FAIL: { weight: 7, expected: 'PAYMENT_FAILED' },
  /** Provider confirms a different amount (invariant 4: never PAID). */
  WRONG_AMOUNT: { weight: 1, expected: 'PAYMENT_FAILED' },
  /** No callback ever arrives: the order expires at expiresAt. */
  NO_CALLBACK: { weight: 8, expected: 'EXPIRED' },
  /** Customer cancels before paying. */
  CANCEL_BEFORE_PAY: { weight: 4, expected: 'CANCELLED' },
  /** Customer cancels, then the provider's success callback arrives late (it must be refunded, not applied). */
  CANCEL_THEN_LATE_PAYMENT: { weight: 3, expected: 'CANCELLED' },
  /** Customer pays, waits for PAID, then cancels: refund + restock. */
  CANCEL_AFTER_PAY: { weight: 2, expected: 'REFUNDED' },
  /** Customer pays, waits for PAID, the store hands the order over (fulfil); a quarter then try to cancel (409). */
  FULFIL: { weight: 12, expected: 'FULFILLED' },
  /** BALANCE: the wallet (topped up beforehand with enough for all of the customer's BALANCE orders) pays at once. */
  BALANCE_PAY: { weight: 9, expected: 'PAID' },
  /** BALANCE from a wallet holding 1 fen: the wallet declines, the order is compensated. */
  BALANCE_SHORT: { weight: 2, expected: 'PAYMENT_FAILED' },
  /** BALANCE paid, then cancelled: refunded, the money credited back to the wallet once. */
  BALANCE_REFUND: { weight: 1, expected: 'REFUNDED' },
} as const;
export type Scenario = keyof typeof SCENARIOS | 'FLASH';

/** Final status expected for a scenario (flash-sale winners pay: PAID). */
export const expectedStatus = (s: Scenario): string => (s === 'FLASH' ? 'PAID' : SCENARIOS[s].expected);

/** One planned customer. `chainMinute`: minute of the day (0..1439) in chain time (Asia/Shanghai). */
export interface CustomerPlan {
  n: number;
  chainMinute: number;
  body: { storeId: string; customerId: string; items: { sku: string; quantity: number }[]; couponCodes?: string[]; paymentMethod: string };
  scenario: Exclude<Scenario, 'FLASH'>;
  /** PAY_TWICE: both deliveries at once (else the second ~100 ms later). */
  concurrentDuplicate: boolean;
  /** The client retries POST /v1/orders with the same Idempotency-Key (invariant 6). */
  retryCreate: boolean;
  /** ms between placing the order and the next step (fast-forwarded customer think time). */
  thinkMs: number;
  /** FULFIL: the customer tries to cancel after the handover (expects 409 ORDER_NOT_CANCELLABLE). */
  cancelAfterFulfil: boolean;
}

/** Relative order volume per local hour of the day (breakfast, lunch and dinner peaks). */
const HOURLY = [1, 0.5, 0.3, 0.3, 0.4, 1, 3, 7, 8, 5, 5, 10, 12, 8, 5, 4, 5, 8, 10, 7, 5, 4, 3, 2];

/** Offset of `timeZone` from UTC in minutes today (e.g. 480 for Asia/Shanghai). */
export function utcOffsetMinutes(timeZone: string, at = new Date()): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')!.value;
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** `HH:MM` of a minute of the day. */
export const clock = (minute: number) =>
  `${String(Math.floor(minute / 60) % 24).padStart(2, '0')}:${String(Math.floor(minute % 60)).padStart(2, '0')}`;

/**
 * Plans `orders` customers over one day: a local time from the hourly profile at the store's time zone,
 * mapped to chain time and sorted by it. Stores are mildly skewed (Zipf 0.5), SKUs strongly (Zipf 1.1).
 * Customers who enter codes pick them by the coupons' `enterWeight`. BALANCE scenarios pay with BALANCE;
 * BALANCE_SHORT orders are placed by their own customers (`lean-…`, no codes), whose wallets get 1 fen.
 */
export function planDay(rng: Rng, chain: ChainPlan, opts: { orders: number }): CustomerPlan[] {
  const storeRank = zipf(chain.stores.length, 0.5, rng);
  const skuRank = zipf(chain.skus.length, 1.1, rng);
  const hourWeights = Object.fromEntries(HOURLY.map((w, h) => [String(h), w])) as Record<string, number>;
  const scenarioWeights = Object.fromEntries(Object.entries(SCENARIOS).map(([k, v]) => [k, v.weight])) as Record<
    keyof typeof SCENARIOS,
    number
  >;
  const chainOffset = utcOffsetMinutes('Asia/Shanghai');
  const offsets = new Map(chain.stores.map((s) => [s.storeId, utcOffsetMinutes(s.timezone)]));
  const customers = Math.max(1, Math.round(opts.orders / 2));
  const codeWeights = Object.fromEntries(
    chain.coupons.flatMap((c, i) => (c.enterWeight > 0 ? [[String(i), c.enterWeight]] : [])),
  ) as Record<string, number>;
  const plans: CustomerPlan[] = [];
  for (let n = 0; n < opts.orders; n++) {
    const store = chain.stores[storeRank()]!;
    const localMinute = Number(rng.weighted(hourWeights)) * 60 + rng.next() * 60;
    const chainMinute = (localMinute - offsets.get(store.storeId)! + chainOffset + 1440) % 1440;
    const lines = distinct(Math.min(rng.int(1, 4), chain.skus.length), skuRank).map((i) => ({
      sku: chain.skus[i]!.sku,
      quantity: rng.int(1, 3),
    }));
    let couponCodes = rng.chance(0.2)
      ? distinct(rng.chance(0.7) ? 1 : 2, () => Number(rng.weighted(codeWeights))).map((i) => chain.coupons[i]!.code)
      : undefined;
    const scenario = rng.weighted(scenarioWeights);
    let customerId = `cust-${String(rng.int(1, customers)).padStart(6, '0')}`;
    const method = rng.weighted({ WECHAT_PAY: 50, ALIPAY: 35, CARD: 15 });
    if (scenario === 'BALANCE_SHORT') {
      customerId = `lean-${String(n).padStart(6, '0')}`;
      couponCodes = undefined;
    }
    plans.push({
      n,
      chainMinute,
      body: {
        storeId: store.storeId,
        customerId,
        items: lines,
        ...(couponCodes ? { couponCodes } : {}),
        paymentMethod: scenario.startsWith('BALANCE') ? 'BALANCE' : method,
      },
      scenario,
      concurrentDuplicate: rng.chance(0.5),
      retryCreate: rng.chance(0.02),
      thinkMs: rng.int(0, 30),
      cancelAfterFulfil: rng.chance(0.25),
    });
  }
  return plans.sort((a, b) => a.chainMinute - b.chainMinute);
}

/**
 * Wallet top-ups (fen) planned from the day: every customer with BALANCE_PAY / BALANCE_REFUND orders gets
 * at least the sum of those orders' subtotals (a total never exceeds its subtotal, so every such order
 * is covered whatever runs concurrently) plus 0-50 yuan, in one or two top-ups; every BALANCE_SHORT
 * customer gets 1 fen; and 10% of the other customers top up 20-200 yuan they do not spend today.
 * One top-up in 20 is sent twice with the same Idempotency-Key.
 */
export function planWallets(rng: Rng, chain: ChainPlan, plans: readonly CustomerPlan[]): WalletPlan[] {
  const price = new Map(chain.skus.map((k) => [k.sku, k.unitPrice]));
  const needs = new Map<string, number>();
  const lean = new Set<string>();
  const others = new Set<string>();
  for (const p of plans) {
    const id = p.body.customerId;
    if (p.scenario === 'BALANCE_SHORT') lean.add(id);
    else if (p.scenario === 'BALANCE_PAY' || p.scenario === 'BALANCE_REFUND') {
      needs.set(id, (needs.get(id) ?? 0) + p.body.items.reduce((s, l) => s + l.quantity * price.get(l.sku)!, 0));
    } else others.add(id);
  }
  const topup = (amount: number) => ({ amount, key: randomUUID(), replay: rng.chance(0.05) });
  const wallets: WalletPlan[] = [];
  for (const [customerId, need] of [...needs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const amount = need + rng.int(0, 50) * 100;
    const first = rng.chance(0.5) ? Math.ceil(amount / 2) : amount;
    wallets.push({ customerId, topups: first === amount ? [topup(amount)] : [topup(first), topup(amount - first)] });
  }
  for (const customerId of [...lean].sort()) wallets.push({ customerId, topups: [topup(1)] });
  for (const customerId of [...others].sort())
    if (!needs.has(customerId) && rng.chance(0.1)) wallets.push({ customerId, topups: [topup(rng.int(20, 200) * 100)] });
  return wallets;
}

/** An order the API accepted (201), with the scenario its customer played. */
export interface PlacedOrder {
  orderId: string;
  scenario: Scenario;
  storeId: string;
  /** As returned by POST /v1/orders (pricing in fen). */
  created: any;
  /** What its callbacks got (`APPLIED`, `DUPLICATE`, `REFUNDED`, `IGNORED`, `<status> <code>`) and its cancels (`CANCEL <status>`), in order. */
  dispositions: string[];
}

/** One 5xx or transport failure, for the report. */
export interface ServerFailure {
  what: string;
  status: number | 'NETWORK';
  detail: string;
}

/** Everything measured while driving. Latency histograms record µs. */
export class TrafficStats {
  readonly latency = {
    create: newHistogram(),
    flashCreate: newHistogram(),
    webhook: newHistogram(),
    cancel: newHistogram(),
    fulfil: newHistogram(),
    get: newHistogram(),
  };
  /** `"<status> <code>"` of every 4xx answer, by request kind. */
  readonly clientErrors = new Map<string, number>();
  readonly serverFailures: ServerFailure[] = [];
  serverFailureCount = 0;
  readonly requestsByKind = new Map<string, number>();
  /** Webhook `disposition` per scenario kind: `"<scenario>:<disposition>"`. */
  readonly dispositions = new Map<string, number>();
  /** Orders refused at creation, by `"<status> <code>"` (after the coupon-less retry). */
  readonly refused = new Map<string, number>();
  couponFallbacks = 0;
  idempotentReplays = 0;
  idempotentMismatches: string[] = [];
  readonly placed = new Map<string, PlacedOrder>();
  /** Flash sale: answers to the racers, by `"<status> <code>"`. */
  readonly flash = { racers: 0, answers: new Map<string, number>(), ms: 0, winners: [] as string[] };
  /** Surprises while a customer played its part (e.g. a refund request that was refused). */
  readonly anomalies: string[] = [];
  /** FULFIL: handovers answered 200, and cancels of FULFILLED orders by answer (`409 ORDER_NOT_CANCELLABLE` expected). */
  readonly fulfilment = { fulfilled: 0, cancelAfter: new Map<string, number>() };
}

function newHistogram() {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

const bump = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Times one API call into `kind`'s histogram and tallies its answer; a transport error counts as a failure and rethrows. */
async function timed(
  stats: TrafficStats,
  kind: keyof TrafficStats['latency'],
  what: string,
  call: () => Promise<ApiResponse>,
): Promise<ApiResponse> {
  const t0 = performance.now();
  bump(stats.requestsByKind, kind);
  let res: ApiResponse;
  try {
    res = await call();
  } catch (e) {
    stats.serverFailureCount++;
    if (stats.serverFailures.length < 10)
      stats.serverFailures.push({ what, status: 'NETWORK', detail: String((e as Error).cause ?? (e as Error).message) });
    throw e;
  }
  stats.latency[kind].recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
  if (res.status >= 500) {
    stats.serverFailureCount++;
    if (stats.serverFailures.length < 10)
      stats.serverFailures.push({ what, status: res.status, detail: JSON.stringify(res.body).slice(0, 300) });
  } else if (res.status >= 400) {
    bump(stats.clientErrors, `${kind} ${res.status} ${res.body?.code ?? '?'}`);
  }
  return res;
}

/** Plays one customer: place the order (retrying without coupons on a coupon 422), then the scenario. */
async function playCustomer(api: ApiClient, plan: CustomerPlan, stats: TrafficStats): Promise<void> {
  const key = randomUUID();
  // Shed answers (503/429 with Retry-After, e.g. while the flash sale fills createOrder's reserved concurrency) are retried with the key.
  let res = await timed(stats, 'create', 'POST /v1/orders', () => api.createOrderUntilAnswered(plan.body, 20, key));
  if (res.status === 201 && plan.retryCreate) {
    const replay = await timed(stats, 'create', 'POST /v1/orders (replay)', () => api.createOrder(plan.body, key));
    stats.idempotentReplays++;
    if (replay.status !== 201 || replay.body?.orderId !== res.body.orderId) {
      stats.idempotentMismatches.push(
        `key ${key}: first ${res.body.orderId}, replay ${replay.status} ${replay.body?.orderId ?? replay.body?.code}`,
      );
    }
  }
  if (res.status === 422 && String(res.body?.code).startsWith('COUPON_') && plan.body.couponCodes) {
    stats.couponFallbacks++;
    const { couponCodes: _dropped, ...plain } = plan.body;
    res = await timed(stats, 'create', 'POST /v1/orders (without coupons)', () => api.createOrder(plain));
  }
  if (res.status !== 201) {
    bump(stats.refused, `${res.status} ${res.body?.code ?? '?'}`);
    return;
  }
  const order = res.body;
  const placed: PlacedOrder = {
    orderId: order.orderId,
    scenario: plan.scenario,
    storeId: plan.body.storeId,
    created: order,
    dispositions: [],
  };
  stats.placed.set(order.orderId, placed);
  if (plan.thinkMs) await sleep(plan.thinkMs);

  const pay = (overrides: Record<string, unknown> = {}) =>
    timed(stats, 'webhook', 'POST /v1/payments/webhook', () => api.pay(order, overrides)).then((r) => {
      const disposition = r.status === 200 ? String(r.body?.disposition) : `${r.status} ${r.body?.code}`;
      placed.dispositions.push(disposition);
      bump(stats.dispositions, `${plan.scenario}:${disposition}`);
      return r;
    });
  const cancel = () =>
    timed(stats, 'cancel', 'POST /v1/orders/{id}/cancel', () => api.cancel(order.orderId)).then((r) => {
      placed.dispositions.push(`CANCEL ${r.status}`);
      return r;
    });
  /** Polls GET /v1/orders/{id} every 100 ms (30 s at most) while PENDING_PAYMENT; true once PAID (else an anomaly noting `then`). */
  const paid = async (then: string) => {
    const deadline = Date.now() + 30_000;
    let status = 'PENDING_PAYMENT';
    while (status === 'PENDING_PAYMENT' && Date.now() < deadline) {
      await sleep(100);
      status = (await timed(stats, 'get', 'GET /v1/orders/{id}', () => api.get(`/v1/orders/${order.orderId}`))).body?.status;
    }
    if (status !== 'PAID') stats.anomalies.push(`${order.orderId}: paid but reached ${status}, not PAID; ${then} not requested`);
    return status === 'PAID';
  };

  switch (plan.scenario) {
    case 'PAY':
      await pay();
      break;
    case 'PAY_TWICE': {
      const paymentId = `pay_${randomUUID()}`;
      if (plan.concurrentDuplicate) await Promise.all([pay({ paymentId }), pay({ paymentId })]);
      else {
        await pay({ paymentId });
        await sleep(100);
        await pay({ paymentId });
      }
      break;
    }
    case 'FAIL':
      await pay({ status: 'FAILED' });
      break;
    case 'WRONG_AMOUNT':
      await pay({ amount: order.pricing.total + 100 });
      break;
    case 'NO_CALLBACK':
      break;
    case 'CANCEL_BEFORE_PAY':
      await cancel();
      break;
    case 'CANCEL_THEN_LATE_PAYMENT':
      await cancel();
      await sleep(150);
      await pay();
      break;
    case 'CANCEL_AFTER_PAY':
    case 'BALANCE_REFUND': {
      if (plan.scenario === 'CANCEL_AFTER_PAY') await pay();
      if (!(await paid('refund'))) break;
      const r = await cancel();
      if (r.status !== 202 || r.body?.action !== 'REFUND')
        stats.anomalies.push(`${order.orderId}: refund request answered ${r.status} ${JSON.stringify(r.body)}`);
      break;
    }
    case 'FULFIL': {
      await pay();
      if (!(await paid('fulfilment'))) break;
      const f = await timed(stats, 'fulfil', 'POST /v1/orders/{id}/fulfil', () =>
        api.request('POST', `/v1/orders/${order.orderId}/fulfil`),
      );
      placed.dispositions.push(`FULFIL ${f.status}`);
      if (f.status !== 200 || f.body?.status !== 'FULFILLED') {
        stats.anomalies.push(`${order.orderId}: fulfil answered ${f.status} ${JSON.stringify(f.body).slice(0, 200)}`);
        break;
      }
      stats.fulfilment.fulfilled++;
      if (plan.cancelAfterFulfil) {
        const r = await cancel();
        bump(stats.fulfilment.cancelAfter, `${r.status} ${r.body?.code ?? r.body?.action ?? ''}`.trim());
      }
      break;
    }
    case 'BALANCE_PAY':
    case 'BALANCE_SHORT':
      break; // the saga debits the wallet (or is declined) with no callback
  }
}

/**
 * Flash sale: `racers` customers POST one unit of the flash SKU at the flash store at the same instant
 * (no concurrency limit); every winner pays at once. Records answers and winners in `stats.flash`.
 */
export async function flashSale(api: ApiClient, chain: ChainPlan, racers: number, stats: TrafficStats, onDone?: () => void): Promise<void> {
  const t0 = performance.now();
  stats.flash.racers = racers;
  const { storeId, sku } = chain.flash;
  await Promise.all(
    Array.from({ length: racers }, async (_, i) => {
      const body = {
        storeId,
        customerId: `flash-${String(i).padStart(4, '0')}`,
        items: [{ sku: sku.sku, quantity: 1 }],
        paymentMethod: i % 2 ? 'ALIPAY' : 'WECHAT_PAY',
      };
      try {
        // A shed racer (503/429 with Retry-After: the function at its reserved concurrency) retries with its key.
        const res = await timed(stats, 'flashCreate', 'POST /v1/orders (flash sale)', () => api.createOrderUntilAnswered(body, 20));
        bump(stats.flash.answers, `${res.status} ${res.body?.code ?? (res.status === 201 ? 'CREATED' : '?')}`);
        if (res.status !== 201) return;
        stats.flash.winners.push(res.body.orderId);
        const placed: PlacedOrder = { orderId: res.body.orderId, scenario: 'FLASH', storeId, created: res.body, dispositions: [] };
        stats.placed.set(res.body.orderId, placed);
        const paid = await timed(stats, 'webhook', 'POST /v1/payments/webhook (flash)', () => api.pay(res.body));
        const disposition = paid.status === 200 ? String(paid.body?.disposition) : `${paid.status} ${paid.body?.code}`;
        placed.dispositions.push(disposition);
        bump(stats.dispositions, `FLASH:${disposition}`);
      } catch {
        /* counted as a failure by timed() */
      } finally {
        onDone?.();
      }
    }),
  );
  stats.flash.ms = performance.now() - t0;
}

/**
 * Drives the day: `concurrency` customers at a time, in chain-time order; when the day reaches
 * `flashMinute` the flash sale starts alongside. `onProgress(done, chainMinute, stats)` after each customer
 * (and each flash racer). Resolves with the stats and the wall time of the drive (ms).
 */
export async function driveDay(
  api: ApiClient,
  chain: ChainPlan,
  plans: CustomerPlan[],
  opts: {
    concurrency: number;
    flashRacers: number;
    flashMinute: number;
    onProgress?: (done: number, chainMinute: number, stats: TrafficStats) => void;
  },
): Promise<{ stats: TrafficStats; ms: number }> {
  const stats = new TrafficStats();
  const t0 = performance.now();
  let done = 0;
  let minute = 0;
  let flash: Promise<void> | undefined;
  const tick = () => opts.onProgress?.(++done, minute, stats);
  await forEachLimited(plans, opts.concurrency, async (plan) => {
    minute = Math.max(minute, plan.chainMinute);
    if (!flash && opts.flashRacers > 0 && plan.chainMinute >= opts.flashMinute)
      flash = flashSale(api, chain, opts.flashRacers, stats, tick);
    try {
      await playCustomer(api, plan, stats);
    } catch {
      /* a transport failure: already counted */
    }
    tick();
  });
  if (!flash && opts.flashRacers > 0) flash = flashSale(api, chain, opts.flashRacers, stats, tick);
  await flash;
  return { stats, ms: performance.now() - t0 };
}

/** Orders by final status after settling, plus those still PENDING_PAYMENT at the deadline. */
export interface SettleResult {
  orders: Map<string, any>;
  pending: string[];
  ms: number;
}

/**
 * Polls GET /v1/orders/{id} for every placed order until none is PENDING_PAYMENT or `deadlineMs` passes
 * (checking every 500 ms, `concurrency` GETs in flight). `onProgress(final, total)` after each round.
 */
export async function settle(
  api: ApiClient,
  orderIds: string[],
  opts: { concurrency: number; deadlineMs: number; onProgress?: (final: number, total: number) => void },
): Promise<SettleResult> {
  const t0 = Date.now();
  const orders = new Map<string, any>();
  let pending = [...orderIds];
  while (pending.length > 0) {
    const still: string[] = [];
    await forEachLimited(pending, opts.concurrency, async (id) => {
      const res = await api.get(`/v1/orders/${id}`);
      if (res.status === 200) orders.set(id, res.body);
      if (res.status !== 200 || res.body.status === 'PENDING_PAYMENT') still.push(id);
    });
    pending = still;
    opts.onProgress?.(orderIds.length - pending.length, orderIds.length);
    if (pending.length === 0 || Date.now() - t0 > opts.deadlineMs) break;
    await sleep(500);
  }
  return { orders, pending, ms: Date.now() - t0 };
}
