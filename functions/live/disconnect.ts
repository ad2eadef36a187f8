/** WebSocket `$disconnect` → 200: removes the connection's subscription (a no-op if a push already dropped it). */
import { webSocketHandler } from '../commons/websocket.ts';
import { json } from '../commons/http.ts';
import { connections } from '../commons/stores.ts';

export const handler = webSocketHandler(async (event) => {
  await connections.unsubscribe(event.requestContext.connectionId);
  return json(200, { disconnected: true });
});
