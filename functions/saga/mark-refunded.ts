/** Refund saga task MarkRefunded — input `{orderId}` → `{applied}`: PAID → REFUNDED and OrderRefunded (re-sent on retry; consumers dedupe). */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { flushMetrics, recordOrderStatus } from '../commons/metrics.ts';
import { eventBridge } from '../commons/clients.ts';
import { publishEvents } from '../../src/events/publisher.ts';
import { orderRefunded } from '../../src/events/order-events.ts';

export const handler = taskHandler(
  'MarkRefunded',
  async ({ orderId }: OrderTaskInput) => {
    const { applied, order } = await orders.markRefunded(orderId, nowIso());
    if (applied) recordOrderStatus(order);
    await publishEvents(eventBridge, [orderRefunded(order)]);
    return { applied };
  },
  flushMetrics(),
);
