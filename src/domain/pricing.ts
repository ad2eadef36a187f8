/**
 * Order pricing and the promotions engine (PRODUCT.md API contract v1: POST /v1/orders and its
 * coupon rules). Pure: the caller loads catalog items and coupons and passes them in.
 * Money is integer minor units throughout; no floats are ever produced.
 */
import { DomainError } from './errors.ts';
import type { AppliedCoupon, CatalogItem, Coupon, OrderLine, Pricing, RejectedCoupon } from './types.ts';

export interface PriceOrderRequest {
  /** Requested lines; quantity in units of stock. */
  lines: ReadonlyArray<{ sku: string; quantity: number }>;
  /** Catalog items by sku: every ordered sku and every FREE_ITEM gift sku that should be priceable. */
  catalog: ReadonlyMap<string, CatalogItem>;
  /** Coupon codes the customer entered (order and duplicates do not matter). */
  couponCodes: ReadonlyArray<string>;
  /** Coupons by code, as stored (with their `redemptions` counter). */
  coupons: ReadonlyMap<string, Coupon>;
  /** Current time, ISO-8601 UTC. */
  now: string;
}

export interface FreeItem {
  sku: string;
  /** Units of stock to reserve as a gift. */
  quantity: number;
}

export interface PricedOrder {
  items: OrderLine[];
  pricing: Pricing;
  /** Coupons used, in application order (PERCENT_OFF, AMOUNT_OFF, FREE_ITEM; code order within a type). */
  appliedCoupons: AppliedCoupon[];
  /** Valid coupons left out by the stacking rules, in code order. */
  rejectedCoupons: RejectedCoupon[];
  /** Gifts of the applied FREE_ITEM coupons, merged by sku, in sku order. */
  freeItems: FreeItem[];
}

/** Why a coupon code is not applicable; sent as `reason` next to `couponCode` in the error. */
export type CouponRejection = 'NOT_FOUND' | 'NOT_YET_VALID' | 'EXPIRED' | 'MIN_SUBTOTAL_NOT_MET' | 'CURRENCY_MISMATCH' | 'GIFT_SKU_NOT_FOUND';

/** Plain code-unit order, independent of locale. */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Checks one coupon against the order. Returns nothing when it may be used; throws
 * COUPON_NOT_APPLICABLE (extra `{couponCode, reason}`) when it does not exist, `now` is before
 * `validFrom` or at/after `validTo` (validFrom inclusive, validTo exclusive), its `currency`
 * differs from the order's, the subtotal (minor units) is below `minSubtotal`, or its gift sku
 * is not in the catalog / not in the order's currency; throws COUPON_EXHAUSTED when
 * `redemptions >= maxRedemptions` (a fast pre-check: the database transaction stays the authority).
 * `perCustomerLimit` needs the customer's history and is left to the transaction.
 * Source: PRODUCT.md API contract v1 (POST /v1/orders errors, field notes on coupons).
 */
export function checkCoupon(
  code: string,
  coupon: Coupon | undefined,
  order: { subtotal: number; currency: string; now: string; catalog: ReadonlyMap<string, CatalogItem> },
): asserts coupon is Coupon {
  const notApplicable = (reason: CouponRejection, detail: string): never => {
    throw new DomainError('COUPON_NOT_APPLICABLE', `Coupon ${code}: ${detail}`, { couponCode: code, reason });
  };
  if (!coupon) return notApplicable('NOT_FOUND', 'does not exist');
  const now = Date.parse(order.now);
  if (coupon.validFrom !== undefined && now < Date.parse(coupon.validFrom)) notApplicable('NOT_YET_VALID', 'is not valid yet');
  if (coupon.validTo !== undefined && now >= Date.parse(coupon.validTo)) notApplicable('EXPIRED', 'has expired');
  if (coupon.currency !== undefined && coupon.currency !== order.currency) {
    notApplicable('CURRENCY_MISMATCH', `is in ${coupon.currency}, the order is in ${order.currency}`);
  }
  if (coupon.minSubtotal !== undefined && order.subtotal < coupon.minSubtotal) {
    notApplicable('MIN_SUBTOTAL_NOT_MET', `needs a subtotal of at least ${coupon.minSubtotal}`);
  }
  if (coupon.type === 'FREE_ITEM') {
    const gift = coupon.sku === undefined ? undefined : order.catalog.get(coupon.sku);
    if (!gift) notApplicable('GIFT_SKU_NOT_FOUND', `gift sku ${coupon.sku ?? '(none)'} is not in the catalog`);
    else if (gift.currency !== order.currency) notApplicable('CURRENCY_MISMATCH', `gift sku ${gift.sku} is priced in ${gift.currency}`);
  }
  if (coupon.maxRedemptions !== undefined && coupon.redemptions >= coupon.maxRedemptions) {
    throw new DomainError('COUPON_EXHAUSTED', `Coupon ${code} has reached its redemption limit`, { couponCode: code });
  }
}

