/**
 * Saga task DebitWallet (placeOrder, paymentMethod BALANCE, no provider callback) — input `{orderId}` →
 * `{paymentId, amount, currency}` (amount in minor units) when the order is paid from the wallet, or
 * `{claimedBy}` when another claim decided the order first (a cancel, the expiry, or an earlier decline:
 * src/domain/order-claim.ts; nothing is debited, placeOrder then acts on that claim). Takes the order total from
 * the customer's wallet, records it as the order's payment and claims the order for PAYMENT in one conditional
 * transaction: never below zero, at most once per order (a retry or a duplicated placeOrder finds the payment
 * already there and returns it). Throws (names matched by statemachines/place-order.asl.json): WalletDeclined
 * (no wallet, another currency or not enough balance → PAYMENT_FAILED), IllegalOrderState (the order is no
 * longer payable and nobody claimed it → PAYMENT_FAILED).
 */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders, wallets } from '../commons/stores.ts';
import { IllegalOrderStateError } from '../../src/saga/errors.ts';
import { paymentMatches } from '../../src/domain/saga-resume.ts';

export const handler = taskHandler('DebitWallet', async ({ orderId }: OrderTaskInput) => {
  const order = await wallets.debitOrder(await orders.mustGet(orderId), nowIso());
  if (order.claim === 'PAYMENT' && paymentMatches(order))
    return { paymentId: order.payment!.paymentId, amount: order.payment!.amount, currency: order.payment!.currency };
  if (order.claim) return { claimedBy: order.claim };
  throw new IllegalOrderStateError(`Order ${orderId} is ${order.status} and cannot be paid from the wallet`);
});
