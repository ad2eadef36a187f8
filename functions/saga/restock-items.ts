/** Refund saga task RestockItems — input `{orderId}` → `{applied}`: sold → available, once per order. */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { flushMetrics, recordCompensation } from '../commons/metrics.ts';

export const handler = taskHandler(
  'RestockItems',
  async ({ orderId }: OrderTaskInput) => {
    const { applied } = await orders.restock(orderId, nowIso());
    if (applied) recordCompensation();
    return { applied };
  },
  flushMetrics(),
);
