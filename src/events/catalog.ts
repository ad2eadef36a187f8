/**
 * Domain events on the bus (PRODUCT.md "Events"), detail schema version 1. Every detail carries a
 * deterministic `eventId` (the same fact always gets the same id), so consumers deduplicate the
 * at-least-once deliveries of EventBridge and the retries of saga steps.
 * Money in minor units, times ISO-8601 UTC.
 */
import { z } from 'zod';
import { eventSources } from '../../lib/wiring.ts';

const base = {
  eventId: z.string(),
  schemaVersion: z.literal(1),
  occurredAt: z.iso.datetime(),
};

const orderBase = {
  ...base,
  orderId: z.string(),
  storeId: z.string(),
  region: z.string(),
  customerId: z.string(),
};

const money = { total: z.number().int().nonnegative(), discount: z.number().int().nonnegative(), currency: z.string().length(3) };
const lines = z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() }));

export const eventDetailSchemas = {
  OrderPlaced: z.object({ ...orderBase, ...money, subtotal: z.number().int().nonnegative(), items: lines, couponCodes: z.array(z.string()), paymentMethod: z.string(), expiresAt: z.iso.datetime() }),
  OrderPaid: z.object({ ...orderBase, ...money, items: lines, paymentId: z.string(), placedAt: z.iso.datetime() }),
  OrderCancelled: z.object({ ...orderBase, ...money, items: lines, reason: z.enum(['CUSTOMER', 'EXPIRED', 'PAYMENT_FAILED']), status: z.enum(['CANCELLED', 'EXPIRED', 'PAYMENT_FAILED']) }),
  OrderRefunded: z.object({ ...orderBase, ...money, items: lines, refundId: z.string() }),
  OrderNeedsAttention: z.object({ ...orderBase, error: z.string() }),
  InventoryLow: z.object({ ...base, storeId: z.string(), region: z.string().optional(), sku: z.string(), available: z.number().int(), lowStockThreshold: z.number().int() }),
} as const;

export type EventType = keyof typeof eventDetailSchemas;
export type EventDetail<T extends EventType> = z.infer<(typeof eventDetailSchemas)[T]>;

export const eventSource: Record<EventType, string> = {
  OrderPlaced: eventSources.orders,
  OrderPaid: eventSources.orders,
  OrderCancelled: eventSources.orders,
  OrderRefunded: eventSources.orders,
  OrderNeedsAttention: eventSources.orders,
  InventoryLow: eventSources.inventory,
};

export interface DomainEvent<T extends EventType = EventType> {
  type: T;
  detail: EventDetail<T>;
}

/** Builds an event; `detail` is validated against its schema (throws ZodError on a programming error). */
export function domainEvent<T extends EventType>(type: T, detail: EventDetail<T>): DomainEvent<T> {
  eventDetailSchemas[type].parse(detail);
  return { type, detail };
}
