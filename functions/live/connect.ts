/**
 * WebSocket `$connect` — query `?orderId=<id>` (that order's status changes) or `?customerId=<id>`
 * (every order of that customer) → 200 and a subscription row (connections table, expires after 2 h).
 * Refused with 400 VALIDATION_FAILED (neither or both, or a malformed id) or 404 ORDER_NOT_FOUND.
 * Messages then arrive as `{type: "order.status", orderId, status, at}` (PRODUCT.md).
 */
import { webSocketHandler } from '../commons/websocket.ts';
import { json } from '../commons/http.ts';
import { connections, orders } from '../commons/stores.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { subscriptionFrom } from '../../src/domain/live-status.ts';

export const handler = webSocketHandler(async (event) => {
  const subscription = subscriptionFrom(event.queryStringParameters);
  if (subscription.kind === 'order' && !(await orders.get(subscription.orderId))) {
    throw new DomainError('ORDER_NOT_FOUND', `Order ${subscription.orderId} does not exist`, { orderId: subscription.orderId });
  }
  await connections.subscribe(subscription.subject, event.requestContext.connectionId, new Date());
  return json(200, { subscribed: subscription.subject });
});
