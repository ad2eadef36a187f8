/**
 * Saga task CloseOrder — input `{orderId, finalStatus: CANCELLED | EXPIRED | PAYMENT_FAILED}` →
 * `{applied}`. Moves the compensated order to its final status (history reason: CUSTOMER, EXPIRED,
 * PAYMENT_FAILED); OrderCancelled comes from that change (the outbox, lib/wiring.ts `pipes`).
 */
import { taskHandler, nowIso } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { flushMetrics, recordOrderStatus } from '../commons/metrics.ts';
import { isCompensatedStatus, type CompensatedStatus } from '../../src/domain/order-status.ts';
import { IllegalOrderStateError } from '../../src/saga/errors.ts';

export const handler = taskHandler(
  'CloseOrder',
  async ({ orderId, finalStatus }: { orderId: string; finalStatus: CompensatedStatus }) => {
    if (!isCompensatedStatus(finalStatus)) throw new IllegalOrderStateError(`Bad finalStatus ${String(finalStatus)}`);
    const { applied, order } = await orders.close(orderId, finalStatus, nowIso());
    if (applied) recordOrderStatus(order);
    return { applied };
  },
  flushMetrics(),
);
