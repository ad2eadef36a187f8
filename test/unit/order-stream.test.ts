/**
 * The outbox mapping (src/events/order-stream.ts): which order change means which domain event, with the
 * payloads the handlers used to publish after their writes (same builders, same deterministic ids).
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  couponsRedeemed,
  orderCancelled,
  orderFulfilled,
  orderNeedsAttention,
  orderPaid,
  orderPlaced,
  orderRefunded,
} from '../../src/events/order-events.ts';
import {
  ANNOUNCED_STATUSES,
  eventsFromOrderRecord,
  pipeEntriesFromRecords,
  type OrderStreamRecord,
} from '../../src/events/order-stream.ts';
import { pipes, tables } from '../../lib/wiring.ts';
import { matchesEventPattern, parseEventPattern } from '../../local/event-pattern.ts';
import type { Order, OrderStatus } from '../../src/domain/types.ts';

const placed: Order & { openShard: string } = {
  orderId: 'ord_1',
  storeId: 's1',
  region: 'east',
  customerId: 'c1',
  status: 'PENDING_PAYMENT',
  items: [{ sku: 'tea', name: 'Tea', quantity: 2, unitPrice: 900, lineTotal: 1800 }],
  pricing: { subtotal: 1800, discount: 300, total: 1500, currency: 'CNY' },
  appliedCoupons: [
    { code: 'OFF3', type: 'AMOUNT_OFF', amountOff: 300 },
    { code: 'GIFT', type: 'FREE_ITEM', amountOff: 0, automatic: true },
  ],
  rejectedCoupons: [],
  paymentMethod: 'CARD',
  createdAt: '2026-11-23T08:00:00.000Z',
  expiresAt: '2026-11-23T08:15:00.000Z',
  history: [{ status: 'PENDING_PAYMENT', at: '2026-11-23T08:00:00.000Z' }],
  reservation: [
    { sku: 'tea', quantity: 2 },
    { sku: 'cup', quantity: 1 },
  ],
  couponRedemptions: [{ code: 'OFF3', perCustomer: true }],
  stockState: 'RESERVED',
  couponsState: 'REDEEMED',
  paymentIntentId: 'pi_1',
  updatedAt: '2026-11-23T08:00:00.000Z',
  openShard: 'OPEN#3',
};

/** The order after a transition to `status` at `at` (as the store's conditional update leaves it). */
const moved = (o: Order, status: OrderStatus, at: string, extra: Partial<Order> = {}, reason?: string): Order => ({
  ...o,
  ...extra,
  status,
  history: [...o.history, reason ? { status, at, reason } : { status, at }],
  updatedAt: at,
});

const image = (o: object) => marshall(o, { removeUndefinedValues: true });
const insert = (o: Order): OrderStreamRecord => ({
  eventName: 'INSERT',
  dynamodb: { NewImage: image(o), Keys: image({ orderId: o.orderId }) },
});
const modify = (from: Order, to: Order): OrderStreamRecord => ({
  eventName: 'MODIFY',
  dynamodb: { OldImage: image(from), NewImage: image(to), Keys: image({ orderId: to.orderId }) },
});

const paid = moved(
  placed,
  'PAID',
  '2026-11-23T08:00:30.000Z',
  {
    stockState: 'COMMITTED',
    paidAt: '2026-11-23T08:00:30.000Z',
    payment: {
      paymentId: 'pay_1',
      status: 'SUCCEEDED',
      amount: 1500,
      currency: 'CNY',
      occurredAt: '2026-11-23T08:00:29.000Z',
      receivedAt: '2026-11-23T08:00:30.000Z',
    },
  },
  'PAYMENT_SUCCEEDED',
);

