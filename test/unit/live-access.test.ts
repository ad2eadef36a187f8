/** Who may follow what on the live-status WebSocket (src/live/access.ts; PRODUCT.md "Identity and access", WebSocket row). */
import { describe, expect, it } from 'vitest';
import { authorizerContext, liveAccess, livePrincipal, needsStoreRegion, type LiveResource } from '../../src/live/access.ts';
import { NO_ASSIGNMENT, type Assignment } from '../../src/auth/policy.ts';
import type { Principal } from '../../src/auth/principal.ts';
import type { Role } from '../../lib/wiring.ts';
import { toWebSocketEvent } from '../../local/websocket.ts';

const who = (sub: string, ...roles: Role[]): Principal => ({ sub, roles, scopes: [] });
const alice = who('alice', 'customer');
const clerk = who('clerk', 'storeStaff');
const manager = who('manager', 'regionManager');
const admin = who('admin', 'chainAdmin');
const nobody = who('nobody');
const machine: Principal = { sub: 'pos-1', roles: [], scopes: ['wandian/inventory.read', 'wandian/inventory.write'] };
const clerkOf: Assignment = { stores: ['s1'] };
const managerOf: Assignment = { stores: [], region: 'east' };

const aliceOrder: LiveResource = { kind: 'order', order: { customerId: 'alice', storeId: 's1', region: 'east' } };
const bobOrder: LiveResource = { kind: 'order', order: { customerId: 'bob', storeId: 's2', region: 'west' } };
const unknownOrder: LiveResource = { kind: 'order', order: undefined };
const store = (storeId: string, region: string | undefined): LiveResource => ({ kind: 'store', storeId, region });

describe('liveAccess: ?orderId=', () => {
  it('lets the order’s customer, staff of its store, the manager of its region and a chain admin follow it', () => {
    expect(liveAccess(alice, NO_ASSIGNMENT, aliceOrder)).toBe('ALLOW');
    expect(liveAccess(clerk, clerkOf, aliceOrder)).toBe('ALLOW');
    expect(liveAccess(manager, managerOf, aliceOrder)).toBe('ALLOW');
    expect(liveAccess(admin, NO_ASSIGNMENT, bobOrder)).toBe('ALLOW');
  });

  it('answers NOT_FOUND for someone else’s order, exactly as for an unknown one', () => {
    expect(liveAccess(alice, NO_ASSIGNMENT, bobOrder)).toBe('NOT_FOUND');
    expect(liveAccess(alice, NO_ASSIGNMENT, unknownOrder)).toBe('NOT_FOUND');
    expect(liveAccess(clerk, clerkOf, bobOrder)).toBe('NOT_FOUND');
    expect(liveAccess(clerk, NO_ASSIGNMENT, aliceOrder)).toBe('NOT_FOUND');
    expect(liveAccess(manager, managerOf, bobOrder)).toBe('NOT_FOUND');
    expect(liveAccess(admin, NO_ASSIGNMENT, unknownOrder)).toBe('NOT_FOUND');
  });

  it('refuses callers with none of the four roles (machine tokens included) with FORBIDDEN', () => {
    expect(liveAccess(nobody, NO_ASSIGNMENT, aliceOrder)).toBe('FORBIDDEN');
    expect(liveAccess(machine, clerkOf, aliceOrder)).toBe('FORBIDDEN');
  });
});

describe('liveAccess: ?customerId=', () => {
  it('lets a customer follow their own orders and a chain admin anyone’s', () => {
    expect(liveAccess(alice, NO_ASSIGNMENT, { kind: 'customer', customerId: 'alice' })).toBe('ALLOW');
    expect(liveAccess(admin, NO_ASSIGNMENT, { kind: 'customer', customerId: 'alice' })).toBe('ALLOW');
  });

  it('refuses anyone else’s customerId with FORBIDDEN (403, not 404)', () => {
    expect(liveAccess(alice, NO_ASSIGNMENT, { kind: 'customer', customerId: 'bob' })).toBe('FORBIDDEN');
    expect(liveAccess(clerk, clerkOf, { kind: 'customer', customerId: 'alice' })).toBe('FORBIDDEN');
    expect(liveAccess(manager, managerOf, { kind: 'customer', customerId: 'alice' })).toBe('FORBIDDEN');
    expect(liveAccess(nobody, NO_ASSIGNMENT, { kind: 'customer', customerId: 'nobody' })).toBe('FORBIDDEN');
  });
});

