/**
 * Reporting rules (PRODUCT.md "GET /v1/reports/sales" and invariant 5; docs/events.md "Reports"). Pure:
 * which counters an event adds to which aggregate rows, hour keys in UTC and in a store's time zone,
 * the time-to-pay histogram, and the validation of report queries. Money in minor units, units of stock.
 *
 * Row layout in the reports table (pk / sk):
 *   SALES#STORE#<storeId>          UTC#<hour>#<local hour>      orders units revenue discount cancelled refunded
 *   SALES#REGION#<region>#<shard>  UTC#<hour>#<local hour>      (same counters)
 *   SKUS#STORE#<storeId>           UTC#<hour>#<sku>             units (paid)
 *   SKUS#REGION#<region>#<shard>   UTC#<hour>#<sku>             units (paid)
 *   FUNNEL#STORE#<storeId>         UTC#<placed hour>            placed paid ttp0..ttp11
 *   FUNNEL#REGION#<region>#<shard> UTC#<placed hour>            (same counters)
 *   COUPON#<code>#<shard>          UTC#<hour>                   redemptions discount
 * `<hour>` is `YYYY-MM-DDTHH`. Region and coupon rows are split over REGION_SHARDS partition keys (by
 * store) because one item takes at most 1,000 WCU/s and a transactional update costs 2 WCU: a region at
 * 1,000 orders/s would throttle on a single hourly item. Readers add the shards up.
 *
 * Store-local hours are DERIVED from the UTC-hour sales rows, not stored twice: a sales row is a UTC hour
 * further keyed by the store wall-clock hour its events fell in (`localHour`, from the store's zone when
 * counted). For a whole-hour zone that is one row per UTC hour (a region mixing zones has one per zone
 * offset); a UTC hour of a 30/45-minute zone (India, Nepal, Newfoundland, central Australia) splits into
 * the two local hours it straddles, so local hours stay exact for every zone, DST included. The UTC report
 * adds a UTC hour's rows up; the store-hour report adds up the rows of each local hour.
 */
import { z } from 'zod';
import { DomainError } from './errors.ts';
import { idSchema, storeBodySchema } from './schemas.ts';

/** `YYYY-MM-DDTHH`, an hour in UTC or in a store's wall-clock time. */
export type HourKey = string;

/** Partition keys per region (and per coupon code) that aggregate rows are spread over. */
export const REGION_SHARDS = 8;

/** Longest range a report query may span: 31 days, in milliseconds. */
export const MAX_RANGE_MS = 31 * 24 * 3600 * 1000;

/**
 * Upper bounds (seconds, inclusive) of the time-to-pay histogram buckets ttp0..ttp10; ttp11 counts
 * everything slower than 900 s (the default payment timeout). Time to pay = OrderPaid.occurredAt - placedAt.
 */
export const TIME_TO_PAY_BOUNDS_SECONDS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900] as const;

/** One conditional-free counter update: ADD every `add` field, SET every `set` field. */
export interface CounterUpdate {
  pk: string;
  sk: string;
  add: Record<string, number>;
  set: Record<string, string>;
}

/** Counter names of a sales row (PRODUCT.md sales report columns). */
export const SALES_FIELDS = ['orders', 'units', 'revenue', 'discount', 'cancelled', 'refunded'] as const;
/** Counters of one hour; money in minor units, units of stock. */
export type HourlySales = Record<(typeof SALES_FIELDS)[number], number>;

/** `2026-11-23T08:15:00.000Z` → `2026-11-23T08` (UTC hour). */
export const utcHour = (iso: string): HourKey => new Date(iso).toISOString().slice(0, 13);

/**
 * The wall-clock hour of instant `iso` in IANA zone `timeZone` (e.g. `Asia/Tokyo`): `YYYY-MM-DDTHH`.
 * In a DST fall-back the repeated hour maps to the same key (both hours are added up).
 */
export function localHour(iso: string, timeZone: string): HourKey {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}`;
}

/** Shard 0..REGION_SHARDS-1 of a store (FNV-1a of its id): all rows of one store land on one shard. */
export function shardOf(storeId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < storeId.length; i++) h = Math.imul(h ^ storeId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % REGION_SHARDS;
}

export type Aggregate = 'SALES' | 'SKUS' | 'FUNNEL';
/** A report's scope: exactly one store or one sales region. */
export type ReportScope = { storeId: string } | { region: string };

/** The two partition keys an event of `storeId` in `region` updates: the store's and its region shard's. */
const writeKeys = (agg: Aggregate, storeId: string, region: string) => [
  `${agg}#STORE#${storeId}`,
  `${agg}#REGION#${region}#${shardOf(storeId)}`,
];

