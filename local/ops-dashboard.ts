/**
 * The local ops dashboard (local only; the deployed stack has the CloudWatch dashboard of
 * lib/constructs/observability-construct.ts). Computes the same business figures from the domain events
 * the local bus accepts (`busOptions.onEvent`), counted once per `detail.eventId`:
 * orders/min by status, revenue/min (minor units, per currency), saga outcomes/min, low-stock alerts/min,
 * plus hourly sales (UTC hour of the fact) and the latest low-stock alert per store x SKU. Compensation
 * steps/min come from the runtime's invocation counts of the compensation tasks (attempts, retries included).
 *
 * Serves `GET /dashboard` (the page, local/ops-dashboard.html), `GET /dashboard/data` (the JSON snapshot the
 * page polls every second) and `GET /dashboard/chart.js` (Chart.js from node_modules: no CDN).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OrderStatus } from '../src/domain/types.ts';
import { ORDER_STATUSES } from '../src/domain/order-status.ts';
import { sagaOutcomes } from '../src/observability/business-metrics.ts';
import type { EventBridgeEvent } from './event-bus.ts';

/** The saga tasks whose invocations count as compensation steps (src/observability/business-metrics.ts). */
export const COMPENSATION_FUNCTIONS = ['voidPayment', 'releaseStock', 'releaseCoupons', 'restockItems'] as const;

type Outcome = keyof typeof sagaOutcomes;
const OUTCOMES = Object.keys(sagaOutcomes) as Outcome[];

interface MinuteBucket {
  statuses: Partial<Record<OrderStatus, number>>;
  revenue: Record<string, number>;
  compensations: number;
  alerts: number;
}

export interface HourlySalesRow {
  /** UTC hour, `YYYY-MM-DDTHH:00Z`. */
  hour: string;
  orders: number;
  units: number;
  /** Minor units per currency. */
  revenue: Record<string, number>;
  discount: number;
  cancelled: number;
  refunded: number;
}

export interface LowStockRow {
  storeId: string;
  sku: string;
  available: number;
  lowStockThreshold: number;
  at: string;
}

/** What `GET /dashboard/data` returns; every series has one value per minute of `minutes` (oldest first). */
export interface DashboardSnapshot {
  generatedAt: string;
  /** Minute starts, ISO-8601 UTC. */
  minutes: string[];
  ordersByStatus: Record<OrderStatus, number[]>;
  /** Minor units per currency. */
  revenue: Record<string, number[]>;
  sagaOutcomes: Record<Outcome, number[]>;
  compensations: number[];
  alerts: number[];
  totals: {
    orders: Record<OrderStatus, number>;
    revenue: Record<string, number>;
    outcomes: Record<Outcome, number>;
    compensations: number;
    alerts: number;
  };
  /** Newest hour first, at most 24 rows. */
  hourlySales: HourlySalesRow[];
  /** Newest first. */
  lowStock: LowStockRow[];
}

const MINUTE_MS = 60_000;
const PAGE = fileURLToPath(new URL('./ops-dashboard.html', import.meta.url));
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

interface Detail {
  eventId?: string;
  occurredAt?: string;
  status?: OrderStatus;
  total?: number;
  discount?: number;
  currency?: string;
  items?: { quantity: number }[];
  storeId?: string;
  sku?: string;
  available?: number;
  lowStockThreshold?: number;
}

const STATUS_OF_EVENT: Record<string, OrderStatus | undefined> = {
  OrderPlaced: 'PENDING_PAYMENT',
  OrderPaid: 'PAID',
  OrderRefunded: 'REFUNDED',
  OrderFulfilled: 'FULFILLED',
  OrderNeedsAttention: 'NEEDS_ATTENTION',
};

/** Live business figures of the local system, fed by the bus and served as a page. */
export class OpsDashboard {
  private readonly minutes = new Map<number, MinuteBucket>();
  private readonly hours = new Map<string, HourlySalesRow>();
  private readonly lowStock = new Map<string, LowStockRow>();
  private readonly seen = new Set<string>();
  private lastCompensationCount = 0;
  private page: string | undefined;

