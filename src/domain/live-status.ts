/**
 * Live order status (PRODUCT.md, WebSocket row): what a subscriber asks for (an order, a customer's orders
 * or a store's orders; who may ask is src/live/access.ts), who hears about an order, and the message it receives, `{type: "order.status", orderId, status, at}`. Pure.
 *
 * Ordering rule: events arrive at least once and maybe out of order, so a push never sends the status an
 * event carried but the order's *current* status, versioned by the length of its history (each status
 * change appends one entry). A subscriber is sent a version only if it is newer than the last one it was
 * sent (conditional write, src/store/connection-store.ts). Clients keep a message only if its `at` is
 * later than the last one they showed ({@link isNewer}), which also covers two pushes racing in flight.
 */
import { z } from 'zod';
import { DomainError } from './errors.ts';
import { idSchema, parseWith } from './schemas.ts';
import type { Order, OrderStatus } from './types.ts';

/** The message pushed to subscribers; `at` is when the order entered `status` (ISO-8601 UTC). */
export interface OrderStatusMessage {
  type: 'order.status';
  orderId: string;
  status: OrderStatus;
  at: string;
}

/** Connections-table partition of an order's subscribers. */
export const orderSubject = (orderId: string): string => `order#${orderId}`;
/** Connections-table partition of a customer's subscribers (every order of that customer). */
export const customerSubject = (customerId: string): string => `customer#${customerId}`;
/** Connections-table partition of a store's subscribers (every order placed at that store; staff). */
export const storeSubject = (storeId: string): string => `store#${storeId}`;

export type Subscription =
  | { kind: 'order'; orderId: string; subject: string }
  | { kind: 'customer'; customerId: string; subject: string }
  | { kind: 'store'; storeId: string; subject: string };

/** `token` is the access token the authorizer (or the local WebSocket layer) already verified; it is not a subject. */
const querySchema = z.strictObject({
  orderId: idSchema.optional(),
  customerId: idSchema.optional(),
  storeId: idSchema.optional(),
  token: z.string().optional(),
});

/**
 * The subscription a `$connect` asks for, from its query string: exactly one of `orderId`, `customerId` or
 * `storeId` (ids validated like path ids); `token` (contract v1.1, verified before `$connect` runs) is
 * allowed and ignored. Throws DomainError VALIDATION_FAILED otherwise (400). Who may follow what is decided
 * separately (src/live/access.ts).
 */
export function subscriptionFrom(query: Record<string, string | undefined> | null | undefined): Subscription {
  const q = parseWith(querySchema, query ?? {});
  const given = [q.orderId, q.customerId, q.storeId].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new DomainError('VALIDATION_FAILED', 'Connect with exactly one of ?orderId=, ?customerId= or ?storeId=', {
      errors: [{ path: 'query', message: 'exactly one of orderId, customerId, storeId' }],
    });
  }
  if (q.orderId !== undefined) return { kind: 'order', orderId: q.orderId, subject: orderSubject(q.orderId) };
  if (q.customerId !== undefined) return { kind: 'customer', customerId: q.customerId, subject: customerSubject(q.customerId) };
  return { kind: 'store', storeId: q.storeId!, subject: storeSubject(q.storeId!) };
}

/** Partitions whose subscribers hear about `order`: the order's, its customer's and its store's. */
export const subjectsOf = (order: Pick<Order, 'orderId' | 'customerId' | 'storeId'>): string[] => [
  orderSubject(order.orderId),
  customerSubject(order.customerId),
  storeSubject(order.storeId),
];

/**
 * The order's current status as a message, with its version (history length, 1 for PENDING_PAYMENT,
 * growing by one per status change). `at` is the time of the last history entry.
 */
export function currentStatus(order: Pick<Order, 'orderId' | 'status' | 'history' | 'updatedAt'>): {
  message: OrderStatusMessage;
  version: number;
} {
  const last = order.history.at(-1);
  return {
    message: { type: 'order.status', orderId: order.orderId, status: order.status, at: last?.at ?? order.updatedAt },
    version: order.history.length,
  };
}

/** Client rule: show `message` only if it is later than the last shown `at` for that order (ISO-8601 UTC strings compare as times). */
export const isNewer = (lastShownAt: string | undefined, message: Pick<OrderStatusMessage, 'at'>): boolean =>
  lastShownAt === undefined || message.at > lastShownAt;
