/**
 * Order pricing and the promotions engine (PRODUCT.md API contract v1: POST /v1/orders and its
 * coupon rules). Pure: the caller loads catalog items, coupons and automatic promotions and passes
 * them in. Money is integer minor units throughout; no floats are ever produced.
 *
 * Promotion rules supported (fields of PUT /v1/coupons, src/domain/schemas.ts):
 * - AMOUNT_OFF `amountOff`; PERCENT_OFF `percentOff` with optional `maxDiscount`; FREE_ITEM a gift
 *   line (`sku` × `quantity`, reserved like any line);
 * - conditions: `minSubtotal` (spend X save Y), `validFrom`/`validTo`, `currency`, scope `storeIds` /
 *   `region`, limits `maxRedemptions` / `perCustomerLimit` (the order transaction enforces them);
 * - `automatic: true`: a store-wide promotion applied to every eligible order without a code;
 * - stacking: `stackable` (default true; false = only ever alone), `exclusiveGroup` (at most one per
 *   group), `priority` (higher first: application order and tie-break), `maxOrderDiscount` (an order
 *   that uses the coupon gets at most this much discount in total, whatever else it stacks with).
 *
 * Coupons are compiled into rules (`compileRule`) once per definition version when a `RuleCache` is
 * passed (create-order keeps one per container), so an order does not re-parse them.
 */
import { DomainError } from './errors.ts';
import type { AppliedCoupon, CatalogItem, Coupon, CouponType, OrderLine, Pricing, RejectedCoupon, RejectionReason } from './types.ts';

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
  /** The store the order is placed at; coupons scoped by `storeIds`/`region` need it (absent: scoped coupons never apply). */
  store?: { storeId: string; region: string };
  /** Automatic promotions as stored (entries without `automatic: true` are ignored). */
  automatic?: ReadonlyArray<Coupon>;
  /** Codes the database refused as exhausted since they were read (create-order's retry). */
  exhausted?: ReadonlySet<string>;
  /** Compiled rules cached per coupon version; without one, every call compiles afresh. */
  rules?: RuleCache;
}

export interface FreeItem {
  sku: string;
  /** Units of stock to reserve as a gift. */
  quantity: number;
}

export interface PricedOrder {
  items: OrderLine[];
  pricing: Pricing;
  /** Coupons used, in application order (priority desc, then PERCENT_OFF, AMOUNT_OFF, FREE_ITEM, then code). */
  appliedCoupons: AppliedCoupon[];
  /** Valid coupons left out, and automatic promotions the order just missed, in code order, each with a reason. */
  rejectedCoupons: RejectedCoupon[];
  /** Gifts of the applied FREE_ITEM coupons, merged by sku, in sku order. */
  freeItems: FreeItem[];
}

/** Why a coupon is not applicable; sent as `reason` next to `couponCode` in the error. */
export type CouponRejection =
  | 'NOT_FOUND'
  | 'NOT_IN_SCOPE'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'MIN_SUBTOTAL_NOT_MET'
  | 'CURRENCY_MISMATCH'
  | 'GIFT_SKU_NOT_FOUND';

/** Plain code-unit order, independent of locale. */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A coupon definition ready for pricing: dates as epoch ms, scope as a Set, every default filled in. */
export interface CompiledRule {
  code: string;
  type: CouponType;
  automatic: boolean;
  stackable: boolean;
  priority: number;
  exclusiveGroup?: string;
  /** Epoch ms; -Infinity / +Infinity when unbounded (validFrom inclusive, validTo exclusive). */
  validFrom: number;
  validTo: number;
  storeIds?: ReadonlySet<string>;
  region?: string;
  currency?: string;
  /** Minor units; 0 when absent. */
  minSubtotal: number;
  /** Minor units; Infinity when absent. */
  maxOrderDiscount: number;
  /** Infinity when absent. */
  maxRedemptions: number;
  amountOff: number;
  percentOff: number;
  /** Minor units; Infinity when absent. */
  maxDiscount: number;
  gift?: FreeItem;
}

