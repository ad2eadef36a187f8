/**
 * POST /v1/orders (customer) — header `Idempotency-Key`; body `{storeId, customerId?, items:[{sku, quantity}],
 * couponCodes?, paymentMethod}` → 201 `{orderId, status: PENDING_PAYMENT, items, pricing (minor units),
 * appliedCoupons, rejectedCoupons, expiresAt, ...}` + Location. Prices the order (pure domain), then
 * reserves stock, redeems coupons and writes the order in ONE conditional transaction, then starts the
 * order Saga's first EXPRESS segment, placeOrder (at least once: its steps are once-only). OrderPlaced and one
 * CouponRedeemed per applied coupon come from the order's write (the outbox, lib/wiring.ts `pipes`). Automatic promotions (coupons with `automatic: true`) join the
 * entered codes in the promotions engine (src/domain/pricing.ts); their rules are compiled once per
 * coupon version per container. BALANCE orders are paid by the saga's DebitWallet.
 * Errors (problem+json): 400 VALIDATION_FAILED, IDEMPOTENCY_KEY_REQUIRED; 404 STORE_NOT_FOUND,
 * SKU_NOT_FOUND; 409 INVENTORY_SHORTAGE `{shortages:[{sku, requested, available}]}`,
 * IDEMPOTENCY_KEY_IN_PROGRESS; 422 COUPON_NOT_APPLICABLE, COUPON_EXHAUSTED, CURRENCY_MISMATCH,
 * IDEMPOTENCY_KEY_REUSED; 503 SERVICE_OVERLOADED (shed before the write: nothing written) and ORDER_IN_DOUBT
 * (the write did not answer in time), both with Retry-After and never stored for replay. Same key + same body →
 * the same response. Once the order transaction has committed the answer is 201, whatever fails after it
 * (functions/commons/deadline.ts; README "Overload and retries").
 */
import { callerOf } from '../commons/auth.ts';
import { httpHandler, json, jsonBody } from '../commons/http.ts';
import { idempotentByHeader } from '../commons/idempotency.ts';
import { principalRateLimit } from '../commons/rate-limit.ts';
import { sfn } from '../commons/clients.ts';
import { cachedMasterData, coupons, orders } from '../commons/stores.ts';
import { correlateWith } from '../commons/powertools.ts';
import { flushMetrics, recordOrderStatus } from '../commons/metrics.ts';
import { orderView } from '../commons/views.ts';
import { createOrderBodySchema } from '../../src/domain/schemas.ts';
import { priceOrder, RuleCache } from '../../src/domain/pricing.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { Order } from '../../src/domain/types.ts';
import { buildOrder, orderIdFor } from '../../src/domain/order-factory.ts';
import { placeWithPromotionFallback } from '../../src/orders/place-order.ts';
import { OrderAlreadyExistsError } from '../../src/store/order-store.ts';
import { paymentTimeoutSeconds } from '../../src/config.ts';
import { startSegment } from '../../src/saga/segments.ts';
import { crashPoint } from '../../src/faults.ts';
import { afterCommit, within, writeAllowanceMs } from '../commons/deadline.ts';

/** Compiled promotion rules, kept across invocations of this container (recompiled per coupon version). */
const rules = new RuleCache();

export const handler = httpHandler(
  async (event, context) => {
    const parsed = jsonBody(event, createOrderBodySchema);
    // The customer is the token's sub; a body customerId is only a consistency check (contract v1.1).
    const { sub } = callerOf(event).principal;
    if (parsed.customerId !== undefined && parsed.customerId !== sub) {
      throw new DomainError('FORBIDDEN', "customerId must be the caller's own (the token's sub)");
    }
    const body = { ...parsed, customerId: sub };
    const codes = body.couponCodes ?? [];
    // Store, catalog and automatic promotions from the per-container cache (a few seconds: what staleness can
    // and cannot cause is in src/store/master-data-cache.ts); entered codes are read fresh.
    const [store, entered, automatic, catalog] = await Promise.all([
      cachedMasterData.store(body.storeId),
      coupons.getMany(codes),
      cachedMasterData.automatic(),
      cachedMasterData.catalogItems(body.items.map((i) => i.sku)),
    ]);
    if (!store) throw new DomainError('STORE_NOT_FOUND', `Store ${body.storeId} does not exist`, { storeId: body.storeId });
    const couponMap = new Map([...automatic.map((c) => [c.code, c] as const), ...entered]);
    const giftSkus = [...couponMap.values()].flatMap((c) => (c.type === 'FREE_ITEM' && c.sku && !catalog.has(c.sku) ? [c.sku] : []));
    if (giftSkus.length > 0) for (const [sku, item] of await cachedMasterData.catalogItems(giftSkus)) catalog.set(sku, item);

    const now = new Date();
    const timeout = paymentTimeoutSeconds();
    const limits = new Map([...couponMap.values()].flatMap((c) => (c.perCustomerLimit ? [[c.code, c.perCustomerLimit] as const] : [])));
    const orderId = orderIdFor(body.customerId, event.headers['idempotency-key']!);
    // From here on this request's log lines and trace carry the order's correlation id (the saga and the events take it on).
    correlateWith(orderId);
    // Load shedding: too little time left for the write and its completion → 503 before writing anything.
    const allowanceMs = writeAllowanceMs(context);
    const order = await placeWithPromotionFallback(
      // Bounded: an answer (201, 4xx or 503 ORDER_IN_DOUBT) always goes out before the Lambda timeout.
      { place: (o, limits, attempt) => within(orders.place(o, limits, attempt), allowanceMs) },
      (exhausted) => {
        const priced = priceOrder({
          lines: body.items,
          catalog,
          couponCodes: codes,
          coupons: entered,
          automatic,
          store,
          exhausted,
          rules,
          now: now.toISOString(),
        });
        return buildOrder({ orderId, body, store, priced, coupons: couponMap, now, paymentTimeoutSeconds: timeout });
      },
      limits,
      codes,
    ).catch(async (e) => {
      // A retry of a request whose first execution wrote the order but never answered: answer with that order.
      const existing = e instanceof OrderAlreadyExistsError ? await orders.get(orderId) : undefined;
      if (!existing || existing.customerId !== body.customerId) throw e;
      return existing;
    });
    recordOrderStatus(order);

    // The reservation is durable now: whatever fails below is logged and the answer stays 201; a PENDING order
    // whose saga did not start is driven on by the reconciler.
    await afterCommit(context, async () => {
      crashPoint('after-order-transaction');
      await postCommit(order);
      crashPoint('after-saga-start');
    });
    return json(201, orderView(order), { location: `/v1/orders/${order.orderId}` });
  },
  flushMetrics(),
  principalRateLimit(),
  ...idempotentByHeader('createOrder'),
);

/** After the commit: start the Saga's placeOrder segment (EXPRESS, at least once: its steps are once-only). */
async function postCommit(order: Order): Promise<void> {
  await startSegment(sfn, 'placeOrder', { orderId: order.orderId });
}
