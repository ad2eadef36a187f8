/**
 * GET /v1/orders/{orderId} → 200 the order with `status` and `history:[{status, at, reason}]`.
 * Errors: 400 VALIDATION_FAILED (id); 404 ORDER_NOT_FOUND.
 */
import { authorize, orderTarget } from '../commons/auth.ts';
import { correlateWith } from '../commons/powertools.ts';
import { httpHandler, json, pathId } from '../commons/http.ts';
import { orders } from '../commons/stores.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { orderView } from '../commons/views.ts';

export const handler = httpHandler(async (event) => {
  const orderId = pathId(event, 'orderId');
  correlateWith(orderId);
  const notFound = () => new DomainError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`, { orderId });
  const order = await orders.get(orderId);
  if (!order) throw notFound();
  await authorize(event, orderTarget(order), notFound);
  return json(200, orderView(order));
});