describe('liveAccess: ?storeId=', () => {
  it('lets staff of the store, the manager of its region and a chain admin follow it', () => {
    expect(liveAccess(clerk, clerkOf, store('s1', undefined))).toBe('ALLOW');
    expect(liveAccess(manager, managerOf, store('s1', 'east'))).toBe('ALLOW');
    expect(liveAccess(admin, NO_ASSIGNMENT, store('s9', undefined))).toBe('ALLOW');
  });

  it('refuses another store, another region, an unknown store’s region, customers and role-less callers with FORBIDDEN', () => {
    expect(liveAccess(clerk, clerkOf, store('s2', 'east'))).toBe('FORBIDDEN');
    expect(liveAccess(clerk, NO_ASSIGNMENT, store('s1', 'east'))).toBe('FORBIDDEN');
    expect(liveAccess(manager, managerOf, store('s2', 'west'))).toBe('FORBIDDEN');
    expect(liveAccess(manager, managerOf, store('s404', undefined))).toBe('FORBIDDEN');
    expect(liveAccess(manager, NO_ASSIGNMENT, store('s1', 'east'))).toBe('FORBIDDEN');
    expect(liveAccess(alice, NO_ASSIGNMENT, store('s1', 'east'))).toBe('FORBIDDEN');
    expect(liveAccess(nobody, clerkOf, store('s1', 'east'))).toBe('FORBIDDEN');
  });

  it('reads the store’s region only for a region manager not already allowed otherwise', () => {
    expect(needsStoreRegion(manager, managerOf, 's1')).toBe(true);
    expect(needsStoreRegion(who('both', 'storeStaff', 'regionManager'), { stores: ['s1'], region: 'east' }, 's1')).toBe(false);
    expect(needsStoreRegion(who('both', 'storeStaff', 'regionManager'), { stores: ['s1'], region: 'east' }, 's2')).toBe(true);
    expect(needsStoreRegion(who('boss', 'regionManager', 'chainAdmin'), managerOf, 's1')).toBe(false);
    expect(needsStoreRegion(clerk, clerkOf, 's2')).toBe(false);
    expect(needsStoreRegion(alice, NO_ASSIGNMENT, 's1')).toBe(false);
  });
});

describe('authorizer context', () => {
  it('is {sub, groups, scope} as strings, space-separated, from verified claims', () => {
    expect(
      authorizerContext({ sub: 'alice', 'cognito:groups': ['customer', 'storeStaff'], scope: 'aws.cognito.signin.user.admin', iss: 'x' }),
    ).toEqual({
      sub: 'alice',
      groups: 'customer storeStaff',
      scope: 'aws.cognito.signin.user.admin',
    });
    expect(authorizerContext({ sub: 'pos-1' })).toEqual({ sub: 'pos-1', groups: '', scope: '' });
  });

  it('gives back the principal in the handler, and none without a sub (no authorizer ran)', () => {
    expect(livePrincipal({ principalId: 'alice', sub: 'alice', groups: 'customer storeStaff', scope: '' })).toEqual({
      sub: 'alice',
      roles: ['customer', 'storeStaff'],
      scopes: [],
    });
    expect(livePrincipal({ sub: 'x', groups: 'customer unknownGroup', scope: 'wandian/inventory.read' })).toEqual({
      sub: 'x',
      roles: ['customer'],
      scopes: ['wandian/inventory.read'],
    });
    expect(livePrincipal(undefined)).toBeUndefined();
    expect(livePrincipal({ principalId: 'x', groups: 'chainAdmin' })).toBeUndefined();
    expect(livePrincipal({ sub: '', groups: 'chainAdmin' })).toBeUndefined();
  });

  it('rides on every route event of the connection locally, as API Gateway passes a REQUEST authorizer’s context', () => {
    const authorizer = { principalId: 'alice', ...authorizerContext({ sub: 'alice', 'cognito:groups': ['customer'] }) };
    const disconnect = toWebSocketEvent('$disconnect', 'conn=', 0, undefined, { statusCode: 1000, reason: '' }, authorizer) as {
      requestContext: { authorizer?: unknown };
    };
    expect(disconnect.requestContext.authorizer).toEqual({ principalId: 'alice', sub: 'alice', groups: 'customer', scope: '' });
    expect(livePrincipal(disconnect.requestContext.authorizer)).toEqual({ sub: 'alice', roles: ['customer'], scopes: [] });
  });
});
