/**
 * Orders and the stock/coupon movements that belong to them. Every movement is one DynamoDB
 * transaction whose first item moves the order's own state flag (stockState / couponsState) with a
 * condition, so each reservation is released or committed exactly once (PRODUCT.md invariant 2)
 * and retries of a saga step are no-ops. No locks, no read-then-write on stock.
 */
import { GetCommand, type TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { transactWrite } from './transact.ts';
import { tableName } from '../config.ts';
import { DomainError } from '../domain/errors.ts';
import type { HistoryEntry, Order, OrderStatus, PaymentRecord, StockLine } from '../domain/types.ts';
import { openShard, staysOpen } from '../domain/reconcile.ts';
import {
  isRefundable,
  reasonForFinalStatus,
  refundableStatuses,
  statusCondition,
  statusIn,
  type CompensatedStatus,
} from '../domain/order-status.ts';
import type { CloseClaim, OrderClaim } from '../domain/order-claim.ts';
import { CouponStore, customerScope, sliceKey } from './coupon-store.ts';
import { cancellationReasons, cancelledByConditionsOnly, isConditionalCheckFailed } from './dynamo-errors.ts';
import type { AuditOf } from '../domain/audit.ts';
import { auditPut } from './audit-store.ts';
import { CHANGED, untilUnchanged, writeUnlessChanged } from './optimistic.ts';
import { IllegalOrderStateError, OrderNotFoundError } from '../saga/errors.ts';
import { pickSlice, planTake, shardPartitionKey, startShard, type ShardTake } from '../domain/inventory.ts';
import { InventoryStore, soldOut, type ShardMeta } from './inventory-store.ts';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** What an audited operator action on an order changed (its status and the marker it set). */
export interface OrderFacts {
  status: OrderStatus;
  fulfilledAt?: string;
  refundRequestedAt?: string;
}

export interface Shortage {
  sku: string;
  requested: number;
  available: number;
}

/** Result of a once-only movement: `applied` false means an earlier attempt already did it. */
export interface Movement {
  applied: boolean;
  order: Order;
}

/** `place` found an order with this id already written (a retried create). */
export class OrderAlreadyExistsError extends Error {
  override name = 'OrderAlreadyExists';
}

export class OrderStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly inventory: InventoryStore = new InventoryStore(doc),
    private readonly coupons: CouponStore = new CouponStore(doc),
  ) {}

  /** The order, or undefined. */
  async get(orderId: string, consistent = true): Promise<Order | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('orders'), Key: { orderId }, ConsistentRead: consistent }));
    return out.Item as Order | undefined;
  }

  /** The order or OrderNotFoundError. */
  async mustGet(orderId: string): Promise<Order> {
    const order = await this.get(orderId);
    if (!order) throw new OrderNotFoundError(`Order ${orderId} not found`);
    return order;
  }

  /**
   * Writes a new order, reserves its stock and redeems its coupons in ONE transaction, all conditional, and
   * returns the order as written (with the shards each line took from). Throws DomainError INVENTORY_SHORTAGE
   * (extra `shortages: Shortage[]`) or COUPON_EXHAUSTED; nothing is written then. Transaction limit: 100 items
   * (≤25 lines + ≤5 coupons x2 + 1 fits unsharded; a sharded line adds an item per extra shard it splits over).
   * `attempt` > 0 marks a re-priced retry of the same order id (create-order drops automatic promotions
   * the database refused): it gets its own ClientRequestToken, since its items differ from attempt 0's.
   *
   * Hot stock (src/domain/inventory.ts): a sharded line first tries one shard (hash of order id and SKU); when
   * that shard's condition fails, the transaction is retried on other shards (planTake, using the available
   * units the cancellation returned), after a second failure from a consistent read of all shards (split over
   * several if no single one holds enough). INVENTORY_SHORTAGE only when such a read finds the SUM short;
   * CONCURRENT_UPDATE (409, retryable) after RESERVE_ROUNDS transactions lost to other orders. A line whose
   * item carries the sold-out marker (confirmed by a consistent read) is refused without any transaction.
   * A sliced promotion counter (couponRedemptions[].slices) tries one slice; when it is full, one consistent read
   * of every slice tells which still have room (COUPON_EXHAUSTED when none has).
   */
  async place(order: Order, customerLimits: ReadonlyMap<string, number>, attempt = 0): Promise<Order> {
    const nowMs = Date.now();
    const { storeId } = order;
    const metas = await Promise.all(order.reservation.map((l) => this.inventory.meta(storeId, l.sku, nowMs)));
    const marked = order.reservation.filter((_, i) => soldOut(metas[i]!, nowMs));
    if (marked.length > 0) {
      const still = await Promise.all(marked.map((l) => this.inventory.confirmSoldOut(storeId, l.sku, nowMs)));
      const sold = marked.filter((_, i) => still[i]);
      if (sold.length > 0) {
        // A retried create whose order was written (and took the last units) answers with its order, not 409.
        if (attempt === 0 && (await this.get(order.orderId))) throw new OrderAlreadyExistsError(`Order ${order.orderId} already exists`);
        throw shortageError(sold.map((l) => ({ sku: l.sku, requested: l.quantity, available: 0 })));
      }
      for (const [i, l] of order.reservation.entries()) metas[i] = await this.inventory.meta(storeId, l.sku, nowMs);
    }
    const known = order.reservation.map(() => new Map<number, number>());
    const fresh = order.reservation.map(() => false);
    const failures = order.reservation.map(() => 0);
    const fullSlices = new Map<string, Set<number>>();
    const sliceCounts = new Map<string, number>();
    for (let round = 0; round < RESERVE_ROUNDS; round++) {
      const reservation: StockLine[] = [];
      const shortages: Shortage[] = [];
      for (const [i, line] of order.reservation.entries()) {
        let meta = metas[i]!;
        if (meta.highWater <= 1) {
          reservation.push({ sku: line.sku, quantity: line.quantity });
          continue;
        }
        const plan = () =>
          planTake(line.quantity, meta.shards, meta.highWater, startShard(order.orderId, line.sku, meta.shards), known[i]!);
        let takes = failures[i]! >= 2 && !fresh[i] ? undefined : plan();
        if (!takes && !fresh[i]) {
          const shards = await this.inventory.readShards(storeId, line.sku);
          meta = metas[i] = metaOfShards(shards);
          known[i] = new Map(shards.map((s, k) => [k, s?.available ?? 0]));
          fresh[i] = true;
          takes = plan();
        }
        if (!takes) {
          const available = [...known[i]!.values()].reduce((a, b) => a + b, 0);
          shortages.push({ sku: line.sku, requested: line.quantity, available });
          if (available === 0) await this.inventory.markSoldOut(storeId, line.sku, meta);
          continue;
        }
        reservation.push({ sku: line.sku, quantity: line.quantity, takes });
      }
      if (shortages.length > 0) throw shortageError(shortages);
      const couponRedemptions = order.couponRedemptions.map((r) => {
        const slices = sliceCounts.get(r.code) ?? r.slices ?? 1;
        if (slices <= 1) return r;
        const slice = pickSlice(order.orderId, r.code, slices, fullSlices.get(r.code) ?? new Set());
        if (slice === undefined) throw exhaustedError([r.code]);
        return { ...r, slices, slice };
      });
      const placed: Order = { ...order, reservation, couponRedemptions };
      const outcome = await this.tryPlace(placed, customerLimits, attempt, round);
      if (outcome.kind === 'PLACED') return placed;
      // Shards whose condition failed: learn their available units and fall over to others.
      for (const { line, shard, available, meta } of outcome.failed) {
        if (meta && meta.highWater > metas[line]!.highWater) metas[line] = meta;
        known[line]!.set(shard, available);
        fresh[line] = false;
        failures[line]!++;
      }
      const final = outcome.failed.filter((f) => metas[f.line]!.highWater <= 1);
      if (final.length > 0) {
        for (const f of final)
          if (f.available === 0) await this.inventory.markSoldOut(storeId, order.reservation[f.line]!.sku, metas[f.line]!);
        throw shortageError(
          final.map((f) => ({
            sku: order.reservation[f.line]!.sku,
            requested: order.reservation[f.line]!.quantity,
            available: f.available,
          })),
        );
      }
      if (outcome.exhausted.length > 0) throw exhaustedError(outcome.exhausted);
      // A full slice: learn which slices are full from one consistent read rather than trying them one by one
      // (with 5 redemptions left over 16 slices, 11 slices have a share of 0).
      for (const f of outcome.fullSlices) if (f.slices) sliceCounts.set(f.code, f.slices);
      for (const code of new Set(outcome.fullSlices.map((f) => f.code))) {
        const slices = sliceCounts.get(code) ?? order.couponRedemptions.find((r) => r.code === code)?.slices ?? 1;
        const full = await this.coupons.fullSlices(code, slices);
        for (const f of outcome.fullSlices) if (f.code === code) full.add(f.slice);
        fullSlices.set(code, full);
      }
    }
    throw new DomainError('CONCURRENT_UPDATE', `Stock of order ${order.orderId} kept being taken by other orders; retry`);
  }

  /** One placement transaction; tells which stock shards and coupons refused it. */
  private async tryPlace(
    order: Order,
    customerLimits: ReadonlyMap<string, number>,
    attempt: number,
    round: number,
  ): Promise<
    | { kind: 'PLACED' }
    | {
        kind: 'REFUSED';
        failed: { line: number; shard: number; available: number; meta?: ShardMeta }[];
        exhausted: string[];
        /** `slices`: the coupon's slice count now, when the order was priced with fewer. */
        fullSlices: { code: string; slice: number; slices?: number }[];
      }
  > {
    const items: TransactItem[] = [];
    // Condition: a new order id (never overwrite an order).
    // openShard puts the order in the sparse openOrders index the reconciler reads (src/domain/reconcile.ts).
    const item = { ...order, openShard: openShard(order.orderId) };
    items.push({ Put: { TableName: tableName('orders'), Item: item, ConditionExpression: 'attribute_not_exists(orderId)' } });
    const stockItems: { line: number; shard: number }[] = [];
    for (const [i, line] of order.reservation.entries()) {
      for (const take of takesOf(line)) {
        stockItems.push({ line: i, shard: take.shard });
        items.push({
          Update: {
            TableName: tableName('inventory'),
            Key: { storeId: shardPartitionKey(order.storeId, take.shard), sku: line.sku },
            // Invariant 1: available never goes below zero, so stock is never oversold.
            ConditionExpression: 'available >= :q',
            UpdateExpression: 'SET available = available - :q, reserved = reserved + :q, updatedAt = :now',
            ExpressionAttributeValues: { ':q': take.quantity, ':now': order.createdAt },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        });
      }
    }
    for (const redemption of order.couponRedemptions) {
      items.push({
        Update: {
          TableName: tableName('coupons'),
          Key: sliceKey(redemption.code, redemption.slice ?? 0),
          // Invariant 3: never beyond maxRedemptions (a sliced counter: never beyond its slice's share of it). A coupon
          // sliced before and now back to one slice keeps a sliceLimit on slice 0 (the other slices hold the rest of
          // its redemptions): that limit decides, not maxRedemptions alone.
          ConditionExpression:
            redemption.slice === undefined
              ? 'attribute_exists(code) AND ((attribute_exists(sliceLimit) AND redemptions < sliceLimit) OR (attribute_not_exists(sliceLimit) AND (attribute_not_exists(maxRedemptions) OR redemptions < maxRedemptions)))'
              : 'attribute_exists(code) AND (attribute_not_exists(sliceLimit) OR redemptions < sliceLimit)',
          UpdateExpression: 'ADD redemptions :one',
          ExpressionAttributeValues: { ':one': 1 },
          // A refusal tells the coupon's slice count now (counterShards on the coupon item, slice 0).
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
      if (redemption.perCustomer) {
        items.push({
          Update: {
            TableName: tableName('coupons'),
            Key: { code: redemption.code, scope: customerScope(order.customerId) },
            // Invariant 3: never beyond perCustomerLimit.
            ConditionExpression: 'attribute_not_exists(redemptions) OR redemptions < :limit',
            UpdateExpression: 'ADD redemptions :one',
            ExpressionAttributeValues: { ':one': 1, ':limit': customerLimits.get(redemption.code) ?? 1 },
          },
        });
      }
    }
    try {
      // Attempt 0, round 0 keeps the order id as token (an unsharded order is written exactly as before).
      const token =
        attempt === 0 && round === 0
          ? order.orderId.slice(0, 36)
          : round === 0
            ? `${order.orderId.slice(0, 30)}-r${attempt}`
            : `${order.orderId.slice(0, 27)}-r${attempt}s${round}`;
      await transactWrite(this.doc, { TransactItems: items, ClientRequestToken: token });
      return { kind: 'PLACED' };
    } catch (e) {
      // Same ClientRequestToken (= order id) with other parameters: an earlier execution wrote this order.
      if ((e as Error).name === 'IdempotentParameterMismatchException')
        throw new OrderAlreadyExistsError(`Order ${order.orderId} already exists`);
      const reasons = cancellationReasons(e);
      if (!reasons || !cancelledByConditionsOnly(reasons)) throw e;
      // The order id is derived from the Idempotency-Key: an existing order means this request already succeeded.
      if (reasons[0]?.Code === 'ConditionalCheckFailed') throw new OrderAlreadyExistsError(`Order ${order.orderId} already exists`);
      const failed = stockItems.flatMap(({ line, shard }, i) => {
        const reason = reasons[1 + i];
        if (reason?.Code !== 'ConditionalCheckFailed') return [];
        const old = reason.Item as Record<string, { N?: string }> | undefined;
        const available = Number(old?.available?.N ?? 0);
        // The item's metadata as it is now (shard 0): a reshard the cached ShardMeta has not seen yet.
        const shards = old?.shards?.N ? Number(old.shards.N) : undefined;
        const highWater = old?.shardHighWater?.N ? Number(old.shardHighWater.N) : undefined;
        return [{ line, shard, available, ...(shards && highWater ? { meta: { shards, highWater } } : {}) }];
      });
      const refusedCoupons = couponItemIndexes(order, 1 + stockItems.length).filter(
        ({ index }) => reasons[index]?.Code === 'ConditionalCheckFailed',
      );
      // A full counter slice is not the coupon exhausted: the order falls over to another slice. An order priced
      // before the coupon was sliced (cached master data) carries no slice: when the coupon item says it now has
      // several, its slice 0 share is full, not the coupon, and the order tries the other slices.
      const slicedNow = (index: number): number | undefined => {
        const n = Number((reasons[index]?.Item as Record<string, { N?: string }> | undefined)?.counterShards?.N ?? 1);
        return n > 1 ? n : undefined;
      };
      const fullSlices: { code: string; slice: number; slices?: number }[] = [];
      const exhaustedCodes = new Set<string>();
      for (const { index, code, redemption, perCustomer } of refusedCoupons) {
        const { slice } = order.couponRedemptions[redemption]!;
        const slices = slice === undefined ? slicedNow(index) : undefined;
        if (perCustomer || (slice === undefined && slices === undefined)) exhaustedCodes.add(code);
        else fullSlices.push({ code, slice: slice ?? 0, ...(slices ? { slices } : {}) });
      }
      const exhausted = [...exhaustedCodes];
      if (failed.length === 0 && exhausted.length === 0 && fullSlices.length === 0) throw e;
      return { kind: 'REFUSED', failed, exhausted, fullSlices };
    }
  }

  /**
   * Saga CommitReservation: reserved -> sold for every line and the order -> PAID, atomically, once.
   * A repeat after success returns applied=false. Throws IllegalOrderStateError if the order's status
   * cannot become PAID (src/domain/order-status.ts) or its stock is not RESERVED.
   */
  async commit(orderId: string, now: string): Promise<Movement> {
    const order = await this.mustGet(orderId);
    if (order.stockState === 'COMMITTED') return { applied: false, order };
    const entry: HistoryEntry = { status: 'PAID', at: now, reason: 'PAYMENT_SUCCEEDED' };
    const payable = statusCondition('PAID');
    return this.move(order, {
      // Reserved stock, and a status PAID may follow (ORDER_TRANSITIONS): committed once.
      orderCondition: `stockState = :from AND ${payable.expression}`,
      orderUpdate:
        'SET stockState = :to, #status = :paid, history = list_append(history, :h), updatedAt = :now, paidAt = :now REMOVE openShard',
      values: { ':from': 'RESERVED', ':to': 'COMMITTED', ...payable.values, ':paid': 'PAID', ':h': [entry], ':now': now },
      done: (o) => o.stockState === 'COMMITTED',
      lines: order.reservation,
      // Invariant 1: reserved never below zero.
      lineCondition: 'reserved >= :q',
      lineUpdate: 'SET reserved = reserved - :q, sold = sold + :q, updatedAt = :now',
    });
  }

  /** Saga ReleaseStock (compensation): reserved -> available, once. No-op unless stock is RESERVED. */
  async releaseStock(orderId: string, now: string): Promise<Movement> {
    return this.returnStock(orderId, 'RESERVED', 'RELEASED', 'reserved', now);
  }

  /** Refund saga RestockItems: sold -> available, once. No-op unless stock is COMMITTED. */
  async restock(orderId: string, now: string): Promise<Movement> {
    return this.returnStock(orderId, 'COMMITTED', 'RESTOCKED', 'sold', now);
  }

  /** Moves the order's units from `counter` back to available and its stockState `from` -> `to`, once. */
  private async returnStock(
    orderId: string,
    from: Order['stockState'],
    to: Order['stockState'],
    counter: 'reserved' | 'sold',
    now: string,
  ): Promise<Movement> {
    const order = await this.mustGet(orderId);
    if (order.stockState !== from) return this.stockReturned({ applied: false, order }, to, now);
    return this.stockReturned(
      await this.move(order, {
        orderCondition: 'stockState = :from',
        orderUpdate: 'SET stockState = :to, updatedAt = :now',
        values: { ':from': from, ':to': to, ':now': now },
        done: (o) => o.stockState !== from,
        lines: order.reservation,
        // Invariant 1: the counter never goes below zero.
        lineCondition: `${counter} >= :q`,
        lineUpdate: `SET ${counter} = ${counter} - :q, available = available + :q, updatedAt = :now`,
      }),
      to,
      now,
    );
  }

  /**
   * After units went back to `available` (release, restock; also on a retried step, since a crash may have cut
   * this off): clears each item's sold-out marker and rebalances units that landed on a drained shard. Best
   * effort (a failure leaves the marker to expire within SOLD_OUT_TTL_MS, the spread to the next rebalance).
   */
  private async stockReturned(movement: Movement, state: Order['stockState'], now: string): Promise<Movement> {
    const { order } = movement;
    if (order.stockState !== state) return movement;
    await Promise.all(
      order.reservation.map((line) =>
        this.inventory
          .afterStockReturned(
            order.storeId,
            line.sku,
            takesOf(line).map((t) => t.shard),
            now,
          )
          .catch(() => undefined),
      ),
    );
    return movement;
  }

  /** Saga ReleaseCoupons (compensation): gives every redemption back, once. */
  async releaseCoupons(orderId: string, now: string): Promise<Movement> {
    const order = await this.mustGet(orderId);
    if (order.couponsState !== 'REDEEMED') return { applied: false, order };
    const items: TransactItem[] = [
      {
        Update: {
          TableName: tableName('orders'),
          Key: { orderId },
          ConditionExpression: 'couponsState = :from',
          UpdateExpression: 'SET couponsState = :to, updatedAt = :now',
          ExpressionAttributeValues: { ':from': 'REDEEMED', ':to': 'RELEASED', ':now': now },
        },
      },
    ];
    for (const r of order.couponRedemptions) {
      // A sliced counter's redemption goes back to the slice it took.
      const keys = [sliceKey(r.code, r.slice ?? 0)];
      if (r.perCustomer) keys.push({ code: r.code, scope: customerScope(order.customerId) });
      for (const Key of keys) {
        items.push({
          Update: {
            TableName: tableName('coupons'),
            Key,
            // Invariant 3: a counter never goes below zero.
            ConditionExpression: 'redemptions >= :one',
            UpdateExpression: 'ADD redemptions :minusOne',
            ExpressionAttributeValues: { ':one': 1, ':minusOne': -1 },
          },
        });
      }
    }
    return this.runMovement(orderId, items, (o) => o.couponsState !== 'REDEEMED');
  }

  /**
   * Saga CloseOrder: the compensated order → `final` (CANCELLED, EXPIRED or PAYMENT_FAILED), history
   * reason CUSTOMER, EXPIRED or PAYMENT_FAILED, once. applied=false on a retry; IllegalOrderStateError
   * when the order's status cannot become `final`.
   */
  close(orderId: string, final: CompensatedStatus, now: string): Promise<Movement> {
    return this.transition(orderId, final, now, reasonForFinalStatus(final));
  }

  /**
   * Saga MarkNeedsAttention: a step kept failing; parks the order in NEEDS_ATTENTION with `reason`
   * (the error), once. IllegalOrderStateError when the order is already final.
   */
  markNeedsAttention(orderId: string, now: string, reason: string): Promise<Movement> {
    return this.transition(orderId, 'NEEDS_ATTENTION', now, reason);
  }

  /** Refund saga MarkRefunded: → REFUNDED (history reason CUSTOMER), once; IllegalOrderStateError when it cannot be refunded. */
  markRefunded(orderId: string, now: string): Promise<Movement> {
    return this.transition(orderId, 'REFUNDED', now, 'CUSTOMER');
  }

  /** Saga CreatePaymentIntent: records the provider's intent id; a retry with the same id is a no-op, another id is refused. */
  async recordPaymentIntent(orderId: string, intentId: string): Promise<void> {
    // Condition: one intent per order (the provider derives it from the order id, so a retry sends the same).
    await this.setIf(
      orderId,
      { condition: 'attribute_not_exists(paymentIntentId) OR paymentIntentId = :id', values: { ':id': intentId } },
      { paymentIntentId: intentId },
    );
  }

  /**
   * Saga VoidPayment: closes the order to new payments (`paymentClosedAt = now`), once. Returns the order
   * when this call closed it, undefined when it was closed already (or does not exist).
   */
  closePayments(orderId: string, now: string): Promise<Order | undefined> {
    // Condition: closed once; from here on a callback is refunded, never recorded (invariant 4).
    return this.setIf(orderId, { condition: 'attribute_not_exists(paymentClosedAt)' }, { paymentClosedAt: now });
  }

  /** VoidPayment / RefundPayment: records the provider's refund id, the first one only. */
  async recordRefund(orderId: string, refundId: string): Promise<void> {
    // Condition: the first refund id stands (refunds are idempotent per payment at the provider).
    await this.setIf(orderId, { condition: 'attribute_not_exists(refundId)' }, { refundId });
  }

  /**
   * Claims a PENDING_PAYMENT order for `claim` (EXPIRY: the deadline passed; CANCEL: the customer or an
   * operator cancelled; PAYMENT_FAILED: the saga could not take payment) with ONE conditional write:
   * `status = PENDING_PAYMENT AND no claim yet` sets `claim`, `claimedAt` (and, for CANCEL,
   * `cancelRequestedAt`). Returns `{won: true}` with the new order, or `{won: false}` with the order as it
   * is (the winner's claim on it, or none when it is no longer pending); undefined when there is no such
   * order. A repeat of the same claim answers won=false with `order.claim === claim`: callers act on
   * `order.claim`, never on `won` alone (src/domain/order-claim.ts).
   */
  async claim(orderId: string, claim: CloseClaim, now: string): Promise<{ won: boolean; order: Order } | undefined> {
    const extra = claim === 'CANCEL' ? { cancelRequestedAt: now } : {};
    const won = await this.setIf(
      orderId,
      // Condition: the one decision about an unpaid order (webhook, expiry and cancel race on it).
      { condition: '#status = :pending AND attribute_not_exists(#claim)', values: { ':pending': 'PENDING_PAYMENT' } },
      { claim, claimedAt: now, ...extra },
    );
    if (won) return { won: true, order: won };
    const order = await this.get(orderId);
    return order && { won: false, order };
  }

  /**
   * POST /v1/orders/{orderId}/cancel before payment: claims the order for CANCEL (see `claim`). Returns the
   * order when this call (or an earlier cancel) claimed it, or undefined when a payment or the expiry
   * decided it first.
   */
  async requestCancel(orderId: string, now: string): Promise<Order | undefined> {
    const out = await this.claim(orderId, 'CANCEL', now);
    return out?.order.claim === 'CANCEL' ? out.order : undefined;
  }

  /**
   * Refund saga BeginRefund: claims a refundable order (cancellationKind 'REFUND': PAID) for refund by
   * setting `refundRequestedAt` unless an earlier request set it; from then on it cannot be fulfilled.
   * Returns the order, or undefined when it is no longer refundable (or does not exist).
   */
  claimRefund(orderId: string, now: string): Promise<Order | undefined> {
    const refundable = statusIn(refundableStatuses(), ':r');
    // Condition: still refundable when claimed, so an order fulfilled meanwhile is never refunded.
    return this.setIf(
      orderId,
      { condition: refundable.expression, values: refundable.values },
      {},
      'refundRequestedAt = if_not_exists(refundRequestedAt, :claimedAt)',
      { ':claimedAt': now },
    );
  }

  /**
   * Moves the order to `to` from any status ORDER_TRANSITIONS allows (statusCondition), appending to
   * history. Returns applied=false when the order already has status `to` (a retried step). Throws
   * IllegalOrderStateError otherwise.
   */
  private async transition(orderId: string, to: OrderStatus, now: string, reason?: string): Promise<Movement> {
    const entry: HistoryEntry = reason ? { status: to, at: now, reason } : { status: to, at: now };
    const from = statusCondition(to, ':f');
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: tableName('orders'),
          Key: { orderId },
          // Condition: only legal transitions (src/domain/order-status.ts), each applied once.
          ConditionExpression: from.expression,
          // Leaving the open statuses also leaves the reconciler's openOrders index.
          UpdateExpression: `SET #status = :to, history = list_append(history, :h), updatedAt = :now${staysOpen(to) ? '' : ' REMOVE openShard'}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...from.values, ':to': to, ':h': [entry], ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, order: out.Attributes as Order };
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      const order = await this.mustGet(orderId);
      if (order.status === to) return { applied: false, order };
      throw new IllegalOrderStateError(`Order ${orderId} is ${order.status}; cannot become ${to}`);
    }
  }

  /**
   * Conditionally sets attributes on an existing order (no status change). Returns the new order, or
   * undefined when the condition did not hold (nothing written). Private: callers use the intent-named
   * methods above, which state their condition and the invariant it protects.
   */
  private async setIf(
    orderId: string,
    where: { condition?: string; values?: Record<string, unknown> },
    sets: Record<string, unknown>,
    extraSet?: string,
    extraValues: Record<string, unknown> = {},
  ): Promise<Order | undefined> {
    const condition = where.condition ?? '';
    const names: Record<string, string> = condition.includes('#status') ? { '#status': 'status' } : {};
    if (condition.includes('#claim')) names['#claim'] = 'claim';
    const values: Record<string, unknown> = { ...where.values, ...extraValues };
    const parts = Object.entries(sets).map(([k, v]) => {
      names[`#s_${k}`] = k;
      values[`:s_${k}`] = v;
      return `#s_${k} = :s_${k}`;
    });
    if (extraSet) parts.push(extraSet);
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: tableName('orders'),
          Key: { orderId },
          ConditionExpression: condition ? `attribute_exists(orderId) AND (${condition})` : 'attribute_exists(orderId)',
          UpdateExpression: `SET ${parts.join(', ')}`,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as Order;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return undefined;
      throw e;
    }
  }

  /**
   * POST /v1/orders/{orderId}/fulfil: PAID → FULFILLED with a history entry (reason STORE_HANDOVER) and
   * `fulfilledAt = now`, once. Returns applied=false with the current order when it is not PAID (or a
   * refund has claimed it); undefined when the order does not exist. With `audit`, the record (before
   * `{status: 'PAID'}`, exact because the transition is conditioned on it; after `{status: 'FULFILLED',
   * fulfilledAt}`) is appended in the same transaction, so only the hand-over that happened is recorded.
   */
  async fulfil(orderId: string, now: string, audit?: AuditOf<OrderFacts>): Promise<Movement | undefined> {
    const entry: HistoryEntry = { status: 'FULFILLED', at: now, reason: 'STORE_HANDOVER' };
    const fulfillable = statusCondition('FULFILLED');
    const items: TransactItem[] = [
      {
        Update: {
          TableName: tableName('orders'),
          Key: { orderId },
          // Only an order that may become FULFILLED (ORDER_TRANSITIONS: PAID) and that no refund has claimed, once.
          ConditionExpression: `${fulfillable.expression} AND attribute_not_exists(refundRequestedAt)`,
          UpdateExpression: 'SET #status = :fulfilled, history = list_append(history, :h), fulfilledAt = :now, updatedAt = :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...fulfillable.values, ':fulfilled': 'FULFILLED', ':h': [entry], ':now': now },
        },
      },
    ];
    if (audit) items.push(auditPut(audit({ status: 'PAID' }, { status: 'FULFILLED', fulfilledAt: now })));
    const applied = await writeUnlessChanged(this.doc, items);
    const order = await this.get(orderId);
    return order && { applied, order };
  }

  /**
   * Marks an operator's or customer's refund request on the order: sets `refundRequestedAt = now` (the claim
   * the refund saga's BeginRefund makes; from here on the order can no longer be fulfilled) while the order
   * is refundable: PAID, or PENDING_PAYMENT with a SUCCEEDED payment being committed. Conditioned on the
   * status read and no earlier request, so with `audit` the record (before `{status}`, after `{status,
   * refundRequestedAt}`) is exact and appended in the same transaction, once per request that changed the
   * order. Returns 'REQUESTED' (marked now), 'ALREADY_REQUESTED' (an earlier request marked it: nothing
   * written), 'NOT_REFUNDABLE' (any other state, or no such order). Throws CONCURRENT_UPDATE (409) when the
   * order kept changing.
   */
  requestRefund(orderId: string, now: string, audit?: AuditOf<OrderFacts>): Promise<'REQUESTED' | 'ALREADY_REQUESTED' | 'NOT_REFUNDABLE'> {
    return untilUnchanged(`Order ${orderId}`, async () => {
      const order = await this.get(orderId);
      if (!order) return 'NOT_REFUNDABLE';
      if (!isRefundable(order)) return 'NOT_REFUNDABLE';
      if (order.refundRequestedAt) return 'ALREADY_REQUESTED';
      const refundable = statusIn(refundableStatuses(), ':r');
      const items: TransactItem[] = [
        {
          Update: {
            TableName: tableName('orders'),
            Key: { orderId },
            // Condition: still in the refundable state we read, and nobody asked for the refund in between.
            // (isRefundable, as a condition: a refundable status, or a successful payment accepted.)
            ConditionExpression: `attribute_exists(orderId) AND #status = :seen AND attribute_not_exists(refundRequestedAt) AND (${refundable.expression} OR payment.#status = :succeeded)`,
            UpdateExpression: 'SET refundRequestedAt = :now',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':seen': order.status, ...refundable.values, ':succeeded': 'SUCCEEDED', ':now': now },
          },
        },
      ];
      if (audit) items.push(auditPut(audit({ status: order.status }, { status: order.status, refundRequestedAt: now })));
      return (await writeUnlessChanged(this.doc, items)) ? 'REQUESTED' : CHANGED;
    });
  }

  /**
   * Records the provider's callback on the order and claims the order for it (`claim`: PAYMENT for a matching
   * successful payment, else PAYMENT_FAILED; src/domain/order-claim.ts) in ONE conditional write: only while
   * PENDING_PAYMENT, unclaimed (no expiry or cancel came first), with no payment yet (first callback wins,
   * invariant 4) and not closed to payments. Returns the new order, or undefined when it lost.
   */
  recordPayment(
    orderId: string,
    payment: PaymentRecord,
    claim: OrderClaim = 'PAYMENT',
    now = payment.receivedAt,
  ): Promise<Order | undefined> {
    return this.setIf(
      orderId,
      {
        condition:
          '#status = :pending AND attribute_not_exists(#claim) AND attribute_not_exists(payment) AND attribute_not_exists(paymentClosedAt)',
        values: { ':pending': 'PENDING_PAYMENT' },
      },
      { payment, claim, claimedAt: now },
    );
  }

  private async move(
    order: Order,
    spec: {
      orderCondition: string;
      orderUpdate: string;
      values: Record<string, unknown>;
      done: (o: Order) => boolean;
      lines: StockLine[];
      lineCondition: string;
      lineUpdate: string;
    },
  ): Promise<Movement> {
    const now = spec.values[':now'];
    const items: TransactItem[] = [
      {
        Update: {
          TableName: tableName('orders'),
          Key: { orderId: order.orderId },
          ConditionExpression: spec.orderCondition,
          UpdateExpression: spec.orderUpdate,
          ExpressionAttributeNames:
            spec.orderUpdate.includes('#status') || spec.orderCondition.includes('#status') ? { '#status': 'status' } : undefined,
          ExpressionAttributeValues: spec.values,
        },
      },
      // Each line returns to the shard(s) it was reserved from.
      ...spec.lines.flatMap((line) =>
        takesOf(line).map(
          (take): TransactItem => ({
            Update: {
              TableName: tableName('inventory'),
              Key: { storeId: shardPartitionKey(order.storeId, take.shard), sku: line.sku },
              ConditionExpression: spec.lineCondition,
              UpdateExpression: spec.lineUpdate,
              ExpressionAttributeValues: { ':q': take.quantity, ':now': now },
            },
          }),
        ),
      ),
    ];
    return this.runMovement(order.orderId, items, spec.done);
  }

  /** Runs a movement transaction; if the order's own condition failed, re-reads to tell "already done" from "illegal". */
  private async runMovement(orderId: string, items: TransactItem[], done: (o: Order) => boolean): Promise<Movement> {
    try {
      await transactWrite(this.doc, { TransactItems: items });
      return { applied: true, order: await this.mustGet(orderId) };
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (!reasons || !cancelledByConditionsOnly(reasons)) throw e;
      const order = await this.mustGet(orderId);
      if (reasons[0]?.Code === 'ConditionalCheckFailed' && done(order)) return { applied: false, order };
      throw new IllegalOrderStateError(`Movement on order ${orderId} refused: ${reasons.map((r, i) => `${i}:${r.Code}`).join(' ')}`);
    }
  }
}

