/**
 * Fan-out of an order's status to its live subscribers (WebSocket connections) through the API Gateway
 * management API. Ordering and duplicates: see src/domain/live-status.ts.
 */
import { PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { currentStatus, subjectsOf } from '../domain/live-status.ts';
import type { Order } from '../domain/types.ts';
import type { ConnectionStore } from '../store/connection-store.ts';

/** 'GONE' when the connection no longer exists (HTTP 410); any other failure throws. */
export type PostResult = 'SENT' | 'GONE';
export type PostToConnection = (connectionId: string, data: string) => Promise<PostResult>;

/** PostToConnection through `client`; maps GoneException (410) to 'GONE'. */
export function postWith(client: ApiGatewayManagementApiClient): PostToConnection {
  return async (connectionId, data) => {
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      return 'SENT';
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'GoneException' || err.$metadata?.httpStatusCode === 410) return 'GONE';
      throw e;
    }
  };
}

export interface PushOutcome {
  /** Messages posted. */
  sent: number;
  /** Subscribers that already had this status or a newer one. */
  skipped: number;
  /** Gone connections removed. */
  gone: number;
}

/**
 * Pushes `order`'s current status `{type: "order.status", orderId, status, at}` (JSON) to every connection
 * subscribed to the order, to its customer or to its store, once per (connection, status version); removes connections
 * that answer 410 Gone. Throws the first other post failure after giving back its claim, so that the
 * event's redelivery sends it again.
 */
export async function pushStatus(order: Order, connections: ConnectionStore, post: PostToConnection): Promise<PushOutcome> {
  const { message, version } = currentStatus(order);
  const data = JSON.stringify(message);
  const outcome: PushOutcome = { sent: 0, skipped: 0, gone: 0 };
  const results = await Promise.allSettled(
    (await connections.subscribers(subjectsOf(order))).map(async ([subject, connectionId]) => {
      if (!(await connections.claim(subject, connectionId, order.orderId, version))) {
        outcome.skipped++;
        return;
      }
      let result: PostResult;
      try {
        result = await post(connectionId, data);
      } catch (e) {
        await connections.release(subject, connectionId, order.orderId, version);
        throw e;
      }
      if (result === 'GONE') {
        await connections.drop(subject, connectionId);
        outcome.gone++;
      } else outcome.sent++;
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return outcome;
}
