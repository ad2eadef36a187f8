/**
 * Resumes an order's saga waiting in WaitForPayment (task token). Called by both sides of the
 * race — the payment webhook and the AwaitPayment task — so whichever comes second finishes it.
 * SendTask* on a finished task fails harmlessly, so calling twice is safe.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Order } from '../domain/types.ts';

/** Error names the order Saga's WaitForPayment Catch matches (statemachines/order-saga.asl.json). */
export const SAGA_ERRORS = {
  cancelled: 'OrderCancelledByCustomer',
  paymentFailed: 'PaymentFailed',
  amountMismatch: 'PaymentAmountMismatch',
} as const;

export type ResumeOutcome = 'NOT_READY' | 'RESUMED' | 'GONE';

/** True when the payment pays exactly this order (invariant 4: wrong amount never marks it PAID). */
export const paymentMatches = (o: Order): boolean =>
  o.payment?.status === 'SUCCEEDED' && o.payment.amount === o.pricing.total && o.payment.currency === o.pricing.currency;

/**
 * Sends the saga the decision the order's state implies: customer cancel → failure
 * OrderCancelledByCustomer; payment SUCCEEDED with matching amount → success `{paymentId, amount}`;
 * FAILED → PaymentFailed; SUCCEEDED with another amount/currency → PaymentAmountMismatch.
 * NOT_READY when there is no token or nothing to decide yet; GONE when the task no longer waits.
 */
export async function resumeSaga(client: SFNClient, order: Order): Promise<ResumeOutcome> {
  if (!order.taskToken) return 'NOT_READY';
  let command;
  if (order.cancelRequestedAt && !order.payment) {
    command = new SendTaskFailureCommand({ taskToken: order.taskToken, error: SAGA_ERRORS.cancelled, cause: 'Customer cancelled before payment' });
  } else if (order.payment?.status === 'FAILED') {
    command = new SendTaskFailureCommand({ taskToken: order.taskToken, error: SAGA_ERRORS.paymentFailed, cause: `Provider reported ${order.payment.paymentId} FAILED` });
  } else if (order.payment && !paymentMatches(order)) {
    command = new SendTaskFailureCommand({
      taskToken: order.taskToken,
      error: SAGA_ERRORS.amountMismatch,
      cause: `Paid ${order.payment.amount} ${order.payment.currency}, order total ${order.pricing.total} ${order.pricing.currency}`,
    });
  } else if (order.payment) {
    command = new SendTaskSuccessCommand({
      taskToken: order.taskToken,
      output: JSON.stringify({ paymentId: order.payment.paymentId, amount: order.payment.amount, currency: order.payment.currency }),
    });
  } else {
    return 'NOT_READY';
  }
  try {
    await client.send(command as SendTaskSuccessCommand);
    return 'RESUMED';
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist') return 'GONE';
    throw e;
  }
}
