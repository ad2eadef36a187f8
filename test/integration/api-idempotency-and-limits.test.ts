/**
 * Idempotency and per-principal limits of the API handlers, invoked directly in ONE process (as the local
 * runtime runs them) with hand-built API Gateway payload-2.0 events carrying `routeKey` and the JWT
 * authorizer's `requestContext.authorizer.jwt.claims.sub`, over real DynamoDB Local:
 * - two idempotent handlers with different key rules, used alternately, never share a rule (each
 *   `idempotentByHeader` call has its own persistence layer; a shared one let the first handler's rule
 *   apply to both, and one customer's top-up was answered with another's wallet);
 * - keys are scoped by the token's `sub`;
 * - the wallet top-up handler answers 429 RATE_LIMITED + Retry-After past the per-customer limit, and the
 *   refused request writes nothing; over-deep bodies are 400 before any idempotency record.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { freshTables, type FreshTables } from '../helpers/dynamo.ts';
import type { HttpEvent, HttpResponse } from '../../functions/commons/http.ts';

let db: FreshTables;
let commons: {
  http: typeof import('../../functions/commons/http.ts');
  idempotency: typeof import('../../functions/commons/idempotency.ts');
};
type Handler = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

const context = {
  functionName: 'test',
  functionVersion: '$LATEST',
  awsRequestId: 'req',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/** A payload-2.0 POST event as API Gateway's HTTP API with a JWT authorizer sends it. */
function apiEvent(o: {
  routeKey: string;
  path: string;
  body: string;
  key?: string;
  sub?: string;
  pathParameters?: Record<string, string>;
}): HttpEvent {
  const requestContext = {
    accountId: '000000000000',
    apiId: 'local',
    domainName: '127.0.0.1',
    domainPrefix: '127',
    http: { method: 'POST', path: o.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
    requestId: randomUUID(),
    routeKey: o.routeKey,
    stage: '$default',
    time: '23/Nov/2026:08:00:00 +0000',
    timeEpoch: Date.now(),
    // As the HTTP JWT authorizer passes a customer's claims (arrays as "[a b]"); the route guard needs the role.
    ...(o.sub ? { authorizer: { jwt: { claims: { sub: o.sub, 'cognito:groups': '[customer]' }, scopes: null } } } : {}),
  };
  return {
    version: '2.0',
    routeKey: o.routeKey,
    rawPath: o.path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(o.key ? { 'idempotency-key': o.key } : {}) },
    ...(o.pathParameters ? { pathParameters: o.pathParameters } : {}),
    requestContext,
    body: o.body,
    isBase64Encoded: false,
  } as unknown as HttpEvent;
}

