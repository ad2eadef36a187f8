/** Saga task ReleaseCoupons (compensation) — input `{orderId}` → `{applied}`: redemptions given back once, so the coupons can be used again. */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { flushMetrics, recordCompensation } from '../commons/metrics.ts';

export const handler = taskHandler(
  'ReleaseCoupons',
  async ({ orderId }: OrderTaskInput) => {
    const { applied } = await orders.releaseCoupons(orderId, nowIso());
    if (applied) recordCompensation();
    return { applied };
  },
  flushMetrics(),
);
