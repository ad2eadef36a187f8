/**
 * Live status push, called by the order-status fan-out (functions/events/order-status-fan-out.ts, pipe
 * orderStatusFanOut) for every order status event (OrderPlaced / OrderPaid / OrderCancelled / OrderRefunded /
 * OrderFulfilled / OrderNeedsAttention): the order's *current* status is pushed to the WebSocket subscribers
 * of the order, of its customer and of its store (`order#`, `customer#`, `store#` subjects), at most once per
 * status per connection and never older after newer (src/domain/live-status.ts), so a redelivered batch sends
 * nothing twice; connections answering 410 Gone are dropped. Returns `{sent, skipped, gone}`.
 * Throws when a post fails otherwise, after giving back that subscriber's claim (the batch is retried).
 */
import { connectionsApi } from '../commons/clients.ts';
import { logger } from '../commons/powertools.ts';
import { connections, orders } from '../commons/stores.ts';
import { postWith, pushStatus, type PostToConnection, type PushOutcome } from '../../src/live/status-push.ts';

/** The management API client is made on the first post (an order with no subscribers needs none). */
const post: PostToConnection = (connectionId, data) => postWith(connectionsApi())(connectionId, data);

/** The order's current status to its subscribers; an unknown order pushes nothing. */
export async function pushOrderStatus(orderId: string): Promise<PushOutcome> {
  // The event only says "something changed": the order's current status is what gets pushed.
  const order = await orders.get(orderId);
  if (!order) {
    logger.warn('Status event for an unknown order ignored', { orderId });
    return { sent: 0, skipped: 0, gone: 0 };
  }
  const outcome = await pushStatus(order, connections, post);
  logger.debug('Status pushed', { ...outcome, orderId, status: order.status });
  return outcome;
}
