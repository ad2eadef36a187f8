/** The claim rules of an unpaid order (src/domain/order-claim.ts) and paymentMatches (src/domain/saga-resume.ts), from the order alone. */
import { describe, expect, it } from 'vitest';
import { finalStatusForClaim, nextSegment, paymentClaim } from '../../src/domain/order-claim.ts';
import { paymentMatches } from '../../src/domain/saga-resume.ts';
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

describe('paymentClaim', () => {
  it('claims PAYMENT for a successful payment of exactly the total', () => {
    expect(paymentMatches(order({ payment: paid() }))).toBe(true);
    expect(paymentClaim(order(), paid())).toBe('PAYMENT');
  });

  it.each([
    ['a FAILED payment', { status: 'FAILED' as const }],
    ['another amount', { amount: 999 }],
    ['another currency', { currency: 'USD' as const }],
  ])('claims PAYMENT_FAILED for %s (invariant 4: never PAID)', (_, p) => {
    expect(paymentMatches(order({ payment: paid(p) }))).toBe(false);
    expect(paymentClaim(order(), paid(p))).toBe('PAYMENT_FAILED');
  });
});

describe('finalStatusForClaim', () => {
  it('maps each claim to the status the order ends in', () => {
    expect(finalStatusForClaim('PAYMENT')).toBe('PAID');
    expect(finalStatusForClaim('PAYMENT_FAILED')).toBe('PAYMENT_FAILED');
    expect(finalStatusForClaim('EXPIRY')).toBe('EXPIRED');
    expect(finalStatusForClaim('CANCEL')).toBe('CANCELLED');
  });
});

describe('nextSegment', () => {
  it('has none for an unclaimed order (it waits for payment) or one no longer pending', () => {
    expect(nextSegment(order())).toBeUndefined();
    expect(nextSegment(order({ status: 'PAID', claim: 'PAYMENT' }))).toBeUndefined();
    expect(nextSegment(order({ status: 'EXPIRED', claim: 'EXPIRY' }))).toBeUndefined();
  });

  it('confirms a PAYMENT claim and compensates any other', () => {
    const id = order().orderId;
    expect(nextSegment(order({ claim: 'PAYMENT' }))).toEqual({ stateMachine: 'confirmPayment', input: { orderId: id } });
    for (const claim of ['PAYMENT_FAILED', 'EXPIRY', 'CANCEL'] as const)
      expect(nextSegment(order({ claim }))).toEqual({ stateMachine: 'compensateOrder', input: { orderId: id, claim } });
  });
});