/** The partition keys a reader of `scope` queries (one for a store, every shard for a region). */
export function readKeys(agg: Aggregate, scope: ReportScope): string[] {
  if ('storeId' in scope) return [`${agg}#STORE#${scope.storeId}`];
  return Array.from({ length: REGION_SHARDS }, (_, i) => `${agg}#REGION#${scope.region}#${i}`);
}

/** The partition keys of a coupon code's redemption rows. */
export const couponKeys = (code: string): string[] => Array.from({ length: REGION_SHARDS }, (_, i) => `COUPON#${code}#${i}`);

/** What the sales consumer needs of OrderPaid / OrderCancelled / OrderRefunded details. */
export interface SalesEventDetail {
  occurredAt: string;
  storeId: string;
  region: string;
  total: number;
  discount: number;
  items: { sku: string; quantity: number }[];
}

/** The sales counters one event adds (PRODUCT.md: paid → orders/units/revenue/discount; ended unpaid → cancelled; refund → refunded). */
export function salesDelta(type: string, d: SalesEventDetail): Partial<HourlySales> {
  switch (type) {
    case 'OrderPaid':
      return { orders: 1, units: d.items.reduce((n, i) => n + i.quantity, 0), revenue: d.total, discount: d.discount };
    case 'OrderCancelled':
      return { cancelled: 1 };
    case 'OrderRefunded':
      return { refunded: 1 };
    default:
      return {};
  }
}

/**
 * Rows one sales event updates: the UTC hour of `occurredAt` split by its store-local hour (zone
 * `timeZone`), for the store and its region shard; for OrderPaid also the paid units per SKU in the UTC
 * hour. At most 2 + 2 x (distinct SKUs) updates; [] for any other event type.
 */
export function salesUpdates(type: string, d: SalesEventDetail, timeZone: string): CounterUpdate[] {
  const delta = salesDelta(type, d);
  if (Object.keys(delta).length === 0) return [];
  const utc = utcHour(d.occurredAt);
  const local = localHour(d.occurredAt, timeZone);
  const out: CounterUpdate[] = writeKeys('SALES', d.storeId, d.region).map((pk) => ({
    pk,
    sk: `UTC#${utc}#${local}`,
    add: delta,
    set: { hour: utc, localHour: local },
  }));
  if (type === 'OrderPaid') {
    const units = new Map<string, number>();
    for (const i of d.items) units.set(i.sku, (units.get(i.sku) ?? 0) + i.quantity);
    for (const pk of writeKeys('SKUS', d.storeId, d.region)) {
      for (const [sku, n] of units) out.push({ pk, sk: `UTC#${utc}#${sku}`, add: { units: n }, set: { hour: utc, sku } });
    }
  }
  return out;
}

/** Index 0..11 of the time-to-pay bucket for `seconds` (negative clock skew counts as 0). */
export function timeToPayBucket(seconds: number): number {
  const i = TIME_TO_PAY_BOUNDS_SECONDS.findIndex((b) => Math.max(0, seconds) <= b);
  return i < 0 ? TIME_TO_PAY_BOUNDS_SECONDS.length : i;
}

/** What the funnel consumer needs of OrderPlaced / OrderPaid details. */
export interface FunnelEventDetail {
  occurredAt: string;
  storeId: string;
  region: string;
  /** OrderPaid only. */
  placedAt?: string;
}

/**
 * Rows one funnel event updates, keyed by the UTC hour the order was PLACED (a cohort funnel):
 * OrderPlaced → placed+1; OrderPaid → paid+1 and its time-to-pay bucket +1. [] for other types.
 */
export function funnelUpdates(type: string, d: FunnelEventDetail): CounterUpdate[] {
  let placedAt: string;
  let add: Record<string, number>;
  if (type === 'OrderPlaced') {
    placedAt = d.occurredAt;
    add = { placed: 1 };
  } else if (type === 'OrderPaid' && d.placedAt) {
    placedAt = d.placedAt;
    add = { paid: 1, [`ttp${timeToPayBucket((Date.parse(d.occurredAt) - Date.parse(d.placedAt)) / 1000)}`]: 1 };
  } else {
    return [];
  }
  const hour = utcHour(placedAt);
  return writeKeys('FUNNEL', d.storeId, d.region).map((pk) => ({ pk, sk: `UTC#${hour}`, add, set: { hour } }));
}

