/**
 * The route x principal matrix of contract v1.1 (shared/brief/PRODUCT.md "Identity and access"), generated
 * from lib/wiring.ts `routes` and run against the local system: every JWT route with no token, an expired,
 * badly signed, `alg: none`, wrong-issuer and wrong-audience token (401 UNAUTHENTICATED + WWW-Authenticate),
 * a principal of a role the route does not admit (403 FORBIDDEN), a principal of an admitted role acting on
 * another customer's or another store's resource (404 or 403 as the contract says), and the right principal
 * (the route's success status). The signature-only webhook: unsigned 401, signed 200. A route without a row
 * here fails the test, so a new route cannot ship without its owner being tested.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type Role } from '../../lib/wiring.ts';
import { LOCAL_CLIENT_IDS } from '../../local/identity.ts';
import type { ApiClient, ApiResponse } from '../helpers/api.ts';
import { startTestSystem, type TestSystem } from '../helpers/local-system.ts';

let t: TestSystem;
const SECRET = 'matrix-webhook-secret';
const run = randomUUID().slice(0, 6);
const id = (p: string) => `${p}-${run}`;
const STORE_A = id('store-a'); // east
const STORE_B = id('store-b'); // west
const SKU = id('sku');
const COUPON_EAST = id('EAST10');
const C1 = id('c1');
const C2 = id('c2');

/** The cast: who acts in the matrix (subs; staff assignments are seeded below). */
const cast = {
  admin: { sub: id('admin'), groups: ['chainAdmin'] },
  c1: { sub: C1, groups: ['customer'] },
  c2: { sub: C2, groups: ['customer'] },
  staffA: { sub: id('staff-a'), groups: ['storeStaff'] },
  staffB: { sub: id('staff-b'), groups: ['storeStaff'] },
  mgrEast: { sub: id('mgr-east'), groups: ['regionManager'] },
  mgrWest: { sub: id('mgr-west'), groups: ['regionManager'] },
  nobody: { sub: id('nobody'), groups: [] },
} as const satisfies Record<string, { sub: string; groups: readonly Role[] }>;
type Who = keyof typeof cast;

const fixtures = { order: '', cancelOrder: '', topup: '' };
const clients = {} as Record<Who, ApiClient>;

/** One matrix row: who calls, how, and the status (and code) the contract expects. */
interface Row {
  who: Who;
  call: (c: ApiClient) => Promise<ApiResponse>;
  status: number;
  code?: string;
}
interface RouteCase {
  /** The right principal: the route's success (or, where a state rule answers first, its 409: authorization passed). */
  right: Row;
  /** A principal whose role the route does not admit. */
  wrongRole: Row;
  /** A principal of an admitted role acting outside their scope (another customer's / store's / region's resource). */
  otherResource?: Row;
}

const store = (region: string) => ({ name: 'Matrix store', region, timezone: 'Asia/Shanghai' });
const orderBody = (customerId?: string) => ({
  storeId: STORE_A,
  ...(customerId ? { customerId } : {}),
  items: [{ sku: SKU, quantity: 1 }],
  paymentMethod: 'CARD',
});
const range = `from=2026-12-01T00:00:00Z&to=2026-12-31T00:00:00Z`;
const post =
  (path: string, body: unknown = {}) =>
  (c: ApiClient) =>
    c.request('POST', path, body, { 'idempotency-key': randomUUID() });
const get = (path: string) => (c: ApiClient) => c.get(path);
const put = (path: string, body: unknown) => (c: ApiClient) => c.put(path, body);

