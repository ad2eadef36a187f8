/**
 * The demo's read side: what operators see after the day (GET /v1/reports/sales | top-skus | funnel |
 * coupons, GET /v1/alerts) and the customers' wallets (GET /v1/customers/{id}/wallet), each next to what
 * the orders themselves say it must show. Reports are fed by events delivered asynchronously, so the
 * reader re-reads until they agree with the orders or a deadline passes (PRODUCT.md: freshness <= 3 s).
 * Money in fen, stock in units, hours ISO-8601 UTC.
 */
import { isLowStock } from '../../src/domain/inventory.ts';
import type { ApiClient } from '../api-client.ts';
import { forEachLimited, type ChainPlan, type Region, type WalletPlan } from './seed.ts';
import type { InventoryRow } from './summary.ts';

/** What the orders say about one order (from its final GET /v1/orders/{id}). */
export interface OrderFact {
  orderId: string;
  storeId: string;
  region: string;
  status: string;
  /** Reached PAID at some point (so OrderPaid was emitted): PAID, FULFILLED or REFUNDED at the end. */
  paidOnce: boolean;
  /** Units of the order lines (gifts excluded, as in OrderPaid). */
  units: number;
  lines: { sku: string; quantity: number }[];
  total: number;
  discount: number;
  appliedCoupons: { code: string; amountOff: number }[];
}

/** The final orders as facts (orders the API did not return are left out; the checks report them). */
export function orderFacts(orders: Iterable<any>): OrderFact[] {
  const out: OrderFact[] = [];
  for (const o of orders) {
    if (!o) continue;
    out.push({
      orderId: o.orderId,
      storeId: o.storeId,
      region: o.region,
      status: o.status,
      paidOnce: (o.history ?? []).some((h: { status: string }) => h.status === 'PAID'),
      units: o.items.reduce((n: number, l: { quantity: number }) => n + l.quantity, 0),
      lines: o.items.map((l: { sku: string; quantity: number }) => ({ sku: l.sku, quantity: l.quantity })),
      total: o.pricing.total,
      discount: o.pricing.discount,
      appliedCoupons: (o.appliedCoupons ?? []).map((c: { code: string; amountOff: number }) => ({ code: c.code, amountOff: c.amountOff })),
    });
  }
  return out;
}

/** Sales counters of PRODUCT.md's sales report (money in fen). */
export interface SalesTotals {
  orders: number;
  units: number;
  revenue: number;
  discount: number;
  cancelled: number;
  refunded: number;
}
export interface SalesRow extends SalesTotals {
  hour: string;
}
const SALES_KEYS = ['orders', 'units', 'revenue', 'discount', 'cancelled', 'refunded'] as const;

/** A report's scope: one store or one sales region. */
export type Scope = { storeId: string } | { region: string };
const inScope = (f: OrderFact, s: Scope) => ('storeId' in s ? f.storeId === s.storeId : f.region === s.region);
const scopeQuery = (s: Scope) => ('storeId' in s ? `storeId=${s.storeId}` : `region=${s.region}`);
export const scopeName = (s: Scope) => ('storeId' in s ? `store ${s.storeId}` : `region ${s.region}`);

/** Sales totals the orders imply for `scope`: paid once → orders/units/revenue/discount; ended unpaid → cancelled; REFUNDED → refunded. */
export function expectedSales(facts: readonly OrderFact[], scope: Scope): SalesTotals {
  const t: SalesTotals = { orders: 0, units: 0, revenue: 0, discount: 0, cancelled: 0, refunded: 0 };
  for (const f of facts) {
    if (!inScope(f, scope)) continue;
    if (f.paidOnce) {
      t.orders++;
      t.units += f.units;
      t.revenue += f.total;
      t.discount += f.discount;
    }
    if (['CANCELLED', 'EXPIRED', 'PAYMENT_FAILED'].includes(f.status)) t.cancelled++;
    if (f.status === 'REFUNDED') t.refunded++;
  }
  return t;
}

/** Adds up sales rows. */
export const sumSales = (rows: readonly SalesTotals[]): SalesTotals =>
  Object.fromEntries(SALES_KEYS.map((k) => [k, rows.reduce((n, r) => n + r[k], 0)])) as unknown as SalesTotals;

