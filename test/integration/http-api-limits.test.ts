/**
 * Limits the local HTTP API enforces in front of the handlers, as API Gateway does (issue 7): per-route
 * throttles from the route's `throttle` (429 RATE_LIMITED + Retry-After, the handler not invoked) and an
 * oversized header block answered 431 HEADERS_TOO_LARGE as application/problem+json (node's own answer is
 * plain text). The runtime is a fake that records invocations.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpApi, type HttpApi, type LocalRoute } from '../../local/http-api.ts';
import type { LambdaRuntime } from '../../local/lambda-runtime.ts';
import { RouteThrottle } from '../../local/route-throttle.ts';

const invoked: string[] = [];
const runtime: LambdaRuntime = {
  invoke: async (id) => {
    invoked.push(id);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
  },
  has: () => true,
  stats: () => ({}),
};
const routes: LocalRoute[] = [
  { method: 'POST', path: '/tight', function: 'tight', throttle: { rateLimit: 1, burstLimit: 2 } },
  { method: 'POST', path: '/free', function: 'free' },
];
let now = 1_000_000;
let api: HttpApi;

beforeAll(async () => {
  api = await startHttpApi({ runtime, routes, port: 0, throttle: new RouteThrottle(() => now) });
});
afterAll(async () => {
  await api?.close();
});

/** A raw request (fetch cannot be trusted to send a 20 KB header unchanged): status, headers, body text. */
function send(path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${path}`, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('route throttle', () => {
  it("answers 429 RATE_LIMITED with Retry-After past the route's burst, without invoking the handler", async () => {
    invoked.length = 0;
    const answers = [await send('/tight', {}), await send('/tight', {}), await send('/tight', {})];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[2]!.headers['content-type']).toBe('application/problem+json');
    expect(answers[2]!.headers['retry-after']).toBe('1');
    expect(JSON.parse(answers[2]!.body)).toMatchObject({ status: 429, code: 'RATE_LIMITED', title: 'Too many requests' });
    expect(invoked).toEqual(['tight', 'tight']);
    now += 1_000; // one token back at 1/s
    expect((await send('/tight', {})).status).toBe(200);
  });

  it('leaves routes without a throttle alone', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => send('/free', {})));
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });
});

describe('oversized headers', () => {
  it('answers a 20 KB header 431 HEADERS_TOO_LARGE as problem+json, then keeps serving', async () => {
    invoked.length = 0;
    const res = await send('/free', { 'x-padding': 'a'.repeat(20 * 1024) });
    expect(res.status).toBe(431);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE', title: 'Request header fields too large' });
    expect(invoked).toEqual([]);
    expect((await send('/free', {})).status).toBe(200);
  });
});