const cases: Record<string, () => RouteCase> = {
  'PUT /v1/stores/{storeId}': () => ({
    right: { who: 'mgrEast', call: put(`/v1/stores/${STORE_A}`, store('east')), status: 200 },
    wrongRole: { who: 'staffA', call: put(`/v1/stores/${STORE_A}`, store('east')), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'mgrEast', call: put(`/v1/stores/${STORE_B}`, store('west')), status: 403, code: 'FORBIDDEN' },
  }),
  'PUT /v1/catalog/{sku}': () => ({
    right: {
      who: 'admin',
      call: put(`/v1/catalog/${SKU}`, { name: 'Tea', unitPrice: 1000, currency: 'CNY', category: 'drinks' }),
      status: 200,
    },
    wrongRole: {
      who: 'mgrEast',
      call: put(`/v1/catalog/${SKU}`, { name: 'Tea', unitPrice: 0, currency: 'CNY', category: 'drinks' }),
      status: 403,
      code: 'FORBIDDEN',
    },
  }),
  'PUT /v1/stores/{storeId}/inventory/{sku}': () => ({
    right: { who: 'staffA', call: put(`/v1/stores/${STORE_A}/inventory/${SKU}`, { available: 100, lowStockThreshold: 1 }), status: 200 },
    wrongRole: {
      who: 'c1',
      call: put(`/v1/stores/${STORE_A}/inventory/${SKU}`, { available: 0, lowStockThreshold: 1 }),
      status: 403,
      code: 'FORBIDDEN',
    },
    otherResource: {
      who: 'staffB',
      call: put(`/v1/stores/${STORE_A}/inventory/${SKU}`, { available: 0, lowStockThreshold: 1 }),
      status: 403,
      code: 'FORBIDDEN',
    },
  }),
  'GET /v1/stores/{storeId}/inventory/{sku}': () => ({
    right: { who: 'staffA', call: get(`/v1/stores/${STORE_A}/inventory/${SKU}`), status: 200 },
    wrongRole: { who: 'c1', call: get(`/v1/stores/${STORE_A}/inventory/${SKU}`), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'mgrWest', call: get(`/v1/stores/${STORE_A}/inventory/${SKU}`), status: 403, code: 'FORBIDDEN' },
  }),
  'PUT /v1/coupons/{code}': () => ({
    right: { who: 'mgrEast', call: put(`/v1/coupons/${COUPON_EAST}`, { type: 'AMOUNT_OFF', amountOff: 100, region: 'east' }), status: 200 },
    wrongRole: {
      who: 'c1',
      call: put(`/v1/coupons/${id('FREE')}`, { type: 'PERCENT_OFF', percentOff: 100, automatic: true }),
      status: 403,
      code: 'FORBIDDEN',
    },
    otherResource: {
      who: 'mgrWest',
      call: put(`/v1/coupons/${COUPON_EAST}`, { type: 'AMOUNT_OFF', amountOff: 900, region: 'east' }),
      status: 403,
      code: 'FORBIDDEN',
    },
  }),
  'POST /v1/orders': () => ({
    right: { who: 'c1', call: (c) => c.createOrder(orderBody()), status: 201 },
    wrongRole: { who: 'staffA', call: (c) => c.createOrder(orderBody(C1)), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'c1', call: (c) => c.createOrder(orderBody(C2)), status: 403, code: 'FORBIDDEN' },
  }),
  'GET /v1/orders/{orderId}': () => ({
    right: { who: 'c1', call: get(`/v1/orders/${fixtures.order}`), status: 200 },
    wrongRole: { who: 'nobody', call: get(`/v1/orders/${fixtures.order}`), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'c2', call: get(`/v1/orders/${fixtures.order}`), status: 404, code: 'ORDER_NOT_FOUND' },
  }),
  'POST /v1/orders/{orderId}/cancel': () => ({
    right: { who: 'c1', call: post(`/v1/orders/${fixtures.cancelOrder}/cancel`), status: 202 },
    wrongRole: { who: 'nobody', call: post(`/v1/orders/${fixtures.order}/cancel`), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'staffB', call: post(`/v1/orders/${fixtures.order}/cancel`), status: 404, code: 'ORDER_NOT_FOUND' },
  }),
  'POST /v1/orders/{orderId}/fulfil': () => ({
    // The order is unpaid: 409 shows the caller got past authorization to the state rule.
    right: { who: 'staffA', call: post(`/v1/orders/${fixtures.order}/fulfil`), status: 409, code: 'ORDER_NOT_FULFILLABLE' },
    wrongRole: { who: 'c1', call: post(`/v1/orders/${fixtures.order}/fulfil`), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'mgrWest', call: post(`/v1/orders/${fixtures.order}/fulfil`), status: 404, code: 'ORDER_NOT_FOUND' },
  }),
  'POST /v1/customers/{customerId}/wallet/topups': () => ({
    right: {
      who: 'c1',
      call: post(`/v1/customers/${C1}/wallet/topups`, { amount: 500, currency: 'CNY', paymentMethod: 'CARD' }),
      status: 201,
    },
    wrongRole: {
      who: 'admin',
      call: post(`/v1/customers/${C1}/wallet/topups`, { amount: 1_000_000, currency: 'CNY', paymentMethod: 'CARD' }),
      status: 403,
      code: 'FORBIDDEN',
    },
    otherResource: {
      who: 'c2',
      call: post(`/v1/customers/${C1}/wallet/topups`, { amount: 500, currency: 'CNY', paymentMethod: 'CARD' }),
      status: 404,
    },
  }),
  'GET /v1/customers/{customerId}/wallet': () => ({
    right: { who: 'c1', call: get(`/v1/customers/${C1}/wallet`), status: 200 },
    wrongRole: { who: 'staffA', call: get(`/v1/customers/${C1}/wallet`), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'c2', call: get(`/v1/customers/${C1}/wallet`), status: 404, code: 'WALLET_NOT_FOUND' },
  }),
  'GET /v1/customers/{customerId}/wallet/topups/{topupId}': () => ({
    right: { who: 'c1', call: get(`/v1/customers/${C1}/wallet/topups/${fixtures.topup}`), status: 200 },
    wrongRole: { who: 'mgrEast', call: get(`/v1/customers/${C1}/wallet/topups/${fixtures.topup}`), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'c2', call: get(`/v1/customers/${C1}/wallet/topups/${fixtures.topup}`), status: 404, code: 'TOPUP_NOT_FOUND' },
  }),
  'POST /v1/customers/{customerId}/wallet/adjustments': () => ({
    right: {
      who: 'admin',
      call: post(`/v1/customers/${C1}/wallet/adjustments`, { amount: 100, currency: 'CNY', reason: 'goodwill' }),
      status: 200,
    },
    wrongRole: {
      who: 'c1',
      call: post(`/v1/customers/${C1}/wallet/adjustments`, { amount: 1_000_000, currency: 'CNY', reason: 'free money' }),
      status: 403,
      code: 'FORBIDDEN',
    },
  }),
  'GET /v1/reports/sales': () => reportCase(`/v1/reports/sales?${range}`),
  'GET /v1/reports/top-skus': () => reportCase(`/v1/reports/top-skus?${range}`),
  'GET /v1/reports/funnel': () => reportCase(`/v1/reports/funnel?${range}`),
  'GET /v1/reports/coupons': () => ({
    right: { who: 'mgrEast', call: get(`/v1/reports/coupons?code=${COUPON_EAST}&${range}`), status: 200 },
    wrongRole: { who: 'c1', call: get(`/v1/reports/coupons?code=${COUPON_EAST}&${range}`), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'mgrWest', call: get(`/v1/reports/coupons?code=${COUPON_EAST}&${range}`), status: 403, code: 'FORBIDDEN' },
  }),
  'GET /v1/alerts': () => ({
    right: { who: 'staffA', call: get(`/v1/alerts?storeId=${STORE_A}`), status: 200 },
    wrongRole: { who: 'c1', call: get(`/v1/alerts?storeId=${STORE_A}`), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'staffB', call: get(`/v1/alerts?storeId=${STORE_A}`), status: 403, code: 'FORBIDDEN' },
  }),
  'PUT /v1/staff/{sub}': () => ({
    right: { who: 'admin', call: put(`/v1/staff/${id('new-staff')}`, { stores: [STORE_A] }), status: 200 },
    wrongRole: { who: 'mgrEast', call: put(`/v1/staff/${cast.mgrEast.sub}`, { region: 'west' }), status: 403, code: 'FORBIDDEN' },
  }),
  'GET /v1/audit': () => ({
    right: { who: 'admin', call: get('/v1/audit'), status: 200 },
    wrongRole: { who: 'mgrEast', call: get('/v1/audit'), status: 403, code: 'FORBIDDEN' },
  }),
};

