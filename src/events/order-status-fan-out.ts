/**
 * The order-status fan-out, pure part: what one batch of the pipe `orderStatusFanOut` (lib/wiring.ts) asks for.
 * The batch is the outbox enrichment's answer (src/events/order-stream.ts `pipeEntriesFromRecords`): an array
 * of `{source, detailType, time, detail}`, in stream order. Each status event asks for a live push of its
 * order's current status, each OrderPlaced also for a low-stock check of what it reserved; other events
 * (CouponRedeemed) ask for nothing.
 */
import { eventDetailSchemas, eventSource, type EventDetail, type EventType } from './catalog.ts';

/** The events that change what a live subscriber sees (the order's status). */
export const LIVE_STATUS_EVENT_TYPES = [
  'OrderPlaced',
  'OrderPaid',
  'OrderCancelled',
  'OrderRefunded',
  'OrderFulfilled',
  'OrderNeedsAttention',
] as const satisfies readonly EventType[];

export type LiveStatusEventType = (typeof LIVE_STATUS_EVENT_TYPES)[number];

/** One event of the batch that asks for work: its type and validated detail. */
export interface FanOutEvent {
  type: LiveStatusEventType;
  detail: EventDetail<LiveStatusEventType>;
}

export interface FanOutPlan {
  /** The status events of the batch, in batch order (validated against the catalog). */
  events: FanOutEvent[];
  /**
   * Orders whose current status is pushed, each once, in order of first appearance: a push reads the order's
   * status at push time, so two events of one order in a batch need one push.
   */
  pushes: string[];
  /** OrderPlaced details to check for low stock, once per eventId, in batch order. */
  lowStockChecks: EventDetail<'OrderPlaced'>[];
  /** Entries that ask for nothing (other detail-types or sources). */
  ignored: number;
}

const isLiveStatusType = (t: unknown): t is LiveStatusEventType =>
  typeof t === 'string' && (LIVE_STATUS_EVENT_TYPES as readonly string[]).includes(t);

/**
 * The work a batch asks for (see the module comment).
 *
 * @param batch the pipe target's input: an array of enrichment entries.
 * @throws ZodError when a status event's detail does not match its catalog schema (the pipe retries the batch,
 *   bisects it and dead-letters the record).
 */
export function planFanOut(batch: readonly unknown[]): FanOutPlan {
  const plan: FanOutPlan = { events: [], pushes: [], lowStockChecks: [], ignored: 0 };
  const pushed = new Set<string>();
  const checked = new Set<string>();
  for (const entry of batch) {
    const { source, detailType, detail } = (entry ?? {}) as { source?: unknown; detailType?: unknown; detail?: unknown };
    if (!isLiveStatusType(detailType) || source !== eventSource[detailType]) {
      plan.ignored++;
      continue;
    }
    const parsed = eventDetailSchemas[detailType].parse(detail) as EventDetail<LiveStatusEventType>;
    plan.events.push({ type: detailType, detail: parsed });
    if (!pushed.has(parsed.orderId)) {
      pushed.add(parsed.orderId);
      plan.pushes.push(parsed.orderId);
    }
    if (detailType === 'OrderPlaced' && !checked.has(parsed.eventId)) {
      checked.add(parsed.eventId);
      plan.lowStockChecks.push(parsed as EventDetail<'OrderPlaced'>);
    }
  }
  return plan;
}
