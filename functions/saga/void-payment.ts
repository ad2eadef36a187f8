/**
 * Saga task VoidPayment (compensation) — input `{orderId}` → `{refunded}`. Closes the order to new
 * payment callbacks (later ones are refunded by the webhook), then voids the intent, or refunds a
 * payment that was captured (e.g. wrong amount). Idempotent: the provider refund is keyed by paymentId.
 */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { paymentProvider } from '../../src/payments/provider.ts';

export const handler = taskHandler('VoidPayment', async ({ orderId }: OrderTaskInput) => {
  const closed =
    (await orders.setIf(orderId, 'attribute_not_exists(paymentClosedAt)', { paymentClosedAt: nowIso() })) ?? (await orders.mustGet(orderId));
  const provider = paymentProvider();
  if (closed.payment?.status === 'SUCCEEDED') {
    const { refundId } = await provider.refund(closed.payment.paymentId, closed.payment.amount, closed.payment.currency);
    await orders.setIf(orderId, 'attribute_not_exists(refundId)', { refundId });
    return { refunded: true };
  }
  await provider.voidIntent(closed);
  return { refunded: false };
});
