/**
 * Saga task CreatePaymentIntent — input `{orderId}` → `{intentId}`. Opens a payment intent with the
 * provider for the order total (minor units) and records it on the order. Idempotent (the provider
 * derives the intent id from the order). Throws OrderNotFound.
 */
import { taskHandler, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { paymentProvider } from '../../src/payments/provider.ts';

export const handler = taskHandler('CreatePaymentIntent', async ({ orderId }: OrderTaskInput) => {
  const order = await orders.mustGet(orderId);
  const { intentId } = await paymentProvider().createIntent(order);
  await orders.setIf(orderId, 'attribute_not_exists(paymentIntentId) OR paymentIntentId = :id', { paymentIntentId: intentId }, { ':id': intentId });
  return { intentId };
});
