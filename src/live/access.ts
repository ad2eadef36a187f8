/**
 * Who may follow what on the live-status WebSocket (contract v1.1, shared/brief/PRODUCT.md "Identity and
 * access", WebSocket row). Pure: the token was verified before `$connect` runs (deployed by the REQUEST
 * authorizer functions/live/authorize.ts, locally by local/websocket.ts), which hands the handler its
 * context `{sub, groups, scope}`; the decision itself is the one policy of src/auth/policy.ts.
 *
 * - `?orderId=`: the order's customer, storeStaff of its store, regionManager of its region, chainAdmin;
 *   anyone else's order is NOT_FOUND (404), exactly like an unknown order (no existence leak).
 * - `?customerId=`: only the caller's own (`sub`), or a chainAdmin; otherwise FORBIDDEN (403): the
 *   subscription names no stored resource, so there is nothing to hide.
 * - `?storeId=`: storeStaff of that store, regionManager of its sales region, chainAdmin; otherwise
 *   FORBIDDEN (403).
 * A caller with none of the four roles is FORBIDDEN whatever they ask for.
 */
import type { RouteAuth } from '../../lib/wiring.ts';
import { decide, routeRoles, type Assignment, type Decision, type Target } from '../auth/policy.ts';
import { listClaim, principalFromClaims, type Principal } from '../auth/principal.ts';
import type { Order } from '../domain/types.ts';

/** The roles the WebSocket admits at all (scopes of machine tokens are not admitted). */
export const LIVE_STATUS_AUTH: RouteAuth = { kind: 'jwt', roles: ['customer', 'storeStaff', 'regionManager', 'chainAdmin'] };

/**
 * The context a WebSocket REQUEST authorizer returns for verified claims, as API Gateway passes it to the
 * routes of the connection in `requestContext.authorizer` (values must be strings): `sub`, `groups` (the
 * token's `cognito:groups`, space-separated, '' for none) and `scope` (space-separated, '' for none).
 */
export interface LiveAuthorizerContext {
  sub: string;
  groups: string;
  scope: string;
  [key: string]: string;
}

/** The authorizer context of verified token claims `{sub, 'cognito:groups'?, scope?}` (see {@link LiveAuthorizerContext}). */
export function authorizerContext(claims: Record<string, unknown>): LiveAuthorizerContext {
  return {
    sub: typeof claims.sub === 'string' ? claims.sub : '',
    groups: listClaim(claims['cognito:groups']).join(' '),
    scope: listClaim(claims.scope).join(' '),
  };
}

/**
 * The caller from `requestContext.authorizer` of a WebSocket route event (`{principalId?, sub, groups,
 * scope}`); undefined without a non-empty `sub` (no authorizer ran: the handler must refuse, 401).
 */
export function livePrincipal(authorizer: unknown): Principal | undefined {
  if (typeof authorizer !== 'object' || authorizer === null) return undefined;
  const ctx = authorizer as Record<string, unknown>;
  return principalFromClaims({ sub: ctx.sub, 'cognito:groups': ctx.groups, scope: ctx.scope });
}

/** What a subscription is about, as the `$connect` handler found it. */
export type LiveResource =
  /** An order (undefined when no such order exists). */
  | { kind: 'order'; order: Pick<Order, 'customerId' | 'storeId' | 'region'> | undefined }
  /** Every order of a customer. */
  | { kind: 'customer'; customerId: string }
  /** Every order of a store; `region` is the store's sales region (undefined when unknown or not looked up). */
  | { kind: 'store'; storeId: string; region: string | undefined };

/**
 * Whether `principal` (with its staff `assignment`, `{stores: []}` for none) may follow `resource`:
 * ALLOW, FORBIDDEN (403) or NOT_FOUND (404; only for orders: another's order or an unknown one).
 */
export function liveAccess(principal: Principal, assignment: Assignment, resource: LiveResource): Decision {
  const roles = routeRoles(LIVE_STATUS_AUTH, principal);
  if (roles.length === 0) return 'FORBIDDEN';
  switch (resource.kind) {
    case 'order': {
      if (!resource.order) return 'NOT_FOUND';
      const { customerId, storeId, region } = resource.order;
      // A decision of FORBIDDEN cannot leak existence either way, but the contract says 404 for an order.
      return decide(roles, principal, assignment, { kind: 'order', customerId, storeId, region }) === 'ALLOW' ? 'ALLOW' : 'NOT_FOUND';
    }
    case 'customer': {
      const target: Target = { kind: 'customer', customerId: resource.customerId };
      return decide(roles, principal, assignment, target) === 'ALLOW' ? 'ALLOW' : 'FORBIDDEN';
    }
    case 'store': {
      const target: Target = { kind: 'store', storeId: resource.storeId, region: resource.region };
      return decide(roles, principal, assignment, target) === 'ALLOW' ? 'ALLOW' : 'FORBIDDEN';
    }
  }
}

/**
 * Whether deciding on store `storeId` for this caller needs the store's sales region: only a regionManager
 * who is not already allowed as chainAdmin or as storeStaff of that store. Saves a read of the stores table.
 */
export function needsStoreRegion(principal: Principal, assignment: Assignment, storeId: string): boolean {
  const roles = routeRoles(LIVE_STATUS_AUTH, principal);
  if (!roles.includes('regionManager') || roles.includes('chainAdmin')) return false;
  return !(roles.includes('storeStaff') && assignment.stores.includes(storeId));
}
