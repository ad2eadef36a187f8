/**
 * Whether an order's recorded payment pays it, pure (no SDK). The claim rules (src/domain/order-claim.ts), the
 * saga tasks (CommitReservation, DebitWallet) and the reconciler use it. (The file kept its name from the
 * task-token saga, whose resume decision it held.)
 */
import type { Order } from './types.ts';

/** True when the payment pays exactly this order (invariant 4: wrong amount never marks it PAID). */
export const paymentMatches = (o: Order): boolean =>
  o.payment?.status === 'SUCCEEDED' && o.payment.amount === o.pricing.total && o.payment.currency === o.pricing.currency;
