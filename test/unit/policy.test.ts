/**
 * The authorization policy (src/auth/policy.ts) against contract v1.1 (shared/brief/PRODUCT.md "Identity and
 * access"), exhaustively: every role x every kind of target x inside / outside the caller's scope.
 */
import { describe, expect, it } from 'vitest';
import { decide, routeRoles, type Assignment, type Decision, type Target } from '../../src/auth/policy.ts';
import { listClaim, principalFromClaims, type Principal } from '../../src/auth/principal.ts';
import { machineScopes, roles, routes, type Role } from '../../lib/wiring.ts';

const principal = (sub: string, ...r: Role[]): Principal => ({ sub, roles: r, scopes: [] });
const staffA: Assignment = { stores: ['store-a'] };
const managerEast: Assignment = { stores: [], region: 'east' };

const targets = {
  chain: { kind: 'chain' },
  ownStore: { kind: 'store', storeId: 'store-a', region: 'east' },
  otherStoreSameRegion: { kind: 'store', storeId: 'store-b', region: 'east' },
  otherRegionStore: { kind: 'store', storeId: 'store-w', region: 'west' },
  unknownStore: { kind: 'store', storeId: 'store-x', region: undefined },
  ownRegion: { kind: 'region', region: 'east' },
  otherRegion: { kind: 'region', region: 'west' },
  chainWide: { kind: 'region', region: undefined },
  ownOrder: { kind: 'order', customerId: 'c1', storeId: 'store-a', region: 'east' },
  otherCustomersOrderSameStore: { kind: 'order', customerId: 'c2', storeId: 'store-a', region: 'east' },
  orderOtherStoreSameRegion: { kind: 'order', customerId: 'c2', storeId: 'store-b', region: 'east' },
  orderOtherRegion: { kind: 'order', customerId: 'c2', storeId: 'store-w', region: 'west' },
  ownWallet: { kind: 'customer', customerId: 'c1' },
  otherWallet: { kind: 'customer', customerId: 'c2' },
} as const satisfies Record<string, Target>;
type TargetName = keyof typeof targets;

/** Expected decision per role (caller: customer c1, staff of store-a, manager of east, chain admin). */
const expected: Record<Role, Record<TargetName, Decision>> = {
  customer: {
    chain: 'ALLOW',
    ownStore: 'FORBIDDEN',
    otherStoreSameRegion: 'FORBIDDEN',
    otherRegionStore: 'FORBIDDEN',
    unknownStore: 'FORBIDDEN',
    ownRegion: 'FORBIDDEN',
    otherRegion: 'FORBIDDEN',
    chainWide: 'FORBIDDEN',
    ownOrder: 'ALLOW',
    otherCustomersOrderSameStore: 'NOT_FOUND',
    orderOtherStoreSameRegion: 'NOT_FOUND',
    orderOtherRegion: 'NOT_FOUND',
    ownWallet: 'ALLOW',
    otherWallet: 'NOT_FOUND',
  },
  storeStaff: {
    chain: 'ALLOW',
    ownStore: 'ALLOW',
    otherStoreSameRegion: 'FORBIDDEN',
    otherRegionStore: 'FORBIDDEN',
    unknownStore: 'FORBIDDEN',
    ownRegion: 'FORBIDDEN',
    otherRegion: 'FORBIDDEN',
    chainWide: 'FORBIDDEN',
    ownOrder: 'ALLOW',
    otherCustomersOrderSameStore: 'ALLOW',
    orderOtherStoreSameRegion: 'NOT_FOUND',
    orderOtherRegion: 'NOT_FOUND',
    ownWallet: 'NOT_FOUND',
    otherWallet: 'NOT_FOUND',
  },
  regionManager: {
    chain: 'ALLOW',
    ownStore: 'ALLOW',
    otherStoreSameRegion: 'ALLOW',
    otherRegionStore: 'FORBIDDEN',
    unknownStore: 'FORBIDDEN',
    ownRegion: 'ALLOW',
    otherRegion: 'FORBIDDEN',
    chainWide: 'FORBIDDEN',
    ownOrder: 'ALLOW',
    otherCustomersOrderSameStore: 'ALLOW',
    orderOtherStoreSameRegion: 'ALLOW',
    orderOtherRegion: 'NOT_FOUND',
    ownWallet: 'NOT_FOUND',
    otherWallet: 'NOT_FOUND',
  },
  chainAdmin: Object.fromEntries(Object.keys(targets).map((t) => [t, 'ALLOW'])) as Record<TargetName, Decision>,
};

const assignmentFor: Record<Role, Assignment> = {
  customer: { stores: [] },
  storeStaff: staffA,
  regionManager: managerEast,
  chainAdmin: { stores: [] },
};

