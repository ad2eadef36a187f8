/**
 * Fulfilment end to end on the local runtime: the store hands a PAID order over (FULFILLED, once),
 * OrderFulfilled carries the time from payment to hand-over, and nothing else can be fulfilled or,
 * once fulfilled, cancelled. Specification: shared/brief/PRODUCT.md (API contract v1
 * POST /v1/orders/{orderId}/fulfil, order statuses).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startLocalSystem } from '../../local/system.ts';
import type { EventBridgeEvent } from '../../local/event-bus.ts';
import { eventEnvelopeSchema } from '../../src/events/catalog.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
const SECRET = 'fulfil-webhook-secret';
const events: EventBridgeEvent[] = [];
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

async function seedStore(stock: Record<string, number>) {
  const storeId = uid('store');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Fulfil store', region: 'west', timezone: 'Asia/Chongqing' })).status).toBe(200);
  for (const [sku, available] of Object.entries(stock)) {
    expect((await api.put(`/v1/catalog/${sku}`, { name: `Item ${sku}`, unitPrice: 1500, currency: 'CNY', category: 'food' })).status).toBe(
      200,
    );
    expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available, lowStockThreshold: 0 })).status).toBe(200);
  }
  return storeId;
}

const fulfil = (orderId: string) => api.request('POST', `/v1/orders/${orderId}/fulfil`);
const inventoryOf = async (storeId: string, sku: string) => (await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body;

/** A new order of `quantity` units, paid through the webhook unless `paid` is false. */
async function order(paid = true, quantity = 1) {
  const sku = uid('sku');
  const storeId = await seedStore({ [sku]: 5 });
  const created = await api.createOrder({ storeId, customerId: uid('cust'), items: [{ sku, quantity }], paymentMethod: 'ALIPAY' });
  expect(created.status).toBe(201);
  if (paid) {
    await api.pay(created.body);
    await api.waitForStatus(created.body.orderId, ['PAID']);
  }
  return { storeId, sku, orderId: created.body.orderId as string };
}

beforeAll(async () => {
  ({ system, api } = await startTestSystem(SECRET, { busOptions: { onEvent: (e) => void events.push(e) } }));
});

afterAll(async () => {
  await system?.stop();
});

describe('fulfilment', () => {
  it('moves a PAID order to FULFILLED once, with a history entry, and announces OrderFulfilled with the time from payment', async () => {
    const { orderId, storeId, sku } = await order(true, 2);
    const res = await fulfil(orderId);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('FULFILLED');
    expect(res.body.history.map((h: any) => h.status)).toEqual(['PENDING_PAYMENT', 'PAID', 'FULFILLED']);
    expect(res.body.history.at(-1).reason).toBe('STORE_HANDOVER');
    expect((await api.get(`/v1/orders/${orderId}`)).body.status).toBe('FULFILLED');
    expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 3, reserved: 0, sold: 2 });

    await system.bus.idle();
    const announced = events.filter((e) => e['detail-type'] === 'OrderFulfilled' && (e.detail as { orderId?: string }).orderId === orderId);
    expect(announced).toHaveLength(1);
    const event = eventEnvelopeSchema('OrderFulfilled').parse(announced[0]);
    const paidAt = res.body.history[1].at as string;
    const fulfilledAt = res.body.history[2].at as string;
    expect(event.detail).toMatchObject({ orderId, storeId, region: 'west', total: 3000, currency: 'CNY', paidAt, occurredAt: fulfilledAt });
    expect(event.detail.timeToFulfilMs).toBe(Date.parse(fulfilledAt) - Date.parse(paidAt));
  });

  it('answers 409 ORDER_NOT_FULFILLABLE for a second fulfil, and 409 ORDER_NOT_CANCELLABLE for a cancel, of a FULFILLED order', async () => {
    const { orderId, storeId, sku } = await order();
    expect((await fulfil(orderId)).status).toBe(200);
    const again = await fulfil(orderId);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'ORDER_NOT_FULFILLABLE', orderId, status: 'FULFILLED' });
    const cancel = await api.cancel(orderId);
    expect(cancel.status).toBe(409);
    expect(cancel.body.code).toBe('ORDER_NOT_CANCELLABLE');
    const after = (await api.get(`/v1/orders/${orderId}`)).body;
    expect(after.history.filter((h: any) => h.status === 'FULFILLED')).toHaveLength(1);
    expect(await inventoryOf(storeId, sku)).toMatchObject({ sold: 1, reserved: 0 });
  });

  it.each([
    ['PENDING_PAYMENT', async () => (await order(false)).orderId],
    [
      'CANCELLED',
      async () => {
        const { orderId } = await order(false);
        await api.cancel(orderId);
        await api.waitForStatus(orderId, ['CANCELLED']);
        return orderId;
      },
    ],
    [
      'REFUNDED',
      async () => {
        const { orderId } = await order();
        await api.cancel(orderId);
        await api.waitForStatus(orderId, ['REFUNDED']);
        return orderId;
      },
    ],
  ])('refuses to fulfil a %s order with 409 ORDER_NOT_FULFILLABLE and leaves it as it is', async (status, make) => {
    const orderId = await make();
    const res = await fulfil(orderId);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'ORDER_NOT_FULFILLABLE', status });
    expect((await api.get(`/v1/orders/${orderId}`)).body.status).toBe(status);
  });

  it('lets exactly one of a racing fulfil and refund win a PAID order', async () => {
    for (let round = 0; round < 5; round++) {
      const { orderId, storeId, sku } = await order();
      const [fulfilled, cancel] = await Promise.all([fulfil(orderId), api.cancel(orderId)]);
      expect([200, 409]).toContain(fulfilled.status);
      const refund = system.stepFunctions
        .list()
        .find((e) => e.stateMachineArn.endsWith('refundSaga') && JSON.parse(e.input).orderId === orderId);
      if (cancel.status === 202 && refund) await system.stepFunctions.waitForExecution(refund.executionArn);
      const final = (await api.get(`/v1/orders/${orderId}`)).body;
      if (fulfilled.status === 200) {
        expect(final.status).toBe('FULFILLED');
        expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 4, sold: 1 });
      } else {
        expect(final.status).toBe('REFUNDED');
        expect(await inventoryOf(storeId, sku)).toMatchObject({ available: 5, sold: 0 });
      }
    }
  });
});
