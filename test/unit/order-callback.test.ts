/**
 * The payment webhook's order path (src/payments/order-callback.ts and the rules in
 * src/domain/payment-callback.ts), with in-memory fakes for the stores, the saga and the provider:
 * PRODUCT.md invariant 4, a callback changes an order at most once, and money it cannot take is refunded once.
 */
import { describe, expect, it } from 'vitest';
import { settleOrderCallback, type OrderCallback, type OrderCallbackDeps } from '../../src/payments/order-callback.ts';
import { acceptsProviderPayment, unrecordedCallbackDisposition } from '../../src/domain/payment-callback.ts';
import type { Order, PaymentRecord } from '../../src/domain/types.ts';
import type { PaymentItem } from '../../src/store/payment-store.ts';
import type { RefundRequest } from '../../src/payments/provider.ts';
import pending from '../fixtures/orders/pending-card.json' with { type: 'json' };

const NOW = '2026-12-01T10:05:00.000Z';
const cb = (c: Partial<OrderCallback> = {}): OrderCallback => ({
  provider: 'card',
  paymentId: 'pay_1',
  orderId: 'ord_1',
  status: 'SUCCEEDED',
  amount: 1000,
  currency: 'CNY',
  occurredAt: NOW,
  ...c,
});

/** Fakes with the stores' conditions: a payment is recorded on an order once, unless closed; a payments record once per id. */
function world(initial: Partial<Order> & { paymentClosedAt?: string } = {}) {
  const orders = new Map<string, Order & { paymentClosedAt?: string }>([['ord_1', { ...(pending as Order), ...initial }]]);
  const payments = new Map<string, PaymentItem>();
  const advanced: Order[] = [];
  const refunds: RefundRequest[] = [];
  const deps: OrderCallbackDeps = {
    orders: {
      async get(id) {
        return orders.get(id);
      },
      async recordPayment(id, payment: PaymentRecord) {
        const o = orders.get(id);
        if (!o || o.payment || o.paymentClosedAt) return undefined;
        const next = { ...o, payment };
        orders.set(id, next);
        return next;
      },
    },
    payments: {
      async recordOnce(item) {
        if (payments.has(item.paymentId)) return false;
        payments.set(item.paymentId, item);
        return true;
      },
    },
    async advance(order) {
      advanced.push(order);
    },
    async refund(r) {
      refunds.push(r);
    },
  };
  return { deps, orders, payments, advanced, refunds };
}

describe('settleOrderCallback', () => {
  it('records the first callback on the order, starts the next segment and keeps a payments record (APPLIED)', async () => {
    const w = world();
    expect(await settleOrderCallback(w.deps, cb(), NOW)).toEqual({ disposition: 'APPLIED' });
    expect(w.orders.get('ord_1')!.payment).toEqual({
      paymentId: 'pay_1',
      status: 'SUCCEEDED',
      amount: 1000,
      currency: 'CNY',
      occurredAt: NOW,
      receivedAt: NOW,
    });
    expect(w.advanced.map((o) => o.payment?.paymentId)).toEqual(['pay_1']);
    expect(w.payments.get('pay_1')).toMatchObject({ disposition: 'APPLIED', provider: 'card', orderId: 'ord_1', receivedAt: NOW });
    expect(w.refunds).toEqual([]);
  });

  it('answers a redelivery DUPLICATE and starts the next segment again, changing nothing', async () => {
    const w = world();
    await settleOrderCallback(w.deps, cb(), NOW);
    expect(await settleOrderCallback(w.deps, cb(), '2026-12-01T10:06:00.000Z')).toEqual({ disposition: 'DUPLICATE' });
    expect(w.advanced).toHaveLength(2);
    expect(w.orders.get('ord_1')!.payment?.receivedAt).toBe(NOW);
    expect(w.refunds).toEqual([]);
  });

  it('refunds a second successful payment once per paymentId, however often it is delivered (REFUNDED)', async () => {
    const w = world();
    await settleOrderCallback(w.deps, cb(), NOW);
    expect(await settleOrderCallback(w.deps, cb({ paymentId: 'pay_2' }), NOW)).toEqual({
      disposition: 'REFUNDED',
      refundedFor: 'PENDING_PAYMENT',
    });
    expect(await settleOrderCallback(w.deps, cb({ paymentId: 'pay_2' }), NOW)).toEqual({ disposition: 'REFUNDED' });
    expect(w.refunds).toEqual([{ orderId: 'ord_1', customerId: 'c1', paymentId: 'pay_2', amount: 1000, currency: 'CNY' }]);
    expect(w.orders.get('ord_1')!.payment?.paymentId).toBe('pay_1');
  });

  it('refunds money that arrives after the saga closed the order to payments', async () => {
    const w = world({ status: 'EXPIRED', paymentClosedAt: NOW });
    expect(await settleOrderCallback(w.deps, cb(), NOW)).toEqual({ disposition: 'REFUNDED', refundedFor: 'EXPIRED' });
    expect(w.orders.get('ord_1')!.payment).toBeUndefined();
    expect(w.advanced).toEqual([]);
  });

  it('never records provider money on a BALANCE order: it is refunded', async () => {
    const w = world({ paymentMethod: 'BALANCE' });
    expect(await settleOrderCallback(w.deps, cb(), NOW)).toMatchObject({ disposition: 'REFUNDED' });
    expect(w.orders.get('ord_1')!.payment).toBeUndefined();
    expect(w.refunds).toHaveLength(1);
  });

  it('ignores another FAILED payment for an order that has one: no money moved', async () => {
    const w = world();
    await settleOrderCallback(w.deps, cb(), NOW);
    expect(await settleOrderCallback(w.deps, cb({ paymentId: 'pay_3', status: 'FAILED' }), NOW)).toEqual({ disposition: 'IGNORED' });
    expect(w.payments.has('pay_3')).toBe(false);
    expect(w.refunds).toEqual([]);
  });

  it('refuses a callback for an unknown order with ORDER_NOT_FOUND, writing nothing', async () => {
    const w = world();
    await expect(settleOrderCallback(w.deps, cb({ orderId: 'nope' }), NOW)).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
    expect(w.payments.size).toBe(0);
  });
});

describe('payment callback rules', () => {
  const order = pending as Order;
  const payment: PaymentRecord = {
    paymentId: 'pay_1',
    status: 'SUCCEEDED',
    amount: 1000,
    currency: 'CNY',
    occurredAt: NOW,
    receivedAt: NOW,
  };

  it('takes provider payments for every method but BALANCE', () => {
    expect(acceptsProviderPayment(order)).toBe(true);
    expect(acceptsProviderPayment({ ...order, paymentMethod: 'BALANCE' })).toBe(false);
  });

  it.each([
    ['the payment the order has', 'DUPLICATE', 'pay_1', 'SUCCEEDED'],
    ['a failed redelivery of it', 'DUPLICATE', 'pay_1', 'FAILED'],
    ['another failed payment', 'IGNORED', 'pay_2', 'FAILED'],
    ['another successful payment', 'REFUNDED', 'pay_2', 'SUCCEEDED'],
  ] as const)('answers %s with %s', (_, disposition, paymentId, status) => {
    expect(unrecordedCallbackDisposition({ ...order, payment }, { paymentId, status })).toBe(disposition);
  });
});
