/**
 * The transition table that is tested is the one that runs: every status change an OrderStore method
 * writes is an edge of ORDER_TRANSITIONS, and its condition admits exactly allowedPredecessors(to).
 * A fake document client records each command instead of calling DynamoDB (the conditions themselves are
 * exercised against DynamoDB Local in test/integration/order-store.test.ts and order-fulfil.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tables } from '../../lib/wiring.ts';
import { allowedPredecessors, canTransition, ORDER_STATUSES } from '../../src/domain/order-status.ts';
import type { Order, OrderStatus } from '../../src/domain/types.ts';
import { OrderStore } from '../../src/store/order-store.ts';
import pending from '../fixtures/orders/pending-card.json' with { type: 'json' };

const NOW = '2026-12-01T10:05:00.000Z';

interface Update {
  TableName: string;
  ConditionExpression?: string;
  UpdateExpression: string;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** Answers reads with `order`, accepts every write, and keeps the order-table updates it was sent. */
function fakeDoc(order: Order) {
  const updates: Update[] = [];
  const doc = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const { name } = command.constructor;
      if (name === 'GetCommand') return { Item: order };
      if (name === 'UpdateCommand') updates.push(command.input as unknown as Update);
      if (name === 'TransactWriteCommand') {
        for (const item of command.input.TransactItems as { Update?: Update }[]) if (item.Update) updates.push(item.Update);
      }
      return { Attributes: order };
    },
  };
  return { doc: doc as unknown as DynamoDBDocumentClient, updates };
}

/** The status an update sets, or undefined. */
const statusSet = (u: Update): OrderStatus | undefined => {
  const m = /#status = (:\w+)/.exec(u.UpdateExpression);
  return m ? (u.ExpressionAttributeValues?.[m[1]!] as OrderStatus) : undefined;
};

/** The statuses an update's condition admits: `#status IN (...)` or `#status = :x` (first match). */
const statusesAdmitted = (u: Update): OrderStatus[] => {
  const c = u.ConditionExpression ?? '';
  const names =
    /#status IN \(([^)]*)\)/
      .exec(c)?.[1]
      ?.split(',')
      .map((s) => s.trim()) ?? [/(?<!\.)#status = (:\w+)/.exec(c)?.[1]].filter((n) => n !== undefined);
  return names.map((n) => u.ExpressionAttributeValues?.[n!] as OrderStatus);
};

/** Every public method of OrderStore that writes, called once on an order in a state it acts on. */
const WRITES: Record<string, { state: Partial<Order>; call: (s: OrderStore) => Promise<unknown> }> = {
  place: { state: {}, call: (s) => s.place({ ...(pending as Order), orderId: 'ord_new' }, new Map()) },
  commit: { state: {}, call: (s) => s.commit('ord_1', NOW) },
  releaseStock: { state: {}, call: (s) => s.releaseStock('ord_1', NOW) },
  restock: { state: { status: 'PAID', stockState: 'COMMITTED' }, call: (s) => s.restock('ord_1', NOW) },
  releaseCoupons: { state: { couponsState: 'REDEEMED' }, call: (s) => s.releaseCoupons('ord_1', NOW) },
  close: {
    state: {},
    call: async (s) => Promise.all((['CANCELLED', 'EXPIRED', 'PAYMENT_FAILED'] as const).map((f) => s.close('ord_1', f, NOW))),
  },
  markNeedsAttention: { state: {}, call: (s) => s.markNeedsAttention('ord_1', NOW, 'ReleaseStock failed') },
  markRefunded: { state: { status: 'PAID' }, call: (s) => s.markRefunded('ord_1', NOW) },
  fulfil: { state: { status: 'PAID' }, call: (s) => s.fulfil('ord_1', NOW) },
  claim: { state: {}, call: (s) => s.claim('ord_1', 'EXPIRY', NOW) },
  recordPaymentIntent: { state: {}, call: (s) => s.recordPaymentIntent('ord_1', 'pi_ord_1') },
  closePayments: { state: {}, call: (s) => s.closePayments('ord_1', NOW) },
  recordRefund: { state: {}, call: (s) => s.recordRefund('ord_1', 'rf_1') },
  requestCancel: { state: {}, call: (s) => s.requestCancel('ord_1', NOW) },
  claimRefund: { state: { status: 'PAID' }, call: (s) => s.claimRefund('ord_1', NOW) },
  requestRefund: { state: { status: 'PAID' }, call: (s) => s.requestRefund('ord_1', NOW) },
  recordPayment: {
    state: {},
    call: (s) =>
      s.recordPayment('ord_1', { paymentId: 'p', status: 'SUCCEEDED', amount: 1000, currency: 'CNY', occurredAt: NOW, receivedAt: NOW }),
  },
};

const READS = ['constructor', 'get', 'mustGet'];

beforeAll(() => {
  for (const [id, t] of Object.entries(tables)) process.env[t.envVar] ??= `test-${id}`;
});

describe('OrderStore status changes', () => {
  it('covers every public writing method of OrderStore in this test', () => {
    // TypeScript's `private` still leaves the method on the prototype: the private helpers are named here.
    const helpers = ['transition', 'setIf', 'move', 'runMovement', 'tryPlace', 'stockReturned', 'returnStock'];
    const methods = Object.getOwnPropertyNames(OrderStore.prototype).filter((m) => !READS.includes(m) && !helpers.includes(m));
    expect(methods.sort()).toEqual(Object.keys(WRITES).sort());
  });

  it.each(Object.entries(WRITES))(
    '%s changes the status only along ORDER_TRANSITIONS, conditioned on exactly its predecessors',
    async (_, { state, call }) => {
      const { doc, updates } = fakeDoc({ ...(pending as Order), ...state });
      await call(new OrderStore(doc));
      for (const u of updates.filter((x) => x.TableName === process.env[tables.orders.envVar])) {
        const to = statusSet(u);
        if (!to) continue;
        const from = statusesAdmitted(u);
        expect(from.sort(), `condition of → ${to}: ${u.ConditionExpression}`).toEqual(allowedPredecessors(to).sort());
        for (const f of from) expect(canTransition(f, to), `${f} → ${to}`).toBe(true);
      }
    },
  );

  it('makes every status but PENDING_PAYMENT reachable through some store method', async () => {
    const reached = new Set<OrderStatus>();
    for (const { state, call } of Object.values(WRITES)) {
      const { doc, updates } = fakeDoc({ ...(pending as Order), ...state });
      await call(new OrderStore(doc));
      for (const u of updates) {
        const to = statusSet(u);
        if (to) reached.add(to);
      }
    }
    expect([...reached].sort()).toEqual(ORDER_STATUSES.filter((s) => s !== 'PENDING_PAYMENT').sort());
  });
});