function reportCase(path: string): RouteCase {
  const scoped = `${path}&storeId=${STORE_A}`;
  return {
    right: { who: 'staffA', call: get(scoped), status: 200 },
    wrongRole: { who: 'c1', call: get(scoped), status: 403, code: 'FORBIDDEN' },
    otherResource: { who: 'staffB', call: get(scoped), status: 403, code: 'FORBIDDEN' },
  };
}

/** Fills `{param}`s of a route path with fixture ids, for the token rows (answered before any handler runs). */
const samplePath = (path: string) =>
  path
    .replace('{storeId}', STORE_A)
    .replace('{sku}', SKU)
    .replace('{code}', COUPON_EAST)
    .replace('{orderId}', fixtures.order || 'ord_x')
    .replace('{customerId}', C1)
    .replace('{topupId}', fixtures.topup || 'top_x')
    .replace('{sub}', cast.staffA.sub)
    .replace('{provider}', 'card');

const summary: Array<{ route: string; row: string; status: number }> = [];

beforeAll(async () => {
  t = await startTestSystem(SECRET);
  for (const [who, p] of Object.entries(cast)) clients[who as Who] = await t.api.asUser(p.sub, [...p.groups]);
  // Staff assignments are data (PUT /v1/staff is itself in the matrix): seeded in the staff table.
  const assign = (sub: string, a: Record<string, unknown>) =>
    t.doc.send(new PutCommand({ TableName: process.env.TABLE_STAFF!, Item: { sub, ...a, updatedAt: new Date().toISOString() } }));
  await Promise.all([
    assign(cast.staffA.sub, { stores: [STORE_A] }),
    assign(cast.staffB.sub, { stores: [STORE_B] }),
    assign(cast.mgrEast.sub, { stores: [], region: 'east' }),
    assign(cast.mgrWest.sub, { stores: [], region: 'west' }),
  ]);
  const admin = clients.admin;
  for (const [s, region] of [
    [STORE_A, 'east'],
    [STORE_B, 'west'],
  ] as const)
    expect((await admin.put(`/v1/stores/${s}`, store(region))).status).toBe(200);
  expect((await admin.put(`/v1/catalog/${SKU}`, { name: 'Tea', unitPrice: 1000, currency: 'CNY', category: 'drinks' })).status).toBe(200);
  expect((await admin.put(`/v1/stores/${STORE_A}/inventory/${SKU}`, { available: 100, lowStockThreshold: 1 })).status).toBe(200);
  expect((await admin.put(`/v1/coupons/${COUPON_EAST}`, { type: 'AMOUNT_OFF', amountOff: 100, region: 'east' })).status).toBe(200);
  const placed = await clients.c1.createOrder(orderBody());
  expect(placed.status).toBe(201);
  fixtures.order = placed.body.orderId;
  fixtures.cancelOrder = (await clients.c1.createOrder(orderBody())).body.orderId;
  const topup = await clients.c1.request(
    'POST',
    `/v1/customers/${C1}/wallet/topups`,
    { amount: 300, currency: 'CNY', paymentMethod: 'CARD' },
    { 'idempotency-key': randomUUID() },
  );
  fixtures.topup = topup.body?.topupId ?? 'top_missing';
  // A funded wallet for the read rows (top-ups are credited only by the provider: seeded directly).
  await t.doc.send(
    new PutCommand({
      TableName: process.env.TABLE_WALLETS!,
      Item: { customerId: C1, balance: 5000, currency: 'CNY', createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() },
    }),
  );
});

