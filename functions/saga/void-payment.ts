/**
 * Saga task VoidPayment (compensation) — input `{orderId}` → `{refunded}`. Closes the order to new
 * payments (later callbacks are refunded by the webhook; a wallet debit can no longer happen), then
 * voids the intent, or refunds a payment that was captured (e.g. wrong amount, or a wallet debit whose
 * commit failed: credited back to the wallet). Idempotent: provider refunds are keyed by paymentId,
 * wallet credits by the order's walletDebit flag.
 */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders, wallets } from '../commons/stores.ts';
import { flushMetrics, recordCompensation } from '../commons/metrics.ts';
import { paymentProviderFor, walletProvider } from '../../src/payments/provider.ts';

export const handler = taskHandler(
  'VoidPayment',
  async ({ orderId }: OrderTaskInput) => {
    const closedNow = await orders.closePayments(orderId, nowIso());
    if (closedNow) recordCompensation();
    const closed = closedNow ?? (await orders.mustGet(orderId));
    const provider = paymentProviderFor(closed, walletProvider(wallets));
    if (closed.payment?.status === 'SUCCEEDED') {
      const { paymentId, amount, currency } = closed.payment;
      const { refundId } = await provider.refund({ orderId, customerId: closed.customerId, paymentId, amount, currency });
      await orders.recordRefund(orderId, refundId);
      return { refunded: true };
    }
    await provider.voidIntent(closed);
    return { refunded: false };
  },
  flushMetrics(),
);
