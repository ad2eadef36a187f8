/**
 * POST /v1/orders/{orderId}/cancel → 202 `{orderId, action: CANCEL | REFUND}`.
 * Before payment: CLAIMS the unpaid order for CANCEL with one conditional write (src/domain/order-claim.ts; it
 * races the webhook and the expiry) and starts compensateOrder (→ CANCELLED). After payment (or once a payment
 * has claimed the order): starts the refund Saga (EXPRESS, → REFUNDED with restock). Repeating a cancel is
 * harmless: a repeated start re-runs once-only steps.
 * A refund request is first marked on the order (`refundRequestedAt`, conditional: the order can no longer
 * be fulfilled); when an operator (not the order's customer) asks, that marking carries the audit record
 * ('order.refund', the status before) in the same transaction, so each refund request that changed the order
 * is recorded once, and a refused one (409) not at all.
 * Errors: 400 VALIDATION_FAILED (id); 404 ORDER_NOT_FOUND; 409 ORDER_NOT_CANCELLABLE, CONCURRENT_UPDATE.
 */
import { authorize, orderTarget } from '../commons/auth.ts';
import { correlateWith } from '../commons/powertools.ts';
import { httpHandler, json, pathId } from '../commons/http.ts';
import { orders } from '../commons/stores.ts';
import { sfn } from '../commons/clients.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { cancellationKind, isRefundable } from '../../src/domain/order-status.ts';
import { advanceOrder, startSegment } from '../../src/saga/segments.ts';
import { auditAs } from '../commons/audit.ts';
import type { OrderFacts } from '../../src/store/order-store.ts';

export const handler = httpHandler(async (event) => {
  const orderId = pathId(event, 'orderId');
  correlateWith(orderId);
  const notFound = () => new DomainError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`, { orderId });
  const order = await orders.get(orderId);
  if (!order) throw notFound();
  const caller = await authorize(event, orderTarget(order), notFound);
  const notCancellable = () =>
    new DomainError('ORDER_NOT_CANCELLABLE', `Order ${orderId} is ${order.status}`, { orderId, status: order.status });

  let kind = cancellationKind(order.status);
  if (kind === 'CANCEL') {
    // The claim: won only while still unpaid and unclaimed (a repeat finds its own claim); the saga changes the status.
    const requested = await orders.requestCancel(orderId, new Date().toISOString());
    if (requested) {
      await advanceOrder(sfn, requested); // compensateOrder {claim: CANCEL}
      return json(202, { orderId, action: 'CANCEL', status: requested.status });
    }
    const now = await orders.get(orderId);
    // A payment claimed the order first: too late to cancel, but a refund may be.
    kind = now && isRefundable(now) ? 'REFUND' : null;
  }
  if (kind !== 'REFUND') throw notCancellable();
  // The refund saga starts asynchronously (its BeginRefund claims the order later), so the operator's request
  // is audited where it changes the order now: the conditional refund marker, the smallest write that both
  // records the request exactly once and happens only when the order is still refundable. A repeated request
  // (marker already set) writes nothing and just makes sure the saga runs.
  const at = new Date().toISOString();
  const operator = caller.principal.sub !== order.customerId;
  const audit = operator
    ? auditAs<OrderFacts>(event, caller, { action: 'order.refund', target: { type: 'order', id: orderId }, storeId: order.storeId }, at)
    : undefined;
  if ((await orders.requestRefund(orderId, at, audit)) === 'NOT_REFUNDABLE') throw notCancellable();
  await startSegment(sfn, 'refundSaga', { orderId });
  return json(202, { orderId, action: 'REFUND', status: order.status });
});
