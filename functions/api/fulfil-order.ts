/**
 * POST /v1/orders/{orderId}/fulfil (store operator hands the order over) → 200 the order, now FULFILLED,
 * with a history entry (reason STORE_HANDOVER); OrderFulfilled (timeToFulfilMs: paid → fulfilled, ms) comes
 * from that change (the outbox, lib/wiring.ts `pipes`). The transition is conditional (PAID only, once).
 * Errors: 400 VALIDATION_FAILED (id); 404 ORDER_NOT_FOUND; 409 ORDER_NOT_FULFILLABLE `{orderId, status}`
 * for any order that is not PAID (or whose refund has begun), FULFILLED included.
 * Audited ('order.fulfil', status PAID → FULFILLED) in the same transaction as the hand-over; a refused one writes no record.
 */
import { authorize, orderTarget } from '../commons/auth.ts';
import { correlateWith } from '../commons/powertools.ts';
import { httpHandler, json, pathId } from '../commons/http.ts';
import { orders } from '../commons/stores.ts';
import { orderView } from '../commons/views.ts';
import { auditAs } from '../commons/audit.ts';
import type { OrderFacts } from '../../src/store/order-store.ts';
import { DomainError } from '../../src/domain/errors.ts';

export const handler = httpHandler(async (event) => {
  const orderId = pathId(event, 'orderId');
  correlateWith(orderId);
  const notFound = () => new DomainError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`, { orderId });
  const current = await orders.get(orderId);
  if (!current) throw notFound();
  const caller = await authorize(event, orderTarget(current), notFound);
  const now = new Date().toISOString();
  const audit = auditAs<OrderFacts>(
    event,
    caller,
    { action: 'order.fulfil', target: { type: 'order', id: orderId }, storeId: current.storeId },
    now,
  );
  const result = await orders.fulfil(orderId, now, audit);
  if (!result) throw notFound();
  const { applied, order } = result;
  if (!applied) {
    throw new DomainError('ORDER_NOT_FULFILLABLE', `Order ${orderId} is ${order.status}; only a PAID order can be fulfilled`, {
      orderId,
      status: order.status,
    });
  }
  return json(200, orderView(order));
});
