/**
 * The transactional outbox, pure part: the domain events an order's change implies, read from the orders
 * table's stream record (view type NEW_AND_OLD_IMAGES) instead of being published by the handler after its
 * write. The write IS the event: a crash after commit can no longer lose one, and the record is delivered at
 * least once (the pipe retries), so the events carry the same deterministic ids as before
 * (`<orderId>:<type>[:<code>]`, src/events/order-events.ts) and the idempotent consumers stay exactly-once.
 *
 * Which change means which event (the same builders, so the payloads are the ones handlers published):
 * - INSERT of an order → OrderPlaced + one CouponRedeemed per applied coupon;
 * - MODIFY whose status changed to PAID → OrderPaid; CANCELLED / EXPIRED / PAYMENT_FAILED → OrderCancelled
 *   (reason CUSTOMER / EXPIRED / PAYMENT_FAILED); REFUNDED → OrderRefunded; FULFILLED → OrderFulfilled;
 *   NEEDS_ATTENTION → OrderNeedsAttention (error = the reason of that history entry);
 * - anything else (status unchanged, other statuses such as internal claim states, REMOVE, items that are
 *   not orders) → nothing.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Order } from '../domain/types.ts';
import { eventSource, type DomainEvent } from './catalog.ts';
import {
  couponsRedeemed,
  orderCancelled,
  orderFulfilled,
  orderNeedsAttention,
  orderPaid,
  orderPlaced,
  orderRefunded,
} from './order-events.ts';

/** One DynamoDB stream record as Lambda and EventBridge Pipes pass it (JSON; images in DynamoDB JSON). */
export interface OrderStreamRecord {
  eventID?: string;
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE' | string;
  eventSource?: string;
  dynamodb?: {
    Keys?: Record<string, AttributeValue>;
    NewImage?: Record<string, AttributeValue>;
    OldImage?: Record<string, AttributeValue>;
    SequenceNumber?: string;
    /** Epoch seconds. */
    ApproximateCreationDateTime?: number;
    StreamViewType?: string;
  };
}

/** What the enrichment hands the pipe's event-bus target per event; the target reads these paths (lib/wiring.ts `pipes`). */
export interface PipeEventEntry {
  source: string;
  detailType: string;
  /** ISO-8601 UTC: the event's occurredAt (the bus envelope's `time`). */
  time: string;
  detail: DomainEvent['detail'];
}

/** Statuses whose arrival is announced, and the event each one means. */
const ANNOUNCED = {
  PAID: (o: Order) => orderPaid(o),
  CANCELLED: (o: Order) => orderCancelled(o, 'CANCELLED'),
  EXPIRED: (o: Order) => orderCancelled(o, 'EXPIRED'),
  PAYMENT_FAILED: (o: Order) => orderCancelled(o, 'PAYMENT_FAILED'),
  REFUNDED: (o: Order) => orderRefunded(o),
  FULFILLED: (o: Order) => orderFulfilled(o),
  NEEDS_ATTENTION: (o: Order) => orderNeedsAttention(o, o.history?.findLast((h) => h.status === 'NEEDS_ATTENTION')?.reason ?? 'Unknown'),
} as const satisfies Partial<Record<Order['status'], (o: Order) => DomainEvent>>;

/** The statuses a MODIFY must reach to mean an event (the pipe's filter lets only these through). */
export const ANNOUNCED_STATUSES = Object.keys(ANNOUNCED) as (keyof typeof ANNOUNCED)[];

const isAnnounced = (status: unknown): status is keyof typeof ANNOUNCED => typeof status === 'string' && Object.hasOwn(ANNOUNCED, status);

/** An image that is a whole order (side items or partial writes in the table are not). */
function orderOf(image: Record<string, AttributeValue> | undefined): Order | undefined {
  if (!image) return undefined;
  const item = unmarshall(image) as Partial<Order>;
  const whole =
    typeof item.orderId === 'string' &&
    typeof item.status === 'string' &&
    typeof item.createdAt === 'string' &&
    Array.isArray(item.items) &&
    typeof item.pricing === 'object' &&
    Array.isArray(item.appliedCoupons);
  return whole ? ({ history: [], reservation: [], ...item } as Order) : undefined;
}

/**
 * The domain events one stream record means (see the module comment), in publishing order. Pure; throws only
 * if an order item violates an event schema (a programming error, which the pipe then retries and dead-letters).
 */
export function eventsFromOrderRecord(record: OrderStreamRecord): DomainEvent[] {
  const now = orderOf(record.dynamodb?.NewImage);
  if (!now) return [];
  if (record.eventName === 'INSERT') return [orderPlaced(now), ...couponsRedeemed(now)];
  if (record.eventName !== 'MODIFY') return [];
  const before = record.dynamodb?.OldImage ? unmarshall(record.dynamodb.OldImage).status : undefined;
  if (before === now.status || !isAnnounced(now.status)) return [];
  return [ANNOUNCED[now.status](now)];
}

/** A domain event as the pipe target's entry: source and detail-type as PutEvents wants them, time = occurredAt. */
export const pipeEntry = (e: DomainEvent): PipeEventEntry => ({
  source: eventSource[e.type],
  detailType: e.type,
  time: e.detail.occurredAt,
  detail: e.detail,
});

/** The pipe enrichment's answer for a batch of stream records: every event of every record, in stream order. */
export const pipeEntriesFromRecords = (records: readonly OrderStreamRecord[]): PipeEventEntry[] =>
  records.flatMap((r) => eventsFromOrderRecord(r).map(pipeEntry));
