/**
 * EventBridge consumer (rule statusToLivePush): OrderPlaced / OrderPaid / OrderCancelled / OrderRefunded /
 * OrderFulfilled / OrderNeedsAttention `{orderId, ...}` → the order's *current* status pushed to the WebSocket subscribers
 * of the order, of its customer and of its store (`order#`, `customer#`, `store#` subjects), at most once per status per connection and never older after newer
 * (src/domain/live-status.ts); connections answering 410 Gone are dropped. Returns `{sent, skipped, gone}`.
 * Throws (→ EventBridge retry) when a post fails otherwise, after giving back that subscriber's claim.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { connectionsApi } from '../commons/clients.ts';
import { logger } from '../commons/powertools.ts';
import { connections, orders } from '../commons/stores.ts';
import { idSchema } from '../../src/domain/schemas.ts';
import { postWith, pushStatus, type PostToConnection, type PushOutcome } from '../../src/live/status-push.ts';

const detailSchema = z.looseObject({ orderId: idSchema });
/** The management API client is made on the first post (an order with no subscribers needs none). */
const post: PostToConnection = (connectionId, data) => postWith(connectionsApi())(connectionId, data);

export const handler = middy<EventBridgeEvent<string, unknown>, PushOutcome>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const { orderId } = detailSchema.parse(event.detail);
    logger.appendKeys({ orderId, eventType: event['detail-type'] });
    const order = await orders.get(orderId);
    if (!order) {
      logger.warn('Status event for an unknown order ignored');
      return { sent: 0, skipped: 0, gone: 0 };
    }
    const outcome = await pushStatus(order, connections, post);
    logger.debug('Status pushed', { ...outcome, status: order.status });
    return outcome;
  });