afterAll(async () => {
  if (summary.length) {
    const byRow = new Map<string, number>();
    for (const s of summary) byRow.set(s.row, (byRow.get(s.row) ?? 0) + 1);
    console.log(
      `authorization matrix: ${new Set(summary.map((s) => s.route)).size} routes, ${summary.length} checks as expected (${[...byRow].map(([r, n]) => `${r} ${n}`).join(', ')})`,
    );
  }
  await t?.system.stop();
});

describe('every route has its rows', () => {
  it('lists a case for each wiring route and no other', () => {
    const keys = routes.filter((r) => r.auth.kind === 'jwt').map((r) => `${r.method} ${r.path}`);
    expect(Object.keys(cases).sort()).toEqual(keys.sort());
  });
});

const expectUnauthenticated = (res: ApiResponse) => {
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('UNAUTHENTICATED');
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
};

for (const route of routes) {
  const key = `${route.method} ${route.path}`;
  if (route.auth.kind === 'signature') {
    describe(key, () => {
      it('refuses an unsigned callback even with an admin token (401 INVALID_SIGNATURE)', async () => {
        const res = await clients.admin.request(
          route.method,
          samplePath(route.path),
          {
            paymentId: 'p1',
            orderId: fixtures.order,
            status: 'SUCCEEDED',
            amount: 1,
            currency: 'CNY',
            occurredAt: new Date().toISOString(),
          },
          { authorization: `Bearer ${await t.api.token({ sub: 'x', groups: ['chainAdmin'] })}` },
        );
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('INVALID_SIGNATURE');
        summary.push({ route: key, row: 'unsigned', status: 401 });
      });
      it("accepts the provider's signed callback (200)", async () => {
        const order = (await clients.c1.get(`/v1/orders/${fixtures.order}`)).body;
        const res = await t.api.pay(order, { status: 'FAILED' });
        expect(res.status).toBe(200);
        summary.push({ route: key, row: 'signed', status: 200 });
      });
    });
    continue;
  }
  describe(key, () => {
    const tokenRows: Array<[string, () => Promise<string | undefined>]> = [
      ['no token', async () => undefined],
      ['an expired token', () => t.api.token({ sub: cast.admin.sub, groups: ['chainAdmin'], expiresInSeconds: -60 })],
      [
        'a wrong-issuer token',
        () =>
          t.system.identity.sign({
            iss: 'https://idp.example.com/other',
            sub: cast.admin.sub,
            client_id: LOCAL_CLIENT_IDS.console,
            'cognito:groups': ['chainAdmin'],
          }),
      ],
      [
        'a wrong-audience token',
        () => t.system.identity.sign({ sub: cast.admin.sub, client_id: 'someone-elses-app', 'cognito:groups': ['chainAdmin'] }),
      ],
      [
        'a token signed by another key',
        async () => {
          const { privateKey } = await generateKeyPair('RS256');
          return new SignJWT({ sub: cast.admin.sub, client_id: LOCAL_CLIENT_IDS.console, 'cognito:groups': ['chainAdmin'] })
            .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
            .setIssuer(t.system.identity.issuer)
            .setIssuedAt()
            .setExpirationTime('1h')
            .sign(privateKey);
        },
      ],
      [
        'an unsigned alg:none token',
        async () => {
          const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
          const now = Math.floor(Date.now() / 1000);
          return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: t.system.identity.issuer, sub: cast.admin.sub, client_id: LOCAL_CLIENT_IDS.console, 'cognito:groups': ['chainAdmin'], exp: now + 600 })}.`;
        },
      ],
    ];
    for (const [name, token] of tokenRows) {
      it(`answers 401 UNAUTHENTICATED to ${name}`, async () => {
        const bearer = await token();
        const res = await t.api
          .anonymous()
          .request(
            route.method,
            samplePath(route.path),
            route.method === 'GET' ? undefined : {},
            bearer ? { authorization: `Bearer ${bearer}` } : {},
          );
        expectUnauthenticated(res);
        summary.push({ route: key, row: name, status: 401 });
      });
    }
    const rows = (): Array<[string, Row]> => {
      const c = cases[key]?.();
      if (!c) return [];
      return [
        ['a role the route does not admit', c.wrongRole],
        ...(c.otherResource ? [["a resource outside the caller's scope", c.otherResource] as [string, Row]] : []),
        ['the right principal', c.right],
      ];
    };
    for (const label of ['a role the route does not admit', "a resource outside the caller's scope", 'the right principal']) {
      it(`answers ${label} as the contract says`, async () => {
        const row = rows().find(([l]) => l === label)?.[1];
        if (!row) return; // this route has no such row (e.g. chain-wide admin routes have no "other resource")
        const res = await row.call(clients[row.who]);
        expect(res.status, `${key} as ${row.who}: ${JSON.stringify(res.body)}`).toBe(row.status);
        if (row.code) expect(res.body.code).toBe(row.code);
        summary.push({ route: key, row: label, status: res.status });
      });
    }
  });
}
