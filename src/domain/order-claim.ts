/**
 * Who decides an unpaid order's fate (PRODUCT.md "The order lifecycle (the Saga)", invariant 4; issue 8
 * "payment vs expiry"). A PENDING_PAYMENT order is CLAIMED exactly once, by one conditional write
 * (OrderStore.claim / recordPayment / WalletStore.debitOrder: `status = PENDING_PAYMENT AND no claim`):
 * - PAYMENT: a matching successful payment (webhook or wallet debit) won → the order always ends PAID
 *   (its commit is retried until done; the reconciler finishes it);
 * - PAYMENT_FAILED: a FAILED or wrong-amount payment, or the saga could not take payment → PAYMENT_FAILED;
 * - EXPIRY: the payment deadline passed (the saga's timeout / the sweeper) → EXPIRED;
 * - CANCEL: the customer or an operator cancelled before payment → CANCELLED.
 * The loser acts on what the winner did: a payment arriving after an EXPIRY or CANCEL claim is answered as
 * late (REFUNDED) and refunded through the provider, never applied; an expiry or cancel finding a PAYMENT
 * claim commits instead (cancel then offers a refund).
 *
 * A payment that arrives after `expiresAt` but before any expiry claim is honoured: its claim wins, the
 * stock is still reserved for the order, and the customer gets what they paid for. The deadline is enforced
 * by the claim, not by the clock. Pure: no I/O.
 */
import { paymentMatches } from './saga-resume.ts';
import type { Order, PaymentRecord } from './types.ts';

/** The one decision about a PENDING_PAYMENT order. */
export type OrderClaim = 'PAYMENT' | 'PAYMENT_FAILED' | 'EXPIRY' | 'CANCEL';

/** The claims a saga step, the sweeper or a cancel make (payments claim through recordPayment). */
export type CloseClaim = Exclude<OrderClaim, 'PAYMENT'>;

export const ORDER_CLAIMS: readonly OrderClaim[] = ['PAYMENT', 'PAYMENT_FAILED', 'EXPIRY', 'CANCEL'];

/** The claim a provider callback makes: PAYMENT for a successful payment of exactly the order total, else PAYMENT_FAILED. */
export function paymentClaim(order: Pick<Order, 'pricing'>, payment: Pick<PaymentRecord, 'status' | 'amount' | 'currency'>): OrderClaim {
  return paymentMatches({ ...(order as Order), payment: payment as PaymentRecord }) ? 'PAYMENT' : 'PAYMENT_FAILED';
}

/** The status an order claimed by `claim` ends in: PAYMENT → PAID, PAYMENT_FAILED → PAYMENT_FAILED, EXPIRY → EXPIRED, CANCEL → CANCELLED. */
export function finalStatusForClaim(claim: OrderClaim): 'PAID' | 'PAYMENT_FAILED' | 'EXPIRED' | 'CANCELLED' {
  const map = { PAYMENT: 'PAID', PAYMENT_FAILED: 'PAYMENT_FAILED', EXPIRY: 'EXPIRED', CANCEL: 'CANCELLED' } as const;
  return map[claim];
}

export const isOrderClaim = (v: unknown): v is OrderClaim => (ORDER_CLAIMS as readonly unknown[]).includes(v);

/** The Saga segment a claimed order runs next (an EXPRESS state machine of lib/wiring.ts) and its input. */
export type OrderSegment =
  | { stateMachine: 'confirmPayment'; input: { orderId: string } }
  | { stateMachine: 'compensateOrder'; input: { orderId: string; claim: CloseClaim } };

/**
 * What drives a claimed, still PENDING_PAYMENT order on: PAYMENT → confirmPayment (commit → PAID); any other
 * claim → compensateOrder with that claim. Undefined for an unclaimed order (it waits for its payment) or one
 * that left PENDING_PAYMENT (its segment finished). Starting it again is safe: every step is once-only.
 */
export function nextSegment(order: Pick<Order, 'orderId' | 'status' | 'claim'>): OrderSegment | undefined {
  if (order.status !== 'PENDING_PAYMENT' || !order.claim) return undefined;
  if (order.claim === 'PAYMENT') return { stateMachine: 'confirmPayment', input: { orderId: order.orderId } };
  return { stateMachine: 'compensateOrder', input: { orderId: order.orderId, claim: order.claim } };
}
