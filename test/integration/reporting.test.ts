/**
 * PRODUCT.md invariant 5 against real DynamoDB Local: the reporting consumers (recordSales, recordFunnel,
 * recordCouponRedemptions, recordLowStockAlert, routed by the deployed rule patterns) build the SAME
 * reports and alerts whether every event arrives once in order, or twice, re-published and shuffled.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { rules } from '../../lib/wiring.ts';
import type { EventBridgeEvent } from '../../local/event-bus.ts';
import { matchesEventPattern, parseEventPattern } from '../../local/event-pattern.ts';
import { invokeFunction } from '../../local/lambda-runtime.ts';
import { MasterDataStore } from '../../src/store/master-data-store.ts';
import { domainEvent, eventSource, type DomainEvent } from '../../src/events/catalog.ts';
import { couponsRedeemed, orderCancelled, orderPaid, orderPlaced, orderRefunded } from '../../src/events/order-events.ts';
import type { Order } from '../../src/domain/types.ts';
import { freshTables, type FreshTables } from '../helpers/dynamo.ts';

const STORES = [
  { storeId: 'rs-tokyo', region: 'north', timezone: 'Asia/Tokyo' },
  { storeId: 'rs-shanghai', region: 'east', timezone: 'Asia/Shanghai' },
  { storeId: 'rs-hangzhou', region: 'east', timezone: 'Asia/Shanghai' },
  { storeId: 'rs-london', region: 'east', timezone: 'Europe/London' },
];
const SKUS = ['tea', 'bun', 'rice', 'soup'];

/** A deterministic pseudo-random sequence (mulberry32), so the scenario is the same every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Expected {
  paid: number;
  units: number;
  revenue: number;
  cancelled: number;
  refunded: number;
  placed: number;
  redemptions: number;
  lowStock: number;
}

/** 60 orders over ~6 hours around midnight in Tokyo, each placed, then paid (maybe refunded) or ended unpaid; plus low-stock crossings. */
function scenario(): { events: DomainEvent[]; expected: Expected } {
  const rnd = random(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const events: DomainEvent[] = [];
  const expected: Expected = { paid: 0, units: 0, revenue: 0, cancelled: 0, refunded: 0, placed: 0, redemptions: 0, lowStock: 0 };
  const t0 = Date.parse('2026-11-23T12:00:00Z');
  for (let i = 0; i < 60; i++) {
    const store = pick(STORES);
    const placedAt = new Date(t0 + Math.floor(rnd() * 6 * 3600_000)).toISOString();
    const skus = SKUS.filter(() => rnd() < 0.5);
    const items = (skus.length ? skus : ['tea']).map((sku) => ({
      sku,
      name: sku,
      quantity: 1 + Math.floor(rnd() * 3),
      unitPrice: 500,
      lineTotal: 0,
    }));
    for (const l of items) l.lineTotal = l.quantity * l.unitPrice;
    const subtotal = items.reduce((s, l) => s + l.lineTotal, 0);
    const coupon = rnd() < 0.3;
    const discount = coupon ? 100 : 0;
    const order: Order = {
      orderId: `ord_rs_${i}`,
      storeId: store.storeId,
      region: store.region,
      customerId: `c${i % 7}`,
      status: 'PENDING_PAYMENT',
      items,
      pricing: { subtotal, discount, total: subtotal - discount, currency: 'CNY' },
      appliedCoupons: coupon ? [{ code: 'OFF1', type: 'AMOUNT_OFF', amountOff: 100 }] : [],
      rejectedCoupons: [],
      paymentMethod: 'CARD',
      createdAt: placedAt,
      expiresAt: placedAt,
      history: [{ status: 'PENDING_PAYMENT', at: placedAt }],
      reservation: [],
      couponRedemptions: [],
      stockState: 'RESERVED',
      couponsState: 'NONE',
      payment: {
        paymentId: `pay_${i}`,
        status: 'SUCCEEDED',
        amount: subtotal - discount,
        currency: 'CNY',
        occurredAt: placedAt,
        receivedAt: placedAt,
      },
      refundId: `rf_${i}`,
      updatedAt: placedAt,
    };
    events.push(orderPlaced(order), ...couponsRedeemed(order));
    expected.placed++;
    expected.redemptions += order.appliedCoupons.length;
    const later = (s: number) => new Date(Date.parse(placedAt) + s * 1000).toISOString();
    const fate = rnd();
    if (fate < 0.6) {
      const paid = { ...order, history: [...order.history, { status: 'PAID' as const, at: later(Math.floor(rnd() * 200)) }] };
      events.push(orderPaid(paid));
      expected.paid++;
      expected.units += items.reduce((n, l) => n + l.quantity, 0);
      expected.revenue += order.pricing.total;
      if (rnd() < 0.3) {
        events.push(orderRefunded({ ...paid, history: [...paid.history, { status: 'REFUNDED', at: later(3600) }] }));
        expected.refunded++;
      }
    } else {
      const status = pick(['CANCELLED', 'EXPIRED', 'PAYMENT_FAILED'] as const);
      events.push(orderCancelled({ ...order, history: [...order.history, { status, at: later(900) }] }, status));
      expected.cancelled++;
    }
  }
  for (const [i, store] of STORES.entries()) {
    const at = new Date(t0 + i * 600_000).toISOString();
    events.push(
      domainEvent('InventoryLow', {
        schemaVersion: 1,
        eventId: `InventoryLow:${store.storeId}:tea:${at}`,
        occurredAt: at,
        storeId: store.storeId,
        region: store.region,
        sku: 'tea',
        available: 2,
        lowStockThreshold: 3,
      }),
    );
    expected.lowStock++;
  }
  return { events, expected };
}

/** The envelope EventBridge would hand to targets (a fresh envelope id per publish). */
const envelope = (e: DomainEvent): EventBridgeEvent => ({
  version: '0',
  id: randomUUID(),
  'detail-type': e.type,
  source: eventSource[e.type],
  account: '000000000000',
  time: e.detail.occurredAt.replace(/\.\d{3}Z$/, 'Z'),
  region: 'us-east-1',
  resources: [],
  detail: e.detail,
});

// Handlers are imported on first delivery: keep their duplicate/alert log lines out of the test output.
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

const REPORTING = new Set<string>(['recordSales', 'recordFunnel', 'recordCouponRedemptions', 'recordLowStockAlert']);
const compiledRules = Object.values(rules)
  .filter((r) => REPORTING.has(r.target))
  .map((r) => ({ pattern: parseEventPattern(r.eventPattern), target: r.target }));

/** Delivers one envelope to every reporting consumer whose wiring rule matches it, like the bus. */
async function deliver(event: EventBridgeEvent): Promise<void> {
  const targets = compiledRules.filter((r) => matchesEventPattern(r.pattern, event)).map((r) => r.target);
  expect(targets.length, `${event['detail-type']} is routed`).toBeGreaterThan(0);
  await Promise.all(targets.map((t) => invokeFunction(t, event)));
}

/** Every report row (markers left out) and every alert (its wall-clock bookkeeping left out), sorted. */
async function snapshot(db: FreshTables) {
  const scan = async (table: string) => {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const out = await db.doc.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey }));
      items.push(...(out.Items ?? []));
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  };
  const key = (i: Record<string, unknown>) => `${i.pk ?? i.scope} ${i.sk}`;
  const reports = (await scan(db.names.reports))
    .filter((i) => !String(i.pk).startsWith('EVENT#'))
    .sort((a, b) => key(a).localeCompare(key(b)));
  const alerts = (await scan(db.names.alerts))
    .map(({ recordedAt, notifiedAt, expiresAt, ...rest }) => rest)
    .sort((a, b) => key(a).localeCompare(key(b)));
  return { reports, alerts };
}

