/**
 * Live order status end to end on the local runtime (PRODUCT.md, WebSocket row and "Identity and access"
 * v1.1): a client connected to `ws://127.0.0.1:<port>/ws?token=<access token>&orderId=` (or `customerId=`,
 * or `storeId=` for staff) receives every status change of the order as `{type: "order.status", orderId,
 * status, at}`; no or an expired token is refused with 401 before `$connect`; someone else's order is
 * refused like an unknown one (404), someone else's customer or store with 403; gone connections are
 * dropped. The same $connect/$disconnect/push handlers as deployed; the management API is the local emulator.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { startLocalSystem } from '../../local/system.ts';
import { tableName } from '../../src/config.ts';
import { orderSubject } from '../../src/domain/live-status.ts';
import { ConnectionStore } from '../../src/store/connection-store.ts';
import { OrderStore } from '../../src/store/order-store.ts';
import { orderPlaced } from '../../src/events/order-events.ts';
import { pipeEntry } from '../../src/events/order-stream.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

const SECRET = 'live-status-secret';
let system: Awaited<ReturnType<typeof startLocalSystem>>;
let api: ApiClient;
let doc: DynamoDBDocumentClient;
const STORE = 'live-store';
const OTHER_STORE = 'live-store-west';
const SKU = 'live-sku';
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

interface StatusMessage {
  type: string;
  orderId: string;
  status: string;
  at: string;
}

/** An access token from the local issuer (`POST /local/token`); customers by default. */
const tokenOf = (sub: string, groups: Parameters<ApiClient['token']>[0]['groups'] = ['customer']) => api.token({ sub, groups });

/** Opens a subscription with `token` as `?token=` (none if undefined); rejects with `{status, body}` when the handshake is refused. */
function subscribe(
  query: string,
  token: string | undefined,
): Promise<{ ws: WebSocket; messages: StatusMessage[]; waitFor: (orderId: string, status: string) => Promise<void> }> {
  const params = [token === undefined ? '' : `token=${encodeURIComponent(token)}`, query].filter(Boolean).join('&');
  const ws = new WebSocket(`ws://127.0.0.1:${system.port}/ws?${params}`);
  const messages: StatusMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  const waitFor = (orderId: string, status: string) =>
    vi.waitFor(
      () => {
        if (!messages.some((m) => m.orderId === orderId && m.status === status))
          throw new Error(`no ${status} for ${orderId} yet: ${JSON.stringify(messages)}`);
      },
      { timeout: 15_000, interval: 5 },
    );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, waitFor }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => reject({ status: res.statusCode, headers: res.headers, body: body ? JSON.parse(body) : undefined }));
    });
    ws.once('error', (error) => reject(error));
  });
}

const order = (customerId: string, storeId = STORE) =>
  api.createOrder({ storeId, customerId, items: [{ sku: SKU, quantity: 1 }], paymentMethod: 'WECHAT_PAY' });
/** Subscribes the customer of `customerId` to their own order (`?orderId=`). */
const subscribeOwn = async (orderId: string, customerId: string) => subscribe(`orderId=${orderId}`, await tokenOf(customerId));
/** Stores a staff assignment, as `PUT /v1/staff/{sub}` does (staff table). */
const assign = (sub: string, assignment: { stores?: string[]; region?: string }) =>
  doc.send(
    new PutCommand({ TableName: tableName('staff'), Item: { sub, stores: [], ...assignment, updatedAt: new Date().toISOString() } }),
  );
const connectInvocations = () => system.runtime.stats().connectLiveStatus?.invocations ?? 0;
const subscriptionsOf = async (orderId: string) =>
  (
    await doc.send(
      new QueryCommand({
        TableName: tableName('connections'),
        KeyConditionExpression: 'subject = :s',
        ExpressionAttributeValues: { ':s': orderSubject(orderId) },
      }),
    )
  ).Items ?? [];

beforeAll(async () => {
  ({ system, api, doc } = await startTestSystem(SECRET));
  await api.put(`/v1/stores/${STORE}`, { name: 'Live', region: 'east', timezone: 'Asia/Shanghai' });
  await api.put(`/v1/catalog/${SKU}`, { name: 'Tea', unitPrice: 800, currency: 'CNY', category: 'drinks' });
  await api.put(`/v1/stores/${STORE}/inventory/${SKU}`, { available: 1000, lowStockThreshold: 0 });
  await api.put(`/v1/stores/${OTHER_STORE}`, { name: 'Live 2', region: 'west', timezone: 'Asia/Shanghai' });
  await api.put(`/v1/stores/${OTHER_STORE}/inventory/${SKU}`, { available: 1000, lowStockThreshold: 0 });
});

