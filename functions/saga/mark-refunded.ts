/** Refund saga task MarkRefunded — input `{orderId}` → `{applied}`: PAID → REFUNDED; OrderRefunded comes from that change (the outbox). */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { flushMetrics, recordOrderStatus } from '../commons/metrics.ts';

export const handler = taskHandler(
  'MarkRefunded',
  async ({ orderId }: OrderTaskInput) => {
    const { applied, order } = await orders.markRefunded(orderId, nowIso());
    if (applied) recordOrderStatus(order);
    return { applied };
  },
  flushMetrics(),
);