async function seedStores(db: FreshTables) {
  const master = new MasterDataStore(db.doc);
  for (const s of STORES) await master.putStore({ ...s, name: s.storeId, updatedAt: '2026-11-01T00:00:00Z' });
}

const sumOf = (rows: Record<string, unknown>[], pkPrefix: string, skPrefix: string, field: string) =>
  rows
    .filter((r) => String(r.pk).startsWith(pkPrefix) && String(r.sk).startsWith(skPrefix))
    .reduce((n, r) => n + ((r[field] as number | undefined) ?? 0), 0);

const { events, expected } = scenario();
let ordered: Awaited<ReturnType<typeof snapshot>>;

beforeAll(async () => {
  const db = await freshTables();
  await seedStores(db);
  for (const e of events) await deliver(envelope(e));
  ordered = await snapshot(db);
});

describe('reports from one ordered delivery', () => {
  it('count every paid, ended-unpaid and refunded order once, per store and per region, in UTC and local hours', () => {
    const rows = ordered.reports;
    for (const [pk, sk] of [
      ['SALES#STORE#', 'UTC#'],
      ['SALES#STORE#', 'LOCAL#'],
      ['SALES#REGION#', 'UTC#'],
      ['SALES#REGION#', 'LOCAL#'],
    ]) {
      expect(sumOf(rows, pk!, sk!, 'orders'), `${pk}${sk} orders`).toBe(expected.paid);
      expect(sumOf(rows, pk!, sk!, 'units'), `${pk}${sk} units`).toBe(expected.units);
      expect(sumOf(rows, pk!, sk!, 'revenue'), `${pk}${sk} revenue`).toBe(expected.revenue);
      expect(sumOf(rows, pk!, sk!, 'cancelled'), `${pk}${sk} cancelled`).toBe(expected.cancelled);
      expect(sumOf(rows, pk!, sk!, 'refunded'), `${pk}${sk} refunded`).toBe(expected.refunded);
    }
    expect(sumOf(rows, 'SKUS#STORE#', 'UTC#', 'units')).toBe(expected.units);
    expect(sumOf(rows, 'FUNNEL#STORE#', 'UTC#', 'placed')).toBe(expected.placed);
    expect(sumOf(rows, 'FUNNEL#REGION#', 'UTC#', 'paid')).toBe(expected.paid);
    expect(sumOf(rows, 'COUPON#OFF1#', 'UTC#', 'redemptions')).toBe(expected.redemptions);
    expect(ordered.alerts).toHaveLength(2 * expected.lowStock);
  });

  it('keys Tokyo local hours 9 hours ahead of UTC', () => {
    const tokyo = ordered.reports.filter((r) => r.pk === 'SALES#STORE#rs-tokyo');
    const utc = tokyo.filter((r) => String(r.sk).startsWith('UTC#')).map((r) => r.hour as string);
    const local = tokyo.filter((r) => String(r.sk).startsWith('LOCAL#')).map((r) => r.hour as string);
    const plus9 = (h: string) => new Date(Date.parse(`${h}:00:00Z`) + 9 * 3600_000).toISOString().slice(0, 13);
    expect(local.sort()).toEqual(utc.map(plus9).sort());
  });
});

describe('at-least-once, out-of-order delivery', () => {
  it('yields identical reports and alerts when every event is delivered twice, re-published once more, and shuffled', async () => {
    const db = await freshTables();
    await seedStores(db);
    const rnd = random(7);
    const deliveries = events.flatMap((e) => {
      const env = envelope(e);
      return [env, env, envelope(e)]; // a duplicate delivery and a re-publish with a new envelope id
    });
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    for (let i = 0; i < deliveries.length; i += 16) await Promise.all(deliveries.slice(i, i + 16).map(deliver));
    expect(await snapshot(db)).toEqual(ordered);
  });
});