/** Compiles one stored coupon (pure). */
export function compileRule(c: Coupon): CompiledRule {
  return {
    code: c.code,
    type: c.type,
    automatic: c.automatic === true,
    stackable: c.stackable,
    priority: c.priority ?? 0,
    exclusiveGroup: c.exclusiveGroup,
    validFrom: c.validFrom === undefined ? -Infinity : Date.parse(c.validFrom),
    validTo: c.validTo === undefined ? Infinity : Date.parse(c.validTo),
    storeIds: c.storeIds && new Set(c.storeIds),
    region: c.region,
    currency: c.currency,
    minSubtotal: c.minSubtotal ?? 0,
    maxOrderDiscount: c.maxOrderDiscount ?? Infinity,
    maxRedemptions: c.maxRedemptions ?? Infinity,
    amountOff: c.type === 'AMOUNT_OFF' ? (c.amountOff ?? 0) : 0,
    percentOff: c.type === 'PERCENT_OFF' ? (c.percentOff ?? 0) : 0,
    maxDiscount: c.maxDiscount ?? Infinity,
    gift: c.type === 'FREE_ITEM' && c.sku !== undefined && c.quantity !== undefined ? { sku: c.sku, quantity: c.quantity } : undefined,
  };
}

/**
 * Compiled rules by coupon code, recompiled only when the stored `version` changes (PUT /v1/coupons
 * bumps it). A coupon without a version (never stored) is compiled on every call and not kept.
 */
export class RuleCache {
  private readonly byCode = new Map<string, { version: number; rule: CompiledRule }>();
  /** How many compilations this cache has done (tests check it stays at one per coupon version). */
  compilations = 0;

  /** The compiled rule of `coupon`. */
  get(coupon: Coupon): CompiledRule {
    if (coupon.version === undefined) return compileRule(coupon);
    const hit = this.byCode.get(coupon.code);
    if (hit?.version === coupon.version) return hit.rule;
    const rule = compileRule(coupon);
    this.compilations++;
    this.byCode.set(coupon.code, { version: coupon.version, rule });
    return rule;
  }
}

interface OrderContext {
  subtotal: number;
  currency: string;
  /** Epoch ms. */
  now: number;
  catalog: ReadonlyMap<string, CatalogItem>;
  store?: { storeId: string; region: string };
}

/**
 * Why `rule` cannot be used on this order, or undefined when it can. Checks, in this order: scope
 * (`storeIds`, `region`), validity window (validFrom inclusive, validTo exclusive), `currency`,
 * `minSubtotal`, the FREE_ITEM gift (in the catalog, in the order's currency), then
 * `redemptions >= maxRedemptions` (a fast pre-check: the database transaction stays the authority).
 * `perCustomerLimit` needs the customer's history and is left to the transaction.
 */
function rejectionOf(rule: CompiledRule, redemptions: number, order: OrderContext): CouponRejection | 'EXHAUSTED' | undefined {
  if (rule.storeIds && !(order.store && rule.storeIds.has(order.store.storeId))) return 'NOT_IN_SCOPE';
  if (rule.region !== undefined && rule.region !== order.store?.region) return 'NOT_IN_SCOPE';
  if (order.now < rule.validFrom) return 'NOT_YET_VALID';
  if (order.now >= rule.validTo) return 'EXPIRED';
  if (rule.currency !== undefined && rule.currency !== order.currency) return 'CURRENCY_MISMATCH';
  if (order.subtotal < rule.minSubtotal) return 'MIN_SUBTOTAL_NOT_MET';
  if (rule.type === 'FREE_ITEM') {
    const gift = rule.gift && order.catalog.get(rule.gift.sku);
    if (!gift) return 'GIFT_SKU_NOT_FOUND';
    if (gift.currency !== order.currency) return 'CURRENCY_MISMATCH';
  }
  if (redemptions >= rule.maxRedemptions) return 'EXHAUSTED';
  return undefined;
}

const detail = (reason: CouponRejection, rule?: CompiledRule): string =>
  ({
    NOT_FOUND: 'does not exist',
    NOT_IN_SCOPE: 'does not apply at this store',
    NOT_YET_VALID: 'is not valid yet',
    EXPIRED: 'has expired',
    MIN_SUBTOTAL_NOT_MET: `needs a subtotal of at least ${rule?.minSubtotal}`,
    CURRENCY_MISMATCH: 'is in another currency than the order (or its gift is)',
    GIFT_SKU_NOT_FOUND: `gift sku ${rule?.gift?.sku ?? '(none)'} is not in the catalog`,
  })[reason];

/**
 * Checks one entered coupon against the order. Returns nothing when it may be used; throws
 * COUPON_NOT_APPLICABLE (extra `{couponCode, reason}`, reason a `CouponRejection`) when it does not
 * exist or fails a condition of `rejectionOf`; throws COUPON_EXHAUSTED (extra `{couponCode}`) when its
 * redemptions reached maxRedemptions. `order.now` is ISO-8601 UTC; money in minor units.
 * Source: PRODUCT.md API contract v1 (POST /v1/orders errors, field notes on coupons).
 */
