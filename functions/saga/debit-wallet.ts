/**
 * Saga task DebitWallet (paymentMethod BALANCE, no provider callback) — input `{orderId}` →
 * `{paymentId, amount, currency}` (amount in minor units). Takes the order total from the customer's
 * wallet and records it as the order's payment in one conditional transaction: never below zero, at
 * most once per order (a retry finds the payment already there and returns it).
 * Throws (names matched by statemachines/order-saga.asl.json): WalletDeclined (no wallet, another
 * currency or not enough balance → PAYMENT_FAILED), OrderCancelledByCustomer (the cancel came first →
 * CANCELLED), IllegalOrderState (the order is no longer payable → PAYMENT_FAILED).
 */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders, wallets } from '../commons/stores.ts';
import { IllegalOrderStateError, SAGA_ERRORS, SagaError } from '../../src/saga/errors.ts';
import { paymentMatches } from '../../src/domain/saga-resume.ts';

export const handler = taskHandler('DebitWallet', async ({ orderId }: OrderTaskInput) => {
  const order = await wallets.debitOrder(await orders.mustGet(orderId), nowIso());
  if (paymentMatches(order))
    return { paymentId: order.payment!.paymentId, amount: order.payment!.amount, currency: order.payment!.currency };
  if (order.claim === 'CANCEL') throw new SagaError(SAGA_ERRORS.cancelledByCustomer, `Order ${orderId} was cancelled before payment`);
  throw new IllegalOrderStateError(`Order ${orderId} is ${order.status} and cannot be paid from the wallet`);
});
