/**
 * Refund saga task BeginRefund — input `{orderId}` → `{status}`. Proceeds for a PAID order (or one
 * already REFUNDED: a retry). Throws OrderNotYetPaid while a payment is still being committed
 * (retried by the ASL), OrderNotRefundable for any other status (nothing to refund).
 */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

export const handler = taskHandler('BeginRefund', async ({ orderId }: OrderTaskInput) => {
  const order = await orders.mustGet(orderId);
  if (order.status === 'PENDING_PAYMENT') throw named('OrderNotYetPaid', `Order ${orderId} is still PENDING_PAYMENT`);
  if (order.status !== 'PAID' && order.status !== 'REFUNDED') throw named('OrderNotRefundable', `Order ${orderId} is ${order.status}`);
  await orders.setIf(orderId, 'attribute_not_exists(refundRequestedAt)', { refundRequestedAt: nowIso() });
  return { status: order.status };
});
