/**
 * The order-status fan-out (pipe orderStatusFanOut, src/events/order-status-fan-out.ts): what a batch of
 * enrichment entries asks for, and the pipe's wiring next to the outbox on the same stream.
 */
import { describe, expect, it } from 'vitest';
import { MAX_PIPES_PER_STREAM, functions, pipes, rules, type PipeSpec } from '../../lib/wiring.ts';
import { couponsRedeemed, orderPaid, orderPlaced } from '../../src/events/order-events.ts';
import { LIVE_STATUS_EVENT_TYPES, planFanOut } from '../../src/events/order-status-fan-out.ts';
import { pipeEntry } from '../../src/events/order-stream.ts';
import type { Order } from '../../src/domain/types.ts';

const order = (orderId: string): Order => ({
  orderId,
  storeId: 's1',
  region: 'east',
  customerId: 'c1',
  status: 'PENDING_PAYMENT',
  items: [{ sku: 'tea', name: 'Tea', quantity: 2, unitPrice: 900, lineTotal: 1800 }],
  pricing: { subtotal: 1800, discount: 300, total: 1500, currency: 'CNY' },
  appliedCoupons: [{ code: 'OFF3', type: 'AMOUNT_OFF', amountOff: 300 }],
  rejectedCoupons: [],
  paymentMethod: 'CARD',
  createdAt: '2026-11-23T08:00:00.000Z',
  expiresAt: '2026-11-23T08:15:00.000Z',
  history: [{ status: 'PENDING_PAYMENT', at: '2026-11-23T08:00:00.000Z' }],
  reservation: [{ sku: 'tea', quantity: 2 }],
  couponRedemptions: [{ code: 'OFF3', perCustomer: true }],
  stockState: 'RESERVED',
  couponsState: 'REDEEMED',
  updatedAt: '2026-11-23T08:00:00.000Z',
});
const paid = (o: Order): Order => ({
  ...o,
  status: 'PAID',
  history: [...o.history, { status: 'PAID', at: '2026-11-23T08:01:00.000Z' }],
  paidAt: '2026-11-23T08:01:00.000Z',
});

describe('planFanOut', () => {
  it('pushes each order of the batch once, in order of first appearance, and checks every OrderPlaced for low stock', () => {
    const a = order('ord_a');
    const b = order('ord_b');
    const batch = [orderPlaced(a), ...couponsRedeemed(a), orderPlaced(b), orderPaid(paid(a))].map(pipeEntry);
    const plan = planFanOut(batch);
    expect(plan.events.map((e) => [e.type, e.detail.orderId])).toEqual([
      ['OrderPlaced', 'ord_a'],
      ['OrderPlaced', 'ord_b'],
      ['OrderPaid', 'ord_a'],
    ]);
    expect(plan.pushes).toEqual(['ord_a', 'ord_b']);
    expect(plan.lowStockChecks.map((d) => d.orderId)).toEqual(['ord_a', 'ord_b']);
    expect(plan.ignored).toBe(1); // CouponRedeemed
  });

  it('checks a redelivered OrderPlaced once per batch (the low-stock flag makes later batches emit nothing twice)', () => {
    const placed = pipeEntry(orderPlaced(order('ord_a')));
    expect(planFanOut([placed, placed]).lowStockChecks).toHaveLength(1);
  });

  it('ignores entries of other sources or types, and an empty batch asks for nothing', () => {
    const placed = pipeEntry(orderPlaced(order('ord_a')));
    expect(planFanOut([{ ...placed, source: 'elsewhere' }, { detailType: 'InventoryLow' }, null])).toEqual({
      events: [],
      pushes: [],
      lowStockChecks: [],
      ignored: 3,
    });
    expect(planFanOut([])).toEqual({ events: [], pushes: [], lowStockChecks: [], ignored: 0 });
  });

  it('throws on a status event whose detail violates its catalog schema (the pipe retries, bisects, dead-letters)', () => {
    const placed = pipeEntry(orderPlaced(order('ord_a')));
    expect(() => planFanOut([{ ...placed, detail: { ...placed.detail, orderId: 42 } }])).toThrow();
  });
});

describe('pipes.orderStatusFanOut (lib/wiring.ts)', () => {
  const entries = Object.entries(pipes) as [string, PipeSpec][];

  it('never puts more than two pipes on one table stream (DynamoDB Streams: two readers per shard)', () => {
    expect(MAX_PIPES_PER_STREAM).toBe(2);
    const perTable = Object.groupBy(entries, ([, spec]) => spec.source.table);
    for (const [table, readers] of Object.entries(perTable)) expect(readers!.length, table).toBeLessThanOrEqual(MAX_PIPES_PER_STREAM);
  });

  it('reads what the outbox reads, through the same filter and enrichment, into its function', () => {
    expect(pipes.orderStatusFanOut.source).toBe(pipes.orderEvents.source);
    expect(pipes.orderStatusFanOut.filters).toBe(pipes.orderEvents.filters);
    expect(pipes.orderStatusFanOut.enrichment).toBe(pipes.orderEvents.enrichment);
    expect(pipes.orderStatusFanOut.target).toEqual({ kind: 'function', function: 'fanOutOrderStatus' });
  });

  it('leaves live push and low-stock detection to the pipe: no bus rule delivers status events to a function any more', () => {
    const busTargets = Object.values(rules).flatMap((r) => r.detailTypes as readonly string[]);
    expect(busTargets).not.toContain('OrderFulfilled');
    expect(busTargets).not.toContain('OrderNeedsAttention');
    expect(Object.values(rules).map((r) => r.target)).not.toContain('fanOutOrderStatus');
    expect(LIVE_STATUS_EVENT_TYPES).toContain('OrderPlaced');
  });

  it('gives the fan-out function what the live push and the low-stock detection need', () => {
    expect(functions.fanOutOrderStatus).toMatchObject({
      tables: { orders: 'read', connections: 'readWrite', inventory: 'readWrite' },
      deletesFrom: ['connections'],
      postsToConnections: true,
      publishesEvents: true,
    });
  });
});