  constructor(
    private readonly opts: {
      /** Total compensation-task invocations so far (sampled on every event and snapshot). */
      compensationSteps?: () => number;
      /** Minutes shown; default 30. */
      windowMinutes?: number;
      now?: () => number;
    } = {},
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private bucket(ms: number): MinuteBucket {
    const key = Math.floor(ms / MINUTE_MS);
    let b = this.minutes.get(key);
    if (!b) {
      b = { statuses: {}, revenue: {}, compensations: 0, alerts: 0 };
      this.minutes.set(key, b);
      const oldest = key - 24 * 60; // keep a day
      for (const k of this.minutes.keys()) if (k < oldest) this.minutes.delete(k);
    }
    return b;
  }

  private sampleCompensations(): void {
    const total = this.opts.compensationSteps?.() ?? 0;
    if (total > this.lastCompensationCount) this.bucket(this.now()).compensations += total - this.lastCompensationCount;
    this.lastCompensationCount = Math.max(total, this.lastCompensationCount);
  }

  private hour(at: number): HourlySalesRow {
    const hour = `${new Date(at).toISOString().slice(0, 13)}:00Z`;
    let row = this.hours.get(hour);
    if (!row) {
      row = { hour, orders: 0, units: 0, revenue: {}, discount: 0, cancelled: 0, refunded: 0 };
      this.hours.set(hour, row);
    }
    return row;
  }

  /** Counts one accepted bus event (a repeat of a `detail.eventId` already seen is ignored). Never throws. */
  observe(event: EventBridgeEvent): void {
    this.sampleCompensations();
    const d = (event.detail ?? {}) as Detail;
    const id = d.eventId ?? event.id;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const at = Date.parse(d.occurredAt ?? event.time) || this.now();
    const type = event['detail-type'];
    if (type === 'InventoryLow' && d.storeId && d.sku) {
      this.bucket(at).alerts++;
      this.lowStock.delete(`${d.storeId}/${d.sku}`); // re-insert: newest last
      this.lowStock.set(`${d.storeId}/${d.sku}`, {
        storeId: d.storeId,
        sku: d.sku,
        available: d.available ?? 0,
        lowStockThreshold: d.lowStockThreshold ?? 0,
        at: new Date(at).toISOString(),
      });
      return;
    }
    const status = type === 'OrderCancelled' ? d.status : STATUS_OF_EVENT[type];
    if (!status) return;
    const b = this.bucket(at);
    b.statuses[status] = (b.statuses[status] ?? 0) + 1;
    if (status === 'PAID') {
      const currency = d.currency ?? '?';
      b.revenue[currency] = (b.revenue[currency] ?? 0) + (d.total ?? 0);
      const row = this.hour(at);
      row.orders++;
      row.units += (d.items ?? []).reduce((n, i) => n + i.quantity, 0);
      row.revenue[currency] = (row.revenue[currency] ?? 0) + (d.total ?? 0);
      row.discount += d.discount ?? 0;
    } else if (type === 'OrderCancelled') this.hour(at).cancelled++;
    else if (status === 'REFUNDED') this.hour(at).refunded++;
  }

  /** The figures of the last `windowMinutes` minutes (ending with the current one) and the totals since start. */
  snapshot(): DashboardSnapshot {
    this.sampleCompensations();
    const nowMinute = Math.floor(this.now() / MINUTE_MS);
    const keys = Array.from({ length: this.opts.windowMinutes ?? 30 }, (_, i) => nowMinute - (this.opts.windowMinutes ?? 30) + 1 + i);
    const buckets = keys.map((k) => this.minutes.get(k));
    const all = [...this.minutes.values()];
    const currencies = [...new Set(all.flatMap((b) => Object.keys(b.revenue)))].sort();
    const countOf = (b: MinuteBucket | undefined, statuses: readonly OrderStatus[]) =>
      statuses.reduce((n, s) => n + (b?.statuses[s] ?? 0), 0);
    const sumAll = (f: (b: MinuteBucket) => number) => all.reduce((n, b) => n + f(b), 0);
    return {
      generatedAt: new Date(this.now()).toISOString(),
      minutes: keys.map((k) => new Date(k * MINUTE_MS).toISOString()),
      ordersByStatus: Object.fromEntries(ORDER_STATUSES.map((s) => [s, buckets.map((b) => b?.statuses[s] ?? 0)])) as Record<
        OrderStatus,
        number[]
      >,
      revenue: Object.fromEntries(currencies.map((c) => [c, buckets.map((b) => b?.revenue[c] ?? 0)])),
      sagaOutcomes: Object.fromEntries(OUTCOMES.map((o) => [o, buckets.map((b) => countOf(b, sagaOutcomes[o]))])) as Record<
        Outcome,
        number[]
      >,
      compensations: buckets.map((b) => b?.compensations ?? 0),
      alerts: buckets.map((b) => b?.alerts ?? 0),
      totals: {
        orders: Object.fromEntries(ORDER_STATUSES.map((s) => [s, sumAll((b) => b.statuses[s] ?? 0)])) as Record<OrderStatus, number>,
        revenue: Object.fromEntries(currencies.map((c) => [c, sumAll((b) => b.revenue[c] ?? 0)])),
        outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, sumAll((b) => countOf(b, sagaOutcomes[o]))])) as Record<Outcome, number>,
        compensations: sumAll((b) => b.compensations),
        alerts: sumAll((b) => b.alerts),
      },
      hourlySales: [...this.hours.values()].sort((a, b) => b.hour.localeCompare(a.hour)).slice(0, 24),
      lowStock: [...this.lowStock.values()].reverse(),
    };
  }

  /** Serves the dashboard's three GET paths; returns false for any other request (left to the API). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (req.method !== 'GET' || !url.pathname.startsWith('/dashboard')) return false;
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    switch (url.pathname) {
      case '/dashboard':
        send('text/html; charset=utf-8', (this.page ??= readFileSync(PAGE, 'utf8')));
        return true;
      case '/dashboard/data':
        send('application/json', JSON.stringify(this.snapshot()));
        return true;
      case '/dashboard/chart.js':
        send('text/javascript; charset=utf-8', readFileSync(CHART_JS));
        return true;
      default:
        return false;
    }
  }
}
