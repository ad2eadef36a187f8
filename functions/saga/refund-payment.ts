/**
 * Refund saga task RefundPayment — input `{orderId}` → `{refundId}`: full refund of the captured
 * payment through the order's provider (a BALANCE order's wallet is credited back, once), idempotent
 * per paymentId / per order. Throws IllegalOrderState when the order has no captured payment.
 */
import { taskHandler, type OrderTaskInput } from '../commons/task.ts';
import { orders, wallets } from '../commons/stores.ts';
import { paymentProviderFor, walletProvider } from '../../src/payments/provider.ts';
import { IllegalOrderStateError } from '../../src/saga/errors.ts';

export const handler = taskHandler('RefundPayment', async ({ orderId }: OrderTaskInput) => {
  const order = await orders.mustGet(orderId);
  if (order.refundId) return { refundId: order.refundId };
  if (order.payment?.status !== 'SUCCEEDED') throw new IllegalOrderStateError(`Order ${orderId} has no captured payment`);
  const { paymentId, amount, currency } = order.payment;
  const { refundId } = await paymentProviderFor(order, walletProvider(wallets)).refund({
    orderId,
    customerId: order.customerId,
    paymentId,
    amount,
    currency,
  });
  await orders.recordRefund(orderId, refundId);
  return { refundId };
});
