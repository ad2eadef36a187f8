/** The decision sent to a saga waiting in WaitForPayment (src/domain/saga-resume.ts), from the order alone. */
import { describe, expect, it } from 'vitest';
import { paymentMatches, resumeDecision } from '../../src/domain/saga-resume.ts';
import { SAGA_ERRORS } from '../../src/saga/errors.ts';
import type { Order, PaymentRecord } from '../../src/domain/types.ts';
import pending from '../fixtures/orders/pending-card.json' with { type: 'json' };

const AT = '2026-12-01T10:05:00.000Z';
const order = (o: Partial<Order> = {}): Order => ({ ...(pending as Order), ...o });
const paid = (p: Partial<PaymentRecord> = {}): PaymentRecord => ({
  paymentId: 'pay_1',
  status: 'SUCCEEDED',
  amount: 1000,
  currency: 'CNY',
  occurredAt: AT,
  receivedAt: AT,
  ...p,
});

describe('resumeDecision', () => {
  it('has nothing to decide before a payment or a cancel', () => {
    expect(resumeDecision(order())).toBeUndefined();
  });

  it('fails the wait with OrderCancelledByCustomer when the customer cancelled before paying', () => {
    expect(resumeDecision(order({ claim: 'CANCEL', cancelRequestedAt: AT }))).toMatchObject({
      kind: 'FAILURE',
      error: SAGA_ERRORS.cancelledByCustomer,
    });
  });

  it('lets a recorded payment win over a later cancel mark', () => {
    expect(resumeDecision(order({ claim: 'CANCEL', cancelRequestedAt: AT, payment: paid() }))).toMatchObject({ kind: 'SUCCESS' });
  });

  it('fails the wait with PaymentFailed when the provider reported a failure', () => {
    expect(resumeDecision(order({ payment: paid({ status: 'FAILED' }) }))).toMatchObject({ kind: 'FAILURE', error: 'PaymentFailed' });
  });

  it.each([
    ['another amount', { amount: 999 }],
    ['another currency', { currency: 'USD' }],
  ])('never pays an order with %s (invariant 4): PaymentAmountMismatch', (_, p) => {
    const o = order({ payment: paid(p) });
    expect(paymentMatches(o)).toBe(false);
    expect(resumeDecision(o)).toMatchObject({ kind: 'FAILURE', error: SAGA_ERRORS.amountMismatch });
  });

  it('resumes with the payment when it matches the order total', () => {
    const o = order({ payment: paid() });
    expect(paymentMatches(o)).toBe(true);
    expect(resumeDecision(o)).toEqual({ kind: 'SUCCESS', output: { paymentId: 'pay_1', amount: 1000, currency: 'CNY' } });
  });
});