describe('eventsFromOrderRecord: the events an order change means', () => {
  it('INSERT → OrderPlaced then one CouponRedeemed per applied coupon, exactly as create-order published them', () => {
    const events = eventsFromOrderRecord(insert(placed));
    expect(events).toEqual([orderPlaced(placed), ...couponsRedeemed(placed)]);
    expect(events.map((e) => e.detail.eventId)).toEqual(['ord_1:OrderPlaced', 'ord_1:CouponRedeemed:OFF3', 'ord_1:CouponRedeemed:GIFT']);
    // Nothing of the stored item beyond the schema leaks into the payload (task token, index key).
    expect(JSON.stringify(events)).not.toMatch(/taskToken|openShard|OPEN#3/);
  });

  it('→ PAID: OrderPaid with the payment id and the placement time (as CommitReservation published it)', () => {
    const [event, ...rest] = eventsFromOrderRecord(modify(placed, paid));
    expect(rest).toEqual([]);
    expect(event).toEqual(orderPaid(paid));
    expect(event!.detail).toMatchObject({ eventId: 'ord_1:OrderPaid', paymentId: 'pay_1', occurredAt: '2026-11-23T08:00:30.000Z' });
  });

  it.each([
    ['CANCELLED', 'CUSTOMER'],
    ['EXPIRED', 'EXPIRED'],
    ['PAYMENT_FAILED', 'PAYMENT_FAILED'],
  ] as const)('→ %s: OrderCancelled with reason %s (as CloseOrder published it)', (status, reason) => {
    const closed = moved(placed, status, '2026-11-23T08:15:01.000Z', { stockState: 'RELEASED', couponsState: 'RELEASED' }, reason);
    const events = eventsFromOrderRecord(modify(placed, closed));
    expect(events).toEqual([orderCancelled(closed, status)]);
    expect(events[0]!.detail).toMatchObject({ eventId: 'ord_1:OrderCancelled', reason, status, occurredAt: '2026-11-23T08:15:01.000Z' });
  });

  it('→ REFUNDED: OrderRefunded with the refund id (as MarkRefunded published it)', () => {
    const claimed = { ...paid, refundRequestedAt: '2026-11-23T09:00:00.000Z', refundId: 'rf_1' };
    const refunded = moved(claimed, 'REFUNDED', '2026-11-23T09:00:02.000Z', { stockState: 'RESTOCKED' }, 'CUSTOMER');
    expect(eventsFromOrderRecord(modify(claimed, refunded))).toEqual([orderRefunded(refunded)]);
    expect(eventsFromOrderRecord(modify(claimed, refunded))[0]!.detail).toMatchObject({ refundId: 'rf_1' });
  });

  it('→ FULFILLED: OrderFulfilled with the time from paid to fulfilled (as fulfil-order published it)', () => {
    const fulfilled = moved(paid, 'FULFILLED', '2026-11-23T08:10:30.000Z', { fulfilledAt: '2026-11-23T08:10:30.000Z' }, 'STORE_HANDOVER');
    const events = eventsFromOrderRecord(modify(paid, fulfilled));
    expect(events).toEqual([orderFulfilled(fulfilled)]);
    expect(events[0]!.detail).toMatchObject({ timeToFulfilMs: 600_000, paidAt: '2026-11-23T08:00:30.000Z' });
  });

  it('→ NEEDS_ATTENTION: OrderNeedsAttention carrying the reason the step stored (as MarkNeedsAttention published it)', () => {
    const reason = 'States.TaskFailed: provider down';
    const parked = moved(placed, 'NEEDS_ATTENTION', '2026-11-23T08:20:00.000Z', {}, reason);
    expect(eventsFromOrderRecord(modify(placed, parked))).toEqual([orderNeedsAttention(parked, reason)]);
  });

  it('emits nothing for a change that is not a status transition (payment intent, task token, stock or coupon moves)', () => {
    const withIntent = { ...placed, paymentIntentId: 'pi_2', taskToken: 'x'.repeat(64) };
    expect(eventsFromOrderRecord(modify(placed, withIntent))).toEqual([]);
    const released = { ...paid, stockState: 'RESTOCKED' as const, refundRequestedAt: '2026-11-23T09:00:00.000Z' };
    expect(eventsFromOrderRecord(modify(paid, released))).toEqual([]);
  });

  it('emits nothing for a status it does not announce (e.g. an internal claim state) nor for REMOVE', () => {
    const claimed = { ...placed, status: 'EXPIRING' as OrderStatus };
    expect(eventsFromOrderRecord(modify(placed, claimed))).toEqual([]);
    // ...but the transition out of it into an announced status does announce.
    const expired = moved(claimed, 'EXPIRED', '2026-11-23T08:15:01.000Z', {}, 'EXPIRED');
    expect(eventsFromOrderRecord(modify(claimed, expired)).map((e) => e.type)).toEqual(['OrderCancelled']);
    expect(eventsFromOrderRecord({ eventName: 'REMOVE', dynamodb: { OldImage: image(placed) } })).toEqual([]);
  });

  it('ignores items that are not whole orders (side items, partial images)', () => {
    const side = { orderId: 'ord_1#history', entries: [] };
    expect(eventsFromOrderRecord({ eventName: 'INSERT', dynamodb: { NewImage: image(side) } })).toEqual([]);
    expect(eventsFromOrderRecord({ eventName: 'INSERT', dynamodb: {} })).toEqual([]);
  });

  it('a redelivered record yields the same events, ids included (consumers dedupe on them)', () => {
    const record = modify(placed, paid);
    expect(eventsFromOrderRecord(structuredClone(record))).toEqual(eventsFromOrderRecord(record));
  });
});

describe('pipeEntriesFromRecords: the enrichment answer for a batch', () => {
  it('flattens the batch in stream order into target entries (source, detail-type, time = occurredAt, detail)', () => {
    const entries = pipeEntriesFromRecords([insert(placed), modify(placed, { ...placed, paymentIntentId: 'pi_9' }), modify(placed, paid)]);
    expect(entries.map((e) => e.detailType)).toEqual(['OrderPlaced', 'CouponRedeemed', 'CouponRedeemed', 'OrderPaid']);
    expect(entries[0]).toEqual({
      source: 'wandian.orders',
      detailType: 'OrderPlaced',
      time: '2026-11-23T08:00:00.000Z',
      detail: orderPlaced(placed).detail,
    });
    expect(entries[3]!.time).toBe('2026-11-23T08:00:30.000Z');
  });
});

describe('pipes.orderEvents filter (lib/wiring.ts), as EventBridge Pipes and the local runner apply it', () => {
  const filters = pipes.orderEvents.filters.map((f) => parseEventPattern(f));
  const passes = (r: OrderStreamRecord) => filters.some((f) => matchesEventPattern(f, JSON.parse(JSON.stringify(r))));

  it('reads the orders table, which keeps old and new images in its stream', () => {
    expect(pipes.orderEvents.source.table).toBe('orders');
    expect(tables.orders.stream).toBe('NEW_AND_OLD_IMAGES');
  });

  it('lets through every record that means an event', () => {
    expect(passes(insert(placed))).toBe(true);
    for (const status of ANNOUNCED_STATUSES) expect(passes(modify(placed, { ...placed, status })), status).toBe(true);
    // The filter's status list is exactly the statuses the mapping announces.
    const modifyFilter = pipes.orderEvents.filters[1] as { dynamodb: { NewImage: { status: { S: readonly string[] } } } };
    expect([...modifyFilter.dynamodb.NewImage.status.S].sort()).toEqual([...ANNOUNCED_STATUSES].sort());
  });

  it('drops records that cannot mean an event before the enrichment is invoked', () => {
    expect(passes(modify(placed, { ...placed, paymentIntentId: 'pi_2' }))).toBe(false);
    expect(passes({ eventName: 'REMOVE', dynamodb: { OldImage: image(placed) } })).toBe(false);
    expect(passes(modify(placed, { ...placed, status: 'EXPIRING' as OrderStatus }))).toBe(false);
  });
});