/** floor(base * percent / 100) in exact integer arithmetic (BigInt, so no float rounding). */
export function percentOf(base: number, percent: number): number {
  return Number((BigInt(base) * BigInt(percent)) / 100n);
}

const typeRank: Record<Coupon['type'], number> = { PERCENT_OFF: 0, AMOUNT_OFF: 1, FREE_ITEM: 2 };

interface Combination {
  applied: AppliedCoupon[];
  discount: number;
  giftValue: number;
  freeItems: FreeItem[];
  codes: string[]; // sorted
}

/**
 * Applies a set of coupons to `subtotal` (minor units). Rule: PERCENT_OFF coupons first, each on the
 * full subtotal (not on what earlier coupons left), floor(subtotal * percentOff / 100) capped by its
 * maxDiscount; then AMOUNT_OFF coupons take min(amountOff, remaining); FREE_ITEM takes 0 and adds
 * its gift. Every coupon is also capped by what remains, so the discount never exceeds the subtotal.
 */
function applyCombination(subtotal: number, coupons: Coupon[], catalog: ReadonlyMap<string, CatalogItem>): Combination {
  const ordered = [...coupons].sort((a, b) => typeRank[a.type] - typeRank[b.type] || byString(a.code, b.code));
  let remaining = subtotal;
  let giftValue = 0;
  const gifts = new Map<string, number>();
  const applied: AppliedCoupon[] = [];
  for (const c of ordered) {
    let off = 0;
    if (c.type === 'PERCENT_OFF') {
      off = percentOf(subtotal, c.percentOff ?? 0);
      if (c.maxDiscount !== undefined) off = Math.min(off, c.maxDiscount);
    } else if (c.type === 'AMOUNT_OFF') {
      off = c.amountOff ?? 0;
    } else if (c.sku !== undefined && c.quantity !== undefined) {
      gifts.set(c.sku, (gifts.get(c.sku) ?? 0) + c.quantity);
      giftValue += (catalog.get(c.sku)?.unitPrice ?? 0) * c.quantity;
    }
    off = Math.max(0, Math.min(off, remaining));
    remaining -= off;
    applied.push({ code: c.code, type: c.type, amountOff: off });
  }
  const freeItems = [...gifts].map(([sku, quantity]) => ({ sku, quantity })).sort((a, b) => byString(a.sku, b.sku));
  return { applied, discount: subtotal - remaining, giftValue, freeItems, codes: ordered.map((c) => c.code).sort(byString) };
}

/** True when `a` is a better choice than `b`: more discount, then more gift value, then fewer coupons, then smaller codes. */
function better(a: Combination, b: Combination): boolean {
  if (a.discount !== b.discount) return a.discount > b.discount;
  if (a.giftValue !== b.giftValue) return a.giftValue > b.giftValue;
  if (a.codes.length !== b.codes.length) return a.codes.length < b.codes.length;
  for (let i = 0; i < a.codes.length; i++) {
    const cmp = byString(a.codes[i]!, b.codes[i]!);
    if (cmp !== 0) return cmp < 0;
  }
  return false;
}

