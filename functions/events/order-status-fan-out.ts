/**
 * EventBridge Pipe target (lib/wiring.ts `pipes.orderStatusFanOut`, the second reader of the orders stream) —
 * input: the outbox enrichment's answer for a batch of order changes, as Pipes hands a Lambda target a batch
 * (one JSON array of `{source, detailType, time, detail}`, in stream order; src/events/order-stream.ts) →
 * per order with a status event, its current status pushed to its live subscribers (functions/live/push-order-status.ts),
 * per OrderPlaced, its stock checked for low stock (functions/events/detect-low-stock.ts; InventoryLow goes to
 * the bus). Output: `{events, sent, skipped, gone, inventoryLow}` (counts).
 *
 * At least once: a batch may come again (retry, bisection, replay); both steps are idempotent (a status is
 * pushed at most once per connection, the low-stock flag is a conditional write). Failures: Pipes accepts
 * `batchItemFailures` from a Lambda target, but their `itemIdentifier` names a source record (the stream
 * record's eventID), which the enriched entries do not carry; so a failure THROWS after the rest of the batch
 * ran, and the pipe retries the batch (re-running the enrichment), bisects it and dead-letters what keeps failing.
 * Also throws (ZodError) on a detail that does not match its catalog schema.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { logger, tracer } from '../commons/powertools.ts';
import { detectLowStock } from './detect-low-stock.ts';
import { pushOrderStatus } from '../live/push-order-status.ts';
import { planFanOut } from '../../src/events/order-status-fan-out.ts';

/** What one batch did (counts). */
export interface FanOutOutcome {
  /** Status events in the batch. */
  events: number;
  /** Live status messages posted, skipped (already seen or older), and connections dropped as gone. */
  sent: number;
  skipped: number;
  gone: number;
  /** InventoryLow events put on the bus. */
  inventoryLow: number;
}

export const handler = middy<unknown, FanOutOutcome>()
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (batch) => {
    const plan = planFanOut(Array.isArray(batch) ? batch : []);
    // Orders are independent: pushes and checks of different orders run concurrently.
    const [pushes, checks] = await Promise.all([
      Promise.allSettled(plan.pushes.map((orderId) => pushOrderStatus(orderId))),
      Promise.allSettled(plan.lowStockChecks.map((detail) => detectLowStock(detail))),
    ]);
    const failedOrders = new Map<string, unknown>();
    for (const [i, r] of pushes.entries()) if (r.status === 'rejected') failedOrders.set(plan.pushes[i]!, r.reason);
    const failedChecks = new Map<string, unknown>();
    for (const [i, r] of checks.entries()) if (r.status === 'rejected') failedChecks.set(plan.lowStockChecks[i]!.eventId, r.reason);
    // One INFO line per event, each with its own order's correlation id (a batch serves many orders).
    for (const { type, detail } of plan.events) {
      logger.setCorrelationId(detail.orderId);
      const error = failedOrders.get(detail.orderId) ?? failedChecks.get(detail.eventId);
      const keys = { eventType: type, eventId: detail.eventId, orderId: detail.orderId };
      if (error) logger.info('event failed', { ...keys, errorName: (error as Error)?.name });
      else logger.info('event consumed', keys);
    }
    const errors = [...failedOrders.values(), ...failedChecks.values()];
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} step(s) of the batch failed; the pipe retries it`);
    const outcome: FanOutOutcome = { events: plan.events.length, sent: 0, skipped: 0, gone: 0, inventoryLow: 0 };
    for (const r of pushes) {
      if (r.status !== 'fulfilled') continue;
      outcome.sent += r.value.sent;
      outcome.skipped += r.value.skipped;
      outcome.gone += r.value.gone;
    }
    for (const r of checks) if (r.status === 'fulfilled') outcome.inventoryLow += r.value.length;
    return outcome;
  });
