/**
 * Refund saga task BeginRefund — input `{orderId}` → `{status}`. Claims a PAID order for refund
 * (sets refundRequestedAt while the order is still PAID, so an order fulfilled meanwhile is never
 * refunded: fulfilment requires no claim) or proceeds for one already REFUNDED (a retry).
 * Throws OrderNotYetPaid while a payment is still being committed (retried by the ASL),
 * OrderNotRefundable for any other status (FULFILLED included: nothing to refund).
 */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { SAGA_ERRORS, SagaError } from '../../src/saga/errors.ts';

export const handler = taskHandler('BeginRefund', async ({ orderId }: OrderTaskInput) => {
  const order = await orders.mustGet(orderId);
  if (order.status === 'PENDING_PAYMENT') throw new SagaError(SAGA_ERRORS.orderNotYetPaid, `Order ${orderId} is still PENDING_PAYMENT`);
  if (order.status === 'REFUNDED') return { status: order.status };
  const claimed = order.status === 'PAID' && (await orders.claimRefund(orderId, nowIso()));
  if (!claimed) {
    const now = await orders.mustGet(orderId);
    if (now.status !== 'REFUNDED') throw new SagaError(SAGA_ERRORS.orderNotRefundable, `Order ${orderId} is ${now.status}`);
  }
  return { status: order.status };
});
