/**
 * The payment webhook's order path as a service (rules: src/domain/payment-callback.ts): records the
 * first callback on the order (its claim) and starts the next Saga segment, again on a redelivery, and refunds money the
 * order cannot take, once per paymentId. Its I/O comes in as dependencies, so it is unit-tested with fakes
 * (test/unit/order-callback.test.ts) and the handler stays thin.
 */
import { DomainError } from '../domain/errors.ts';
import { acceptsProviderPayment, unrecordedCallbackDisposition, type OrderCallbackDisposition } from '../domain/payment-callback.ts';
import type { Order, PaymentRecord } from '../domain/types.ts';
import { paymentClaim, type OrderClaim } from '../domain/order-claim.ts';
import type { PaymentItem } from '../store/payment-store.ts';
import type { RefundRequest } from './provider.ts';
import { crashPoint } from '../faults.ts';

/** A verified provider callback for an order. */
export interface OrderCallback {
  provider: string;
  paymentId: string;
  orderId: string;
  status: PaymentRecord['status'];
  amount: number;
  currency: string;
  occurredAt: string;
}

/** What the service needs from the world. */
export interface OrderCallbackDeps {
  orders: {
    get(orderId: string): Promise<Order | undefined>;
    /**
     * Records the callback on the order and claims it (`claim`: PAYMENT or PAYMENT_FAILED) unless the order is
     * no longer PENDING_PAYMENT, is claimed already (expiry, cancel, another payment), has a payment or is
     * closed to payments; the new order, or undefined.
     */
    recordPayment(orderId: string, payment: PaymentRecord, claim: OrderClaim): Promise<Order | undefined>;
  };
  payments: { recordOnce(item: PaymentItem): Promise<boolean> };
  /** Starts the Saga segment the claimed order runs next (src/saga/segments.ts advanceOrder); harmless to repeat. */
  advance(order: Order): Promise<unknown>;
  /** Refunds a captured payment at the provider (idempotent per paymentId). */
  refund(request: RefundRequest): Promise<unknown>;
}

/** The disposition, and (REFUNDED by this call) the status of the order the money came too late for. */
export interface OrderCallbackResult {
  disposition: OrderCallbackDisposition;
  refundedFor?: Order['status'];
}

/**
 * Settles one callback at `now`. Throws DomainError ORDER_NOT_FOUND for an unknown order (nothing written).
 * APPLIED: recorded on the order with its claim (first callback wins), next segment started, payments record
 * written; DUPLICATE: the order's own payment again, its segment started again while the order is still pending
 * (finish what the first delivery may not have); IGNORED: another FAILED payment; REFUNDED: another successful payment, refunded if this call
 * recorded it (`refundedFor` set), else an earlier delivery did.
 */
export async function settleOrderCallback(deps: OrderCallbackDeps, cb: OrderCallback, now: string): Promise<OrderCallbackResult> {
  const order = await deps.orders.get(cb.orderId);
  if (!order) throw new DomainError('ORDER_NOT_FOUND', `Order ${cb.orderId} does not exist`, { orderId: cb.orderId });

  const record: PaymentRecord = {
    paymentId: cb.paymentId,
    status: cb.status,
    amount: cb.amount,
    currency: cb.currency,
    occurredAt: cb.occurredAt,
    receivedAt: now,
  };
  const item = { ...cb, receivedAt: now };
  // The claim race (src/domain/order-claim.ts): this one conditional write either wins the order for this
  // payment (then it always ends PAID, or PAYMENT_FAILED for a failed/wrong-amount payment) or loses to an
  // expiry, cancel or earlier payment (then the money is refunded below as late, never applied).
  const recorded = acceptsProviderPayment(order)
    ? await deps.orders.recordPayment(order.orderId, record, paymentClaim(order, record))
    : undefined;
  if (recorded) {
    crashPoint('after-payment-recorded');
    await deps.advance(recorded); // confirmPayment (PAYMENT) or compensateOrder (PAYMENT_FAILED)
    await deps.payments.recordOnce({ ...item, disposition: 'APPLIED' });
    return { disposition: 'APPLIED' };
  }
  const current = (await deps.orders.get(order.orderId)) ?? order;
  const disposition = unrecordedCallbackDisposition(current, cb);
  if (disposition === 'DUPLICATE') await deps.advance(current); // finish what the first delivery may not have
  if (disposition !== 'REFUNDED') return { disposition };
  // Money arrived for an order that is paid already or closed: give it back, once per paymentId.
  if (!(await deps.payments.recordOnce({ ...item, disposition: 'REFUNDED' }))) return { disposition };
  await deps.refund({
    orderId: current.orderId,
    customerId: current.customerId,
    paymentId: cb.paymentId,
    amount: cb.amount,
    currency: cb.currency,
  });
  return { disposition, refundedFor: current.status };
}