export function checkCoupon(
  code: string,
  coupon: Coupon | undefined,
  order: {
    subtotal: number;
    currency: string;
    now: string;
    catalog: ReadonlyMap<string, CatalogItem>;
    store?: { storeId: string; region: string };
  },
  rule: CompiledRule | undefined = coupon && compileRule(coupon),
): asserts coupon is Coupon {
  if (!coupon || !rule) throw notApplicable(code, 'NOT_FOUND');
  const reason = rejectionOf(rule, coupon.redemptions, { ...order, now: Date.parse(order.now) });
  if (reason === 'EXHAUSTED')
    throw new DomainError('COUPON_EXHAUSTED', `Coupon ${code} has reached its redemption limit`, { couponCode: code });
  if (reason) throw notApplicable(code, reason, rule);
}

function notApplicable(code: string, reason: CouponRejection, rule?: CompiledRule): DomainError {
  return new DomainError('COUPON_NOT_APPLICABLE', `Coupon ${code} ${detail(reason, rule)}`, { couponCode: code, reason });
}

/** floor(base * percent / 100) in exact integer arithmetic (BigInt, so no float rounding). */
export function percentOf(base: number, percent: number): number {
  return Number((BigInt(base) * BigInt(percent)) / 100n);
}

/** What `rule` alone would take off `subtotal` (minor units), before any limit of the combination. */
function rawOff(rule: CompiledRule, subtotal: number): number {
  if (rule.type === 'PERCENT_OFF') return Math.min(percentOf(subtotal, rule.percentOff), rule.maxDiscount);
  return rule.amountOff;
}

const typeRank: Record<CouponType, number> = { PERCENT_OFF: 0, AMOUNT_OFF: 1, FREE_ITEM: 2 };
/** Application order: priority desc, then PERCENT_OFF, AMOUNT_OFF, FREE_ITEM, then code. */
const applicationOrder = (a: CompiledRule, b: CompiledRule): number =>
  b.priority - a.priority || typeRank[a.type] - typeRank[b.type] || byString(a.code, b.code);

interface Combination {
  /** Every coupon of the combination, including those that ended up taking nothing. */
  rules: CompiledRule[];
  /** The coupons used: each took money off or gives a gift (the others are not redeemed). */
  applied: AppliedCoupon[];
  discount: number;
  giftValue: number;
  freeItems: FreeItem[];
  codes: string[]; // of the used coupons, sorted
  priorities: number[]; // of the used coupons, highest first
}

/**
 * Applies a set of coupons to `subtotal` (minor units). The combination's limit is
 * min(subtotal, every member's maxOrderDiscount). In application order each coupon takes
 * min(rawOff, limit − discount so far): PERCENT_OFF is computed on the full subtotal (not on what
 * earlier coupons left), floor(subtotal × percentOff / 100) capped by its maxDiscount; AMOUNT_OFF its
 * amountOff; FREE_ITEM takes 0 and adds its gift. So discount = min(limit, Σ rawOff) ≤ subtotal.
 * A coupon that takes nothing and gives no gift is not used (not applied, so not redeemed).
 */
function applyCombination(subtotal: number, rules: CompiledRule[], catalog: ReadonlyMap<string, CatalogItem>): Combination {
  const ordered = [...rules].sort(applicationOrder);
  const limit = Math.min(subtotal, ...rules.map((r) => r.maxOrderDiscount));
  let discount = 0;
  let giftValue = 0;
  const gifts = new Map<string, number>();
  const applied: AppliedCoupon[] = [];
  const used: CompiledRule[] = [];
  for (const r of ordered) {
    if (r.gift) {
      gifts.set(r.gift.sku, (gifts.get(r.gift.sku) ?? 0) + r.gift.quantity);
      giftValue += (catalog.get(r.gift.sku)?.unitPrice ?? 0) * r.gift.quantity;
    }
    const off = Math.max(0, Math.min(rawOff(r, subtotal), limit - discount));
    discount += off;
    if (off === 0 && !r.gift) continue;
    used.push(r);
    applied.push({ code: r.code, type: r.type, amountOff: off, ...(r.automatic ? { automatic: true as const } : {}) });
  }
  const freeItems = [...gifts].map(([sku, quantity]) => ({ sku, quantity })).sort((a, b) => byString(a.sku, b.sku));
  return {
    rules,
    applied,
    discount,
    giftValue,
    freeItems,
    codes: used.map((r) => r.code).sort(byString),
    priorities: used.map((r) => r.priority).sort((a, b) => b - a),
  };
}