describe('decide', () => {
  for (const role of roles) {
    for (const [name, target] of Object.entries(targets) as [TargetName, Target][]) {
      it(`${role} on ${name}: ${expected[role][name]}`, () => {
        expect(decide([role], principal('c1', role), assignmentFor[role], target)).toBe(expected[role][name]);
      });
    }
  }

  it('grants nothing without a role the route admits', () => {
    for (const target of Object.values(targets))
      expect(decide([], principal('c1', 'chainAdmin'), { stores: [] }, target)).toBe('FORBIDDEN');
  });

  it('takes the most permissive of several admitted roles (ALLOW over NOT_FOUND over FORBIDDEN)', () => {
    const both = principal('c9', 'customer', 'storeStaff');
    expect(decide(['customer', 'storeStaff'], both, staffA, targets.otherCustomersOrderSameStore)).toBe('ALLOW');
    expect(decide(['customer', 'storeStaff'], both, staffA, targets.orderOtherRegion)).toBe('NOT_FOUND');
    expect(decide(['customer'], both, staffA, targets.ownStore)).toBe('FORBIDDEN');
  });

  it('gives a staff member or manager without an assignment no store and no region', () => {
    expect(decide(['storeStaff'], principal('s', 'storeStaff'), { stores: [] }, targets.ownStore)).toBe('FORBIDDEN');
    expect(decide(['regionManager'], principal('m', 'regionManager'), { stores: [] }, targets.ownRegion)).toBe('FORBIDDEN');
    expect(decide(['regionManager'], principal('m', 'regionManager'), { stores: [] }, targets.unknownStore)).toBe('FORBIDDEN');
  });
});

describe('routeRoles', () => {
  const route = (path: string, method = 'GET') => routes.find((r) => r.path === path && r.method === method)!;

  it('admits only the roles a route lists', () => {
    const catalog = route('/v1/catalog/{sku}', 'PUT');
    expect(routeRoles(catalog.auth, principal('a', 'chainAdmin'))).toEqual(['chainAdmin']);
    expect(routeRoles(catalog.auth, principal('s', 'storeStaff', 'regionManager'))).toEqual([]);
    expect(routeRoles(route('/v1/orders', 'POST').auth, principal('s', 'storeStaff'))).toEqual([]);
  });

  it('lets a machine token act as store staff only on routes naming its scope', () => {
    const pos: Principal = { sub: 'pos-1', roles: [], scopes: [machineScopes.inventoryWrite] };
    expect(routeRoles(route('/v1/stores/{storeId}/inventory/{sku}', 'PUT').auth, pos)).toEqual(['storeStaff']);
    expect(routeRoles(route('/v1/stores/{storeId}/inventory/{sku}').auth, pos)).toEqual(['storeStaff']);
    expect(routeRoles(route('/v1/orders/{orderId}').auth, pos)).toEqual([]);
    const reader: Principal = { sub: 'pos-2', roles: [], scopes: [machineScopes.inventoryRead] };
    expect(routeRoles(route('/v1/stores/{storeId}/inventory/{sku}', 'PUT').auth, reader)).toEqual([]);
  });

  it('admits no principal on the signature-only webhook route', () => {
    expect(routeRoles(route('/v1/payments/webhook/{provider}', 'POST').auth, principal('a', 'chainAdmin'))).toEqual([]);
  });

  it('every route names its owner: JWT routes list at least one role, and only the webhook is signature-only', () => {
    for (const r of routes) {
      if (r.auth.kind === 'jwt') expect(r.auth.roles.length, `${r.method} ${r.path}`).toBeGreaterThan(0);
      else expect(r.path).toBe('/v1/payments/webhook/{provider}');
    }
  });
});

describe('principalFromClaims', () => {
  it('reads groups as a token array or as the HTTP API authorizer string "[a b]"', () => {
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': ['customer', 'chainAdmin'] })?.roles).toEqual(['customer', 'chainAdmin']);
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': '[storeStaff regionManager]' })?.roles).toEqual([
      'storeStaff',
      'regionManager',
    ]);
    expect(principalFromClaims({ sub: 'u1', scope: 'wandian/inventory.read wandian/inventory.write' })?.scopes).toEqual([
      'wandian/inventory.read',
      'wandian/inventory.write',
    ]);
  });

  it('ignores unknown groups and refuses claims without a sub', () => {
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': ['root', 'customer'] })?.roles).toEqual(['customer']);
    expect(principalFromClaims({ 'cognito:groups': ['chainAdmin'] })).toBeUndefined();
    expect(principalFromClaims({ sub: '' })).toBeUndefined();
    expect(principalFromClaims(undefined)).toBeUndefined();
    expect(listClaim(42)).toEqual([]);
  });
});
