/** Live order status rules (src/domain/live-status.ts; PRODUCT.md WebSocket row). */
import { describe, expect, it } from 'vitest';
import { currentStatus, isNewer, subjectsOf, subscriptionFrom } from '../../src/domain/live-status.ts';
import { DomainError } from '../../src/domain/errors.ts';

const order = {
  orderId: 'ord_1',
  customerId: 'c1',
  storeId: 's1',
  status: 'PAID' as const,
  updatedAt: '2026-11-23T10:00:05.000Z',
  history: [
    { status: 'PENDING_PAYMENT' as const, at: '2026-11-23T10:00:00.000Z' },
    { status: 'PAID' as const, at: '2026-11-23T10:00:04.000Z', reason: 'PAYMENT_SUCCEEDED' },
  ],
};

describe('subscriptionFrom', () => {
  it('subscribes to one order with ?orderId=, to every order of a customer with ?customerId= and of a store with ?storeId=', () => {
    expect(subscriptionFrom({ orderId: 'ord_1' })).toEqual({ kind: 'order', orderId: 'ord_1', subject: 'order#ord_1' });
    expect(subscriptionFrom({ customerId: 'c1' })).toEqual({ kind: 'customer', customerId: 'c1', subject: 'customer#c1' });
    expect(subscriptionFrom({ storeId: 's1' })).toEqual({ kind: 'store', storeId: 's1', subject: 'store#s1' });
  });

  it('ignores the ?token= the authorizer verified', () => {
    expect(subscriptionFrom({ orderId: 'ord_1', token: 'eyJ.x.y' })).toEqual({ kind: 'order', orderId: 'ord_1', subject: 'order#ord_1' });
  });

  it.each([
    [undefined],
    [{}],
    [{ token: 'eyJ.x.y' }],
    [{ orderId: 'a', customerId: 'b' }],
    [{ orderId: 'a', storeId: 'b' }],
    [{ customerId: 'a', storeId: 'b' }],
    [{ orderId: 'bad id!' }],
    [{ storeId: 'bad id!' }],
    [{ orderId: 'ord_1', extra: 'x' }],
  ])('refuses %j with VALIDATION_FAILED', (query) => {
    expect(() => subscriptionFrom(query as Record<string, string>)).toThrowError(DomainError);
    try {
      subscriptionFrom(query as Record<string, string>);
    } catch (e) {
      expect((e as DomainError).code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('currentStatus', () => {
  it('is the brief’s message for the order’s current status, versioned by the length of its history', () => {
    expect(currentStatus(order)).toEqual({
      message: { type: 'order.status', orderId: 'ord_1', status: 'PAID', at: '2026-11-23T10:00:04.000Z' },
      version: 2,
    });
  });

  it('grows its version with every status change', () => {
    const refunded = {
      ...order,
      status: 'REFUNDED' as const,
      history: [...order.history, { status: 'REFUNDED' as const, at: '2026-11-23T10:05:00.000Z' }],
    };
    expect(currentStatus(refunded).version).toBeGreaterThan(currentStatus(order).version);
  });
});

describe('subjectsOf / isNewer', () => {
  it('tells an order’s subscribers, its customer’s and its store’s', () => {
    expect(subjectsOf(order)).toEqual(['order#ord_1', 'customer#c1', 'store#s1']);
  });

  it('lets a client keep only messages later than the last one it showed', () => {
    expect(isNewer(undefined, { at: '2026-11-23T10:00:00.000Z' })).toBe(true);
    expect(isNewer('2026-11-23T10:00:00.000Z', { at: '2026-11-23T10:00:04.000Z' })).toBe(true);
    expect(isNewer('2026-11-23T10:00:04.000Z', { at: '2026-11-23T10:00:00.000Z' })).toBe(false);
    expect(isNewer('2026-11-23T10:00:04.000Z', { at: '2026-11-23T10:00:04.000Z' })).toBe(false);
  });
});
