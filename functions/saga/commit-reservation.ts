/**
 * Saga task CommitReservation — input `{orderId}` → `{applied}`. Reserved → sold for every line and
 * the order → PAID in one transaction, once; OrderPaid comes from that change (the outbox). Throws IllegalOrderState if the payment does not match the order (invariant 4) or the
 * order is not payable any more.
 */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { flushMetrics, recordOrderStatus } from '../commons/metrics.ts';
import { IllegalOrderStateError } from '../../src/saga/errors.ts';
import { paymentMatches } from '../../src/domain/saga-resume.ts';
import { crashPoint } from '../../src/faults.ts';

export const handler = taskHandler(
  'CommitReservation',
  async ({ orderId }: OrderTaskInput) => {
    const order = await orders.mustGet(orderId);
    if (!paymentMatches(order)) throw new IllegalOrderStateError(`Order ${orderId} has no matching successful payment`);
    const { applied, order: paid } = await orders.commit(orderId, nowIso());
    crashPoint('after-commit');
    if (applied) recordOrderStatus(paid);
    return { applied };
  },
  flushMetrics(),
);