/** Rows one redemption of a coupon updates (OrderPlaced's `coupons`): the code's shard for the store, UTC hour of occurredAt. */
export function couponUpdates(d: { occurredAt: string; storeId: string; code: string; discount: number }): CounterUpdate[] {
  const hour = utcHour(d.occurredAt);
  return [
    { pk: `COUPON#${d.code}#${shardOf(d.storeId)}`, sk: `UTC#${hour}`, add: { redemptions: 1, discount: d.discount }, set: { hour } },
  ];
}

/** The detail fields the reporting projection reads, across OrderPlaced/Paid/Cancelled/Refunded. */
export type ProjectedEventDetail = SalesEventDetail &
  FunnelEventDetail & {
    /** OrderPlaced: the applied coupons with the minor units each took off. */
    coupons?: { code: string; discount: number }[];
    /** CouponRedeemed (only those from before OrderPlaced carried `coupons`, see lib/wiring.ts ordersToReports). */
    code?: string;
    discount?: number;
    countedWithOrder?: true;
  };

/**
 * Every report row one event updates (sales, funnel and coupons computed together: one projection step
 * per event): OrderPlaced → funnel and one coupon row per applied coupon; OrderPaid → sales, SKUs,
 * funnel; OrderCancelled / OrderRefunded → sales. `timeZone` is the store's (only sales rows use it).
 * [] for other types. Coupons are counted from OrderPlaced, not from each CouponRedeemed: one delivery
 * (EventBridge target invocation, marker) per order instead of one more per coupon (issue 8). A CouponRedeemed
 * without `countedWithOrder` (published before that) counts its coupon, as its OrderPlaced had no `coupons`.
 */
export function projectionUpdates(type: string, d: ProjectedEventDetail, timeZone: string): CounterUpdate[] {
  if (type === 'CouponRedeemed')
    return d.code !== undefined && !d.countedWithOrder
      ? couponUpdates({ occurredAt: d.occurredAt, storeId: d.storeId, code: d.code, discount: d.discount ?? 0 })
      : [];
  const coupons =
    type === 'OrderPlaced' ? (d.coupons ?? []).flatMap((c) => couponUpdates({ occurredAt: d.occurredAt, storeId: d.storeId, ...c })) : [];
  return [...salesUpdates(type, d, timeZone), ...funnelUpdates(type, d), ...coupons];
}

/** Whether {@link projectionUpdates} of this event type reads the store's time zone (sales rows do). */
export const needsTimeZone = (type: string): boolean => (SALES_EVENT_TYPES as readonly string[]).includes(type);

/** The event types that move sales counters (see {@link salesDelta}). */
export const SALES_EVENT_TYPES = ['OrderPaid', 'OrderCancelled', 'OrderRefunded'] as const;

/**
 * The updates as one update per row (pk+sk): `add`s summed, `set`s merged (last wins). A transaction
 * may touch an item once, and a batch of events writes each row once with the sum of its deltas.
 */
export function mergeUpdates(updates: readonly CounterUpdate[]): CounterUpdate[] {
  const byKey = new Map<string, CounterUpdate>();
  for (const u of updates) {
    const key = `${u.pk}\u0000${u.sk}`;
    const prev = byKey.get(key);
    if (!prev) {
      byKey.set(key, { pk: u.pk, sk: u.sk, add: { ...u.add }, set: { ...u.set } });
      continue;
    }
    for (const [k, v] of Object.entries(u.add)) prev.add[k] = (prev.add[k] ?? 0) + v;
    Object.assign(prev.set, u.set);
  }
  return [...byKey.values()];
}

/** Widest UTC offsets of any IANA zone, in hours: UTC-12 (Etc/GMT+12) to UTC+14 (Pacific/Kiritimati). */
const MIN_OFFSET_HOURS = -12;
const MAX_OFFSET_HOURS = 14;

const shiftHour = (hour: HourKey, hours: number): HourKey =>
  new Date(Date.parse(`${hour}:00:00Z`) + hours * 3_600_000).toISOString().slice(0, 13);

