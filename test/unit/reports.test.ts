/**
 * Reporting rules (src/domain/reports.ts): which rows an event updates, hours in UTC and store time,
 * the time-to-pay histogram, and report query validation (PRODUCT.md GET /v1/reports/sales).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import type { Order } from '../../src/domain/types.ts';
import { eventSource } from '../../src/events/catalog.ts';
import { couponsRedeemed } from '../../src/events/order-events.ts';
import { rules } from '../../lib/wiring.ts';
import { matchesEventPattern, parseEventPattern } from '../../local/event-pattern.ts';
import {
  couponUpdates,
  funnelSummary,
  funnelUpdates,
  hourRange,
  localHour,
  mergeUpdates,
  projectionUpdates,
  readKeys,
  REGION_SHARDS,
  reportScope,
  salesDelta,
  salesReportRows,
  salesUpdates,
  shardOf,
  sumBy,
  timeToPay,
  timeToPayBucket,
  topSkus,
  utcHour,
  utcHoursCovering,
} from '../../src/domain/reports.ts';

const paid = {
  occurredAt: '2026-11-23T15:30:00.000Z',
  placedAt: '2026-11-23T15:29:50.000Z',
  storeId: 's1',
  region: 'east',
  total: 1500,
  discount: 300,
  items: [
    { sku: 'tea', quantity: 2 },
    { sku: 'bun', quantity: 1 },
  ],
};

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof DomainError ? e.code : String(e);
  }
  return undefined;
};

describe('hours', () => {
  it('keys UTC hours and store wall-clock hours', () => {
    expect(utcHour('2026-11-23T15:30:00.000Z')).toBe('2026-11-23T15');
    expect(localHour('2026-11-23T15:30:00.000Z', 'Asia/Tokyo')).toBe('2026-11-24T00');
    expect(localHour('2026-11-23T15:30:00.000Z', 'America/New_York')).toBe('2026-11-23T10');
    expect(localHour('2026-11-23T15:30:00.000Z', 'UTC')).toBe('2026-11-23T15');
  });

  it('puts both hours of a DST fall-back into one local hour', () => {
    // 2026-11-01 01:00 EDT (05:00Z) and 01:00 EST (06:00Z) are both 01 local in New York.
    expect(localHour('2026-11-01T05:30:00Z', 'America/New_York')).toBe(localHour('2026-11-01T06:30:00Z', 'America/New_York'));
  });
});

describe('sales rows', () => {
  it('counts a paid order as orders, units, revenue and discount, an ended unpaid order as cancelled, a refund as refunded', () => {
    expect(salesDelta('OrderPaid', paid)).toEqual({ orders: 1, units: 3, revenue: 1500, discount: 300 });
    expect(salesDelta('OrderCancelled', paid)).toEqual({ cancelled: 1 });
    expect(salesDelta('OrderRefunded', paid)).toEqual({ refunded: 1 });
    expect(salesUpdates('OrderPlaced', paid, 'UTC')).toEqual([]);
  });

  it('updates the store and its region shard in the UTC hour keyed by the local hour (one row each), and units per SKU in the UTC hour', () => {
    const rows = salesUpdates('OrderPaid', paid, 'Asia/Tokyo');
    const shard = shardOf('s1');
    expect(rows.map((r) => `${r.pk} ${r.sk}`).sort()).toEqual(
      [
        'SALES#STORE#s1 UTC#2026-11-23T15#2026-11-24T00',
        `SALES#REGION#east#${shard} UTC#2026-11-23T15#2026-11-24T00`,
        'SKUS#STORE#s1 UTC#2026-11-23T15#tea',
        'SKUS#STORE#s1 UTC#2026-11-23T15#bun',
        `SKUS#REGION#east#${shard} UTC#2026-11-23T15#tea`,
        `SKUS#REGION#east#${shard} UTC#2026-11-23T15#bun`,
      ].sort(),
    );
    expect(rows.find((r) => r.sk === 'UTC#2026-11-23T15#tea')?.add).toEqual({ units: 2 });
    expect(rows.find((r) => r.pk === 'SALES#STORE#s1')?.set).toEqual({ hour: '2026-11-23T15', localHour: '2026-11-24T00' });
  });

  it('splits a UTC hour of a 30-minute zone into the two local hours it straddles', () => {
    // India is UTC+5:30: 15:10Z is 20:40 local, 15:40Z is 21:10 local.
    const early = salesUpdates('OrderPaid', { ...paid, occurredAt: '2026-11-23T15:10:00Z' }, 'Asia/Kolkata')[0]!;
    const late = salesUpdates('OrderPaid', { ...paid, occurredAt: '2026-11-23T15:40:00Z' }, 'Asia/Kolkata')[0]!;
    expect([early.sk, late.sk]).toEqual(['UTC#2026-11-23T15#2026-11-23T20', 'UTC#2026-11-23T15#2026-11-23T21']);
  });

  it('spreads a region over every shard and reads them all back', () => {
    const shards = new Set(Array.from({ length: 400 }, (_, i) => shardOf(`store-${i}`)));
    expect(shards.size).toBe(REGION_SHARDS);
    expect(readKeys('SALES', { region: 'east' })).toHaveLength(REGION_SHARDS);
    expect(readKeys('SALES', { region: 'east' })).toContain(`SALES#REGION#east#${shardOf('s1')}`);
    expect(readKeys('SALES', { storeId: 's1' })).toEqual(['SALES#STORE#s1']);
  });
});

describe('one projection per event, merged per batch', () => {
  const placed = { ...paid, orderId: 'o1' };
  it('computes sales, funnel and coupon rows of each event type together', () => {
    const kinds = (type: string, d: object) =>
      projectionUpdates(type, d as never, 'Asia/Tokyo')
        .map((u) => u.pk.split('#')[0])
        .sort();
    expect(kinds('OrderPlaced', placed)).toEqual(['FUNNEL', 'FUNNEL']);
    expect(kinds('OrderPaid', paid)).toEqual(['FUNNEL', 'FUNNEL', 'SALES', 'SALES', 'SKUS', 'SKUS', 'SKUS', 'SKUS']);
    expect(kinds('OrderCancelled', paid)).toEqual(['SALES', 'SALES']);
    expect(kinds('OrderRefunded', paid)).toEqual(['SALES', 'SALES']);
    // Coupons come from OrderPlaced, one row per applied coupon; CouponRedeemed is not projected (one delivery per order).
    const withCoupons = {
      ...placed,
      coupons: [
        { code: 'OFF3', discount: 300 },
        { code: 'GIFT', discount: 0 },
      ],
    };
    expect(kinds('OrderPlaced', withCoupons)).toEqual(['COUPON', 'COUPON', 'FUNNEL', 'FUNNEL']);
    expect(projectionUpdates('OrderPlaced', withCoupons as never, 'UTC').filter((u) => u.pk.startsWith('COUPON#OFF3#'))).toEqual(
      couponUpdates({ occurredAt: placed.occurredAt, storeId: placed.storeId, code: 'OFF3', discount: 300 }),
    );
    // A CouponRedeemed from before OrderPlaced carried `coupons` counts its coupon; a new one (countedWithOrder) nothing.
    const redeemed = { occurredAt: paid.occurredAt, storeId: 's1', region: 'east', code: 'OFF3', discount: 300 };
    expect(kinds('CouponRedeemed', redeemed)).toEqual(['COUPON']);
    expect(kinds('CouponRedeemed', { ...redeemed, countedWithOrder: true })).toEqual([]);
  });

  it('routes to the reports only the CouponRedeemed events that OrderPlaced did not count (the deployed pattern)', () => {
    const pattern = parseEventPattern(rules.ordersToReports.eventPattern);
    const order = {
      orderId: 'o9',
      storeId: 's1',
      region: 'east',
      customerId: 'c1',
      createdAt: paid.occurredAt,
      pricing: { subtotal: 1000, discount: 300, total: 700, currency: 'CNY' },
      appliedCoupons: [{ code: 'OFF3', type: 'AMOUNT_OFF', amountOff: 300 }],
    } as unknown as Order;
    const detail = couponsRedeemed(order)[0]!.detail as { countedWithOrder?: true };
    const envelope = (detail: object) => ({ source: eventSource.CouponRedeemed, 'detail-type': 'CouponRedeemed', detail });
    expect(detail.countedWithOrder).toBe(true);
    expect(matchesEventPattern(pattern, envelope(detail))).toBe(false);
    const { countedWithOrder: _, ...before } = detail;
    expect(matchesEventPattern(pattern, envelope(before))).toBe(true);
  });

  it('merges the updates of a batch into one per row, deltas summed', () => {
    const a = projectionUpdates('OrderPaid', paid, 'UTC');
    const b = projectionUpdates('OrderPaid', { ...paid, total: 500, items: [{ sku: 'tea', quantity: 1 }] }, 'UTC');
    const merged = mergeUpdates([...a, ...b]);
    expect(merged).toHaveLength(a.length);
    expect(merged.find((u) => u.pk === 'SALES#STORE#s1')?.add).toEqual({ orders: 2, units: 4, revenue: 2000, discount: 600 });
    expect(merged.find((u) => u.sk === 'UTC#2026-11-23T15#tea' && u.pk.startsWith('SKUS#STORE'))?.add).toEqual({ units: 3 });
  });
});

describe('store-local hours derived from UTC rows', () => {
  const row = (hour: string, localHour: string, orders: number) => ({ hour, localHour, orders, units: orders });
  const items = [
    row('2026-11-23T15', '2026-11-24T00', 1), // Tokyo
    row('2026-11-23T15', '2026-11-23T23', 2), // Shanghai, same region
    row('2026-11-23T16', '2026-11-24T00', 4), // Shanghai
    row('2026-11-23T16', '2026-11-24T01', 8), // Tokyo
  ];

  it('adds a UTC hour up over its local hours, and a local hour up over its UTC hours', () => {
    const range = { fromHour: '2026-11-23T00', toHour: '2026-11-25T00' };
    expect(salesReportRows(items, 'utc', range).map((r) => [r.hour, r.orders])).toEqual([
      ['2026-11-23T15:00:00Z', 3],
      ['2026-11-23T16:00:00Z', 12],
    ]);
    expect(salesReportRows(items, 'local', range).map((r) => [r.hour, r.orders])).toEqual([
      ['2026-11-23T23:00:00', 2],
      ['2026-11-24T00:00:00', 5],
      ['2026-11-24T01:00:00', 8],
    ]);
    expect(salesReportRows(items, 'local', { fromHour: '2026-11-24T00', toHour: '2026-11-24T01' })).toEqual([
      { hour: '2026-11-24T00:00:00', orders: 5, units: 5, revenue: 0, discount: 0, cancelled: 0, refunded: 0 },
    ]);
  });

  it('reads the UTC hours any zone (UTC-12..UTC+14) can map into the local range', () => {
    expect(utcHoursCovering({ fromHour: '2026-11-24T00', toHour: '2026-11-24T01' })).toEqual({
      fromHour: '2026-11-23T10',
      toHour: '2026-11-24T13',
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e10 }),
        fc.constantFrom('Pacific/Kiritimati', 'Etc/GMT+12', 'Asia/Kathmandu', 'America/St_Johns'),
        (ms, zone) => {
          const iso = new Date(Date.parse('2026-01-01T00:00:00Z') + ms).toISOString();
          const local = localHour(iso, zone);
          const next = utcHour(new Date(Date.parse(`${local}:00:00Z`) + 3_600_000).toISOString());
          const { fromHour, toHour } = utcHoursCovering({ fromHour: local, toHour: next });
          return utcHour(iso) >= fromHour && utcHour(iso) < toHour;
        },
      ),
    );
  });
});

describe('funnel', () => {
  it('counts placed and paid in the hour the order was placed, with the time to pay bucketed', () => {
    expect(funnelUpdates('OrderPlaced', { ...paid, occurredAt: '2026-11-23T15:59:59Z' })[0]).toMatchObject({
      sk: 'UTC#2026-11-23T15',
      add: { placed: 1 },
    });
    const late = funnelUpdates('OrderPaid', { ...paid, occurredAt: '2026-11-23T16:00:04Z', placedAt: '2026-11-23T15:59:59Z' });
    expect(late).toHaveLength(2);
    expect(late[0]).toMatchObject({ sk: 'UTC#2026-11-23T15', add: { paid: 1, ttp2: 1 } });
    expect(funnelUpdates('OrderCancelled', paid)).toEqual([]);
  });

  it('buckets time to pay by inclusive upper bounds 1,2,5,...,900 s and one overflow bucket', () => {
    expect([0, 1, 1.5, 2, 5, 60, 61, 900, 901, -3].map(timeToPayBucket)).toEqual([0, 0, 1, 1, 2, 6, 7, 10, 11, 0]);
  });

  it('reports p50/p95 as the upper bound of the bucket holding that rank', () => {
    const counts = Array(12).fill(0);
    counts[2] = 50; // <= 5 s
    counts[6] = 45; // <= 60 s
    counts[9] = 5; // <= 600 s
    expect(timeToPay(counts)).toMatchObject({ p50: 5, p95: 60 });
    counts[11] = 100;
    expect(timeToPay(counts)).toMatchObject({ p50: 600, p95: null }); // rank 100 of 200 is the last of the 600 s bucket
    expect(timeToPay(Array(12).fill(0))).toMatchObject({ p50: null, p95: null });
  });

  it('sums funnel rows of every shard and hour into one answer', () => {
    const summary = funnelSummary([
      { placed: 3, paid: 1, ttp0: 1 },
      { placed: 1, paid: 2, ttp3: 2 },
    ]);
    expect(summary).toMatchObject({ placed: 4, paid: 3, conversion: 0.75, timeToPaySeconds: { p50: 10, p95: 10 } });
    expect(summary.timeToPaySeconds.buckets.at(-1)).toEqual({ le: null, count: 0 });
    expect(funnelSummary([])).toMatchObject({ placed: 0, paid: 0, conversion: null });
  });
});

describe('coupons, sums and top SKUs', () => {
  it('counts a redemption and its discount on the code shard of the store', () => {
    expect(couponUpdates({ occurredAt: paid.occurredAt, storeId: 's1', code: 'OFF3', discount: 300 })).toEqual([
      {
        pk: `COUPON#OFF3#${shardOf('s1')}`,
        sk: 'UTC#2026-11-23T15',
        add: { redemptions: 1, discount: 300 },
        set: { hour: '2026-11-23T15' },
      },
    ]);
  });

  it('adds rows up per key in key order, missing counters as 0', () => {
    expect(
      sumBy(
        [
          { h: 'b', n: 1 },
          { h: 'a', n: 2, m: 1 },
          { h: 'b', n: 3 },
        ],
        (r) => r.h as string,
        ['n', 'm'],
      ),
    ).toEqual([
      { key: 'a', n: 2, m: 1 },
      { key: 'b', n: 4, m: 0 },
    ]);
  });

  it('ranks SKUs by units, ties by SKU', () => {
    expect(
      topSkus(
        [
          { sku: 'b', units: 2 },
          { sku: 'a', units: 2 },
          { sku: 'c', units: 5 },
        ],
        2,
      ),
    ).toEqual([
      { sku: 'c', units: 5 },
      { sku: 'a', units: 2 },
    ]);
  });
});

describe('report queries', () => {
  it('needs exactly one of storeId and region (VALIDATION_FAILED)', () => {
    expect(reportScope({ storeId: 's1' })).toEqual({ storeId: 's1' });
    expect(reportScope({ region: 'east' })).toEqual({ region: 'east' });
    expect(codeOf(() => reportScope({}))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => reportScope({ storeId: 's1', region: 'east' }))).toBe('VALIDATION_FAILED');
  });

  it('covers the hours whose start lies in [from, to)', () => {
    expect(hourRange('2026-11-23T08:00:00Z', '2026-11-23T10:00:00Z', 'utc')).toEqual({
      fromHour: '2026-11-23T08',
      toHour: '2026-11-23T10',
    });
    expect(hourRange('2026-11-23T08:30:00Z', '2026-11-23T10:30:00.5Z', 'utc')).toEqual({
      fromHour: '2026-11-23T09',
      toHour: '2026-11-23T11',
    });
    expect(hourRange('2026-11-23T08:00', '2026-11-24T08:00:00', 'local')).toEqual({ fromHour: '2026-11-23T08', toHour: '2026-11-24T08' });
  });

  it.each([
    ['missing from', undefined, '2026-11-23T10:00:00Z', 'utc'],
    ['missing to', '2026-11-23T10:00:00Z', undefined, 'utc'],
    ['not a time', 'yesterday', '2026-11-23T10:00:00Z', 'utc'],
    ['an offset instead of Z', '2026-11-23T08:00:00+08:00', '2026-11-23T10:00:00Z', 'utc'],
    ['a date only', '2026-11-23', '2026-11-24', 'utc'],
    ['a day that does not exist', '2026-02-30T00:00:00Z', '2026-03-05T00:00:00Z', 'utc'],
    ['reversed', '2026-11-23T10:00:00Z', '2026-11-23T08:00:00Z', 'utc'],
    ['empty', '2026-11-23T10:00:00Z', '2026-11-23T10:00:00Z', 'utc'],
    ['longer than 31 days', '2026-10-01T00:00:00Z', '2026-11-01T00:00:01Z', 'utc'],
    ['UTC times for store wall-clock hours', '2026-11-23T08:00:00Z', '2026-11-23T10:00:00Z', 'local'],
  ] as const)('refuses %s with INVALID_RANGE', (_name, from, to, clock) => {
    expect(codeOf(() => hourRange(from, to, clock))).toBe('INVALID_RANGE');
  });

  it('accepts exactly 31 days', () => {
    expect(codeOf(() => hourRange('2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z', 'utc'))).toBeUndefined();
  });

  it('never includes an hour outside [from, to) (property)', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e10 }),
        fc.integer({ min: 1, max: 31 * 24 * 3_600_000 }),
        fc.integer({ min: -2e7, max: 2e7 }),
        (a, len, d) => {
          const from = t0 + a;
          const to = from + len;
          const { fromHour, toHour } = hourRange(new Date(from).toISOString(), new Date(to).toISOString(), 'utc');
          const hourMs = Math.floor((from + d) / 3_600_000) * 3_600_000;
          const key = new Date(hourMs).toISOString().slice(0, 13);
          const included = key >= fromHour && key < toHour;
          return included === (hourMs >= from && hourMs < to);
        },
      ),
    );
  });
});
