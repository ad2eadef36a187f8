/**
 * What a provider's payment callback for an order does (PRODUCT.md invariant 4: a callback changes an
 * order at most once; money the order cannot take is given back). Pure: src/payments/order-callback.ts
 * runs these rules against the stores.
 */
import type { Order, PaymentRecord } from './types.ts';

/** The webhook's answer for an order callback. */
export type OrderCallbackDisposition = 'APPLIED' | 'DUPLICATE' | 'IGNORED' | 'REFUNDED';

/**
 * True when a provider payment may be recorded on the order at all. A BALANCE order is paid from the
 * wallet only, so provider money for it is handled like a late payment (refunded). Whether the order
 * still takes a payment (none recorded, not closed) is the store's condition (OrderStore.recordPayment).
 */
export const acceptsProviderPayment = (order: Order): boolean => order.paymentMethod !== 'BALANCE';

/**
 * The disposition of a callback the order did not record, from the order as it is now:
 * DUPLICATE when it is the payment the order already has (a redelivery: resume the saga again);
 * IGNORED for any other FAILED payment (no money moved); REFUNDED for any other successful payment
 * (the order is paid already, closed, or paid from the wallet: give the money back, once per paymentId).
 */
export function unrecordedCallbackDisposition(
  current: Order,
  callback: Pick<PaymentRecord, 'paymentId' | 'status'>,
): Exclude<OrderCallbackDisposition, 'APPLIED'> {
  if (current.payment?.paymentId === callback.paymentId) return 'DUPLICATE';
  if (callback.status !== 'SUCCEEDED') return 'IGNORED';
  return 'REFUNDED';
}
