/**
 * PRODUCT.md invariant 5 against real DynamoDB Local: the reporting consumers (projectReports, fed SQS-shaped
 * batches as its queue's event source mapping does, and recordLowStockAlert, routed by the deployed rule
 * patterns) build the SAME reports and alerts whether every event arrives once in order, or twice,
 * re-published, shuffled and in concurrent batches; a batch item the consumer reports failed is redelivered.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { rules, type RuleSpec } from '../../lib/wiring.ts';
import type { EventBridgeEvent } from '../../local/event-bus.ts';
import { matchesEventPattern, parseEventPattern } from '../../local/event-pattern.ts';
import { invokeFunction } from '../../local/lambda-runtime.ts';
import { MasterDataStore } from '../../src/store/master-data-store.ts';
import { chunkEvents, MARKER_TTL_SECONDS, ReportStore } from '../../src/store/report-store.ts';
import { domainEvent, eventSource, type DomainEvent } from '../../src/events/catalog.ts';
import { orderCancelled, orderPaid, orderPlaced, orderRefunded } from '../../src/events/order-events.ts';
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
    // Coupons are counted from OrderPlaced; its CouponRedeemed events are not routed to the reports (countedWithOrder).
    events.push(orderPlaced(order));
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

const REPORTING = new Set<string>(['projectReports', 'recordLowStockAlert']);
const compiledRules = (Object.values(rules) as RuleSpec[])
  .filter((r) => REPORTING.has(r.target))
  .map((r) => ({ pattern: parseEventPattern(r.eventPattern), target: r.target, queued: r.queue !== undefined }));

let messageSeq = 0;
/** An SQS event of `events` (body = the EventBridge event), as an event source mapping hands it over. */
const sqsBatch = (events: EventBridgeEvent[]) => ({
  Records: events.map((e) => ({ messageId: `m-${++messageSeq}`, body: JSON.stringify(e), attributes: {}, eventSource: 'aws:sqs' })),
});

/**
 * Delivers envelopes like the bus: each to every reporting rule it matches; a queued rule's target gets them
 * as ONE SQS batch, and the messages it reports failed are delivered again (as SQS would) until none is left.
 */
async function deliver(batch: EventBridgeEvent[]): Promise<void> {
  for (const event of batch) {
    const n = compiledRules.filter((r) => matchesEventPattern(r.pattern, event)).length;
    expect(n, `${event['detail-type']} is routed`).toBeGreaterThan(0);
  }
  await Promise.all(
    compiledRules.map(async (r) => {
      let mine = batch.filter((e) => matchesEventPattern(r.pattern, e));
      if (!r.queued) return Promise.all(mine.map((e) => invokeFunction(r.target, e)));
      while (mine.length > 0) {
        const sqs = sqsBatch(mine);
        const { batchItemFailures } = (await invokeFunction(r.target, sqs)) as { batchItemFailures: { itemIdentifier: string }[] };
        const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
        mine = sqs.Records.filter((m) => failed.has(m.messageId)).map((m) => JSON.parse(m.body) as EventBridgeEvent);
      }
    }),
  );
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
  // In order, in batches of 25 (two transactions for some: 25 markers + their rows exceed 100 items).
  for (let i = 0; i < events.length; i += 25) await deliver(events.slice(i, i + 25).map(envelope));
  ordered = await snapshot(db);
});

describe('reports from one ordered delivery', () => {
  it('count every paid, ended-unpaid and refunded order once, per store and per region, in UTC-hour rows only', () => {
    const rows = ordered.reports;
    expect(rows.filter((r) => !String(r.sk).startsWith('UTC#'))).toEqual([]);
    for (const [pk, sk] of [
      ['SALES#STORE#', 'UTC#'],
      ['SALES#REGION#', 'UTC#'],
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

  it('keys each Tokyo UTC-hour row by its local hour, 9 hours ahead, one row per UTC hour', () => {
    const tokyo = ordered.reports.filter((r) => r.pk === 'SALES#STORE#rs-tokyo');
    const plus9 = (h: string) => new Date(Date.parse(`${h}:00:00Z`) + 9 * 3600_000).toISOString().slice(0, 13);
    expect(tokyo.length).toBeGreaterThan(0);
    for (const r of tokyo) expect(r).toMatchObject({ sk: `UTC#${r.hour}#${plus9(r.hour as string)}`, localHour: plus9(r.hour as string) });
    expect(new Set(tokyo.map((r) => r.hour)).size).toBe(tokyo.length);
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
    // Batches of 16 (duplicates within a batch too), two batches racing at a time.
    for (let i = 0; i < deliveries.length; i += 32) {
      await Promise.all([deliver(deliveries.slice(i, i + 16)), deliver(deliveries.slice(i + 16, i + 32))]);
    }
    expect(await snapshot(db)).toEqual(ordered);
  });
});

describe('ReportStore.applyBatchOnce', () => {
  const update = (pk: string, n = 1) => ({ pk, sk: 'UTC#2026-11-23T08', add: { n }, set: { hour: '2026-11-23T08' } });
  const counted = (id: string, pks: string[]) => ({ eventId: id, updates: pks.map((pk) => update(pk)) });

  it('splits a batch over transactions of at most 100 items, drops events counted before, and counts the rest once', async () => {
    const db = await freshTables();
    const store = new ReportStore(db.doc);
    // 150 events over 60 rows: 210 items in all, so at least three transactions.
    const first = Array.from({ length: 150 }, (_, i) => counted(`e${i}`, [`ROW#${i % 60}`]));
    const chunks = chunkEvents(first);
    expect(chunks.every((c) => c.length + new Set(c.map((e) => e.updates[0]!.pk)).size <= 100)).toBe(true);
    const send = vi.spyOn(db.doc, 'send');
    expect(await store.applyBatchOnce(first, new Date())).toMatchObject({ duplicates: [], failed: [] });
    // One transaction per chunk: its events' markers and each row it touches ONCE (deltas summed).
    const sizes = send.mock.calls.map(([command]) => (command.input as { TransactItems: unknown[] }).TransactItems.length);
    expect(sizes).toEqual(chunks.map((c) => c.length + new Set(c.map((e) => e.updates[0]!.pk)).size));
    send.mockRestore();
    // Again with 30 new events mixed in (and one of them twice): only the new ones count.
    const second = [
      ...first.slice(0, 120),
      counted('new0', ['ROW#0']),
      ...Array.from({ length: 30 }, (_, i) => counted(`new${i}`, [`ROW#${i}`])),
    ];
    const outcome = await store.applyBatchOnce(second, new Date());
    expect(outcome.applied.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `new${i}`).sort());
    expect(outcome.duplicates).toHaveLength(121);
    expect(outcome.failed).toEqual([]);
    const rows = (await db.doc.send(new ScanCommand({ TableName: db.names.reports, ConsistentRead: true }))).Items ?? [];
    const total = rows.filter((r) => String(r.pk).startsWith('ROW#')).reduce((n, r) => n + (r.n as number), 0);
    expect(total).toBe(180);
    const markers = rows.filter((r) => String(r.pk).startsWith('EVENT#'));
    expect(markers).toHaveLength(180);
    for (const m of markers) expect(JSON.stringify(m).length).toBeLessThan(1024);
    expect(markers[0]!.expiresAt).toBeGreaterThan(Date.now() / 1000 + MARKER_TTL_SECONDS - 60);
  });
});
