/**
 * Domain events reach the reporting Lambdas through the local bus, routed by the deployed rule
 * patterns; the hourly sales counter counts each event once although deliveries are duplicated and
 * reordered (PRODUCT.md invariant 5); InventoryLow fires once per threshold crossing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startLocalSystem } from '../../local/system.ts';
import type { EventBridgeEvent } from '../../local/event-bus.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

const SECRET = 'events-secret';
let system: Awaited<ReturnType<typeof startLocalSystem>>;
let api: ApiClient;
const events: EventBridgeEvent[] = [];

/** The sales report row of the UTC hour containing `at`, through GET /v1/reports/sales. */
async function hourRow(scope: string, at: string) {
  const [kind, id] = scope.split('#') as ['STORE' | 'REGION', string];
  const from = `${at.slice(0, 13)}:00:00Z`;
  const to = new Date(Date.parse(from) + 3_600_000).toISOString();
  const res = await api.get(`/v1/reports/sales?${kind === 'STORE' ? 'storeId' : 'region'}=${id}&from=${from}&to=${to}`);
  return res.body.rows[0];
}

beforeAll(async () => {
  ({ system, api } = await startTestSystem(SECRET, { busOptions: { onEvent: (e) => events.push(e) } }));
  await api.put('/v1/stores/ev-store', { name: 'S', region: 'north', timezone: 'Asia/Tokyo' });
  await api.put('/v1/catalog/ev-sku', { name: 'Rice ball', unitPrice: 450, currency: 'CNY', category: 'food' });
  await api.put('/v1/stores/ev-store/inventory/ev-sku', { available: 10, lowStockThreshold: 4 });
});

afterAll(async () => {
  await system?.stop();
});

describe('events and reports', () => {
  it('counts paid and cancelled orders once per event in the hourly report, even when every delivery is duplicated and reordered', async () => {
    system.bus.setFaults({ duplicate: true, reorder: true });
    const paid = await api.createOrder({
      storeId: 'ev-store',
      customerId: 'c1',
      items: [{ sku: 'ev-sku', quantity: 2 }],
      paymentMethod: 'WECHAT_PAY',
    });
    const cancelled = await api.createOrder({
      storeId: 'ev-store',
      customerId: 'c2',
      items: [{ sku: 'ev-sku', quantity: 1 }],
      paymentMethod: 'ALIPAY',
    });
    await api.pay(paid.body);
    await api.request('POST', `/v1/orders/${cancelled.body.orderId}/cancel`);
    const paidOrder = await api.waitForStatus(paid.body.orderId, ['PAID']);
    await api.waitForStatus(cancelled.body.orderId, ['CANCELLED']);
    await system.bus.idle();
    system.bus.setFaults({ duplicate: false, reorder: false });

    const types = events.map((e) => `${e['detail-type']}:${(e.detail as { orderId?: string }).orderId}`);
    expect(types).toContain(`OrderPlaced:${paid.body.orderId}`);
    expect(types).toContain(`OrderPaid:${paid.body.orderId}`);
    expect(types).toContain(`OrderCancelled:${cancelled.body.orderId}`);
    expect(events.every((e) => e.source.startsWith('wandian.'))).toBe(true);

    const paidAt = paidOrder.history.at(-1).at as string;
    for (const scope of ['STORE#ev-store', 'REGION#north']) {
      expect(await hourRow(scope, paidAt)).toMatchObject({ orders: 1, units: 2, revenue: 900, discount: 0 });
    }
    const cancelledRow = await hourRow('STORE#ev-store', (await api.get(`/v1/orders/${cancelled.body.orderId}`)).body.history.at(-1).at);
    expect(cancelledRow?.cancelled).toBe(1);
  });

  it('emits InventoryLow once when stock crosses its threshold', async () => {
    // 10 - 2 (paid) - 1 (cancelled, released) = 8 available; threshold 4.
    const before = events.filter((e) => e['detail-type'] === 'InventoryLow').length;
    const big = await api.createOrder({
      storeId: 'ev-store',
      customerId: 'c3',
      items: [{ sku: 'ev-sku', quantity: 5 }],
      paymentMethod: 'CARD',
    });
    expect(big.status).toBe(201);
    const small = await api.createOrder({
      storeId: 'ev-store',
      customerId: 'c4',
      items: [{ sku: 'ev-sku', quantity: 1 }],
      paymentMethod: 'CARD',
    });
    expect(small.status).toBe(201);
    await system.bus.idle();
    await new Promise((r) => setTimeout(r, 200));
    await system.bus.idle();
    const lows = events.filter((e) => e['detail-type'] === 'InventoryLow').slice(before);
    expect(lows).toHaveLength(1);
    expect(lows[0]!.source).toBe('wandian.inventory');
    expect(lows[0]!.detail).toMatchObject({ storeId: 'ev-store', sku: 'ev-sku', lowStockThreshold: 4 });
    expect((lows[0]!.detail as { available: number }).available).toBeLessThanOrEqual(4);
  });

  it('emits InventoryLow for a gift SKU whose stock only FREE_ITEM coupons take down', async () => {
    await api.put('/v1/catalog/ev-gift', { name: 'Keychain', unitPrice: 100, currency: 'CNY', category: 'gifts' });
    await api.put('/v1/stores/ev-store/inventory/ev-gift', { available: 3, lowStockThreshold: 2 });
    await api.put('/v1/coupons/EV-GIFT', { type: 'FREE_ITEM', sku: 'ev-gift', quantity: 1 });
    const withGift = await api.createOrder({
      storeId: 'ev-store',
      customerId: 'c5',
      items: [{ sku: 'ev-sku', quantity: 1 }],
      couponCodes: ['EV-GIFT'],
      paymentMethod: 'CARD',
    });
    expect(withGift.status).toBe(201);
    await system.bus.idle();
    await new Promise((r) => setTimeout(r, 200));
    await system.bus.idle();
    const giftAlerts = events.filter((e) => e['detail-type'] === 'InventoryLow' && (e.detail as { sku: string }).sku === 'ev-gift');
    expect(giftAlerts).toHaveLength(1);
    expect(giftAlerts[0]!.detail).toMatchObject({ storeId: 'ev-store', available: 2, lowStockThreshold: 2 });
  });
});
