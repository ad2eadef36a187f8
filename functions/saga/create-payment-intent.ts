/**
 * Saga task CreatePaymentIntent — input `{orderId}` → `{intentId, paymentMethod}`. Opens a payment
 * intent with the order's provider (the wallet for BALANCE, the external one otherwise) for the order
 * total (minor units) and records it on the order. `paymentMethod` comes from the stored order and
 * drives the saga's ChoosePaymentPath. Idempotent (the provider derives the intent id from the
 * order). Throws OrderNotFound.
 */
import { taskHandler, type OrderTaskInput } from '../commons/task.ts';
import { orders, wallets } from '../commons/stores.ts';
import { paymentProviderFor, walletProvider } from '../../src/payments/provider.ts';

export const handler = taskHandler('CreatePaymentIntent', async ({ orderId }: OrderTaskInput) => {
  const order = await orders.mustGet(orderId);
  const { intentId } = await paymentProviderFor(order, walletProvider(wallets)).createIntent(order);
  await orders.recordPaymentIntent(orderId, intentId);
  return { intentId, paymentMethod: order.paymentMethod };
});
