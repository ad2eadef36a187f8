/**
 * Domain events on the bus (PRODUCT.md "Events"), detail schema version 1. Every detail carries a
 * deterministic `eventId` (the same fact always gets the same id), so consumers deduplicate the
 * at-least-once deliveries of EventBridge and the retries of saga steps.
 * Money in minor units, times ISO-8601 UTC, quantities in units of stock.
 *
 * These zod schemas are the source of the committed JSON Schemas (`schemas/events/<DetailType>.v1.json`,
 * written by `npx tsx scripts/generate-event-schemas.ts`) and of the field tables in docs/events.md.
 * Version 1 only grows by optional fields; consumers must ignore fields they do not know.
 */
import { z } from 'zod';
import { eventTypeSources } from '../../lib/wiring.ts';

const id = (what: string) => z.string().min(1).describe(what);
const minor = (what: string) => z.number().int().nonnegative().describe(`${what}, integer minor units of \`currency\``);
const utc = (what: string) => z.iso.datetime().describe(`${what}, ISO-8601 UTC`);

const base = {
  eventId: id('Deterministic id of the fact (see the eventId rule); deduplicate on it'),
  schemaVersion: z.literal(1).describe('Detail schema version'),
  occurredAt: utc('When the fact happened'),
};

const orderBase = {
  ...base,
  orderId: id('Order id'),
  storeId: id('Store id'),
  region: id('Sales region of the store, e.g. `east`'),
  customerId: id('Customer id'),
};

const money = {
  total: minor('Amount charged (subtotal - discount)'),
  discount: minor('Sum of coupon discounts'),
  currency: z.string().length(3).describe('ISO-4217 currency code'),
};
const lines = z
  .array(z.object({ sku: id('SKU'), quantity: z.number().int().positive().describe('Units of stock') }))
  .describe('Ordered lines (FREE_ITEM gifts excluded)');

export const eventDetailSchemas = {
  OrderPlaced: z.object({
    ...orderBase,
    ...money,
    subtotal: minor('Sum of line totals before discounts'),
    items: lines,
    reserved: z
      .array(z.object({ sku: id('SKU'), quantity: z.number().int().positive().describe('Units of stock') }))
      .describe('Units reserved per SKU: the lines plus FREE_ITEM gifts, merged by SKU')
      .optional(),
    couponCodes: z.array(z.string()).describe('Applied coupon codes'),
    coupons: z
      .array(z.object({ code: z.string(), discount: minor('Minor units this coupon took off') }))
      .describe('Applied coupons with their discounts, as CouponRedeemed gives them one by one (the coupon report reads these)')
      .optional(),
    paymentMethod: z.string().describe('WECHAT_PAY | ALIPAY | CARD | BALANCE'),
    expiresAt: utc('When the unpaid order expires'),
  }),
  OrderPaid: z.object({
    ...orderBase,
    ...money,
    items: lines,
    paymentId: id('Provider transaction id'),
    placedAt: utc('When the order was placed (time to pay = occurredAt - placedAt)'),
  }),
  OrderCancelled: z.object({
    ...orderBase,
    ...money,
    items: lines,
    reason: z.enum(['CUSTOMER', 'EXPIRED', 'PAYMENT_FAILED']).describe('Why the unpaid order ended'),
    status: z.enum(['CANCELLED', 'EXPIRED', 'PAYMENT_FAILED']).describe('Final order status'),
  }),
  OrderRefunded: z.object({ ...orderBase, ...money, items: lines, refundId: id('Provider refund id') }),
  OrderFulfilled: z.object({
    ...orderBase,
    ...money,
    items: lines,
    paidAt: utc('When the order was paid'),
    timeToFulfilMs: z.number().int().nonnegative().describe('Milliseconds from paid to fulfilled (occurredAt - paidAt)'),
  }),
  OrderNeedsAttention: z.object({ ...orderBase, error: z.string().describe('The compensation error that kept failing') }),
  InventoryLow: z.object({
    ...base,
    storeId: id('Store id'),
    region: z.string().optional().describe('Sales region of the store'),
    sku: id('SKU'),
    available: z.number().int().describe('Units available when the crossing was detected'),
    lowStockThreshold: z.number().int().describe('Threshold in units; the alert fires at available <= threshold'),
    orderId: id('The order whose placement detected the crossing; its logs and traces share this id (correlation id)').optional(),
  }),
  CouponRedeemed: z.object({
    ...orderBase,
    code: id('Coupon code'),
    couponType: z.enum(['AMOUNT_OFF', 'PERCENT_OFF', 'FREE_ITEM']).describe('Coupon type'),
    discount: minor('What this coupon took off the order (0 for FREE_ITEM)'),
    currency: z.string().length(3).describe('ISO-4217 currency code'),
    countedWithOrder: z
      .literal(true)
      .describe("The coupon report counts it from the order's OrderPlaced (`coupons`); absent on events from before that")
      .optional(),
  }),
} as const;

