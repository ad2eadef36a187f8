/**
 * The one authorization policy (contract v1.1, shared/brief/PRODUCT.md "Identity and access"), pure and
 * exhaustively unit-tested (test/unit/policy.test.ts). The same code runs locally and deployed: the gateway
 * only proves who the caller is; what they may do is decided here with the resource in hand.
 *
 * - A route admits some roles (lib/wiring.ts `auth.roles`) or machine scopes; anyone else: FORBIDDEN.
 * - chainAdmin acts for the whole chain.
 * - A customer acts only on their own orders, wallet and top-ups; anything else of a customer's is
 *   NOT_FOUND (no existence leak); store- or region-scoped things are FORBIDDEN.
 * - storeStaff (and a machine client with a route scope) act for the stores of their assignment;
 *   regionManagers for the stores of their sales region. An order outside that scope is NOT_FOUND; a
 *   store, region or report outside it is FORBIDDEN.
 * Assignments are data (`PUT /v1/staff/{sub}`), never token claims.
 */
import type { RouteAuth, Role } from '../../lib/wiring.ts';
import type { Principal } from './principal.ts';

/** Which stores a storeStaff member (or machine client) and which sales region a regionManager act for. */
export interface Assignment {
  stores: readonly string[];
  region?: string;
}

export const NO_ASSIGNMENT: Assignment = { stores: [] };

/** What a request acts on. `region` of a store is its sales region; undefined when the store is unknown. */
export type Target =
  /** No resource scope beyond the role (catalog, staff, audit, placing an order as oneself). */
  | { kind: 'chain' }
  /** A store's data (inventory, the store itself, its reports and alerts). */
  | { kind: 'store'; storeId: string; region: string | undefined }
  /** A sales region (region reports, region-scoped coupons; `undefined` = chain-wide). */
  | { kind: 'region'; region: string | undefined }
  /** An order: its customer, store and the store's sales region. */
  | { kind: 'order'; customerId: string; storeId: string; region: string }
  /** A customer's wallet and top-ups. */
  | { kind: 'customer'; customerId: string };

export type Decision = 'ALLOW' | 'FORBIDDEN' | 'NOT_FOUND';

/**
 * The roles under which `principal` may call a route with `auth`: its groups the route admits, plus
 * storeStaff for a machine token carrying one of the route's scopes. Empty = FORBIDDEN for the route.
 */
export function routeRoles(auth: RouteAuth, principal: Principal): Role[] {
  if (auth.kind !== 'jwt') return [];
  const granted: Role[] = principal.roles.filter((r) => auth.roles.includes(r));
  if (auth.scopes?.some((s) => principal.scopes.includes(s)) && !granted.includes('storeStaff')) granted.push('storeStaff');
  return granted;
}

function decideAs(role: Role, principal: Principal, assignment: Assignment, target: Target): Decision {
  const ownStore = (storeId: string) => assignment.stores.includes(storeId);
  const ownRegion = (region: string | undefined) => region !== undefined && assignment.region !== undefined && region === assignment.region;
  switch (role) {
    case 'chainAdmin':
      return 'ALLOW';
    case 'customer':
      switch (target.kind) {
        case 'chain':
          return 'ALLOW';
        case 'order':
        case 'customer':
          return target.customerId === principal.sub ? 'ALLOW' : 'NOT_FOUND';
        default:
          return 'FORBIDDEN';
      }
    case 'storeStaff':
      switch (target.kind) {
        case 'chain':
          return 'ALLOW';
        case 'store':
          return ownStore(target.storeId) ? 'ALLOW' : 'FORBIDDEN';
        case 'order':
          return ownStore(target.storeId) ? 'ALLOW' : 'NOT_FOUND';
        case 'customer':
          return 'NOT_FOUND';
        default:
          return 'FORBIDDEN';
      }
    case 'regionManager':
      switch (target.kind) {
        case 'chain':
          return 'ALLOW';
        case 'store':
        case 'region':
          return ownRegion(target.region) ? 'ALLOW' : 'FORBIDDEN';
        case 'order':
          return ownRegion(target.region) ? 'ALLOW' : 'NOT_FOUND';
        case 'customer':
          return 'NOT_FOUND';
      }
  }
}

/**
 * Whether `principal`, acting under `granted` roles (from {@link routeRoles}), may act on `target`:
 * ALLOW if any granted role allows it, else NOT_FOUND if any hides it, else FORBIDDEN.
 */
export function decide(granted: readonly Role[], principal: Principal, assignment: Assignment, target: Target): Decision {
  const decisions = granted.map((role) => decideAs(role, principal, assignment, target));
  if (decisions.includes('ALLOW')) return 'ALLOW';
  return decisions.includes('NOT_FOUND') ? 'NOT_FOUND' : 'FORBIDDEN';
}