function couponItemIndexes(order: Order, first: number): { index: number; code: string; redemption: number; perCustomer: boolean }[] {
  const out: { index: number; code: string; redemption: number; perCustomer: boolean }[] = [];
  let index = first;
  for (const [i, r] of order.couponRedemptions.entries()) {
    out.push({ index: index++, code: r.code, redemption: i, perCustomer: false });
    if (r.perCustomer) out.push({ index: index++, code: r.code, redemption: i, perCustomer: true });
  }
  return out;
}

/** Transactions one placement makes at most while its sharded lines fall over between shards. */
export const RESERVE_ROUNDS = 8;

/** The shards a reservation line took from: its `takes`, or all from shard 0 (an unsharded item). */
export function takesOf(line: StockLine): ShardTake[] {
  return line.takes ?? [{ shard: 0, quantity: line.quantity }];
}

function exhaustedError(codes: string[]): DomainError {
  return new DomainError('COUPON_EXHAUSTED', `Coupon redemption limit reached: ${codes.join(', ')}`, { couponCodes: codes });
}

function shortageError(shortages: Shortage[]): DomainError {
  return new DomainError('INVENTORY_SHORTAGE', `Not enough stock for ${shortages.map((s) => s.sku).join(', ')}`, { shortages });
}

function metaOfShards(shards: readonly ({ shards?: number; shardHighWater?: number } | undefined)[]): ShardMeta {
  const head = shards[0];
  return { shards: head?.shards ?? 1, highWater: Math.max(head?.shardHighWater ?? 1, head?.shards ?? 1, shards.length) };
}
