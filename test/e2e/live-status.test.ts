/**
 * Live order status end to end on the local runtime (PRODUCT.md, WebSocket row): a client connected to
 * `ws://127.0.0.1:<port>/ws?orderId=` or `?customerId=` receives every status change of the order as
 * `{type: "order.status", orderId, status, at}`; an unknown order is refused; gone connections are dropped.
 * The same $connect/$disconnect/push handlers as deployed; the management API is the local emulator.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { startLocalSystem } from '../../local/system.ts';
import { tableName } from '../../src/config.ts';
import { orderSubject } from '../../src/domain/live-status.ts';
import { ConnectionStore } from '../../src/store/connection-store.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

const SECRET = 'live-status-secret';
let system: Awaited<ReturnType<typeof startLocalSystem>>;
let api: ApiClient;
let doc: DynamoDBDocumentClient;
const STORE = 'live-store';
const SKU = 'live-sku';
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

interface StatusMessage {
  type: string;
  orderId: string;
  status: string;
  at: string;
}

/** Opens a subscription; rejects with `{status, body}` when the handshake is refused. */
function subscribe(query: string): Promise<{ ws: WebSocket; messages: StatusMessage[]; waitFor: (orderId: string, status: string) => Promise<void> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${system.port}/ws?${query}`);
  const messages: StatusMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  const waitFor = (orderId: string, status: string) =>
    vi.waitFor(
      () => {
        if (!messages.some((m) => m.orderId === orderId && m.status === status)) throw new Error(`no ${status} for ${orderId} yet: ${JSON.stringify(messages)}`);
      },
      { timeout: 15_000, interval: 5 },
    );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, waitFor }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => reject({ status: res.statusCode, body: body ? JSON.parse(body) : undefined }));
    });
    ws.once('error', (error) => reject(error));
  });
}

const order = (customerId: string) => api.createOrder({ storeId: STORE, customerId, items: [{ sku: SKU, quantity: 1 }], paymentMethod: 'WECHAT_PAY' });
const subscriptionsOf = async (orderId: string) =>
  (await doc.send(new QueryCommand({ TableName: tableName('connections'), KeyConditionExpression: 'subject = :s', ExpressionAttributeValues: { ':s': orderSubject(orderId) } })))
    .Items ?? [];

beforeAll(async () => {
  ({ system, api, doc } = await startTestSystem(SECRET));
  await api.put(`/v1/stores/${STORE}`, { name: 'Live', region: 'east', timezone: 'Asia/Shanghai' });
  await api.put(`/v1/catalog/${SKU}`, { name: 'Tea', unitPrice: 800, currency: 'CNY', category: 'drinks' });
  await api.put(`/v1/stores/${STORE}/inventory/${SKU}`, { available: 1000, lowStockThreshold: 0 });
});

afterAll(async () => {
  await system?.stop();
});

describe('live order status over WebSocket', () => {
  it('pushes PENDING_PAYMENT then PAID, in order and in the brief’s shape, to a subscriber of the customer', async () => {
    const customerId = uid('cust');
    const client = await subscribe(`customerId=${customerId}`);
    const created = await order(customerId);
    expect(created.status).toBe(201);
    const { orderId } = created.body;
    await client.waitFor(orderId, 'PENDING_PAYMENT');
    await api.pay(created.body);
    await client.waitFor(orderId, 'PAID');

    const { history } = (await api.get(`/v1/orders/${orderId}`)).body;
    expect(client.messages).toEqual([
      { type: 'order.status', orderId, status: 'PENDING_PAYMENT', at: history[0].at },
      { type: 'order.status', orderId, status: 'PAID', at: history[1].at },
    ]);
    client.ws.close();
  });

  it('pushes the status changes of one order to a subscriber of that order, never an older one after a newer one', async () => {
    const created = await order(uid('cust'));
    const { orderId } = created.body;
    const client = await subscribe(`orderId=${orderId}`);
    await api.pay(created.body);
    await client.waitFor(orderId, 'PAID');
    await system.bus.idle();

    // OrderPlaced may have been pushed before this client connected; whatever arrived is in order.
    const statuses = client.messages.map((m) => m.status);
    expect(['PAID', 'PENDING_PAYMENT,PAID']).toContain(statuses.join());
    const ats = client.messages.map((m) => m.at);
    expect(ats).toEqual([...ats].sort());
    expect(new Set(ats).size).toBe(ats.length);
    client.ws.close();
  });

  it('sends each status once when every event is delivered twice and shuffled', async () => {
    const customerId = uid('cust');
    const client = await subscribe(`customerId=${customerId}`);
    system.bus.setFaults({ duplicate: true, reorder: true });
    try {
      const created = await order(customerId);
      const { orderId } = created.body;
      await client.waitFor(orderId, 'PENDING_PAYMENT');
      await api.pay(created.body);
      await client.waitFor(orderId, 'PAID');
      await system.bus.idle();
      expect(client.messages.map((m) => m.status)).toEqual(['PENDING_PAYMENT', 'PAID']);
    } finally {
      system.bus.setFaults({});
      client.ws.close();
    }
  });

  it('pushes the current status, not the stale one, when an old event arrives late', async () => {
    const created = await order(uid('cust'));
    const { orderId } = created.body;
    await api.pay(created.body);
    const paid = await api.waitForStatus(orderId, ['PAID']);
    // PAID is visible before CommitReservation has published OrderPaid: wait for the saga to end, then
    // for the bus, so no on-time push reaches the subscriber below.
    const execution = system.stepFunctions.list().find((e) => e.name === orderId)!;
    await system.stepFunctions.waitForExecution(execution.executionArn);
    await system.bus.idle();
    const client = await subscribe(`orderId=${orderId}`);
    const lateOrderPlaced = { version: '0', id: randomUUID(), 'detail-type': 'OrderPlaced', source: 'wandian.orders', detail: { orderId } };

    // A subscriber that has not seen PAID gets PAID, not PENDING_PAYMENT; a second late copy sends nothing.
    expect(await system.runtime.invoke('pushOrderStatus', lateOrderPlaced)).toEqual({ sent: 1, skipped: 0, gone: 0 });
    expect(await system.runtime.invoke('pushOrderStatus', lateOrderPlaced)).toEqual({ sent: 0, skipped: 1, gone: 0 });
    await client.waitFor(orderId, 'PAID');
    expect(client.messages).toEqual([{ type: 'order.status', orderId, status: 'PAID', at: paid.history[1].at }]);
    client.ws.close();
  });

  it('refuses a connection for an unknown order with 404 ORDER_NOT_FOUND, and one without a subject with 400', async () => {
    await expect(subscribe('orderId=ord_does-not-exist')).rejects.toMatchObject({ status: 404, body: { code: 'ORDER_NOT_FOUND' } });
    await expect(subscribe('')).rejects.toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    await expect(subscribe('orderId=a&customerId=b')).rejects.toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it('removes the subscription of a client that disconnects ($disconnect)', async () => {
    const created = await order(uid('cust'));
    const { orderId } = created.body;
    const client = await subscribe(`orderId=${orderId}`);
    expect(await subscriptionsOf(orderId)).toHaveLength(1);
    client.ws.close();
    await vi.waitFor(async () => expect(await subscriptionsOf(orderId)).toHaveLength(0), { timeout: 10_000, interval: 20 });
  });

  it('drops a subscription whose connection is gone (410 from the management API) and still serves the live one', async () => {
    const created = await order(uid('cust'));
    const { orderId } = created.body;
    const live = await subscribe(`orderId=${orderId}`);
    // A connection that vanished without a $disconnect (API Gateway does not guarantee one).
    const goneId = 'gone-connection=';
    await new ConnectionStore(doc).subscribe(orderSubject(orderId), goneId, new Date());
    expect((await subscriptionsOf(orderId)).map((r) => r.connectionId)).toContain(goneId);

    await api.pay(created.body);
    await live.waitFor(orderId, 'PAID');
    await system.bus.idle();
    expect((await subscriptionsOf(orderId)).map((r) => r.connectionId)).not.toContain(goneId);
    expect(await subscriptionsOf(orderId)).toHaveLength(1);
    live.ws.close();
  });
});
