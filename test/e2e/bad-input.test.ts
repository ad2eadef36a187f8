/**
 * Bad input is answered 4xx with problem+json and a stable code, never 500, and changes nothing
 * (PRODUCT.md API contract v1; the house rules).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { startLocalSystem } from '../../local/system.ts';
import { tableName } from '../../src/config.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

const SECRET = 'bad-input-secret';
let system: Awaited<ReturnType<typeof startLocalSystem>>;
let api: ApiClient;
let doc: DynamoDBDocumentClient;
const storeId = 'bad-input-store';
const sku = 'bad-input-sku';

const validOrder = { storeId, customerId: 'c1', items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' };
const walletOwner = 'bad-input-wallet-owner';
const topUp = (customerId: string, body: unknown, key?: string) =>
  api.request('POST', `/v1/customers/${customerId}/wallet/topups`, body, key === undefined ? {} : { 'idempotency-key': key });

async function snapshot() {
  const [inventory, orders, payments, coupons, wallets, topups, audit] = await Promise.all(
    (['inventory', 'orders', 'payments', 'coupons', 'wallets', 'topups', 'audit'] as const).map(
      async (t) => (await doc.send(new ScanCommand({ TableName: tableName(t), ConsistentRead: true }))).Items ?? [],
    ),
  );
  return { inventory, orders, payments, coupons, wallets, topups, audit };
}

beforeAll(async () => {
  ({ system, api, doc } = await startTestSystem(SECRET));
  await api.put(`/v1/stores/${storeId}`, { name: 'S', region: 'east', timezone: 'Asia/Shanghai' });
  await api.put(`/v1/catalog/${sku}`, { name: 'Tea', unitPrice: 900, currency: 'CNY', category: 'drinks' });
  await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 10, lowStockThreshold: 1 });
  // Contract v1.1: a wallet is funded by a top-up that the provider's webhook confirms.
  await api.fundWallet(walletOwner, 1000, 'CNY', 'CARD', 'k-seed-wallet');
});

afterAll(async () => {
  await system?.stop();
});

const longId = 'x'.repeat(65);
/** A JSON array nested `depth` levels deep (2 bytes a level: 6,000 levels = 12 KB). */
const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/** POST with the body as raw bytes, so that fetch adds no Content-Type of its own; JSON answer parsed. */
/** POSTs `body` with no Content-Type at all, as the customer the path or body names (a valid token: the 415 is the point). */
async function postWithoutContentType(path: string, body: string, headers: Record<string, string>) {
  const customer = /\/customers\/([^/]+)\//.exec(path)?.[1] ?? (JSON.parse(body) as { customerId?: string }).customerId ?? 'c1';
  const token = await api.token({ sub: customer, groups: ['customer'] });
  const res = await fetch(`${api.baseUrl}${path}`, {
    method: 'POST',
    headers: { ...headers, authorization: `Bearer ${token}` },
    body: new TextEncoder().encode(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
type Case = [name: string, send: () => Promise<{ status: number; body: any; headers: Headers }>, status: number, code: string];

const cases: Case[] = [
  ['non-JSON order body', () => api.request('POST', '/v1/orders', '{not json', { 'idempotency-key': 'k-nonjson' }), 400, 'MALFORMED_JSON'],
  [
    'order body without a Content-Type',
    () => postWithoutContentType('/v1/orders', JSON.stringify(validOrder), { 'idempotency-key': 'k-no-ctype' }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  ],
  [
    'order body sent as text/plain',
    () => api.request('POST', '/v1/orders', validOrder, { 'idempotency-key': 'k-text', 'content-type': 'text/plain' }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  ],
  [
    '6,000-deep array as an order',
    () => api.request('POST', '/v1/orders', deepArray(6_000), { 'idempotency-key': 'k-deep-6000' }),
    400,
    'VALIDATION_FAILED',
  ],
  [
    '30,000-deep array as an order',
    () => api.request('POST', '/v1/orders', deepArray(30_000), { 'idempotency-key': 'k-deep-30000' }),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'empty order body',
    () => api.request('POST', '/v1/orders', '', { 'idempotency-key': 'k-empty', 'content-type': 'application/json' }),
    400,
    'MALFORMED_JSON',
  ],
  ['order without Idempotency-Key', () => api.request('POST', '/v1/orders', validOrder), 400, 'IDEMPOTENCY_KEY_REQUIRED'],
  ['order missing items', () => api.createOrder({ storeId, customerId: 'c1', paymentMethod: 'CARD' }), 400, 'VALIDATION_FAILED'],
  ['quantity 0', () => api.createOrder({ ...validOrder, items: [{ sku, quantity: 0 }] }), 400, 'VALIDATION_FAILED'],
  ['negative quantity', () => api.createOrder({ ...validOrder, items: [{ sku, quantity: -1 }] }), 400, 'VALIDATION_FAILED'],
  ['quantity 10^9', () => api.createOrder({ ...validOrder, items: [{ sku, quantity: 1_000_000_000 }] }), 400, 'VALIDATION_FAILED'],
  ['quantity as a string', () => api.createOrder({ ...validOrder, items: [{ sku, quantity: '1' }] }), 400, 'VALIDATION_FAILED'],
  ['fractional quantity', () => api.createOrder({ ...validOrder, items: [{ sku, quantity: 1.5 }] }), 400, 'VALIDATION_FAILED'],
  ['unknown payment method', () => api.createOrder({ ...validOrder, paymentMethod: 'CASH' }), 400, 'VALIDATION_FAILED'],
  ['oversized customer id', () => api.createOrder({ ...validOrder, customerId: longId }), 400, 'VALIDATION_FAILED'],
  ['unknown field', () => api.createOrder({ ...validOrder, priceOverride: 1 }), 400, 'VALIDATION_FAILED'],
  ['unknown store', () => api.createOrder({ ...validOrder, storeId: 'no-such-store' }), 404, 'STORE_NOT_FOUND'],
  ['unknown SKU', () => api.createOrder({ ...validOrder, items: [{ sku: 'no-such-sku', quantity: 1 }] }), 404, 'SKU_NOT_FOUND'],
  ['unknown coupon', () => api.createOrder({ ...validOrder, couponCodes: ['NO-SUCH-COUPON'] }), 422, 'COUPON_NOT_APPLICABLE'],
  ['more than the stock', () => api.createOrder({ ...validOrder, items: [{ sku, quantity: 11 }] }), 409, 'INVENTORY_SHORTAGE'],
  [
    'wallet top-up with a negative amount',
    () => topUp(walletOwner, { amount: -100, currency: 'CNY', paymentMethod: 'CARD' }, 'k-topup-negative'),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'wallet top-up of zero',
    () => topUp(walletOwner, { amount: 0, currency: 'CNY', paymentMethod: 'CARD' }, 'k-topup-zero'),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'wallet top-up with a fractional amount',
    () => topUp(walletOwner, { amount: 10.5, currency: 'CNY', paymentMethod: 'CARD' }, 'k-topup-float'),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'wallet top-up without a Content-Type',
    () =>
      postWithoutContentType(`/v1/customers/${walletOwner}/wallet/topups`, '{"amount":100,"currency":"CNY","paymentMethod":"CARD"}', {
        'idempotency-key': 'k-topup-no-ctype',
      }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  ],
  ['6,000-deep array as a wallet top-up', () => topUp(walletOwner, deepArray(6_000), 'k-topup-deep-6000'), 400, 'VALIDATION_FAILED'],
  ['30,000-deep array as a wallet top-up', () => topUp(walletOwner, deepArray(30_000), 'k-topup-deep-30000'), 400, 'VALIDATION_FAILED'],
  [
    'wallet top-up without Idempotency-Key',
    () => topUp(walletOwner, { amount: 100, currency: 'CNY', paymentMethod: 'CARD' }),
    400,
    'IDEMPOTENCY_KEY_REQUIRED',
  ],
  [
    'wallet top-up in another currency than the wallet',
    () => topUp(walletOwner, { amount: 100, currency: 'USD', paymentMethod: 'CARD' }, 'k-topup-usd'),
    422,
    'CURRENCY_MISMATCH',
  ],
  [
    'wallet top-up for a bad customer id',
    () => topUp('bad%20id', { amount: 100, currency: 'CNY', paymentMethod: 'CARD' }, 'k-topup-badid'),
    400,
    'VALIDATION_FAILED',
  ],
  ['wallet of a customer who never topped up', () => api.get('/v1/customers/no-such-customer/wallet'), 404, 'WALLET_NOT_FOUND'],
  ['fulfil an unknown order', () => api.request('POST', '/v1/orders/ord_nope/fulfil'), 404, 'ORDER_NOT_FOUND'],
  [
    'coupon scoped to a malformed region',
    () => api.put('/v1/coupons/BADREGION', { type: 'AMOUNT_OFF', amountOff: 100, region: 'East Coast' }),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'coupon scoped to the same store twice',
    () => api.put('/v1/coupons/DUPSTORE', { type: 'AMOUNT_OFF', amountOff: 100, storeIds: [storeId, storeId] }),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'store with a bad timezone',
    () => api.put('/v1/stores/s-bad', { name: 'S', region: 'east', timezone: 'Mars/Olympus' }),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'catalog item with a float price',
    () => api.put('/v1/catalog/sku-bad', { name: 'X', unitPrice: 9.99, currency: 'CNY', category: 'c' }),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'inventory for an unknown store',
    () => api.put(`/v1/stores/no-such-store/inventory/${sku}`, { available: 1, lowStockThreshold: 0 }),
    404,
    'STORE_NOT_FOUND',
  ],
  [
    'inventory for an unknown SKU',
    () => api.put(`/v1/stores/${storeId}/inventory/no-such-sku`, { available: 1, lowStockThreshold: 0 }),
    404,
    'SKU_NOT_FOUND',
  ],
  [
    'negative stock',
    () => api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: -5, lowStockThreshold: 0 }),
    400,
    'VALIDATION_FAILED',
  ],
  ['percent coupon above 100', () => api.put('/v1/coupons/BAD', { type: 'PERCENT_OFF', percentOff: 150 }), 400, 'VALIDATION_FAILED'],
  ['path id with bad characters', () => api.get('/v1/orders/%24%7Binjection%7D'), 400, 'VALIDATION_FAILED'],
  ['path id too long', () => api.get(`/v1/orders/${longId}`), 400, 'VALIDATION_FAILED'],
  ['unknown order', () => api.get('/v1/orders/ord_nope'), 404, 'ORDER_NOT_FOUND'],
  ['cancel an unknown order', () => api.request('POST', '/v1/orders/ord_nope/cancel'), 404, 'ORDER_NOT_FOUND'],
  [
    'webhook with a bad signature',
    () =>
      api.webhook(
        { paymentId: 'p1', orderId: 'ord_nope', status: 'SUCCEEDED', amount: 1, currency: 'CNY', occurredAt: '2026-11-23T08:00:00Z' },
        `sha256=${'0'.repeat(64)}`,
      ),
    401,
    'INVALID_SIGNATURE',
  ],
  ['webhook without a signature', () => api.request('POST', '/v1/payments/webhook/card', { paymentId: 'p1' }), 401, 'INVALID_SIGNATURE'],
  [
    'webhook for an unknown order',
    () =>
      api.webhook({
        paymentId: 'p1',
        orderId: 'ord_nope',
        status: 'SUCCEEDED',
        amount: 1,
        currency: 'CNY',
        occurredAt: '2026-11-23T08:00:00Z',
      }),
    404,
    'ORDER_NOT_FOUND',
  ],
  [
    'webhook with a float amount',
    () =>
      api.webhook({
        paymentId: 'p1',
        orderId: 'ord_nope',
        status: 'SUCCEEDED',
        amount: 1.5,
        currency: 'CNY',
        occurredAt: '2026-11-23T08:00:00Z',
      }),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'wallet top-up paid from the wallet itself',
    () => topUp(walletOwner, { amount: 100, currency: 'CNY', paymentMethod: 'BALANCE' }, 'k-topup-balance'),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'wallet top-up without a payment method',
    () => topUp(walletOwner, { amount: 100, currency: 'CNY' }, 'k-topup-nomethod'),
    400,
    'VALIDATION_FAILED',
  ],
  ['unknown top-up', () => api.get(`/v1/customers/${walletOwner}/wallet/topups/top_nope`), 404, 'TOPUP_NOT_FOUND'],
  [
    'wallet adjustment of zero',
    () =>
      api.request(
        'POST',
        `/v1/customers/${walletOwner}/wallet/adjustments`,
        { amount: 0, currency: 'CNY', reason: 'nothing' },
        { 'idempotency-key': 'k-adjust-zero' },
      ),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'wallet adjustment without a reason',
    () =>
      api.request(
        'POST',
        `/v1/customers/${walletOwner}/wallet/adjustments`,
        { amount: 5, currency: 'CNY' },
        { 'idempotency-key': 'k-adjust-noreason' },
      ),
    400,
    'VALIDATION_FAILED',
  ],
  [
    'webhook for an unknown provider',
    () =>
      api.webhook(
        { paymentId: 'p1', orderId: 'ord_nope', status: 'SUCCEEDED', amount: 1, currency: 'CNY', occurredAt: '2026-11-23T08:00:00Z' },
        undefined,
        'paypal',
      ),
    404,
    'ROUTE_NOT_FOUND',
  ],
  [
    'webhook for an unknown top-up',
    () =>
      api.webhook({
        paymentId: 'p1',
        topupId: 'top_nope',
        status: 'SUCCEEDED',
        amount: 1,
        currency: 'CNY',
        occurredAt: '2026-11-23T08:00:00Z',
      }),
    404,
    'TOPUP_NOT_FOUND',
  ],
  [
    'webhook naming both an order and a top-up',
    () =>
      api.webhook({
        paymentId: 'p1',
        orderId: 'ord_nope',
        topupId: 'top_nope',
        status: 'SUCCEEDED',
        amount: 1,
        currency: 'CNY',
        occurredAt: '2026-11-23T08:00:00Z',
      }),
    400,
    'VALIDATION_FAILED',
  ],
  ['unknown route', () => api.get('/v1/nothing-here'), 404, 'ROUTE_NOT_FOUND'],
];

describe('bodies refused before the idempotency layer', () => {
  const idempotencyRecords = async () =>
    (await doc.send(new ScanCommand({ TableName: tableName('idempotency'), ConsistentRead: true }))).Items ?? [];
  it.each([
    ['a 6,000-deep array', deepArray(6_000), 400, 'VALIDATION_FAILED'],
    ['a 30,000-deep array', deepArray(30_000), 400, 'VALIDATION_FAILED'],
    ['a body without a Content-Type', undefined, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ] as const)('%s leaves no idempotency record; the same key then places a good order', async (_name, body, status, code) => {
    const key = `k-pre-${status}-${body?.length ?? 0}`;
    const before = await idempotencyRecords();
    const res =
      body === undefined
        ? await postWithoutContentType('/v1/orders', JSON.stringify(validOrder), { 'idempotency-key': key })
        : await api.createOrder(body, key);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ status, code });
    expect(await idempotencyRecords()).toEqual(before);
    const good = await api.createOrder(validOrder, key);
    expect(good.status).toBe(201);
    expect(good.body).toMatchObject({ status: 'PENDING_PAYMENT', customerId: validOrder.customerId });
  });

  it('answers a 20 KB header 431 HEADERS_TOO_LARGE as problem+json', async () => {
    // Earlier orders' sagas still write to their orders in the background: compare what this request could write.
    const written = async () => {
      const { orders, ...rest } = await snapshot();
      return { ...rest, orderIds: (orders ?? []).map((o) => o.orderId).sort(), idempotency: await idempotencyRecords() };
    };
    const before = await written();
    const res = await fetch(`${api.baseUrl}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-431', 'x-padding': 'a'.repeat(20 * 1024) },
      body: JSON.stringify(validOrder),
    });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
    expect(await written()).toEqual(before);
  });

  it('never echoes the JSON parser message', async () => {
    const res = await api.request('POST', '/v1/orders', '{"storeId": tru', { 'idempotency-key': 'k-parser-message' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'MALFORMED_JSON', detail: 'Request body is not valid JSON' });
  });
});

describe('bad input', () => {
  it.each(cases)('%s is refused with the documented status and code, nothing changed', async (_name, send, status, code) => {
    const before = await snapshot();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code });
    expect(typeof res.body.title).toBe('string');
    expect(await snapshot()).toEqual(before);
  });
});
