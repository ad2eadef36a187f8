/**
 * Payment vs expiry vs cancel (issue 8 "No lies under races"; rules in src/domain/order-claim.ts): each side
 * CLAIMS the unpaid order with one conditional write and the loser acts on what the winner did. The two sides
 * are driven directly in a chosen order (the webhook over HTTP; the expiry's claim step, functions/saga/claim-order.ts,
 * invoked as the saga invokes it), so the order of arrival is decided by the test, not by timing.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc } from '../../functions/commons/clients.ts';
import { tableName } from '../../src/config.ts';
import type { startLocalSystem } from '../../local/system.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

type System = Awaited<ReturnType<typeof startLocalSystem>>;
let system: System;
let api: ApiClient;
const SECRET = 'claims-secret';
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  ({ system, api } = await startTestSystem(SECRET, { paymentTimeoutSeconds: 3 }));
});

afterAll(async () => {
  await system?.stop();
});

async function placeOrder() {
  const storeId = uid('store');
  const sku = uid('sku');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'S', region: 'east', timezone: 'Asia/Shanghai' })).status).toBe(200);
  expect((await api.put(`/v1/catalog/${sku}`, { name: 'Tea', unitPrice: 800, currency: 'CNY', category: 'drinks' })).status).toBe(200);
  expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 5, lowStockThreshold: 0 })).status).toBe(200);
  const created = await api.createOrder({ storeId, customerId: 'c1', items: [{ sku, quantity: 2 }], paymentMethod: 'CARD' });
  expect(created.status).toBe(201);
  return { order: created.body, storeId, sku };
}

/** The expiry's side of the race: the claim the saga (and the sweeper) makes when the payment deadline passes. */
const expire = (orderId: string) =>
  system.runtime.invoke('claimOrder', { orderId, claim: 'EXPIRY' }) as Promise<{ claim: string; finalStatus: string }>;

const paymentRecord = async (paymentId: string) =>
  (await doc.send(new GetCommand({ TableName: tableName('payments'), Key: { paymentId }, ConsistentRead: true }))).Item;

const stock = async (storeId: string, sku: string) => (await api.get(`/v1/stores/${storeId}/inventory/${sku}`)).body;

describe('payment vs expiry', () => {
  it('webhook first: the payment answered APPLIED wins, the expiry finds its claim and the order ends PAID', async () => {
    const { order, storeId, sku } = await placeOrder();
    const paid = await api.pay(order);
    expect(paid.body.disposition).toBe('APPLIED');
    expect(await expire(order.orderId)).toEqual({ claim: 'PAYMENT', finalStatus: 'PAID' });
    const final = await api.waitForStatus(order.orderId, ['PAID', 'EXPIRED']);
    expect(final.status).toBe('PAID');
    expect(await stock(storeId, sku)).toMatchObject({ available: 3, reserved: 0, sold: 2 });
  });

  it('expiry first: the late payment is answered REFUNDED, refunded once and never applied; the order ends EXPIRED', async () => {
    const { order, storeId, sku } = await placeOrder();
    expect(await expire(order.orderId)).toEqual({ claim: 'EXPIRY', finalStatus: 'EXPIRED' });
    const paymentId = `pay_${randomUUID()}`;
    const late = await api.pay(order, { paymentId });
    expect(late.status).toBe(200);
    expect(late.body.disposition).toBe('REFUNDED');
    expect(await paymentRecord(paymentId)).toMatchObject({ disposition: 'REFUNDED', orderId: order.orderId });
    expect((await api.pay(order, { paymentId })).body.disposition).toBe('REFUNDED'); // redelivery: refunded once (recordOnce)
    const final = await api.waitForStatus(order.orderId, ['PAID', 'EXPIRED']);
    expect(final.status).toBe('EXPIRED');
    expect(final.payment).toBeUndefined();
    expect(await stock(storeId, sku)).toMatchObject({ available: 5, reserved: 0, sold: 0 });
  });

  it('a repeated expiry claim is a no-op that answers the same decision', async () => {
    const { order } = await placeOrder();
    expect(await expire(order.orderId)).toEqual({ claim: 'EXPIRY', finalStatus: 'EXPIRED' });
    expect(await expire(order.orderId)).toEqual({ claim: 'EXPIRY', finalStatus: 'EXPIRED' });
    expect((await api.waitForStatus(order.orderId, ['EXPIRED'])).status).toBe('EXPIRED');
  });
});

describe('payment vs cancel', () => {
  it('cancel first: the later payment is refunded as late and the order ends CANCELLED', async () => {
    const { order } = await placeOrder();
    const cancelled = await api.cancel(order.orderId);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.action).toBe('CANCEL');
    expect((await api.pay(order)).body.disposition).toBe('REFUNDED');
    expect(await expire(order.orderId)).toEqual({ claim: 'CANCEL', finalStatus: 'CANCELLED' });
    const final = await api.waitForStatus(order.orderId, ['CANCELLED', 'PAID', 'EXPIRED']);
    expect(final.status).toBe('CANCELLED');
  });

  it('webhook first: the payment is applied and the cancel becomes a refund (PAID, then REFUNDED)', async () => {
    const { order } = await placeOrder();
    expect((await api.pay(order)).body.disposition).toBe('APPLIED');
    const cancelled = await api.cancel(order.orderId);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.action).toBe('REFUND');
    const final = await api.waitForStatus(order.orderId, ['REFUNDED', 'CANCELLED', 'EXPIRED']);
    expect(final.status).toBe('REFUNDED');
    expect(final.history.map((h: { status: string }) => h.status)).toEqual(['PENDING_PAYMENT', 'PAID', 'REFUNDED']);
  });
});
