/** The local ops dashboard's figures (local/ops-dashboard.ts), from bus events delivered at least once. */
import { describe, expect, it } from 'vitest';
import type { EventBridgeEvent } from '../../local/event-bus.ts';
import { OpsDashboard } from '../../local/ops-dashboard.ts';

const T0 = Date.parse('2026-11-23T10:00:30.000Z');
const event = (type: string, detail: Record<string, unknown>): EventBridgeEvent => ({
  version: '0',
  id: `${Math.random()}`,
  'detail-type': type,
  source: type === 'InventoryLow' ? 'wandian.inventory' : 'wandian.orders',
  account: '000000000000',
  time: '2026-11-23T10:00:30Z',
  region: 'us-east-1',
  resources: [],
  detail,
});
const paid = (orderId: string, total: number, at: string) =>
  event('OrderPaid', {
    eventId: `${orderId}:OrderPaid`,
    orderId,
    occurredAt: at,
    total,
    discount: 100,
    currency: 'CNY',
    items: [{ sku: 'a', quantity: 2 }],
  });

describe('OpsDashboard', () => {
  it('counts each fact once although the bus publishes it twice (same eventId, new envelope id)', () => {
    const d = new OpsDashboard({ now: () => T0 });
    const placed = event('OrderPlaced', { eventId: 'o1:OrderPlaced', orderId: 'o1', occurredAt: '2026-11-23T10:00:01.000Z' });
    d.observe(placed);
    d.observe({ ...placed, id: 'another-envelope' });
    d.observe(paid('o1', 2500, '2026-11-23T10:00:05.000Z'));
    d.observe(paid('o1', 2500, '2026-11-23T10:00:05.000Z'));
    const s = d.snapshot();
    expect(s.totals.orders).toMatchObject({ PENDING_PAYMENT: 1, PAID: 1 });
    expect(s.totals.revenue).toEqual({ CNY: 2500 });
    expect(s.ordersByStatus.PAID.at(-1)).toBe(1);
    expect(s.revenue.CNY!.at(-1)).toBe(2500);
    expect(s.hourlySales).toEqual([
      { hour: '2026-11-23T10:00Z', orders: 1, units: 2, revenue: { CNY: 2500 }, discount: 100, cancelled: 0, refunded: 0 },
    ]);
  });

  it('puts each fact in the minute it happened and sorts saga outcomes by final status', () => {
    const d = new OpsDashboard({ now: () => T0, windowMinutes: 3 });
    d.observe(paid('o1', 1000, '2026-11-23T09:58:10.000Z'));
    d.observe(
      event('OrderCancelled', { eventId: 'o2:OrderCancelled', orderId: 'o2', occurredAt: '2026-11-23T09:59:10.000Z', status: 'EXPIRED' }),
    );
    d.observe(event('OrderRefunded', { eventId: 'o3:OrderRefunded', orderId: 'o3', occurredAt: '2026-11-23T10:00:10.000Z' }));
    d.observe(event('OrderNeedsAttention', { eventId: 'o4:OrderNeedsAttention', orderId: 'o4', occurredAt: '2026-11-23T10:00:11.000Z' }));
    const s = d.snapshot();
    expect(s.minutes).toEqual(['2026-11-23T09:58:00.000Z', '2026-11-23T09:59:00.000Z', '2026-11-23T10:00:00.000Z']);
    expect(s.sagaOutcomes).toEqual({ completed: [1, 0, 0], compensated: [0, 1, 0], refunded: [0, 0, 1], needsAttention: [0, 0, 1] });
    expect(s.ordersByStatus.EXPIRED).toEqual([0, 1, 0]);
  });

  it('counts low-stock alerts and keeps the latest one per store and SKU', () => {
    const d = new OpsDashboard({ now: () => T0 });
    const low = (available: number, at: string) =>
      event('InventoryLow', {
        eventId: `InventoryLow:s1:a:${at}`,
        storeId: 's1',
        sku: 'a',
        available,
        lowStockThreshold: 5,
        occurredAt: at,
      });
    d.observe(low(5, '2026-11-23T10:00:01.000Z'));
    d.observe(low(2, '2026-11-23T10:00:09.000Z'));
    const s = d.snapshot();
    expect(s.totals.alerts).toBe(2);
    expect(s.lowStock).toEqual([{ storeId: 's1', sku: 'a', available: 2, lowStockThreshold: 5, at: '2026-11-23T10:00:09.000Z' }]);
  });

  it('attributes new compensation-task invocations to the current minute', () => {
    let invocations = 0;
    const d = new OpsDashboard({ now: () => T0, compensationSteps: () => invocations });
    expect(d.snapshot().totals.compensations).toBe(0);
    invocations = 3;
    expect(d.snapshot().compensations.at(-1)).toBe(3);
    expect(d.snapshot().totals.compensations).toBe(3);
  });
});