afterAll(async () => {
  await system?.stop();
});

describe('live order status over WebSocket', () => {
  it('pushes PENDING_PAYMENT then PAID, in order and in the brief’s shape, to a subscriber of the customer', async () => {
    const customerId = uid('cust');
    const client = await subscribe(`customerId=${customerId}`, await tokenOf(customerId));
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
    const customerId = uid('cust');
    const created = await order(customerId);
    const { orderId } = created.body;
    const client = await subscribeOwn(orderId, customerId);
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
    const client = await subscribe(`customerId=${customerId}`, await tokenOf(customerId));
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
    const customerId = uid('cust');
    const created = await order(customerId);
    const { orderId } = created.body;
    await api.pay(created.body);
    const paid = await api.waitForStatus(orderId, ['PAID']);
    // PAID is visible before CommitReservation has published OrderPaid: wait for confirmPayment to end, then
    // for the bus, so no on-time push reaches the subscriber below.
    const execution = system.stepFunctions
      .list()
      .find((e) => e.stateMachineArn.endsWith('confirmPayment') && JSON.parse(e.input).orderId === orderId)!;
    await system.stepFunctions.waitForExecution(execution.executionArn);
    await system.bus.idle();
    const client = await subscribeOwn(orderId, customerId);
    // The OrderPlaced the fan-out pipe would hand its target (a batch of enrichment entries), arriving late.
    const stored = (await new OrderStore(doc).get(orderId))!;
    const lateOrderPlaced = [pipeEntry(orderPlaced(stored))];

    // A subscriber that has not seen PAID gets PAID, not PENDING_PAYMENT; a second late copy sends nothing.
    expect(await system.runtime.invoke('fanOutOrderStatus', lateOrderPlaced)).toMatchObject({ events: 1, sent: 1, skipped: 0, gone: 0 });
    expect(await system.runtime.invoke('fanOutOrderStatus', lateOrderPlaced)).toMatchObject({ events: 1, sent: 0, skipped: 1, gone: 0 });
    await client.waitFor(orderId, 'PAID');
    expect(client.messages).toEqual([{ type: 'order.status', orderId, status: 'PAID', at: paid.history[1].at }]);
    client.ws.close();
  });

  it('refuses a connection for an unknown order with 404 ORDER_NOT_FOUND, and one without a subject with 400', async () => {
    const token = await tokenOf(uid('cust'));
    await expect(subscribe('orderId=ord_does-not-exist', token)).rejects.toMatchObject({ status: 404, body: { code: 'ORDER_NOT_FOUND' } });
    await expect(subscribe('', token)).rejects.toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    await expect(subscribe('orderId=a&customerId=b', token)).rejects.toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    await expect(subscribe('orderId=a&storeId=b', token)).rejects.toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it('refuses a connect without a token, or with an expired or foreign one, with 401 before $connect runs', async () => {
    const customerId = uid('cust');
    const created = await order(customerId);
    const { orderId } = created.body;
    const before = connectInvocations();
    const unauthenticated = { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: { code: 'UNAUTHENTICATED' } };
    await expect(subscribe(`orderId=${orderId}`, undefined)).rejects.toMatchObject(unauthenticated);
    await expect(subscribe(`orderId=${orderId}`, '')).rejects.toMatchObject(unauthenticated);
    const expired = await api.token({ sub: customerId, groups: ['customer'], expiresInSeconds: -60 });
    await expect(subscribe(`orderId=${orderId}`, expired)).rejects.toMatchObject(unauthenticated);
    const wrongAudience = await system.identity.sign({
      sub: customerId,
      token_use: 'access',
      client_id: 'someone-elses-app',
      'cognito:groups': ['customer'],
    });
    await expect(subscribe(`orderId=${orderId}`, wrongAudience)).rejects.toMatchObject(unauthenticated);
    await expect(subscribe(`orderId=${orderId}`, 'not-a-jwt')).rejects.toMatchObject(unauthenticated);
    expect(connectInvocations()).toBe(before);
    expect(await subscriptionsOf(orderId)).toHaveLength(0);
  });

  it('refuses a customer following someone else’s order (404, as if unknown) or someone else’s customerId (403)', async () => {
    const owner = uid('cust');
    const created = await order(owner);
    const { orderId } = created.body;
    const intruder = await tokenOf(uid('cust'));
    await expect(subscribe(`orderId=${orderId}`, intruder)).rejects.toMatchObject({ status: 404, body: { code: 'ORDER_NOT_FOUND' } });
    await expect(subscribe(`customerId=${owner}`, intruder)).rejects.toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    // A customer cannot follow a store either; staff cannot follow a customer.
    await expect(subscribe(`storeId=${STORE}`, await tokenOf(owner))).rejects.toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    const clerk = uid('clerk');
    await assign(clerk, { stores: [STORE] });
    await expect(subscribe(`customerId=${owner}`, await tokenOf(clerk, ['storeStaff']))).rejects.toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN' },
    });
    expect(await subscriptionsOf(orderId)).toHaveLength(0);
  });

  it('pushes the orders of a store to its staff (?storeId=) and refuses them another store with 403', async () => {
    const clerk = uid('clerk');
    await assign(clerk, { stores: [STORE] });
    const token = await tokenOf(clerk, ['storeStaff']);
    await expect(subscribe(`storeId=${OTHER_STORE}`, token)).rejects.toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    const staff = await subscribe(`storeId=${STORE}`, token);

    const here = await order(uid('cust'));
    expect(here.status).toBe(201);
    const elsewhere = await order(uid('cust'), OTHER_STORE);
    expect(elsewhere.status).toBe(201);
    await staff.waitFor(here.body.orderId, 'PENDING_PAYMENT');
    await api.pay(here.body);
    await staff.waitFor(here.body.orderId, 'PAID');
    await system.bus.idle();

    const { history } = (await api.get(`/v1/orders/${here.body.orderId}`)).body;
    expect(staff.messages).toEqual([
      { type: 'order.status', orderId: here.body.orderId, status: 'PENDING_PAYMENT', at: history[0].at },
      { type: 'order.status', orderId: here.body.orderId, status: 'PAID', at: history[1].at },
    ]);
    // Staff of the store may also follow one of its orders; not one of another store (404, as if unknown).
    const one = await subscribe(`orderId=${here.body.orderId}`, token);
    one.ws.close();
    await expect(subscribe(`orderId=${elsewhere.body.orderId}`, token)).rejects.toMatchObject({
      status: 404,
      body: { code: 'ORDER_NOT_FOUND' },
    });
    staff.ws.close();
  });

  it('lets the region manager of a store’s region and a chain admin follow the store; another region’s manager gets 403', async () => {
    const east = uid('mgr');
    const west = uid('mgr');
    await assign(east, { region: 'east' });
    await assign(west, { region: 'west' });
    const managed = await subscribe(`storeId=${STORE}`, await tokenOf(east, ['regionManager']));
    await expect(subscribe(`storeId=${STORE}`, await tokenOf(west, ['regionManager']))).rejects.toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN' },
    });
    const admin = await subscribe(`storeId=${STORE}`, await tokenOf(uid('admin'), ['chainAdmin']));
    const created = await order(uid('cust'));
    await managed.waitFor(created.body.orderId, 'PENDING_PAYMENT');
    await admin.waitFor(created.body.orderId, 'PENDING_PAYMENT');
    managed.ws.close();
    admin.ws.close();
  });

  it('removes the subscription of a client that disconnects ($disconnect)', async () => {
    const customerId = uid('cust');
    const created = await order(customerId);
    const { orderId } = created.body;
    const client = await subscribeOwn(orderId, customerId);
    expect(await subscriptionsOf(orderId)).toHaveLength(1);
    client.ws.close();
    await vi.waitFor(async () => expect(await subscriptionsOf(orderId)).toHaveLength(0), { timeout: 10_000, interval: 20 });
  });

  it('drops a subscription whose connection is gone (410 from the management API) and still serves the live one', async () => {
    const customerId = uid('cust');
    const created = await order(customerId);
    const { orderId } = created.body;
    const live = await subscribeOwn(orderId, customerId);
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
