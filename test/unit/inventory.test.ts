import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { applySetAvailable, crossedIntoLowStock, inventoryViolations, isLowStock, restockDelta } from '../../src/domain/inventory.ts';

describe('inventoryViolations (invariant 1)', () => {
  it('accepts sound levels', () => {
    expect(inventoryViolations({ available: 0, reserved: 0, sold: 0, stocked: 0 })).toEqual([]);
    expect(inventoryViolations({ available: 5, reserved: 3, sold: 2, stocked: 10 })).toEqual([]);
  });
  it.each([
    [{ available: -1, reserved: 1, sold: 0, stocked: 0 }, /available < 0/],
    [{ available: 1, reserved: -1, sold: 0, stocked: 0 }, /reserved < 0/],
    [{ available: 1, reserved: 0, sold: -1, stocked: 0 }, /sold < 0/],
    [{ available: 5, reserved: 3, sold: 2, stocked: 11 }, /stocked = 11/],
    [{ available: 1.5, reserved: 0, sold: 0, stocked: 1.5 }, /available is not an integer/],
  ])('reports %j', (level, message) => {
    const v = inventoryViolations(level);
    expect(v.length).toBeGreaterThan(0);
    expect(v.join('; ')).toMatch(message);
  });
  it('lists every violation at once', () => {
    expect(inventoryViolations({ available: -1, reserved: -1, sold: -1, stocked: 5 })).toHaveLength(4);
  });
});

describe('restockDelta / applySetAvailable', () => {
  it('restocks by the difference and keeps the invariant', () => {
    const level = { available: 2, reserved: 3, sold: 5, stocked: 10 };
    expect(restockDelta(level, 12)).toBe(10);
    expect(applySetAvailable(level, 12)).toEqual({ available: 12, reserved: 3, sold: 5, stocked: 20 });
  });
  it('treats a lower value as a write-off that lowers stocked too', () => {
    const next = applySetAvailable({ available: 8, reserved: 1, sold: 1, stocked: 10 }, 3);
    expect(next).toEqual({ available: 3, reserved: 1, sold: 1, stocked: 5 });
    expect(inventoryViolations(next)).toEqual([]);
  });
  it.each([-1, 1.5, Number.NaN])('refuses newAvailable %s with VALIDATION_FAILED', (n) => {
    expect(() => restockDelta({ available: 1 }, n)).toThrow(DomainError);
  });
  it('keeps invariant 1 for any sound level and any new available', () => {
    const level = fc
      .tuple(fc.nat(1e7), fc.nat(1e7), fc.nat(1e7))
      .map(([available, reserved, sold]) => ({ available, reserved, sold, stocked: available + reserved + sold }));
    fc.assert(
      fc.property(level, fc.nat(1e7), (l, n) => {
        const next = applySetAvailable(l, n);
        expect(next.available).toBe(n);
        expect(inventoryViolations(next)).toEqual([]);
      }),
    );
  });
});

describe('isLowStock', () => {
  it('is low at or below a positive threshold', () => {
    expect(isLowStock(5, 5)).toBe(true);
    expect(isLowStock(0, 5)).toBe(true);
    expect(isLowStock(6, 5)).toBe(false);
  });
  it('never fires with a threshold of 0', () => {
    expect(isLowStock(0, 0)).toBe(false);
  });
  it('detects the crossing once', () => {
    expect(crossedIntoLowStock(6, 5, 5)).toBe(true);
    expect(crossedIntoLowStock(5, 4, 5)).toBe(false);
    expect(crossedIntoLowStock(10, 7, 5)).toBe(false);
    expect(crossedIntoLowStock(4, 10, 5)).toBe(false);
  });
});