async function scan(table: string): Promise<Record<string, unknown>[]> {
  return (await db.doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
}

beforeAll(async () => {
  db = await freshTables();
  // Imported after freshTables: the SDK clients and table names come from the environment it sets.
  commons = { http: await import('../../functions/commons/http.ts'), idempotency: await import('../../functions/commons/idempotency.ts') };
});

describe('two idempotent handlers in one process', () => {
  /**
   * A create-order-like handler keyed by the body's customerId and a top-up-like one keyed by the path's,
   * each answering who it served and a fresh sequence number per execution (replays repeat it).
   */
  function handlers(prefix: string) {
    let executions = 0;
    const { httpHandler, json } = commons.http;
    const { idempotencyMiddlewares } = commons.idempotency;
    const orderLike: Handler = httpHandler(
      async (e) => json(201, { who: (JSON.parse(e.body!) as { customerId: string }).customerId, n: ++executions }),
      ...idempotencyMiddlewares(`${prefix}-order`, '[headers."idempotency-key", powertools_json(body).customerId]'),
    );
    const topupLike: Handler = httpHandler(
      async (e) => json(201, { who: e.pathParameters!.customerId, n: ++executions }),
      ...idempotencyMiddlewares(`${prefix}-topup`, '[headers."idempotency-key", pathParameters.customerId]'),
    );
    const order = (customerId: string, key: string) =>
      orderLike(
        apiEvent({ routeKey: 'POST /v1/orders', path: '/v1/orders', key, sub: customerId, body: JSON.stringify({ customerId, items: 1 }) }),
        context,
      );
    const topup = (customerId: string, key: string) =>
      topupLike(
        apiEvent({
          routeKey: 'POST /v1/customers/{customerId}/wallet/topups',
          path: `/v1/customers/${customerId}/wallet/topups`,
          key,
          sub: customerId,
          pathParameters: { customerId },
          body: '{"amount":100,"currency":"CNY"}',
        }),
        context,
      );
    return { order, topup };
  }
  const body = (r: HttpResponse) => JSON.parse(r.body) as { who: string; n: number };

  it.each([
    ['the order-like handler runs first', 'a', true],
    ['the top-up-like handler runs first', 'b', false],
  ])('each keeps its own key rule when %s', async (_name, prefix, orderFirst) => {
    const { order, topup } = handlers(prefix);
    const key = `shared-${randomUUID()}`;
    const answers: [string, HttpResponse][] = [];
    for (const customer of ['c1', 'c2']) {
      // Same Idempotency-Key for both customers on both handlers, alternately.
      const steps = orderFirst
        ? ([
            ['order', order],
            ['topup', topup],
          ] as const)
        : ([
            ['topup', topup],
            ['order', order],
          ] as const);
      for (const [name, call] of steps) answers.push([`${name}:${customer}`, await call(customer, key)]);
    }
    for (const [name, res] of answers) {
      expect(res.statusCode, name).toBe(201);
      expect(body(res).who, name).toBe(name.split(':')[1]);
    }
    expect(new Set(answers.map(([, r]) => body(r).n)).size).toBe(4); // four executions, none answered from another's record
    // Replays answer the stored result of their own customer.
    expect(body(await topup('c2', key))).toEqual(body(answers.find(([n]) => n === 'topup:c2')![1]));
    expect(body(await order('c1', key))).toEqual(body(answers.find(([n]) => n === 'order:c1')![1]));
    const ids = (await scan(db.names.idempotency)).map((r) => String(r.id)).filter((id) => id.startsWith(`${prefix}-`));
    expect(ids.filter((id) => id.startsWith(`${prefix}-order#`))).toHaveLength(2);
    expect(ids.filter((id) => id.startsWith(`${prefix}-topup#`))).toHaveLength(2);
  });
});

describe('idempotentByHeader', () => {
  it("scopes keys by the token's sub: two callers, same key, same path and body, each get their own result", async () => {
    const { httpHandler, json } = commons.http;
    let executions = 0;
    const handler: Handler = httpHandler(
      async (e) => json(201, { sub: (e.requestContext as any).authorizer.jwt.claims.sub, n: ++executions }),
      ...commons.idempotency.idempotentByHeader('subScoped'),
    );
    const call = (sub: string) =>
      handler(
        apiEvent({
          routeKey: 'POST /v1/customers/{customerId}/wallet/topups',
          path: '/v1/customers/c/wallet/topups',
          pathParameters: { customerId: 'c' },
          key: 'same-key',
          sub,
          body: '{"amount":1,"currency":"CNY"}',
        }),
        context,
      );
    const [a, b, aAgain] = [await call('sub-a'), await call('sub-b'), await call('sub-a')];
    expect(JSON.parse(a.body)).toEqual({ sub: 'sub-a', n: 1 });
    expect(JSON.parse(b.body)).toEqual({ sub: 'sub-b', n: 2 });
    expect(JSON.parse(aAgain.body)).toEqual({ sub: 'sub-a', n: 1 });
  });
});

describe('wallet top-up handler', () => {
  let topUp: Handler;
  const customerId = 'limited-customer';
  const event = (key: string, body = '{"amount":100,"currency":"CNY","paymentMethod":"CARD"}', customer = customerId) =>
    apiEvent({
      routeKey: 'POST /v1/customers/{customerId}/wallet/topups',
      path: `/v1/customers/${customer}/wallet/topups`,
      pathParameters: { customerId: customer },
      key,
      sub: customer,
      body,
    });

  beforeAll(async () => {
    topUp = (await import('../../functions/api/top-up-wallet.ts')).handler as unknown as Handler;
  });
  afterAll(() => {
    delete process.env.WANDIAN_CUSTOMER_TOPUPS_PER_MINUTE;
    vi.useRealTimers();
  });

  it.each([6_000, 30_000])('answers a %i-deep nested array 400 VALIDATION_FAILED and writes nothing', async (depth) => {
    const before = [await scan(db.names.idempotency), await scan(db.names.topups)];
    // Another customer than the limit test below: a refused body still counts against the caller's limit.
    const res = await topUp(event(`deep-${depth}`, '['.repeat(depth) + ']'.repeat(depth), 'deep-customer'), context);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect([await scan(db.names.idempotency), await scan(db.names.topups)]).toEqual(before);
  });

  it('answers 429 RATE_LIMITED with Retry-After past the per-customer limit, writing nothing for the refused call', async () => {
    // Date only, pinned 10 s into a minute: all calls fall in one window whatever the machine's speed.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Math.floor(Date.now() / 60_000) * 60_000 + 10_000);
    process.env.WANDIAN_CUSTOMER_TOPUPS_PER_MINUTE = '2';
    const first = await topUp(event('limit-1'), context);
    const second = await topUp(event('limit-2'), context);
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    const idempotencyBefore = await scan(db.names.idempotency);
    const refused = await topUp(event('limit-3'), context);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers).toMatchObject({ 'content-type': 'application/problem+json', 'retry-after': '50' });
    expect(JSON.parse(refused.body)).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfterSeconds: 50 });
    expect(await scan(db.names.idempotency)).toEqual(idempotencyBefore);
    // Top-ups are PENDING payments: the two accepted ones exist, the refused one does not.
    expect((await scan(db.names.topups)).filter((t) => t.customerId === customerId)).toHaveLength(2);
    // Another customer is not affected by this one's limit.
    expect((await topUp(event('limit-1', undefined, 'other-customer'), context)).statusCode).toBe(201);
  });
});