/**
 * The UTC hours whose rows can hold events of the wall-clock hours [fromHour, toHour) of ANY zone: an
 * event of local hour L happened in a UTC hour within [L - 14 h, L + 12 h]. Readers filter by `localHour`.
 */
export function utcHoursCovering(local: HourRange): HourRange {
  return { fromHour: shiftHour(local.fromHour, -MAX_OFFSET_HOURS), toHour: shiftHour(local.toHour, -MIN_OFFSET_HOURS) };
}

/**
 * Sales report rows from UTC-hour sales rows: per UTC hour (`utc`), or per store wall-clock hour
 * (`local`: rows whose `localHour` lies in [range.fromHour, range.toHour), read over
 * {@link utcHoursCovering}). One row per hour with activity, in hour order; `hour` as the API answers it.
 */
export function salesReportRows(
  items: Record<string, unknown>[],
  clock: 'utc' | 'local',
  range: HourRange,
): Array<{ hour: string } & HourlySales> {
  const field = clock === 'utc' ? 'hour' : 'localHour';
  const inRange = items.filter((r) => {
    const h = r[field];
    return typeof h === 'string' && h >= range.fromHour && h < range.toHour;
  });
  return sumBy(inRange, (r) => r[field] as string, SALES_FIELDS).map(({ key, ...counters }) => ({
    hour: hourStart(key, clock),
    ...counters,
  }));
}

/** Adds up numeric `fields` of `rows` per `keyOf(row)`; missing counters count 0. Keys in ascending order. */
export function sumBy<F extends string>(
  rows: Record<string, unknown>[],
  keyOf: (row: Record<string, unknown>) => string,
  fields: readonly F[],
): Array<{ key: string } & Record<F, number>> {
  const sums = new Map<string, Record<F, number>>();
  for (const row of rows) {
    const key = keyOf(row);
    const acc = sums.get(key) ?? (Object.fromEntries(fields.map((f) => [f, 0])) as Record<F, number>);
    for (const f of fields) acc[f] += typeof row[f] === 'number' ? (row[f] as number) : 0;
    sums.set(key, acc);
  }
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, v]) => ({ key, ...v }));
}

/** Time-to-pay summary: histogram buckets and the p50/p95 upper bounds (seconds; null = slower than 900 s or no payment). */
export interface TimeToPay {
  p50: number | null;
  p95: number | null;
  /** `le` = bucket upper bound in seconds (null = above the last bound). */
  buckets: { le: number | null; count: number }[];
}

/**
 * Summarizes bucket counts `ttp0..ttp11`: pX is the upper bound of the bucket holding the ceil(X% of n)-th
 * fastest payment, i.e. "X% of orders paid within pX seconds" (rounded up to a bucket bound).
 */
export function timeToPay(counts: readonly number[]): TimeToPay {
  const bounds: (number | null)[] = [...TIME_TO_PAY_BOUNDS_SECONDS, null];
  const buckets = bounds.map((le, i) => ({ le, count: counts[i] ?? 0 }));
  const n = buckets.reduce((s, b) => s + b.count, 0);
  const pct = (p: number): number | null => {
    if (n === 0) return null;
    const rank = Math.ceil((p / 100) * n);
    let seen = 0;
    for (const b of buckets) if ((seen += b.count) >= rank) return b.le;
    return null;
  };
  return { p50: pct(50), p95: pct(95), buckets };
}

/** Top `limit` SKUs by units, ties by SKU ascending. */
export function topSkus(rows: Array<{ sku: string; units: number }>, limit: number): Array<{ sku: string; units: number }> {
  return [...rows].sort((a, b) => b.units - a.units || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)).slice(0, limit);
}

// --- Report queries (GET /v1/reports/*) ---

const range = { from: z.string().optional(), to: z.string().optional() };
const scope = { storeId: idSchema.optional(), region: storeBodySchema.shape.region.optional() };

/** GET /v1/reports/sales: storeId | region, from, to, timezone (`utc` default, or `store`). */
export const salesQuerySchema = z.strictObject({ ...scope, ...range, timezone: z.enum(['utc', 'store']).default('utc') });
/** GET /v1/reports/top-skus: storeId | region, from, to, limit 1..100 (default 10). */
export const topSkusQuerySchema = z.strictObject({ ...scope, ...range, limit: z.coerce.number().int().min(1).max(100).default(10) });
/** GET /v1/reports/funnel: storeId | region, from, to. */
export const funnelQuerySchema = z.strictObject({ ...scope, ...range });
/** GET /v1/reports/coupons: code, from, to. */
export const couponQuerySchema = z.strictObject({ code: idSchema, ...range });
/** GET /v1/alerts: optional storeId. */
export const alertsQuerySchema = z.strictObject({ storeId: idSchema.optional() });

