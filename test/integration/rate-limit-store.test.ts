/**
 * RateLimitStore against real DynamoDB Local: one conditional UpdateItem per request counts a principal's
 * calls per minute window, refuses (without counting) past the limit, and never lets concurrent calls
 * pass the limit (PRODUCT.md "Identity and access": 429 RATE_LIMITED with Retry-After).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { freshTables, type FreshTables } from '../helpers/dynamo.ts';
import { RateLimitStore } from '../../src/store/rate-limit-store.ts';
import { rateCounterKey, rateWindow } from '../../src/domain/rate-limit.ts';

let db: FreshTables;
let store: RateLimitStore;
const MINUTE = 29_000_000;
const at = (secondsIntoMinute: number) => (MINUTE * 60 + secondsIntoMinute) * 1000;
let seq = 0;
const principal = () => `sub-${++seq}-${Date.now()}`;

async function counter(limitId: string, sub: string, minute: number) {
  const out = await db.doc.send(
    new GetCommand({ TableName: db.names.rateLimits, Key: { pk: rateCounterKey(limitId, sub, minute) }, ConsistentRead: true }),
  );
  return out.Item;
}

beforeAll(async () => {
  db = await freshTables();
  store = new RateLimitStore(db.doc);
});

describe('RateLimitStore.hit', () => {
  it('allows `limit` calls in a window, then refuses with the seconds left, without counting the refusals', async () => {
    const sub = principal();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await store.hit('topups', sub, 3, at(40)));
    expect(answers.map((a) => a.allowed)).toEqual([true, true, true, false, false]);
    expect(answers[3]!.retryAfterSeconds).toBe(20);
    expect(await counter('topups', sub, MINUTE)).toEqual({
      pk: `topups#${sub}#${MINUTE}`,
      hits: 3,
      expiresAt: rateWindow(at(40)).expiresAt,
    });
  });

  it('expires the counter (TTL expiresAt) 60 s after its window ends', async () => {
    const sub = principal();
    await store.hit('orderCreations', sub, 20, at(5));
    expect((await counter('orderCreations', sub, MINUTE))?.expiresAt).toBe((MINUTE + 1) * 60 + 60);
  });

  it('starts afresh in the next minute, and counts limits and principals apart', async () => {
    const sub = principal();
    const other = principal();
    expect((await store.hit('topups', sub, 1, at(59))).allowed).toBe(true);
    expect((await store.hit('topups', sub, 1, at(59.5))).allowed).toBe(false);
    expect((await store.hit('orderCreations', sub, 1, at(59.5))).allowed).toBe(true);
    expect((await store.hit('topups', other, 1, at(59.5))).allowed).toBe(true);
    expect((await store.hit('topups', sub, 1, at(60))).allowed).toBe(true);
  });

  it('lets exactly `limit` of many concurrent calls through', async () => {
    const sub = principal();
    const answers = await Promise.all(Array.from({ length: 25 }, () => store.hit('orderCreations', sub, 10, at(30))));
    expect(answers.filter((a) => a.allowed)).toHaveLength(10);
    expect((await counter('orderCreations', sub, MINUTE))?.hits).toBe(10);
  });
});
