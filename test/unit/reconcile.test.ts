/**
 * The reconciler's rules (src/domain/reconcile.ts): which orders it drives, how it finishes them, and
 * when a reservation may be given back. Specification: PRODUCT.md (the Saga, invariants 1-4).
 */
import { describe, expect, it } from 'vitest';
import {
  allOpenShards,
  checkReservation,
  heldByOrders,
  inventorySegmentFor,
  isStuck,
  openShard,
  claimUnfinished,
  sagaNeverStarted,
  staysOpen,
  type StoredOrder,
} from '../../src/domain/reconcile.ts';
import type { OrderStatus } from '../../src/domain/types.ts';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();

function order(overrides: Partial<StoredOrder> = {}): StoredOrder {
  return {
    orderId: 'ord_1',
    storeId: 's1',
    region: 'east',
    customerId: 'c1',
    status: 'PENDING_PAYMENT',
    items: [],
    pricing: { subtotal: 2500, discount: 0, total: 2500, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: 'CARD',
    createdAt: ago(60),
    expiresAt: ago(-840),
    history: [],
    reservation: [{ sku: 'a', quantity: 2 }],
    couponRedemptions: [],
    stockState: 'RESERVED',
    couponsState: 'NONE',
    updatedAt: ago(60),
    ...overrides,
  };
}

describe('open-orders index', () => {
  it('spreads orders over 16 stable shards', () => {
    expect(openShard('ord_1')).toBe(openShard('ord_1'));
    expect(allOpenShards()).toHaveLength(16);
    const seen = new Set(Array.from({ length: 500 }, (_, i) => openShard(`ord_${i}`)));
    expect([...seen].sort()).toEqual(allOpenShards().sort());
  });

  it('keeps only PENDING_PAYMENT and NEEDS_ATTENTION orders', () => {
    const open = (
      ['PENDING_PAYMENT', 'PAID', 'CANCELLED', 'EXPIRED', 'PAYMENT_FAILED', 'REFUNDED', 'NEEDS_ATTENTION', 'FULFILLED'] as OrderStatus[]
    ).filter(staysOpen);
    expect(open).toEqual(['PENDING_PAYMENT', 'NEEDS_ATTENTION']);
  });
});

describe('(a) saga never started', () => {
  it('picks a pending order past the grace period that no saga step has touched', () => {
    expect(sagaNeverStarted(order({ createdAt: ago(31) }), NOW, 30)).toBe(true);
  });

  it('waits for the grace period', () => {
    expect(sagaNeverStarted(order({ createdAt: ago(29) }), NOW, 30)).toBe(false);
  });

  it.each([
    ['a payment intent', { paymentIntentId: 'pi_1' }],
    ['a claim', { claim: 'EXPIRY' as const, claimedAt: ago(5) }],
    ['a closed payment', { paymentClosedAt: ago(5) }],
    ['a final status', { status: 'EXPIRED' as const }],
  ])('leaves an order with %s alone', (_what, overrides) => {
    expect(sagaNeverStarted(order({ createdAt: ago(300), ...overrides }), NOW, 30)).toBe(false);
  });
});

describe('(b) stuck past the deadline', () => {
  it('is stuck only when PENDING_PAYMENT and more than the threshold past expiresAt', () => {
    expect(isStuck(order({ expiresAt: ago(121) }), NOW, 120)).toBe(true);
    expect(isStuck(order({ expiresAt: ago(119) }), NOW, 120)).toBe(false);
    expect(isStuck(order({ expiresAt: ago(900), status: 'NEEDS_ATTENTION' }), NOW, 120)).toBe(false);
  });

  it('leaves a claimed order to its claim (the sweeper or the claim check drives it)', () => {
    expect(isStuck(order({ expiresAt: ago(900), claim: 'PAYMENT', claimedAt: ago(890) }), NOW, 120)).toBe(false);
  });
});

describe('(b) unfinished claims', () => {
  it('restarts the segment of a still-pending order claimed more than the grace period ago', () => {
    expect(claimUnfinished(order({ claim: 'PAYMENT', claimedAt: ago(31) }), NOW, 30)).toBe(true);
    expect(claimUnfinished(order({ claim: 'EXPIRY', claimedAt: ago(31) }), NOW, 30)).toBe(true);
  });

  it('waits for the grace period, and leaves unclaimed or finished orders alone', () => {
    expect(claimUnfinished(order({ claim: 'CANCEL', claimedAt: ago(29) }), NOW, 30)).toBe(false);
    expect(claimUnfinished(order(), NOW, 30)).toBe(false);
    expect(claimUnfinished(order({ status: 'PAID', claim: 'PAYMENT', claimedAt: ago(300) }), NOW, 30)).toBe(false);
  });
});

describe('(c) reservations without a live order', () => {
  const level = (reserved: number, quietFor = 600) => ({
    available: 10 - reserved,
    reserved,
    sold: 0,
    stocked: 10,
    updatedAt: ago(quietFor),
  });

  it("counts the RESERVED stock of the store's open orders, however recent", () => {
    const orders = [
      order({
        orderId: 'o1',
        reservation: [
          { sku: 'a', quantity: 2 },
          { sku: 'b', quantity: 1 },
        ],
        createdAt: ago(900),
      }),
      order({ orderId: 'o2', reservation: [{ sku: 'a', quantity: 3 }], stockState: 'RELEASED', createdAt: ago(900) }),
      order({ orderId: 'o3', storeId: 's2', reservation: [{ sku: 'a', quantity: 4 }], createdAt: ago(900) }),
      order({ orderId: 'o4', reservation: [{ sku: 'a', quantity: 5 }], createdAt: ago(1) }),
    ];
    expect(heldByOrders(orders, 's1', 'a')).toBe(7);
    expect(heldByOrders(orders, 's1', 'b')).toBe(1);
    expect(heldByOrders(orders, 's2', 'b')).toBe(0);
  });

  it('is OK when the open orders hold exactly what is reserved', () => {
    expect(checkReservation(level(2), 2, NOW, 300)).toEqual({ kind: 'OK' });
  });

  it('gives back reserved units no open order holds once the item has been quiet', () => {
    expect(checkReservation(level(3), 1, NOW, 300)).toEqual({ kind: 'LEAKED', excess: 2 });
    expect(checkReservation(level(3), 0, NOW, 300)).toEqual({ kind: 'LEAKED', excess: 3 });
  });

  it('does not judge an item that moved within the quiet period', () => {
    expect(checkReservation(level(3, 100), 0, NOW, 300)).toEqual({ kind: 'NOT_QUIET' });
  });

  it('reports, never repairs, fewer reserved units than open orders hold', () => {
    expect(checkReservation(level(1), 2, NOW, 300)).toMatchObject({ kind: 'MISMATCH' });
  });

  it('reports counters that break invariant 1', () => {
    expect(checkReservation({ ...level(2), stocked: 11 }, 2, NOW, 300)).toMatchObject({
      kind: 'MISMATCH',
      detail: expect.stringContaining('stocked'),
    });
  });

  it('walks every inventory segment in turn, one per run', () => {
    const runs = Array.from({ length: 8 }, (_, i) => inventorySegmentFor(new Date(NOW.getTime() + i * 300_000), 300, 8));
    expect([...runs].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
