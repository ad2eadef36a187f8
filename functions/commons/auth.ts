/**
 * Authorization glue for HTTP handlers: who the caller is (claims that API Gateway's JWT authorizer, or the
 * local HTTP layer, verified and put into `requestContext.authorizer.jwt.claims`) and whether they may act
 * on a resource (the pure policy in src/auth/policy.ts, with the caller's staff assignment loaded from the
 * staff table and cached per container for {@link ASSIGNMENT_CACHE_MS}).
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { routeByKey, type Role, type RouteSpec } from '../../lib/wiring.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { principalFromClaims, type Principal } from '../../src/auth/principal.ts';
import { decide, NO_ASSIGNMENT, routeRoles, type Assignment, type Target } from '../../src/auth/policy.ts';
import { masterData, staff } from './stores.ts';
import type { Order } from '../../src/domain/types.ts';
import type { AuditActor } from '../../src/domain/audit.ts';

/** How long a staff assignment is trusted per container (ms): a changed assignment applies within this. */
export const ASSIGNMENT_CACHE_MS = 10_000;

/** A caller of a `jwt` route: the principal and the roles under which the route admits them (never empty). */
export interface Caller {
  principal: Principal;
  roles: readonly Role[];
}

/** An HTTP API event (payload 2.0); the JWT authorizer adds `requestContext.authorizer.jwt.claims`. */
type ClaimsEvent = Pick<APIGatewayProxyEventV2, 'routeKey'> & { requestContext: object };

/** The verified claims of the event, if any. */
export const claimsOf = (event: ClaimsEvent): Record<string, unknown> | undefined =>
  (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } }).authorizer?.jwt?.claims;

/** The wiring route serving this event; throws FORBIDDEN for a route the wiring does not declare (fail closed). */
export function routeOf(event: Pick<APIGatewayProxyEventV2, 'routeKey'>): RouteSpec {
  const route = routeByKey(event.routeKey);
  if (!route) throw new DomainError('FORBIDDEN', 'This route declares no owner');
  return route;
}

/**
 * The caller of a `jwt` route. Throws UNAUTHENTICATED without verified claims (the gateway normally answers
 * that first) and FORBIDDEN when none of the caller's roles or scopes is admitted by the route.
 */
export function callerOf(event: ClaimsEvent): Caller {
  const route = routeOf(event);
  const principal = principalFromClaims(claimsOf(event));
  if (!principal) throw new DomainError('UNAUTHENTICATED', 'A valid bearer token is required');
  const roles = routeRoles(route.auth, principal);
  if (roles.length === 0) throw new DomainError('FORBIDDEN', `${event.routeKey} is not open to this caller's roles`);
  return { principal, roles };
}

/** Checks the route's owner before the handler runs (every API handler goes through it: functions/commons/http.ts). */
export const routeGuard: MiddlewareObj<ClaimsEvent> = {
  before: async (request) => {
    if (routeOf(request.event).auth.kind === 'jwt') callerOf(request.event);
  },
};

const assignments = new Map<string, { value: Assignment; at: number }>();

/**
 * The caller's staff assignment (staff table, cached per container for {@link ASSIGNMENT_CACHE_MS});
 * `{stores: []}` for customers and chain admins (they need none) and for staff without one.
 */
export async function assignmentOf(caller: Caller): Promise<Assignment> {
  if (!caller.roles.some((r) => r === 'storeStaff' || r === 'regionManager')) return NO_ASSIGNMENT;
  const sub = caller.principal.sub;
  const cached = assignments.get(sub);
  if (cached && Date.now() - cached.at < ASSIGNMENT_CACHE_MS) return cached.value;
  const value = (await staff.get(sub)) ?? NO_ASSIGNMENT;
  assignments.set(sub, { value, at: Date.now() });
  return value;
}

/**
 * Requires the caller to be allowed on `target`: returns the caller, throws FORBIDDEN (403), or `notFound()`
 * (404, e.g. ORDER_NOT_FOUND) where the policy hides the resource's existence.
 */
export async function authorize(event: ClaimsEvent, target: Target, notFound: () => DomainError): Promise<Caller> {
  const caller = callerOf(event);
  const decision = decide(caller.roles, caller.principal, await assignmentOf(caller), target);
  if (decision === 'FORBIDDEN') throw new DomainError('FORBIDDEN', "This resource is outside the caller's scope");
  if (decision === 'NOT_FOUND') throw notFound();
  return caller;
}

/** The policy target of an order: its customer, store and the store's sales region. */
export const orderTarget = (order: Pick<Order, 'customerId' | 'storeId' | 'region'>): Target => ({
  kind: 'order',
  customerId: order.customerId,
  storeId: order.storeId,
  region: order.region,
});

/** The policy target of a store's data; its sales region is read from the store (undefined for an unknown store). */
export async function storeTarget(storeId: string): Promise<Target> {
  return { kind: 'store', storeId, region: (await masterData.getStore(storeId))?.region };
}

/** The policy target of a report scope: one store's (read for its region) or one sales region's figures. */
export async function scopeTarget(scope: { storeId: string } | { region: string }): Promise<Target> {
  return 'storeId' in scope ? storeTarget(scope.storeId) : { kind: 'region', region: scope.region };
}

/** The 403 for a resource outside the caller's scope (the policy never hides stores, regions or reports). */
export const outOfScope = (): DomainError => new DomainError('FORBIDDEN', "This resource is outside the caller's scope");

/** The audit actor of a request by `caller`: their sub, the role they acted under (most powerful first), the request id. */
export function auditActor(event: Pick<APIGatewayProxyEventV2, 'requestContext'>, caller: Caller): AuditActor {
  const order: readonly Role[] = ['chainAdmin', 'regionManager', 'storeStaff', 'customer'];
  const role = order.find((r) => caller.principal.roles.includes(r) && caller.roles.includes(r)) ?? 'machine';
  return { actor: caller.principal.sub, role, requestId: event.requestContext.requestId };
}

/** The 404 of a customer's wallet routes: an unknown wallet and someone else's look the same (contract v1.1). */
export const walletNotFound = (customerId: string) => (): DomainError =>
  new DomainError('WALLET_NOT_FOUND', `Customer ${customerId} has no wallet`, { customerId });
