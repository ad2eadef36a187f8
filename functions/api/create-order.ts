/**
 * POST /v1/orders (customer) — header `Idempotency-Key`; body `{storeId, customerId?, items:[{sku, quantity}],
 * couponCodes?, paymentMethod}` → 201 `{orderId, status: PENDING_PAYMENT, items, pricing (minor units),
 * appliedCoupons, rejectedCoupons, expiresAt, ...}` + Location. Prices the order (pure domain), then
 * reserves stock, redeems coupons and writes the order in ONE conditional transaction, then starts the
 * order Saga's first EXPRESS segment, placeOrder (at least once: its steps are once-only) and emits OrderPlaced plus one
 * CouponRedeemed per applied coupon. Automatic promotions (coupons with `automatic: true`) join the
 * entered codes in the promotions engine (src/domain/pricing.ts); their rules are compiled once per
 * coupon version per container. BALANCE orders are paid by the saga's DebitWallet.
 * Errors (problem+json): 400 VALIDATION_FAILED, IDEMPOTENCY_KEY_REQUIRED; 404 STORE_NOT_FOUND,
 * SKU_NOT_FOUND; 409 INVENTORY_SHORTAGE `{shortages:[{sku, requested, available}]}`,
 * IDEMPOTENCY_KEY_IN_PROGRESS; 422 COUPON_NOT_APPLICABLE, COUPON_EXHAUSTED, CURRENCY_MISMATCH,
 * IDEMPOTENCY_KEY_REUSED. Same key + same body → the same response.
 */
import { callerOf } from '../commons/auth.ts';
import { httpHandler, json, jsonBody } from '../commons/http.ts';
import { idempotentByHeader } from '../commons/idempotency.ts';
import { principalRateLimit } from '../commons/rate-limit.ts';
import { eventBridge, sfn } from '../commons/clients.ts';
import { coupons, masterData, orders } from '../commons/stores.ts';
import { correlateWith } from '../commons/powertools.ts';
import { flushMetrics, recordOrderStatus } from '../commons/metrics.ts';
import { orderView } from '../commons/views.ts';
import { createOrderBodySchema } from '../../src/domain/schemas.ts';
import { priceOrder, RuleCache } from '../../src/domain/pricing.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { buildOrder, orderIdFor } from '../../src/domain/order-factory.ts';
import { placeWithPromotionFallback } from '../../src/orders/place-order.ts';
import { OrderAlreadyExistsError } from '../../src/store/order-store.ts';
import { paymentTimeoutSeconds } from '../../src/config.ts';
import { startSegment } from '../../src/saga/segments.ts';
import { publishEvents } from '../../src/events/publisher.ts';
import { couponsRedeemed, orderPlaced } from '../../src/events/order-events.ts';
import { crashPoint } from '../../src/faults.ts';

/** Compiled promotion rules, kept across invocations of this container (recompiled per coupon version). */
const rules = new RuleCache();

export const handler = httpHandler(
  async (event) => {
    const parsed = jsonBody(event, createOrderBodySchema);
    // The customer is the token's sub; a body customerId is only a consistency check (contract v1.1).
    const { sub } = callerOf(event).principal;
    if (parsed.customerId !== undefined && parsed.customerId !== sub) {
      throw new DomainError('FORBIDDEN', "customerId must be the caller's own (the token's sub)");
    }
    const body = { ...parsed, customerId: sub };
    const codes = body.couponCodes ?? [];
    const [store, entered, automatic, catalog] = await Promise.all([
      masterData.getStore(body.storeId),
      coupons.getMany(codes),
      coupons.automatic(),
      masterData.getCatalogItems(body.items.map((i) => i.sku)),
    ]);
    if (!store) throw new DomainError('STORE_NOT_FOUND', `Store ${body.storeId} does not exist`, { storeId: body.storeId });
    const couponMap = new Map([...automatic.map((c) => [c.code, c] as const), ...entered]);
    const giftSkus = [...couponMap.values()].flatMap((c) => (c.type === 'FREE_ITEM' && c.sku && !catalog.has(c.sku) ? [c.sku] : []));
    if (giftSkus.length > 0) for (const [sku, item] of await masterData.getCatalogItems(giftSkus)) catalog.set(sku, item);

    const now = new Date();
    const timeout = paymentTimeoutSeconds();
    const limits = new Map([...couponMap.values()].flatMap((c) => (c.perCustomerLimit ? [[c.code, c.perCustomerLimit] as const] : [])));
    const orderId = orderIdFor(body.customerId, event.headers['idempotency-key']!);
    // From here on this request's log lines and trace carry the order's correlation id (the saga and the events take it on).
    correlateWith(orderId);
    const order = await placeWithPromotionFallback(
      orders,
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

    // The reservation is durable now; a failure below leaves a PENDING order that the reconciler drives on.
    crashPoint('after-order-transaction');
    await Promise.all([
      // EXPRESS, at least once (no name dedupe): a retried request starts it again, and its steps are once-only.
      startSegment(sfn, 'placeOrder', { orderId: order.orderId }),
      publishEvents(eventBridge, [orderPlaced(order), ...couponsRedeemed(order)]),
    ]);
    crashPoint('after-saga-start');
    return json(201, orderView(order), { location: `/v1/orders/${order.orderId}` });
  },
  flushMetrics(),
  principalRateLimit(),
  ...idempotentByHeader('createOrder'),
);
