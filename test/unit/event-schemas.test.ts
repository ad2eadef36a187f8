/**
 * The committed event contract (schemas/events/*.v1.json and the generated tables of docs/events.md) is
 * exactly what the zod catalog produces: change an event, run `npx tsx scripts/generate-event-schemas.ts`,
 * commit the result. Each builder in src/events emits details that its schema accepts unchanged.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromRepoRoot } from '../../lib/paths.ts';
import { eventDetailSchemas, eventEnvelopeSchema, eventSource, eventTypes } from '../../src/events/catalog.ts';
import { couponsRedeemed, orderCancelled, orderPaid, orderPlaced, orderRefunded } from '../../src/events/order-events.ts';
import { EVENTS_DOC, SCHEMA_DIR, schemaFiles, withDocSections } from '../../src/events/schema-files.ts';
import type { Order } from '../../src/domain/types.ts';

describe('committed event schemas', () => {
  it.each([...schemaFiles()])('%s is up to date with src/events/catalog.ts', (path, generated) => {
    expect(readFileSync(fromRepoRoot(path), 'utf8')).toBe(generated);
  });

  it('has one file per catalog event and no other', () => {
    expect(readdirSync(fromRepoRoot(SCHEMA_DIR)).sort()).toEqual(eventTypes.map((t) => `${t}.v1.json`).sort());
  });

  it.each(eventTypes)('%s is a draft-04 schema of the whole event, pinning source and detail-type', (type) => {
    const schema = JSON.parse(readFileSync(fromRepoRoot(`${SCHEMA_DIR}/${type}.v1.json`), 'utf8'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(schema.properties.source.enum).toEqual([eventSource[type]]);
    expect(schema.properties['detail-type'].enum).toEqual([type]);
    expect(schema.properties.detail.required).toEqual(expect.arrayContaining(['eventId', 'schemaVersion', 'occurredAt']));
    expect(schema.properties.detail.additionalProperties, 'additive fields stay compatible').toBeUndefined();
  });

  it('docs/events.md carries the generated catalog and field tables', () => {
    const doc = readFileSync(fromRepoRoot(EVENTS_DOC), 'utf8');
    expect(withDocSections(doc)).toBe(doc);
    for (const type of eventTypes) expect(doc).toContain(`### ${type} (`);
  });
});

const order: Order = {
  orderId: 'ord_1',
  storeId: 's1',
  region: 'east',
  customerId: 'c1',
  status: 'PAID',
  items: [{ sku: 'tea', name: 'Tea', quantity: 2, unitPrice: 900, lineTotal: 1800 }],
  pricing: { subtotal: 1800, discount: 300, total: 1500, currency: 'CNY' },
  appliedCoupons: [
    { code: 'OFF3', type: 'AMOUNT_OFF', amountOff: 300 },
    { code: 'GIFT', type: 'FREE_ITEM', amountOff: 0 },
  ],
  rejectedCoupons: [],
  paymentMethod: 'CARD',
  createdAt: '2026-11-23T08:00:00.000Z',
  expiresAt: '2026-11-23T08:15:00.000Z',
  history: [
    { status: 'PENDING_PAYMENT', at: '2026-11-23T08:00:00.000Z' },
    { status: 'PAID', at: '2026-11-23T08:00:30.000Z' },
  ],
  reservation: [{ sku: 'tea', quantity: 2 }],
  couponRedemptions: [],
  stockState: 'COMMITTED',
  couponsState: 'REDEEMED',
  payment: {
    paymentId: 'pay_1',
    status: 'SUCCEEDED',
    amount: 1500,
    currency: 'CNY',
    occurredAt: '2026-11-23T08:00:29.000Z',
    receivedAt: '2026-11-23T08:00:30.000Z',
  },
  updatedAt: '2026-11-23T08:00:30.000Z',
};

describe('event builders', () => {
  it('emits one CouponRedeemed per applied coupon with a deterministic id and the discount it gave', () => {
    const events = couponsRedeemed(order);
    expect(events.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        eventId: 'ord_1:CouponRedeemed:OFF3',
        code: 'OFF3',
        couponType: 'AMOUNT_OFF',
        discount: 300,
        currency: 'CNY',
        occurredAt: order.createdAt,
      }),
      expect.objectContaining({ eventId: 'ord_1:CouponRedeemed:GIFT', code: 'GIFT', couponType: 'FREE_ITEM', discount: 0 }),
    ]);
    expect(couponsRedeemed(order)).toEqual(events);
  });

  it.each([
    ['OrderPlaced', orderPlaced(order)],
    ['OrderPaid', orderPaid(order)],
    [
      'OrderCancelled',
      orderCancelled({ ...order, history: [...order.history, { status: 'EXPIRED', at: '2026-11-23T08:15:00.000Z' }] }, 'EXPIRED'),
    ],
    ['OrderRefunded', orderRefunded({ ...order, refundId: 'rf_1' })],
    ['CouponRedeemed', couponsRedeemed(order)[0]!],
  ] as const)('builds %s details that their schema accepts without dropping a field', (type, event) => {
    expect(event.type).toBe(type);
    expect(eventDetailSchemas[type].parse(event.detail)).toEqual(event.detail);
    const envelope = {
      version: '0',
      id: 'x',
      'detail-type': type,
      source: eventSource[type],
      account: '1',
      time: '2026-11-23T08:00:00Z',
      region: 'ap-east-1',
      resources: [],
      detail: event.detail,
    };
    expect(eventEnvelopeSchema(type).safeParse(envelope).success).toBe(true);
  });

  it('rejects an envelope whose detail breaks the schema', () => {
    const detail = { ...orderPaid(order).detail, total: -1 };
    const envelope = {
      version: '0',
      id: 'x',
      'detail-type': 'OrderPaid',
      source: 'wandian.orders',
      account: '1',
      time: '2026-11-23T08:00:00Z',
      region: 'r',
      resources: [],
      detail,
    };
    expect(eventEnvelopeSchema('OrderPaid').safeParse(envelope).success).toBe(false);
    expect(
      eventEnvelopeSchema('OrderPaid').safeParse({ ...envelope, source: 'wandian.inventory', detail: orderPaid(order).detail }).success,
    ).toBe(false);
  });
});