/** The store and the region with the most orders paid (ties: the smaller id); `fallback` when nothing was paid. */
export function busiest(facts: readonly OrderFact[], fallback: { storeId: string; region: string }): { storeId: string; region: string } {
  const top = (key: (f: OrderFact) => string) => {
    const n = new Map<string, number>();
    for (const f of facts) if (f.paidOnce) n.set(key(f), (n.get(key(f)) ?? 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  };
  return { storeId: top((f) => f.storeId) ?? fallback.storeId, region: top((f) => f.region) ?? fallback.region };
}

/** Everything read from the API's read side. */
export interface ReadSide {
  from: string;
  to: string;
  sales: { scope: Scope; rows: SalesRow[] }[];
  funnels: { scope: Scope; placed: number; paid: number; conversion: number | null; p50: number | null; p95: number | null }[];
  /** Units paid per SKU, chain-wide (the regions' top-skus added up). */
  skuUnits: Map<string, number>;
  /** Per coupon code: applied coupons of OrderPlaced counted by GET /v1/reports/coupons (redemptions, discount in fen). */
  coupons: Map<string, { redemptions: number; discount: number }>;
  /** Alerts per store (GET /v1/alerts?storeId=), and the newest few chain-wide (GET /v1/alerts). */
  alerts: {
    count: number;
    storesAtLimit: number;
    keys: Set<string>;
    newest: { storeId: string; sku: string; available: number; lowStockThreshold: number; at: string }[];
  };
}

async function getOk(api: ApiClient, path: string): Promise<any> {
  const res = await api.get(path);
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
}

const ALERTS_PAGE = 100; // GET /v1/alerts lists the newest 100

/** One read of the whole read side for the hours [from, to) (ISO-8601 UTC), `concurrency` GETs in flight. */
export async function readReadSide(
  api: ApiClient,
  chain: ChainPlan,
  scopes: { sales: Scope[]; funnels: Scope[] },
  range: { from: string; to: string },
  concurrency: number,
): Promise<ReadSide> {
  const q = `from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}`;
  const regions = [...new Set(chain.stores.map((s) => s.region))] as Region[];
  const sales = await Promise.all(
    scopes.sales.map(async (scope) => ({
      scope,
      rows: (await getOk(api, `/v1/reports/sales?${scopeQuery(scope)}&${q}`)).rows as SalesRow[],
    })),
  );
  const funnels = await Promise.all(
    scopes.funnels.map(async (scope) => {
      const f = await getOk(api, `/v1/reports/funnel?${scopeQuery(scope)}&${q}`);
      return {
        scope,
        placed: f.placed,
        paid: f.paid,
        conversion: f.conversion,
        p50: f.timeToPaySeconds?.p50 ?? null,
        p95: f.timeToPaySeconds?.p95 ?? null,
      };
    }),
  );
  const skuUnits = new Map<string, number>();
  for (const region of regions) {
    for (const { sku, units } of (await getOk(api, `/v1/reports/top-skus?region=${region}&${q}&limit=100`)).skus as {
      sku: string;
      units: number;
    }[]) {
      skuUnits.set(sku, (skuUnits.get(sku) ?? 0) + units);
    }
  }
  const coupons = new Map<string, { redemptions: number; discount: number }>();
  await Promise.all(
    chain.coupons.map(async (c) => {
      const rows = (await getOk(api, `/v1/reports/coupons?code=${c.code}&${q}`)).rows as { redemptions: number; discount: number }[];
      coupons.set(c.code, { redemptions: rows.reduce((n, r) => n + r.redemptions, 0), discount: rows.reduce((n, r) => n + r.discount, 0) });
    }),
  );
  const alerts: ReadSide['alerts'] = { count: 0, storesAtLimit: 0, keys: new Set(), newest: [] };
  await forEachLimited(chain.stores, concurrency, async (s) => {
    const list = (await getOk(api, `/v1/alerts?storeId=${s.storeId}`)).alerts as { storeId: string; sku: string }[];
    alerts.count += list.length;
    if (list.length >= ALERTS_PAGE) alerts.storesAtLimit++;
    for (const a of list) alerts.keys.add(`${a.storeId}|${a.sku}`);
  });
  alerts.newest = ((await getOk(api, '/v1/alerts')).alerts as ReadSide['alerts']['newest']).slice(0, 5);
  return { ...range, sales, funnels, skuUnits, coupons, alerts };
}

/** What the read side must show, from the orders and the final inventory. */
export interface Expected {
  sales: Map<string, SalesTotals>;
  funnels: Map<string, { placed: number; paid: number }>;
  skuUnits: Map<string, number>;
  coupons: Map<string, { redemptions: number; discount: number }>;
  /** `storeId|sku` at or below its low-stock threshold at the end (an alert must exist for each). */
  lowStock: string[];
}

/** Builds {@link Expected} for the scopes read. Orders placed = every created order (`facts` holds them all). */
export function expectedReadSide(
  facts: readonly OrderFact[],
  scopes: { sales: Scope[]; funnels: Scope[] },
  inventory: readonly InventoryRow[],
): Expected {
  const sales = new Map(scopes.sales.map((s) => [scopeName(s), expectedSales(facts, s)]));
  const funnels = new Map(
    scopes.funnels.map((s) => {
      const mine = facts.filter((f) => inScope(f, s));
      return [scopeName(s), { placed: mine.length, paid: mine.filter((f) => f.paidOnce).length }];
    }),
  );
  const skuUnits = new Map<string, number>();
  const coupons = new Map<string, { redemptions: number; discount: number }>();
  for (const f of facts) {
    if (f.paidOnce) for (const l of f.lines) skuUnits.set(l.sku, (skuUnits.get(l.sku) ?? 0) + l.quantity);
    for (const c of f.appliedCoupons) {
      const e = coupons.get(c.code) ?? { redemptions: 0, discount: 0 };
      coupons.set(c.code, { redemptions: e.redemptions + 1, discount: e.discount + c.amountOff });
    }
  }
  const lowStock = inventory
    .filter((r) => r.lowStockThreshold !== undefined && isLowStock(r.available, r.lowStockThreshold))
    .map((r) => `${r.storeId}|${r.sku}`);
  return { sales, funnels, skuUnits, coupons, lowStock };
}

/** Differences between the read side and the orders (empty = they agree). */
export function compareReadSide(read: ReadSide, exp: Expected): string[] {
  const out: string[] = [];
  for (const { scope, rows } of read.sales) {
    const got = sumSales(rows);
    const want = exp.sales.get(scopeName(scope))!;
    for (const k of SALES_KEYS) if (got[k] !== want[k]) out.push(`sales ${scopeName(scope)} ${k}: report ${got[k]}, orders ${want[k]}`);
  }
  for (const f of read.funnels) {
    const want = exp.funnels.get(scopeName(f.scope))!;
    if (f.placed !== want.placed || f.paid !== want.paid)
      out.push(`funnel ${scopeName(f.scope)}: report ${f.placed} placed / ${f.paid} paid, orders ${want.placed} / ${want.paid}`);
  }
  for (const sku of new Set([...read.skuUnits.keys(), ...exp.skuUnits.keys()])) {
    if ((read.skuUnits.get(sku) ?? 0) !== (exp.skuUnits.get(sku) ?? 0))
      out.push(`top-skus ${sku}: report ${read.skuUnits.get(sku) ?? 0} units, orders ${exp.skuUnits.get(sku) ?? 0}`);
  }
  for (const [code, got] of read.coupons) {
    const want = exp.coupons.get(code) ?? { redemptions: 0, discount: 0 };
    if (got.redemptions !== want.redemptions || got.discount !== want.discount) {
      out.push(
        `coupon report ${code}: ${got.redemptions} redemptions / ${got.discount} fen, orders ${want.redemptions} / ${want.discount}`,
      );
    }
  }
  const unalerted = exp.lowStock.filter((k) => !read.alerts.keys.has(k));
  if (unalerted.length)
    out.push(`no alert for ${unalerted.length} store x SKU at or below threshold, e.g. ${unalerted.slice(0, 3).join(', ')}`);
  return out;
}

/**
 * Reads the read side until it agrees with `exp` or `deadlineMs` passes (1 s between rounds). Returns the
 * last read, its differences, the rounds and the ms waited.
 */
export async function awaitReadSide(
  api: ApiClient,
  chain: ChainPlan,
  scopes: { sales: Scope[]; funnels: Scope[] },
  range: { from: string; to: string },
  exp: Expected,
  opts: { concurrency: number; deadlineMs: number },
): Promise<{ read: ReadSide; differences: string[]; rounds: number; ms: number }> {
  const t0 = Date.now();
  let rounds = 0;
  for (;;) {
    rounds++;
    const read = await readReadSide(api, chain, scopes, range, opts.concurrency);
    const differences = compareReadSide(read, exp);
    if (differences.length === 0 || Date.now() - t0 > opts.deadlineMs) return { read, differences, rounds, ms: Date.now() - t0 };
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Balance (fen) of each planned wallet by GET /v1/customers/{id}/wallet; undefined when it answered 404. */
export async function readWallets(
  api: ApiClient,
  wallets: readonly WalletPlan[],
  concurrency: number,
): Promise<Map<string, number | undefined>> {
  const out = new Map<string, number | undefined>();
  await forEachLimited(wallets, concurrency, async (w) => {
    const res = await api.get(`/v1/customers/${w.customerId}/wallet`);
    if (res.status === 404) out.set(w.customerId, undefined);
    else if (res.status === 200) out.set(w.customerId, res.body.balance);
    else throw new Error(`GET wallet of ${w.customerId} answered ${res.status}: ${JSON.stringify(res.body)}`);
  });
  return out;
}
