/** Saga task ReleaseStock (compensation) — input `{orderId}` → `{applied}`: reserved → available, once per order. */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { flushMetrics, recordCompensation } from '../commons/metrics.ts';
import { crashPoint } from '../../src/faults.ts';

export const handler = taskHandler(
  'ReleaseStock',
  async ({ orderId }: OrderTaskInput) => {
    const { applied } = await orders.releaseStock(orderId, nowIso());
    crashPoint('after-release-stock');
    if (applied) recordCompensation();
    return { applied };
  },
  flushMetrics(),
);
