/**
 * Stock arithmetic for one (store, SKU), in units of stock (PRODUCT.md invariant 1 and
 * PUT /v1/stores/{storeId}/inventory/{sku}). Pure helpers; the conditional writes live in the store layer.
 */
import { DomainError } from './errors.ts';

/** The four counters of a (store, SKU), in units of stock. */
export interface StockCounts {
  available: number;
  reserved: number;
  sold: number;
  stocked: number;
}

/**
 * Lists what breaks invariant 1 (PRODUCT.md): every counter an integer, available ≥ 0, reserved ≥ 0,
 * sold ≥ 0, available + reserved + sold = stocked. Returns [] when the level is sound.
 */
export function inventoryViolations(level: StockCounts): string[] {
  const out: string[] = [];
  for (const key of ['available', 'reserved', 'sold', 'stocked'] as const) {
    if (!Number.isSafeInteger(level[key])) out.push(`${key} is not an integer (${level[key]})`);
  }
  if (level.available < 0) out.push(`available < 0 (${level.available})`);
  if (level.reserved < 0) out.push(`reserved < 0 (${level.reserved})`);
  if (level.sold < 0) out.push(`sold < 0 (${level.sold})`);
  const sum = level.available + level.reserved + level.sold;
  if (sum !== level.stocked) out.push(`available + reserved + sold = ${sum} but stocked = ${level.stocked}`);
  return out;
}

/**
 * Units to add to both `available` and `stocked` when an operator sets `available` to
 * `newAvailable` (PUT inventory "set or restock"). Positive = restock; negative = a write-off,
 * which lowers `stocked` too so invariant 1 keeps holding; reserved and sold are never touched.
 * Throws DomainError VALIDATION_FAILED when `newAvailable` is not an integer ≥ 0.
 */
export function restockDelta(current: { available: number }, newAvailable: number): number {
  if (!Number.isSafeInteger(newAvailable) || newAvailable < 0) {
    throw new DomainError('VALIDATION_FAILED', 'available must be an integer >= 0', {
      errors: [{ path: 'available', message: 'Must be an integer >= 0' }],
    });
  }
  return newAvailable - current.available;
}

/** The counters after `restockDelta` is applied: available = newAvailable, stocked moves by the same delta. */
export function applySetAvailable<T extends StockCounts>(level: T, newAvailable: number): T {
  const delta = restockDelta(level, newAvailable);
  return { ...level, available: level.available + delta, stocked: level.stocked + delta };
}

/**
 * True when a (store, SKU) is low on stock: `available <= threshold` with `threshold > 0`
 * (a threshold of 0 switches alerts off). Units of stock. Source: PRODUCT.md (low-stock alerts).
 */
export function isLowStock(available: number, threshold: number): boolean {
  return threshold > 0 && available <= threshold;
}

/**
 * True when a change of `available` from `before` to `after` crosses into low stock
 * (not low before, low after), so InventoryLow fires once per crossing (PRODUCT.md Events).
 */
export function crossedIntoLowStock(before: number, after: number, threshold: number): boolean {
  return !isLowStock(before, threshold) && isLowStock(after, threshold);
}
