/**
 * POST /v1/orders — header `Idempotency-Key`; body `{storeId, customerId, items:[{sku, quantity}],
 * couponCodes?, paymentMethod}` → 201 `{orderId, status: PENDING_PAYMENT, items, pricing (minor units),
 * appliedCoupons, rejectedCoupons, expiresAt, ...}` + Location. Prices the order (pure domain), then
 * reserves stock, redeems coupons and writes the order in ONE conditional transaction, then starts the
 * order Saga (execution name = orderId, so a repeated start is a no-op) and emits OrderPlaced.
 * Errors (problem+json): 400 VALIDATION_FAILED, IDEMPOTENCY_KEY_REQUIRED; 404 STORE_NOT_FOUND,
 * SKU_NOT_FOUND; 409 INVENTORY_SHORTAGE `{shortages:[{sku, requested, available}]}`,
 * IDEMPOTENCY_KEY_IN_PROGRESS; 422 COUPON_NOT_APPLICABLE, COUPON_EXHAUSTED, CURRENCY_MISMATCH,
 * PAYMENT_METHOD_UNAVAILABLE, IDEMPOTENCY_KEY_REUSED. Same key + same body → the same response.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ulid } from 'ulid';
import { httpHandler, json, jsonBody } from '../commons/http.ts';
import { idempotentByHeader } from '../commons/idempotency.ts';
import { eventBridge, sfn } from '../commons/clients.ts';
import { coupons, masterData, orders } from '../commons/stores.ts';
import { logger } from '../commons/powertools.ts';
import { orderView } from '../commons/views.ts';
import { createOrderBodySchema } from '../../src/domain/schemas.ts';
import { priceOrder } from '../../src/domain/pricing.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { buildOrder } from '../../src/domain/order-factory.ts';
import { paymentTimeoutSeconds, stateMachineArn } from '../../src/config.ts';
import { publishEvents } from '../../src/events/publisher.ts';
import { orderPlaced } from '../../src/events/order-events.ts';

export const handler = httpHandler(async (event) => {
  const body = jsonBody(event, createOrderBodySchema);
  if (body.paymentMethod === 'BALANCE') {
    throw new DomainError('PAYMENT_METHOD_UNAVAILABLE', 'BALANCE (wallet) payments are not available yet');
  }
  const codes = body.couponCodes ?? [];
  const [store, couponMap, catalog] = await Promise.all([
    masterData.getStore(body.storeId),
    coupons.getMany(codes),
    masterData.getCatalogItems(body.items.map((i) => i.sku)),
  ]);
  if (!store) throw new DomainError('STORE_NOT_FOUND', `Store ${body.storeId} does not exist`, { storeId: body.storeId });
  const giftSkus = [...couponMap.values()].flatMap((c) => (c.type === 'FREE_ITEM' && c.sku && !catalog.has(c.sku) ? [c.sku] : []));
  if (giftSkus.length > 0) for (const [sku, item] of await masterData.getCatalogItems(giftSkus)) catalog.set(sku, item);

  const now = new Date();
  const priced = priceOrder({ lines: body.items, catalog, couponCodes: codes, coupons: couponMap, now: now.toISOString() });
  const timeout = paymentTimeoutSeconds();
  const order = buildOrder({ orderId: `ord_${ulid()}`, body, store, priced, coupons: couponMap, now, paymentTimeoutSeconds: timeout });
  logger.appendKeys({ orderId: order.orderId });

  const limits = new Map([...couponMap.values()].flatMap((c) => (c.perCustomerLimit ? [[c.code, c.perCustomerLimit] as const] : [])));
  await orders.place(order, limits);

  // The reservation is durable now; a failure below leaves a PENDING order that the reconciler drives on.
  await Promise.all([
    sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stateMachineArn('orderSaga'),
        name: order.orderId,
        input: JSON.stringify({ orderId: order.orderId, paymentTimeoutSeconds: timeout }),
      }),
    ),
    publishEvents(eventBridge, [orderPlaced(order)]),
  ]);
  return json(201, orderView(order), { location: `/v1/orders/${order.orderId}` });
}, ...idempotentByHeader('createOrder'));
