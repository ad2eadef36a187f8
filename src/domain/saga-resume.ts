/**
 * What the order's state tells the saga waiting in WaitForPayment, pure (no SDK): src/saga/resume.ts
 * sends it, src/domain/reconcile.ts and the saga tasks use paymentMatches. Names of the failures come
 * from the one catalog, src/saga/errors.ts.
 */
import { SAGA_ERRORS, type SagaErrorName } from '../saga/errors.ts';
import type { Order } from './types.ts';

/** True when the payment pays exactly this order (invariant 4: wrong amount never marks it PAID). */
export const paymentMatches = (o: Order): boolean =>
  o.payment?.status === 'SUCCEEDED' && o.payment.amount === o.pricing.total && o.payment.currency === o.pricing.currency;

/** The answer to the waiting task: success with the payment, or failure with a saga error name. */
export type ResumeDecision =
  | { kind: 'SUCCESS'; output: { paymentId: string; amount: number; currency: string } }
  | { kind: 'FAILURE'; error: SagaErrorName; cause: string };

/**
 * The decision the order's state implies, or undefined when there is nothing to decide yet:
 * customer cancel with no payment → OrderCancelledByCustomer; payment FAILED → PaymentFailed;
 * SUCCEEDED with another amount/currency → PaymentAmountMismatch; matching payment → success
 * `{paymentId, amount, currency}`. (A cancel loses to a payment already recorded: the cancel handler
 * only marks an order with no payment, so both never race to different answers.)
 */
export function resumeDecision(order: Order): ResumeDecision | undefined {
  const { payment } = order;
  if (order.claim === 'CANCEL' && !payment)
    return { kind: 'FAILURE', error: SAGA_ERRORS.cancelledByCustomer, cause: 'Customer cancelled before payment' };
  if (!payment) return undefined;
  if (payment.status === 'FAILED')
    return { kind: 'FAILURE', error: SAGA_ERRORS.paymentFailed, cause: `Provider reported ${payment.paymentId} FAILED` };
  if (!paymentMatches(order)) {
    return {
      kind: 'FAILURE',
      error: SAGA_ERRORS.amountMismatch,
      cause: `Paid ${payment.amount} ${payment.currency}, order total ${order.pricing.total} ${order.pricing.currency}`,
    };
  }
  return { kind: 'SUCCESS', output: { paymentId: payment.paymentId, amount: payment.amount, currency: payment.currency } };
}
