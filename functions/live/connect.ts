/**
 * WebSocket `$connect` (contract v1.1, shared/brief/PRODUCT.md "Identity and access", WebSocket row). The
 * connect carries `?token=<access token>`, verified before this handler runs (deployed: the REQUEST
 * authorizer functions/live/authorize.ts; locally: local/websocket.ts), which hands it
 * `requestContext.authorizer` `{principalId, sub, groups, scope}`. Query, besides `token`, exactly one of:
 * - `?orderId=<id>`: that order's status changes (its customer, storeStaff of its store, regionManager of its
 *   region, chainAdmin);
 * - `?customerId=<id>`: every order of that customer (the customer themself, or chainAdmin);
 * - `?storeId=<id>`: every order of that store (storeStaff of it, regionManager of its region, chainAdmin).
 * → 200 and a subscription row (connections table, expires after 2 h). Refused (the handshake fails with the
 * status and a problem+json body) with 400 VALIDATION_FAILED (no subject, several, or a malformed id),
 * 401 UNAUTHENTICATED (no authorizer context), 403 FORBIDDEN (someone else's customerId, a store outside the
 * caller's scope, a caller with none of the four roles), 404 ORDER_NOT_FOUND (an unknown order, or one the
 * caller may not see: the same answer). The decision is src/live/access.ts with the caller's staff
 * assignment (staff table). Messages then arrive as `{type: "order.status", orderId, status, at}`.
 */
import { webSocketHandler } from '../commons/websocket.ts';
import { json } from '../commons/http.ts';
import { assignmentOf } from '../commons/auth.ts';
import { connections, masterData, orders } from '../commons/stores.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { subscriptionFrom } from '../../src/domain/live-status.ts';
import { routeRoles } from '../../src/auth/policy.ts';
import { LIVE_STATUS_AUTH, liveAccess, livePrincipal, needsStoreRegion, type LiveResource } from '../../src/live/access.ts';

export const handler = webSocketHandler(async (event) => {
  const principal = livePrincipal((event.requestContext as { authorizer?: unknown }).authorizer);
  if (!principal) throw new DomainError('UNAUTHENTICATED', 'Connect with ?token=<access token>');
  const subscription = subscriptionFrom(event.queryStringParameters);
  const assignment = await assignmentOf({ principal, roles: routeRoles(LIVE_STATUS_AUTH, principal) });
  let resource: LiveResource;
  switch (subscription.kind) {
    case 'order':
      resource = { kind: 'order', order: await orders.get(subscription.orderId) };
      break;
    case 'customer':
      resource = { kind: 'customer', customerId: subscription.customerId };
      break;
    case 'store': {
      // Only a regionManager's decision depends on the store's region; nobody else costs a read.
      const region = needsStoreRegion(principal, assignment, subscription.storeId)
        ? (await masterData.getStore(subscription.storeId))?.region
        : undefined;
      resource = { kind: 'store', storeId: subscription.storeId, region };
      break;
    }
  }
  const decision = liveAccess(principal, assignment, resource);
  if (decision === 'NOT_FOUND' && subscription.kind === 'order') {
    throw new DomainError('ORDER_NOT_FOUND', `Order ${subscription.orderId} does not exist`, { orderId: subscription.orderId });
  }
  if (decision !== 'ALLOW') throw new DomainError('FORBIDDEN', `Not allowed to follow ${subscription.subject}`);
  await connections.subscribe(subscription.subject, event.requestContext.connectionId, new Date());
  return json(200, { subscribed: subscription.subject });
});
