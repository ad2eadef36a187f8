/** The cost and capacity model's arithmetic (src/capacity/model.ts): counters → usage → USD and orders/s. */
import { describe, expect, it } from 'vitest';
import { binding, ceilings, costPerMillion, hotItemOrdersPerSecond, mix, perOrder, usageOf } from '../../src/capacity/model.ts';
import type { Quota } from '../../src/capacity/quotas.ts';

const counters = {
  'lambda.invocations.a': 10,
  'lambda.invocations.b': 4,
  'lambda.ms.a': 1000,
  'lambda.gbSeconds.a': 0.5,
  'sfn.starts.saga': 1,
  'sfn.transitions.saga': 6,
  'sfn.starts.fast': 2,
  'sfn.transitions.fast': 10,
  'sfn.express.gbSeconds.fast': 0.0125,
  'dynamodb.wcu.orders': 10,
  'dynamodb.wcu.orders/index/open': 2,
  'dynamodb.wcu.reports': 30,
  'dynamodb.rcu.orders': 5,
  'events.putEventsCalls': 2,
  'events.chunks': 2,
  'events.targetInvocations.r1': 3,
  'events.targetInvocations.r2': 4,
  'apigw.http.requests': 2,
};

describe('usage', () => {
  it('sums counters by kind and prices state machines by their type', () => {
    const u = usageOf(counters, { saga: 'STANDARD', fast: 'EXPRESS' });
    expect(u).toMatchObject({
      lambdaRequests: 14,
      lambdaSeconds: 1,
      standardStarts: 1,
      standardTransitions: 6, // the EXPRESS machine's transitions are not billed per transition
      expressStarts: 2,
      expressGbSeconds: 0.0125,
      writeUnits: 42,
      maxTableWriteUnits: 30,
      readUnits: 5,
      targetInvocations: 7,
      putEventsCalls: 2,
      httpRequests: 2,
    });
  });

  it('divides per order and mixes flows by weight', () => {
    expect(perOrder({ x: 10 }, 4)).toEqual({ x: 2.5 });
    expect(mix({ a: { x: 1 }, b: { x: 3, y: 2 } }, { a: 3, b: 1, missing: 100 })).toEqual({ x: 1.5, y: 0.5 });
  });
});

describe('cost', () => {
  it('prices each item per million orders', () => {
    const u = usageOf({ 'sfn.transitions.saga': 5, 'dynamodb.wcu.t': 2 }, { saga: 'STANDARD' });
    const { lines, total } = costPerMillion(u);
    const of = (id: string) => lines.find((l) => l.priceId === id)!.usdPerMillionOrders;
    expect(of('stepFunctionsStandardTransition')).toBeCloseTo(125); // 5 × $0.025 / 1,000 × 1M
    expect(of('dynamodbWriteRequestUnit')).toBeCloseTo(2 * 0.7125);
    expect(total).toBeCloseTo(lines.reduce((n, l) => n + l.usdPerMillionOrders, 0));
  });
});

describe('ceilings', () => {
  const q = (usage: Quota['usage'], d: number, raisedTo?: number): Quota => ({
    name: usage,
    default: d,
    unit: '/s',
    usage,
    adjustable: true,
    raisedTo,
    source: 'x',
    confirmed: true,
  });

  it('divides each quota by the usage per order and names the lowest, default and raised', () => {
    const u = usageOf(counters, { saga: 'STANDARD', fast: 'EXPRESS' });
    const cs = ceilings(u, {
      transitions: q('standardTransitions', 800, 100_000),
      starts: q('standardStarts', 150, 1_500),
      concurrency: q('lambdaSeconds', 1_000),
      unused: q('pipesRequests', 10),
    });
    expect(cs.map((c) => [c.quota, Math.round(c.ordersPerSecondDefault)])).toEqual([
      ['transitions', 133],
      ['starts', 150],
      ['concurrency', 1000],
      ['unused', Infinity],
    ]);
    const b = binding(cs);
    expect(b.default.quota).toBe('transitions');
    expect(b.raised.quota).toBe('concurrency'); // not raised: 1,000 orders/s vs 1,500 and 16,667
    expect(b.raised.ordersPerSecondRaised).toBe(1000);
  });

  it('hot item: partitions × 1,000 WCU/s ÷ WCU per order on the item', () => {
    expect(hotItemOrdersPerSecond(4)).toBe(250);
    expect(hotItemOrdersPerSecond(4, 8)).toBe(2000);
    expect(hotItemOrdersPerSecond(0)).toBe(Infinity);
  });
});
