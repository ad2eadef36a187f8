/** Refund saga task RefundPayment — input `{orderId}` → `{refundId}`: full refund with the provider, idempotent per paymentId. */
import { taskHandler, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { paymentProvider } from '../../src/payments/provider.ts';
import { IllegalOrderStateError } from '../../src/store/order-store.ts';

export const handler = taskHandler('RefundPayment', async ({ orderId }: OrderTaskInput) => {
  const order = await orders.mustGet(orderId);
  if (order.refundId) return { refundId: order.refundId };
  if (order.payment?.status !== 'SUCCEEDED') throw new IllegalOrderStateError(`Order ${orderId} has no captured payment`);
  const { refundId } = await paymentProvider().refund(order.payment.paymentId, order.payment.amount, order.payment.currency);
  await orders.setIf(orderId, 'attribute_not_exists(refundId)', { refundId });
  return { refundId };
});
