/**
 * The expiry sweeper's I/O service (src/saga/expiry.ts) with in-memory fakes: it claims each due order for
 * EXPIRY and starts compensateOrder only when the EXPIRY claim stands; a payment's claim wins; a failure on
 * one order is counted and the others go on.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../src/domain/types.ts';
import { expireOrder, sweepExpired, type ExpiryDeps } from '../../src/saga/expiry.ts';
import pending from '../fixtures/orders/pending-card.json' with { type: 'json' };

const NOW = '2026-12-01T10:20:00.000Z';

beforeAll(() => {
  process.env.COMPENSATE_ORDER_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:compensate';
});

function world(initial: Record<string, Partial<Order>>, failOn: string[] = []) {
  const orders = new Map<string, Order>(Object.entries(initial).map(([id, o]) => [id, { ...(pending as Order), orderId: id, ...o }]));
  const starts: { stateMachineArn?: string; input?: string }[] = [];
  const sfn = {
    send: async (cmd: { input: { stateMachineArn?: string; input?: string } }) => starts.push(cmd.input),
  } as unknown as SFNClient;
  const deps: ExpiryDeps = {
    sfn,
    orders: {
      async claim(orderId, claim, now) {
        if (failOn.includes(orderId)) throw new Error('throttled');
        const o = orders.get(orderId);
        if (!o) return undefined;
        if (o.status !== 'PENDING_PAYMENT' || o.claim) return { won: false, order: o };
        const next = { ...o, claim, claimedAt: now };
        orders.set(orderId, next);
        return { won: true, order: next };
      },
    },
  };
  return { deps, orders, starts };
}

describe('expireOrder', () => {
  it('claims an unclaimed order for EXPIRY and starts compensateOrder with that claim', async () => {
    const w = world({ o1: {} });
    expect(await expireOrder(w.deps, 'o1', NOW)).toBe('EXPIRED');
    expect(w.orders.get('o1')).toMatchObject({ claim: 'EXPIRY', claimedAt: NOW });
    expect(w.starts).toEqual([
      { stateMachineArn: process.env.COMPENSATE_ORDER_ARN, input: JSON.stringify({ orderId: 'o1', claim: 'EXPIRY' }) },
    ]);
  });

  it('loses to a payment claimed first and starts nothing; a missing order is GONE', async () => {
    const w = world({ o1: { claim: 'PAYMENT', claimedAt: NOW } });
    expect(await expireOrder(w.deps, 'o1', NOW)).toBe('LOST');
    expect(await expireOrder(w.deps, 'nope', NOW)).toBe('GONE');
    expect(w.starts).toEqual([]);
  });
});

describe('sweepExpired', () => {
  it('expires every due order the index returns, counts the lost ones and the failures, and goes on', async () => {
    const w = world({ a: {}, b: { claim: 'CANCEL', claimedAt: NOW }, c: {}, d: {} }, ['c']);
    const warnings: string[] = [];
    const queries: unknown[] = [];
    const store = {
      async openOrders(q: unknown) {
        queries.push(q);
        return { orders: ['a', 'b', 'c', 'd'].map((orderId) => ({ orderId })), complete: true };
      },
    } as never;
    const summary = await sweepExpired({ ...w.deps, store, warn: (m) => warnings.push(m) }, new Date(NOW), 100, 2);
    expect(summary).toEqual({ due: 4, expired: 2, lost: 1, errors: 1, complete: true });
    expect(queries).toEqual([{ status: 'PENDING_PAYMENT', expiresBefore: NOW, claimed: false, limit: 100 }]);
    expect(warnings).toEqual(['expiry failed']);
    expect(w.starts.map((s) => JSON.parse(s.input!).orderId).sort()).toEqual(['a', 'd']);
  });
});
