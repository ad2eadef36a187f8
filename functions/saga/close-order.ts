/**
 * Saga task CloseOrder — input `{orderId, finalStatus: CANCELLED | EXPIRED | PAYMENT_FAILED}` →
 * `{applied}`. Moves the compensated order to its final status (history reason: CUSTOMER, EXPIRED,
 * PAYMENT_FAILED) and emits OrderCancelled (also on a retry; consumers dedupe by eventId).
 */
import { taskHandler, nowIso } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { flushMetrics, recordOrderStatus } from '../commons/metrics.ts';
import { eventBridge } from '../commons/clients.ts';
import { publishEvents } from '../../src/events/publisher.ts';
import { orderCancelled } from '../../src/events/order-events.ts';

const REASON = { CANCELLED: 'CUSTOMER', EXPIRED: 'EXPIRED', PAYMENT_FAILED: 'PAYMENT_FAILED' } as const;
type FinalStatus = keyof typeof REASON;

export const handler = taskHandler('CloseOrder', async ({ orderId, finalStatus }: { orderId: string; finalStatus: FinalStatus }) => {
  if (!(finalStatus in REASON)) throw Object.assign(new Error(`Bad finalStatus ${finalStatus}`), { name: 'IllegalOrderState' });
  const { applied, order } = await orders.transition(orderId, ['PENDING_PAYMENT'], finalStatus, nowIso(), REASON[finalStatus]);
  if (applied) recordOrderStatus(order);
  await publishEvents(eventBridge, [orderCancelled(order, finalStatus)]);
  return { applied };
}, flushMetrics());
