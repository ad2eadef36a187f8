/**
 * EventBridge consumer (rule statusToLivePush): OrderPlaced / OrderPaid / OrderCancelled / OrderRefunded /
 * OrderFulfilled / OrderNeedsAttention `{orderId, ...}` → the order's *current* status pushed to the WebSocket subscribers
 * of the order, of its customer and of its store (`order#`, `customer#`, `store#` subjects), at most once per status per connection and never older after newer
 * (src/domain/live-status.ts); connections answering 410 Gone are dropped. Returns `{sent, skipped, gone}`.
 * Throws (→ EventBridge retry) when a post fails otherwise, after giving back that subscriber's claim, and on a
 * detail that does not match its catalog schema.
 */
import { connectionsApi } from '../commons/clients.ts';
import { eventConsumer } from '../commons/event-consumer.ts';
import { logger } from '../commons/powertools.ts';
import { connections, orders } from '../commons/stores.ts';
import { postWith, pushStatus, type PostToConnection, type PushOutcome } from '../../src/live/status-push.ts';
import { rules } from '../../lib/wiring.ts';

/** The management API client is made on the first post (an order with no subscribers needs none). */
const post: PostToConnection = (connectionId, data) => postWith(connectionsApi())(connectionId, data);

export const handler = eventConsumer(rules.statusToLivePush.detailTypes, async ({ detail }): Promise<PushOutcome> => {
  const { orderId } = detail;
  // The event only says "something changed": the order's current status is what gets pushed.
  const order = await orders.get(orderId);
  if (!order) {
    logger.warn('Status event for an unknown order ignored');
    return { sent: 0, skipped: 0, gone: 0 };
  }
  const outcome = await pushStatus(order, connections, post);
  logger.debug('Status pushed', { ...outcome, status: order.status });
  return outcome;
});