/**
 * Prices an order and resolves its coupons (the promotions engine of PRODUCT.md).
 *
 * Input: lines `{sku, quantity}`, the catalog, the entered coupon codes, the coupons, `now` (ISO UTC).
 * Output: order lines (`lineTotal = quantity * unitPrice`), `pricing {subtotal, discount, total,
 * currency}` in minor units, applied coupons with what each took off, rejected coupons, and gifts.
 *
 * Rules:
 * - each sku must be in the catalog, else SKU_NOT_FOUND (extra `{sku}`); all lines share one
 *   currency, else CURRENCY_MISMATCH; no lines or a subtotal beyond 2^53-1 → VALIDATION_FAILED;
 * - every entered code must pass `checkCoupon` (COUPON_NOT_APPLICABLE / COUPON_EXHAUSTED); codes
 *   are checked in sorted order so the error does not depend on the order they were entered in;
 * - stacking: the candidates are "all stackable coupons together" and "each non-stackable coupon
 *   alone"; the winner has the largest discount, then the largest gift value (unitPrice × quantity
 *   of FREE_ITEM gifts), then fewer coupons, then the smaller sorted code list. Adding coupons to a
 *   set never lowers its discount, so no smaller subset can beat these candidates;
 * - within the winner, coupons apply as `applyCombination` describes (percent on the full subtotal
 *   first, then amount off on what remains; discount ≤ subtotal; total ≥ 0);
 * - valid coupons not in the winner go to `rejectedCoupons`: a non-stackable one with NOT_STACKABLE,
 *   a stackable one (its combination lost to a non-stackable coupon) with WORSE_COMBINATION.
 * The result depends only on the set of codes, never on their order.
 */
export function priceOrder(req: PriceOrderRequest): PricedOrder {
  if (req.lines.length === 0) throw new DomainError('VALIDATION_FAILED', 'An order needs at least one item', { errors: [{ path: 'items', message: 'Too small' }] });
  if (Number.isNaN(Date.parse(req.now))) throw new TypeError(`priceOrder: now is not a timestamp: ${req.now}`);

  const items: OrderLine[] = req.lines.map(({ sku, quantity }) => {
    const item = req.catalog.get(sku);
    if (!item) throw new DomainError('SKU_NOT_FOUND', `SKU ${sku} is not in the catalog`, { sku });
    return { sku, name: item.name, quantity, unitPrice: item.unitPrice, lineTotal: quantity * item.unitPrice };
  });
  const currencies = [...new Set(req.lines.map((l) => req.catalog.get(l.sku)!.currency))].sort(byString);
  if (currencies.length > 1) {
    throw new DomainError('CURRENCY_MISMATCH', `Items are priced in several currencies: ${currencies.join(', ')}`, { currencies });
  }
  const currency = currencies[0]!;
  const subtotal = items.reduce((sum, l) => sum + l.lineTotal, 0);
  if (!Number.isSafeInteger(subtotal)) throw new DomainError('VALIDATION_FAILED', 'Order subtotal is too large', { errors: [{ path: 'items', message: 'Subtotal too large' }] });

  const codes = [...new Set(req.couponCodes)].sort(byString);
  const valid: Coupon[] = codes.map((code) => {
    const coupon = req.coupons.get(code);
    checkCoupon(code, coupon, { subtotal, currency, now: req.now, catalog: req.catalog });
    return { ...coupon, code };
  });

  const stackable = valid.filter((c) => c.stackable);
  const candidates: Combination[] = valid.filter((c) => !c.stackable).map((c) => applyCombination(subtotal, [c], req.catalog));
  if (stackable.length > 0) candidates.push(applyCombination(subtotal, stackable, req.catalog));
  let best = applyCombination(subtotal, [], req.catalog);
  for (const c of candidates) if (best.codes.length === 0 || better(c, best)) best = c;

  const chosen = new Set(best.codes);
  const rejectedCoupons: RejectedCoupon[] = valid
    .filter((c) => !chosen.has(c.code))
    .map((c) => ({ code: c.code, reason: c.stackable ? 'WORSE_COMBINATION' : 'NOT_STACKABLE' }));

  return {
    items,
    pricing: { subtotal, discount: best.discount, total: subtotal - best.discount, currency },
    appliedCoupons: best.applied,
    rejectedCoupons,
    freeItems: best.freeItems,
  };
}
