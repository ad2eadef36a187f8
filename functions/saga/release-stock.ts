/** Saga task ReleaseStock (compensation) — input `{orderId}` → `{applied}`: reserved → available, once per order. */
import { taskHandler, nowIso, type OrderTaskInput } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';

export const handler = taskHandler('ReleaseStock', async ({ orderId }: OrderTaskInput) => {
  const { applied } = await orders.releaseStock(orderId, nowIso());
  return { applied };
});