/** Lexicographic comparison of two lists with `cmp` per element; a proper prefix comes first. */
function compareLists<T>(a: T[], b: T[], cmp: (x: T, y: T) => number): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = cmp(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * True when `a` is a better choice than `b`: more discount, then more gift value, then fewer coupons
 * used, then higher priorities (compared highest first), then the smaller sorted code list.
 */
function better(a: Combination, b: Combination): boolean {
  if (a.discount !== b.discount) return a.discount > b.discount;
  if (a.giftValue !== b.giftValue) return a.giftValue > b.giftValue;
  if (a.codes.length !== b.codes.length) return a.codes.length < b.codes.length;
  const byPriority = compareLists(a.priorities, b.priorities, (x, y) => y - x);
  if (byPriority !== 0) return byPriority < 0;
  return compareLists(a.codes, b.codes, byString) < 0;
}

/**
 * The combinations worth pricing: none; each non-stackable coupon alone; and, for every distinct
 * maxOrderDiscount L among the stackable coupons, the stackable coupons whose own maxOrderDiscount is
 * at least L — all ungrouped ones plus one member of each exclusive group (every choice).
 * Why this finds the largest discount: a combination's discount is min(subtotal, smallest
 * maxOrderDiscount, Σ rawOff). Take the best allowed set X and L its smallest maxOrderDiscount; the
 * candidate for L with X's group choices contains X, has a limit ≥ L and a sum ≥ X's, so its discount
 * is at least X's. Count: (distinct limits) × (product of group sizes) — small for real catalogs.
 */
function* combinations(valid: CompiledRule[]): Generator<CompiledRule[]> {
  yield [];
  for (const r of valid) if (!r.stackable) yield [r];
  const stackable = valid.filter((r) => r.stackable);
  for (const limit of new Set(stackable.map((r) => r.maxOrderDiscount))) {
    const pool = stackable.filter((r) => r.maxOrderDiscount >= limit);
    const ungrouped = pool.filter((r) => r.exclusiveGroup === undefined);
    const groups = Map.groupBy(
      pool.filter((r) => r.exclusiveGroup !== undefined),
      (r) => r.exclusiveGroup!,
    );
    let choices: CompiledRule[][] = [[]];
    for (const members of groups.values()) choices = choices.flatMap((chosen) => members.map((m) => [...chosen, m]));
    for (const chosen of choices) yield [...ungrouped, ...chosen];
  }
}

/**
 * Prices an order and resolves its coupons and automatic promotions (the promotions engine of PRODUCT.md).
 *
 * Input: lines `{sku, quantity}`, the catalog, the entered coupon codes, the coupons, `now` (ISO UTC),
 * optionally the store (for scoped coupons), the automatic promotions and a RuleCache.
 * Output: order lines (`lineTotal = quantity * unitPrice`), `pricing {subtotal, discount, total,
 * currency}` in minor units, applied coupons with what each took off, rejected coupons with a reason,
 * and gifts.
 *
 * Rules:
 * - each sku must be in the catalog, else SKU_NOT_FOUND (extra `{sku}`); all lines share one
 *   currency, else CURRENCY_MISMATCH; no lines or a subtotal beyond 2^53-1 → VALIDATION_FAILED;
 * - every entered code must pass `checkCoupon` (COUPON_NOT_APPLICABLE / COUPON_EXHAUSTED); codes
 *   are checked in sorted order so the error does not depend on the order they were entered in;
 * - an automatic promotion that was not entered joins the candidates when it passes the same checks;
 *   out of scope, outside its validity window or in another currency it is ignored silently; below
 *   its minSubtotal, with a missing gift or exhausted it is listed in `rejectedCoupons` (reasons
 *   MIN_SUBTOTAL_NOT_MET, GIFT_SKU_NOT_FOUND, EXHAUSTED) and never fails the order;
 * - stacking: of the allowed combinations (a non-stackable coupon only alone; at most one coupon per
 *   exclusive group) the engine picks the largest discount, then the largest gift value (unitPrice ×
 *   quantity of FREE_ITEM gifts), then fewer coupons used, then higher priorities, then the smaller
 *   sorted code list. `combinations` says why the candidates it prices include one with the largest
 *   discount; the tie-breaks choose among them;
 * - within the winner, coupons apply as `applyCombination` describes (discount ≤ every member's
 *   maxOrderDiscount and ≤ subtotal; total ≥ 0); a coupon of the winner that takes nothing and gives
 *   no gift is not used (so not redeemed): DISCOUNT_LIMIT_REACHED when a limit was used up before it;
 *   a coupon worth nothing on this subtotal (and no gift) is ZERO_DISCOUNT wherever it stands;
 * - other valid coupons go to `rejectedCoupons`: a non-stackable one with NOT_STACKABLE, one that
 *   lost to another member of its exclusive group with EXCLUSIVE_GROUP, any other with WORSE_COMBINATION.
 * The result depends only on the set of codes, never on their order; removing a coupon never lowers
 * the discount of the best combination, so it never makes the order cheaper.
 */
export function priceOrder(req: PriceOrderRequest): PricedOrder {
  if (req.lines.length === 0)
    throw new DomainError('VALIDATION_FAILED', 'An order needs at least one item', { errors: [{ path: 'items', message: 'Too small' }] });
  const now = Date.parse(req.now);
  if (Number.isNaN(now)) throw new TypeError(`priceOrder: now is not a timestamp: ${req.now}`);

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
  if (!Number.isSafeInteger(subtotal))
    throw new DomainError('VALIDATION_FAILED', 'Order subtotal is too large', {
      errors: [{ path: 'items', message: 'Subtotal too large' }],
    });

  const compile = (c: Coupon) => (req.rules ? req.rules.get(c) : compileRule(c));
  const ctx: OrderContext = { subtotal, currency, now, catalog: req.catalog, store: req.store };
  const refused = req.exhausted ?? new Set<string>();
  const valid: CompiledRule[] = [];
  const rejectedCoupons: RejectedCoupon[] = [];

  const codes = [...new Set(req.couponCodes)].sort(byString);
  for (const code of codes) {
    const coupon = req.coupons.get(code);
    const rule = coupon && compile({ ...coupon, code });
    checkCoupon(code, coupon, { ...ctx, now: req.now }, rule);
    if (refused.has(code))
      throw new DomainError('COUPON_EXHAUSTED', `Coupon ${code} has reached its redemption limit`, { couponCode: code });
    valid.push(rule!.automatic ? { ...rule!, automatic: false } : rule!); // entered by the customer: not flagged automatic
  }
  const entered = new Set(codes);
  const automatic = [
    ...new Map((req.automatic ?? []).filter((c) => c.automatic === true && !entered.has(c.code)).map((c) => [c.code, c])).values(),
  ];
  for (const coupon of automatic.sort((a, b) => byString(a.code, b.code))) {
    const rule = compile(coupon);
    const reason = refused.has(coupon.code) ? 'EXHAUSTED' : rejectionOf(rule, coupon.redemptions, ctx);
    if (reason === undefined) valid.push(rule);
    else if (reason === 'MIN_SUBTOTAL_NOT_MET' || reason === 'GIFT_SKU_NOT_FOUND' || reason === 'EXHAUSTED') {
      rejectedCoupons.push({ code: coupon.code, reason, automatic: true });
    }
  }

  let best = applyCombination(subtotal, [], req.catalog);
  for (const rules of combinations(valid)) {
    const candidate = applyCombination(subtotal, rules, req.catalog);
    if (better(candidate, best)) best = candidate;
  }

  const used = new Set(best.codes);
  const inWinner = new Set(best.rules.map((r) => r.code));
  const usedGroups = new Set(valid.filter((r) => used.has(r.code) && r.exclusiveGroup !== undefined).map((r) => r.exclusiveGroup));
  for (const r of valid) {
    if (used.has(r.code)) continue;
    let reason: RejectionReason;
    if (!r.gift && rawOff(r, subtotal) === 0) reason = 'ZERO_DISCOUNT';
    else if (inWinner.has(r.code)) reason = 'DISCOUNT_LIMIT_REACHED';
    else reason = !r.stackable ? 'NOT_STACKABLE' : usedGroups.has(r.exclusiveGroup) ? 'EXCLUSIVE_GROUP' : 'WORSE_COMBINATION';
    rejectedCoupons.push({ code: r.code, reason, ...(r.automatic ? { automatic: true as const } : {}) });
  }
  rejectedCoupons.sort((a, b) => byString(a.code, b.code));

  return {
    items,
    pricing: { subtotal, discount: best.discount, total: subtotal - best.discount, currency },
    appliedCoupons: best.applied,
    rejectedCoupons,
    freeItems: best.freeItems,
  };
}