/** Exactly one of storeId and region; throws VALIDATION_FAILED for both or neither. */
export function reportScope(q: { storeId?: string; region?: string }): ReportScope {
  if (q.storeId !== undefined && q.region === undefined) return { storeId: q.storeId };
  if (q.region !== undefined && q.storeId === undefined) return { region: q.region };
  throw new DomainError('VALIDATION_FAILED', 'Give exactly one of storeId and region', {
    errors: [{ path: q.storeId === undefined ? 'storeId' : 'region', message: 'exactly one of storeId and region is required' }],
  });
}

const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z$/;
const WALL_CLOCK = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;

/** Hour keys of a range: the report covers the hours whose START lies in [from, to). */
export interface HourRange {
  fromHour: HourKey;
  /** Exclusive. */
  toHour: HourKey;
}

/**
 * Validates `from`/`to` and turns them into hour keys. `clock` `utc`: ISO-8601 UTC instants
 * (`2026-11-23T08:00:00Z`); `local`: store wall-clock times without an offset (`2026-11-23T08:00:00`).
 * An hour is included when its start lies in [from, to). Throws INVALID_RANGE when either is missing or
 * malformed, when to <= from, or when the range exceeds 31 days.
 */
export function hourRange(from: string | undefined, to: string | undefined, clock: 'utc' | 'local'): HourRange {
  const shape = clock === 'utc' ? UTC_INSTANT : WALL_CLOCK;
  const example = clock === 'utc' ? '2026-11-23T08:00:00Z' : '2026-11-23T08:00:00 (store wall-clock, no offset)';
  const parse = (name: string, value: string | undefined): number => {
    const ms = value !== undefined && shape.test(value) ? Date.parse(clock === 'utc' ? value : `${value}Z`) : NaN;
    // Date.parse rolls 2026-02-30 over to March 2: a real date reads back unchanged.
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 13) !== value!.slice(0, 13))
      throw new DomainError('INVALID_RANGE', `${name} must be a time like ${example}`, { parameter: name });
    return ms;
  };
  const f = parse('from', from);
  const t = parse('to', to);
  if (t <= f) throw new DomainError('INVALID_RANGE', 'to must be after from (from inclusive, to exclusive)');
  if (t - f > MAX_RANGE_MS) throw new DomainError('INVALID_RANGE', 'The range may span at most 31 days', { maxDays: 31 });
  const ceilHour = (ms: number) => new Date(Math.ceil(ms / 3_600_000) * 3_600_000).toISOString().slice(0, 13);
  return { fromHour: ceilHour(f), toHour: ceilHour(t) };
}

/** `2026-11-23T08` → `2026-11-23T08:00:00Z` (utc) or `2026-11-23T08:00:00` (store wall-clock). */
export const hourStart = (hour: HourKey, clock: 'utc' | 'local'): string => `${hour}:00:00${clock === 'utc' ? 'Z' : ''}`;

/** Counter names of a funnel row: placed, paid, ttp0..ttp11 (time-to-pay buckets). */
export const FUNNEL_FIELDS = ['placed', 'paid', ...[...TIME_TO_PAY_BOUNDS_SECONDS, null].map((_, i) => `ttp${i}`)];

/**
 * GET /v1/reports/funnel body from funnel rows (any shards and hours): placed and paid counts of the
 * orders placed in the range, conversion = paid / placed (null when none placed), time to pay.
 */
export function funnelSummary(rows: Record<string, unknown>[]): {
  placed: number;
  paid: number;
  conversion: number | null;
  timeToPaySeconds: TimeToPay;
} {
  const [total] = sumBy(rows, () => 'all', FUNNEL_FIELDS);
  const count = (f: string) => total?.[f] ?? 0;
  const placed = count('placed');
  const paid = count('paid');
  return {
    placed,
    paid,
    conversion: placed === 0 ? null : paid / placed,
    timeToPaySeconds: timeToPay(FUNNEL_FIELDS.slice(2).map(count)),
  };
}