export type EventType = keyof typeof eventDetailSchemas;
export type EventDetail<T extends EventType> = z.infer<(typeof eventDetailSchemas)[T]>;
/** Every detail-type of the catalog. */
export const eventTypes = Object.keys(eventDetailSchemas) as EventType[];

/** The source each detail-type is published with (defined in lib/wiring.ts, which builds the rules from it). */
export const eventSource: Record<EventType, string> = eventTypeSources;

/** When each event fires and how its eventId is built (docs/events.md catalog table, schema descriptions). */
export const eventDocs: Record<EventType, { when: string; eventId: string }> = {
  OrderPlaced: { when: 'POST /v1/orders committed (stock reserved, coupons redeemed, order written)', eventId: '<orderId>:OrderPlaced' },
  CouponRedeemed: {
    when: 'POST /v1/orders committed, one event per applied coupon (a coupon released later by a cancellation is not announced)',
    eventId: '<orderId>:CouponRedeemed:<code>',
  },
  OrderPaid: {
    when: 'Saga step CommitReservation: the provider confirmed the exact amount and reserved stock became sold',
    eventId: '<orderId>:OrderPaid',
  },
  OrderCancelled: {
    when: 'Saga step CloseOrder, after compensation, for an unpaid order that ends CANCELLED (reason CUSTOMER), EXPIRED (EXPIRED) or PAYMENT_FAILED (PAYMENT_FAILED); there is no separate OrderExpired',
    eventId: '<orderId>:OrderCancelled',
  },
  OrderRefunded: { when: 'Refund saga step MarkRefunded: a paid order was refunded and restocked', eventId: '<orderId>:OrderRefunded' },
  OrderFulfilled: {
    when: 'POST /v1/orders/{orderId}/fulfil: the store handed a PAID order over (FULFILLED)',
    eventId: '<orderId>:OrderFulfilled',
  },
  OrderNeedsAttention: {
    when: 'A compensation kept failing; the order is parked for an operator',
    eventId: '<orderId>:OrderNeedsAttention',
  },
  InventoryLow: {
    when: "After an OrderPlaced, a line's available stock is at or below its lowStockThreshold (> 0); once per crossing (the flag clears when stock is back above the threshold)",
    eventId: 'InventoryLow:<storeId>:<sku>:<occurredAt>',
  },
};

/**
 * The EventBridge event as a target receives it (envelope + detail), for schema `type`. The envelope
 * is loose: EventBridge may add fields (e.g. `replay-name` on replayed events).
 */
export function eventEnvelopeSchema<T extends EventType>(type: T) {
  return z.looseObject({
    version: z.literal('0'),
    id: z.string().describe('EventBridge event id (differs per publish; use detail.eventId to deduplicate)'),
    'detail-type': z.literal(type),
    source: z.literal(eventSource[type]),
    account: z.string(),
    time: z.iso.datetime().describe('detail.occurredAt truncated to the second, ISO-8601 UTC'),
    region: z.string().describe('AWS region of the bus'),
    resources: z.array(z.string()),
    detail: eventDetailSchemas[type],
  });
}

/**
 * JSON Schema (draft-04, the EventBridge schema registry's `JSONSchemaDraft4`) of the whole event of
 * `type`, as committed in `schemas/events/<type>.v1.json`. Input-side conversion, so objects do not
 * forbid unknown fields (additive changes stay compatible).
 */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  const schema = eventEnvelopeSchema(type).meta({
    title: `${type} v1`,
    description: `${eventDocs[type].when}. source ${eventSource[type]}, detail-type ${type}, detail.schemaVersion 1.`,
  });
  return z.toJSONSchema(schema, { target: 'draft-4', io: 'input' }) as Record<string, unknown>;
}

export interface DomainEvent<T extends EventType = EventType> {
  type: T;
  detail: EventDetail<T>;
}

/** Builds an event; `detail` is validated against its schema (throws ZodError on a programming error). */
export function domainEvent<T extends EventType>(type: T, detail: EventDetail<T>): DomainEvent<T> {
  eventDetailSchemas[type].parse(detail);
  return { type, detail };
}
