/**
 * Saga task MarkNeedsAttention — input `{orderId, error: {Error, Cause}}` → `{applied}`. A step kept
 * failing: park a non-final order in NEEDS_ATTENTION (never silently lost; OrderNeedsAttention comes from that change)
 * and log an error (the execution then fails, which alarms). A final order is left as it is.
 */
import { taskHandler, nowIso } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { logger } from '../commons/powertools.ts';
import { flushMetrics, recordOrderStatus } from '../commons/metrics.ts';
import { IllegalOrderStateError } from '../../src/saga/errors.ts';

export const handler = taskHandler(
  'MarkNeedsAttention',
  async ({ orderId, error }: { orderId: string; error?: { Error?: string; Cause?: string } }) => {
    const reason = `${error?.Error ?? 'Unknown'}: ${(error?.Cause ?? '').slice(0, 500)}`;
    logger.error('Order needs attention', { reason });
    try {
      const { applied, order } = await orders.markNeedsAttention(orderId, nowIso(), reason);
      if (applied) recordOrderStatus(order);
      return { applied };
    } catch (e) {
      if (e instanceof IllegalOrderStateError) return { applied: false };
      throw e;
    }
  },
  flushMetrics(),
);
