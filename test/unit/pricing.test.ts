import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { percentOf, priceOrder, RuleCache, type PriceOrderRequest } from '../../src/domain/pricing.ts';
import type { CatalogItem, Coupon } from '../../src/domain/types.ts';

const NOW = '2025-03-01T12:00:00Z';
const T = '2025-01-01T00:00:00Z';

const sku = (s: string, unitPrice: number, currency = 'CNY'): CatalogItem => ({
  sku: s,
  name: `Item ${s}`,
  unitPrice,
  currency,
  category: 'food',
  updatedAt: T,
});
const catalog = new Map<string, CatalogItem>(
  [sku('BURGER', 2500), sku('FRIES', 1200), sku('COLA', 800), sku('PIE', 650), sku('USD_ONLY', 100, 'USD')].map((i) => [i.sku, i]),
);

type CouponInput = Partial<Coupon> & Pick<Coupon, 'code' | 'type'>;
const coupon = (c: CouponInput): Coupon => ({ stackable: true, redemptions: 0, updatedAt: T, ...c });
const amount = (code: string, amountOff: number, extra: Partial<Coupon> = {}) => coupon({ code, type: 'AMOUNT_OFF', amountOff, ...extra });
const percent = (code: string, percentOff: number, extra: Partial<Coupon> = {}) =>
  coupon({ code, type: 'PERCENT_OFF', percentOff, ...extra });
const free = (code: string, giftSku: string, quantity: number, extra: Partial<Coupon> = {}) =>
  coupon({ code, type: 'FREE_ITEM', sku: giftSku, quantity, ...extra });

function price(lines: { sku: string; quantity: number }[], coupons: Coupon[] = [], codes = coupons.map((c) => c.code)) {
  return priceOrder({ lines, catalog, couponCodes: codes, coupons: new Map(coupons.map((c) => [c.code, c])), now: NOW });
}
/** 2 burgers + 1 fries: subtotal 6200 CNY fen. */
const LINES = [
  { sku: 'BURGER', quantity: 2 },
  { sku: 'FRIES', quantity: 1 },
];

function caught(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('priceOrder: lines', () => {
  it('prices lines in minor units without coupons', () => {
    const r = price(LINES);
    expect(r.items).toEqual([
      { sku: 'BURGER', name: 'Item BURGER', quantity: 2, unitPrice: 2500, lineTotal: 5000 },
      { sku: 'FRIES', name: 'Item FRIES', quantity: 1, unitPrice: 1200, lineTotal: 1200 },
    ]);
    expect(r.pricing).toEqual({ subtotal: 6200, discount: 0, total: 6200, currency: 'CNY' });
    expect(r).toMatchObject({ appliedCoupons: [], rejectedCoupons: [], freeItems: [] });
  });

  it('throws SKU_NOT_FOUND with the sku for an unknown item', () => {
    const e = caught(() => price([{ sku: 'GHOST', quantity: 1 }]));
    expect(e.code).toBe('SKU_NOT_FOUND');
    expect(e.status).toBe(404);
    expect(e.extra).toEqual({ sku: 'GHOST' });
  });

  it('throws CURRENCY_MISMATCH when items are priced in different currencies', () => {
    const e = caught(() =>
      price([
        { sku: 'BURGER', quantity: 1 },
        { sku: 'USD_ONLY', quantity: 1 },
      ]),
    );
    expect(e.code).toBe('CURRENCY_MISMATCH');
    expect(e.extra).toEqual({ currencies: ['CNY', 'USD'] });
  });

  it('refuses an empty order and a subtotal beyond safe integers', () => {
    expect(caught(() => price([])).code).toBe('VALIDATION_FAILED');
    const huge = new Map([['GOLD', sku('GOLD', 1e12)]]);
    const lines = Array.from({ length: 25 }, () => ({ sku: 'GOLD', quantity: 999 }));
    expect(caught(() => priceOrder({ lines, catalog: huge, couponCodes: [], coupons: new Map(), now: NOW })).code).toBe(
      'VALIDATION_FAILED',
    );
  });
});

describe('priceOrder: single coupons', () => {
  it('takes an AMOUNT_OFF coupon off the subtotal', () => {
    const r = price(LINES, [amount('TEN', 1000)]);
    expect(r.pricing).toMatchObject({ subtotal: 6200, discount: 1000, total: 5200 });
    expect(r.appliedCoupons).toEqual([{ code: 'TEN', type: 'AMOUNT_OFF', amountOff: 1000 }]);
  });

  it('caps an AMOUNT_OFF coupon at the subtotal', () => {
    const r = price([{ sku: 'COLA', quantity: 1 }], [amount('BIG', 5000)]);
    expect(r.pricing).toMatchObject({ subtotal: 800, discount: 800, total: 0 });
    expect(r.appliedCoupons[0]?.amountOff).toBe(800);
  });

  it('rounds a PERCENT_OFF discount down to the minor unit', () => {
    // 15% of 650 = 97.5 → 97
    const r = price([{ sku: 'PIE', quantity: 1 }], [percent('P15', 15)]);
    expect(r.pricing).toMatchObject({ subtotal: 650, discount: 97, total: 553 });
  });

  it('caps a PERCENT_OFF coupon at maxDiscount', () => {
    const r = price(LINES, [percent('HALF', 50, { maxDiscount: 1000 })]);
    expect(r.pricing.discount).toBe(1000);
    expect(r.appliedCoupons).toEqual([{ code: 'HALF', type: 'PERCENT_OFF', amountOff: 1000 }]);
  });

  it('makes a 100% PERCENT_OFF order free, never negative', () => {
    expect(price(LINES, [percent('ALL', 100)]).pricing).toMatchObject({ discount: 6200, total: 0 });
  });

  it('adds the gift of a FREE_ITEM coupon to freeItems and takes nothing off', () => {
    const r = price(LINES, [free('GIFT', 'COLA', 2)]);
    expect(r.pricing).toMatchObject({ discount: 0, total: 6200 });
    expect(r.freeItems).toEqual([{ sku: 'COLA', quantity: 2 }]);
    expect(r.appliedCoupons).toEqual([{ code: 'GIFT', type: 'FREE_ITEM', amountOff: 0 }]);
  });

  it('merges gifts of the same sku', () => {
    const r = price(LINES, [free('G1', 'COLA', 1), free('G2', 'COLA', 2), free('G3', 'PIE', 1)]);
    expect(r.freeItems).toEqual([
      { sku: 'COLA', quantity: 3 },
      { sku: 'PIE', quantity: 1 },
    ]);
  });

  it('ignores duplicate codes', () => {
    const r = price(LINES, [amount('TEN', 1000)], ['TEN', 'TEN']);
    expect(r.appliedCoupons).toHaveLength(1);
    expect(r.pricing.discount).toBe(1000);
  });
});

describe('priceOrder: coupon rejections', () => {
  const notApplicable: [string, Coupon[], string[], string][] = [
    ['a code that does not exist', [], ['NOPE'], 'NOT_FOUND'],
    ['a coupon not valid yet', [amount('LATER', 100, { validFrom: '2025-03-01T12:00:01Z' })], ['LATER'], 'NOT_YET_VALID'],
    ['an expired coupon', [amount('OLD', 100, { validTo: '2025-03-01T12:00:00Z' })], ['OLD'], 'EXPIRED'],
    ['a coupon whose minSubtotal is not met', [amount('MIN', 100, { minSubtotal: 6201 })], ['MIN'], 'MIN_SUBTOTAL_NOT_MET'],
    ['a coupon in another currency', [amount('USD5', 500, { currency: 'USD' })], ['USD5'], 'CURRENCY_MISMATCH'],
    ['a FREE_ITEM whose gift is not in the catalog', [free('GHOST', 'GHOST', 1)], ['GHOST'], 'GIFT_SKU_NOT_FOUND'],
    ['a FREE_ITEM whose gift is priced in another currency', [free('USDGIFT', 'USD_ONLY', 1)], ['USDGIFT'], 'CURRENCY_MISMATCH'],
  ];
  it.each(notApplicable)('rejects %s with COUPON_NOT_APPLICABLE', (_name, coupons, codes, reason) => {
    const e = caught(() => price(LINES, coupons, codes));
    expect(e.code).toBe('COUPON_NOT_APPLICABLE');
    expect(e.status).toBe(422);
    expect(e.extra).toEqual({ couponCode: codes[0], reason });
  });

  it('accepts a coupon at validFrom exactly and a subtotal equal to minSubtotal', () => {
    const r = price(LINES, [
      amount('EDGE', 100, { validFrom: NOW, validTo: '2025-03-01T12:00:00.001Z', minSubtotal: 6200, currency: 'CNY' }),
    ]);
    expect(r.pricing.discount).toBe(100);
  });

  it('rejects a coupon whose redemptions reached maxRedemptions with COUPON_EXHAUSTED', () => {
    const e = caught(() => price(LINES, [amount('GONE', 100, { maxRedemptions: 10, redemptions: 10 })]));
    expect(e.code).toBe('COUPON_EXHAUSTED');
    expect(e.extra).toEqual({ couponCode: 'GONE' });
    expect(price(LINES, [amount('LAST', 100, { maxRedemptions: 10, redemptions: 9 })]).pricing.discount).toBe(100);
  });

  it('reports the first bad code in code order, whatever order they were entered in', () => {
    const coupons = [amount('A_OK', 100), amount('B_OLD', 100, { validTo: T })];
    for (const codes of [
      ['Z_NOPE', 'B_OLD', 'A_OK'],
      ['A_OK', 'Z_NOPE', 'B_OLD'],
    ]) {
      expect(caught(() => price(LINES, coupons, codes)).extra).toEqual({ couponCode: 'B_OLD', reason: 'EXPIRED' });
    }
  });
});

describe('priceOrder: stacking', () => {
  it('combines all stackable coupons: percent on the full subtotal first, then amount off', () => {
    const r = price(LINES, [amount('A500', 500), percent('P10', 10)]);
    // 10% of 6200 = 620, then 500 → 1120
    expect(r.pricing).toMatchObject({ discount: 1120, total: 5080 });
    expect(r.appliedCoupons).toEqual([
      { code: 'P10', type: 'PERCENT_OFF', amountOff: 620 },
      { code: 'A500', type: 'AMOUNT_OFF', amountOff: 500 },
    ]);
    expect(r.rejectedCoupons).toEqual([]);
  });

  it('computes every PERCENT_OFF on the full subtotal, not on what is left', () => {
    const r = price(LINES, [percent('P10', 10), percent('P20', 20)]);
    expect(r.pricing.discount).toBe(620 + 1240);
  });

  it('caps a stack at the subtotal and reports what each coupon really took', () => {
    const r = price([{ sku: 'COLA', quantity: 1 }], [percent('P60', 60), amount('A1', 300), amount('A2', 300)]);
    expect(r.pricing).toMatchObject({ subtotal: 800, discount: 800, total: 0 });
    expect(r.appliedCoupons).toEqual([
      { code: 'P60', type: 'PERCENT_OFF', amountOff: 480 },
      { code: 'A1', type: 'AMOUNT_OFF', amountOff: 300 },
      { code: 'A2', type: 'AMOUNT_OFF', amountOff: 20 },
    ]);
  });

  it('uses a better non-stackable coupon alone and rejects the stack as WORSE_COMBINATION', () => {
    const r = price(LINES, [amount('A500', 500), percent('P10', 10), percent('SOLO30', 30, { stackable: false })]);
    expect(r.pricing.discount).toBe(1860);
    expect(r.appliedCoupons).toEqual([{ code: 'SOLO30', type: 'PERCENT_OFF', amountOff: 1860 }]);
    expect(r.rejectedCoupons).toEqual([
      { code: 'A500', reason: 'WORSE_COMBINATION' },
      { code: 'P10', reason: 'WORSE_COMBINATION' },
    ]);
  });

  it('keeps the stack when it beats a non-stackable coupon, rejecting that one as NOT_STACKABLE', () => {
    const r = price(LINES, [amount('A500', 500), percent('P10', 10), amount('SOLO1000', 1000, { stackable: false })]);
    expect(r.pricing.discount).toBe(1120);
    expect(r.rejectedCoupons).toEqual([{ code: 'SOLO1000', reason: 'NOT_STACKABLE' }]);
  });

  it('picks the best of several non-stackable coupons', () => {
    const r = price(LINES, [
      amount('N1', 300, { stackable: false }),
      amount('N2', 700, { stackable: false }),
      percent('N3', 5, { stackable: false }),
    ]);
    expect(r.appliedCoupons.map((c) => c.code)).toEqual(['N2']);
    expect(r.rejectedCoupons).toEqual([
      { code: 'N1', reason: 'NOT_STACKABLE' },
      { code: 'N3', reason: 'NOT_STACKABLE' },
    ]);
  });

  it('breaks a tie by fewer coupons, then by code order', () => {
    // the stack (2 × 500) ties with SOLO (1000): fewer coupons wins
    const r1 = price(LINES, [amount('S1', 500), amount('S2', 500), amount('SOLO', 1000, { stackable: false })]);
    expect(r1.appliedCoupons.map((c) => c.code)).toEqual(['SOLO']);
    // two non-stackable coupons worth the same: the smaller code wins
    const r2 = price(LINES, [amount('NB', 1000, { stackable: false }), amount('NA', 1000, { stackable: false })]);
    expect(r2.appliedCoupons.map((c) => c.code)).toEqual(['NA']);
  });

  it('breaks a discount tie by the larger gift value', () => {
    const r = price(LINES, [free('G_COLA', 'COLA', 1, { stackable: false }), free('G_BURGER', 'BURGER', 1, { stackable: false })]);
    expect(r.freeItems).toEqual([{ sku: 'BURGER', quantity: 1 }]);
    expect(r.rejectedCoupons).toEqual([{ code: 'G_COLA', reason: 'NOT_STACKABLE' }]);
  });

  it('prefers money off to a non-stackable gift (largest discount first)', () => {
    const r = price(LINES, [free('GIFT', 'BURGER', 1, { stackable: false }), amount('A100', 100)]);
    expect(r.appliedCoupons.map((c) => c.code)).toEqual(['A100']);
    expect(r.freeItems).toEqual([]);
    expect(r.rejectedCoupons).toEqual([{ code: 'GIFT', reason: 'NOT_STACKABLE' }]);
  });

  it('stacks a stackable gift with money off', () => {
    const r = price(LINES, [free('GIFT', 'COLA', 1), amount('A100', 100)]);
    expect(r.appliedCoupons.map((c) => c.code)).toEqual(['A100', 'GIFT']);
    expect(r.freeItems).toEqual([{ sku: 'COLA', quantity: 1 }]);
  });
});

describe('percentOf', () => {
  it('floors in exact integer arithmetic, even for huge amounts', () => {
    expect(percentOf(650, 15)).toBe(97);
    expect(percentOf(999, 1)).toBe(9);
    expect(percentOf(9_007_199_254_740_991, 33)).toBe(2_972_375_754_064_527);
  });
});

// ---------------------------------------------------------------- properties

const SKUS = ['BURGER', 'FRIES', 'COLA', 'PIE'];
const linesArb = fc
  .uniqueArray(fc.constantFrom(...SKUS), { minLength: 1, maxLength: 4 })
  .chain((skus) => fc.tuple(...skus.map((s) => fc.integer({ min: 1, max: 999 }).map((quantity) => ({ sku: s, quantity })))));
const priceCatalogArb = fc
  .tuple(...SKUS.map(() => fc.integer({ min: 0, max: 100_000 })))
  .map((prices) => new Map(SKUS.map((s, i) => [s, sku(s, prices[i]!)])));
/** Always-valid coupons (no dates, limits or minimum), codes C0..Cn. */
const validCouponArb = fc.oneof(
  fc.record({ type: fc.constant('AMOUNT_OFF' as const), amountOff: fc.integer({ min: 1, max: 2_000_000 }) }),
  fc.record(
    {
      type: fc.constant('PERCENT_OFF' as const),
      percentOff: fc.integer({ min: 1, max: 100 }),
      maxDiscount: fc.integer({ min: 0, max: 500_000 }),
    },
    { requiredKeys: ['type', 'percentOff'] },
  ),
  fc.record({ type: fc.constant('FREE_ITEM' as const), sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 3 }) }),
);
const couponsArb = fc
  .array(fc.tuple(validCouponArb, fc.boolean()), { maxLength: 5 })
  .map((list) => list.map(([c, stackable], i) => coupon({ ...c, code: `C${i}`, stackable })));

const request = (
  lines: PriceOrderRequest['lines'],
  cat: ReadonlyMap<string, CatalogItem>,
  coupons: Coupon[],
  codes: string[],
): PriceOrderRequest => ({
  lines,
  catalog: cat,
  couponCodes: codes,
  coupons: new Map(coupons.map((c) => [c.code, c])),
  now: NOW,
});

/** The result, or the error's code and extra, so that both can be compared. */
function outcome(req: PriceOrderRequest): unknown {
  try {
    return priceOrder(req);
  } catch (e) {
    if (e instanceof DomainError) return { error: e.code, extra: e.extra };
    throw e;
  }
}

describe('priceOrder properties', () => {
  it('keeps 0 ≤ discount ≤ subtotal, total = subtotal − discount ≥ 0, and sums what the coupons took', () => {
    fc.assert(
      fc.property(linesArb, priceCatalogArb, couponsArb, (lines, cat, coupons) => {
        const r = priceOrder(
          request(
            lines,
            cat,
            coupons,
            coupons.map((c) => c.code),
          ),
        );
        const { subtotal, discount, total } = r.pricing;
        expect(subtotal).toBe(lines.reduce((s, l) => s + l.quantity * cat.get(l.sku)!.unitPrice, 0));
        expect(discount).toBeGreaterThanOrEqual(0);
        expect(discount).toBeLessThanOrEqual(subtotal);
        expect(total).toBe(subtotal - discount);
        expect(total).toBeGreaterThanOrEqual(0);
        expect(r.appliedCoupons.reduce((s, c) => s + c.amountOff, 0)).toBe(discount);
        for (const n of [subtotal, discount, total, ...r.appliedCoupons.map((c) => c.amountOff)]) expect(Number.isInteger(n)).toBe(true);
        // every entered coupon is either applied or rejected, never both
        const used = [...r.appliedCoupons.map((c) => c.code), ...r.rejectedCoupons.map((c) => c.code)].sort();
        expect(used).toEqual(coupons.map((c) => c.code).sort());
        // a non-stackable coupon is only ever used alone
        if (r.appliedCoupons.some((a) => !coupons.find((c) => c.code === a.code)!.stackable)) expect(r.appliedCoupons).toHaveLength(1);
      }),
      { numRuns: 500 },
    );
  });

  it('never depends on the order of couponCodes (results and errors alike)', () => {
    const anyCouponArb = fc
      .array(
        fc.tuple(
          validCouponArb,
          fc.boolean(),
          fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
          fc.option(fc.integer({ min: 0, max: 500_000 }), { nil: undefined }),
        ),
        { maxLength: 5 },
      )
      .map((list) =>
        list.map(([c, stackable, maxRedemptions, minSubtotal], i) =>
          coupon({ ...c, code: `C${i}`, stackable, maxRedemptions, redemptions: 1, minSubtotal }),
        ),
      );
    fc.assert(
      fc.property(linesArb, priceCatalogArb, anyCouponArb, fc.boolean(), fc.func(fc.integer()), (lines, cat, coupons, withUnknown, key) => {
        const codes = [...coupons.map((c) => c.code), ...(withUnknown ? ['UNKNOWN'] : [])];
        const shuffled = [...codes].sort((a, b) => key(a) - key(b) || (a < b ? -1 : 1));
        expect(outcome(request(lines, cat, coupons, shuffled))).toEqual(outcome(request(lines, cat, coupons, codes)));
        expect(outcome(request(lines, cat, coupons, [...codes].reverse()))).toEqual(outcome(request(lines, cat, coupons, codes)));
      }),
      { numRuns: 500 },
    );
  });

  it('never makes an order cheaper when a coupon is removed', () => {
    fc.assert(
      fc.property(linesArb, priceCatalogArb, couponsArb, fc.nat(), (lines, cat, coupons, pick) => {
        fc.pre(coupons.length > 0);
        const codes = coupons.map((c) => c.code);
        const fewer = codes.filter((_, i) => i !== pick % codes.length);
        const withAll = priceOrder(request(lines, cat, coupons, codes));
        const without = priceOrder(request(lines, cat, coupons, fewer));
        expect(without.pricing.total).toBeGreaterThanOrEqual(withAll.pricing.total);
      }),
      { numRuns: 500 },
    );
  });

  it('picks a combination at least as good as any single coupon alone', () => {
    fc.assert(
      fc.property(linesArb, priceCatalogArb, couponsArb, (lines, cat, coupons) => {
        const all = priceOrder(
          request(
            lines,
            cat,
            coupons,
            coupons.map((c) => c.code),
          ),
        );
        for (const c of coupons)
          expect(all.pricing.discount).toBeGreaterThanOrEqual(priceOrder(request(lines, cat, coupons, [c.code])).pricing.discount);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------- promotions engine

const STORE = { storeId: 'S-EAST-1', region: 'east' };
const auto = (c: Coupon): Coupon => ({ ...c, automatic: true });
function priceAt(
  lines: { sku: string; quantity: number }[],
  entered: Coupon[],
  automatic: Coupon[],
  extra: Partial<PriceOrderRequest> = {},
) {
  return priceOrder({
    lines,
    catalog,
    couponCodes: entered.map((c) => c.code),
    coupons: new Map(entered.map((c) => [c.code, c])),
    automatic,
    store: STORE,
    now: NOW,
    ...extra,
  });
}

describe('priceOrder: automatic promotions', () => {
  it('applies an eligible automatic promotion without a code and marks it automatic', () => {
    const r = priceAt(LINES, [], [auto(amount('SPEND50', 800, { minSubtotal: 5000 }))]);
    expect(r.pricing).toMatchObject({ subtotal: 6200, discount: 800, total: 5400 });
    expect(r.appliedCoupons).toEqual([{ code: 'SPEND50', type: 'AMOUNT_OFF', amountOff: 800, automatic: true }]);
  });

  it('stacks automatic promotions with entered codes and gives automatic gifts', () => {
    const r = priceAt(LINES, [amount('CODE5', 500)], [auto(percent('EAST10', 10, { region: 'east' })), auto(free('COLA4U', 'COLA', 1))]);
    expect(r.pricing.discount).toBe(620 + 500);
    expect(r.appliedCoupons.map((c) => c.code)).toEqual(['EAST10', 'CODE5', 'COLA4U']);
    expect(r.freeItems).toEqual([{ sku: 'COLA', quantity: 1 }]);
  });

  it('ignores, silently, automatic promotions of other stores or regions, outside their dates or in another currency', () => {
    const r = priceAt(
      LINES,
      [],
      [
        auto(amount('WEST', 100, { region: 'west' })),
        auto(amount('OTHERSTORE', 100, { storeIds: ['S-EAST-2'] })),
        auto(amount('LATER', 100, { validFrom: '2025-03-02T00:00:00Z' })),
        auto(amount('OLD', 100, { validTo: '2025-03-01T00:00:00Z' })),
        auto(amount('USD', 100, { currency: 'USD' })),
      ],
    );
    expect(r).toMatchObject({ pricing: { discount: 0 }, appliedCoupons: [], rejectedCoupons: [] });
  });

  it('lists an automatic promotion the order just missed, or that is used up, with the reason, and never fails the order', () => {
    const r = priceAt(
      LINES,
      [],
      [
        auto(amount('SPEND100', 2000, { minSubtotal: 10_000 })),
        auto(amount('GONE', 100, { maxRedemptions: 5, redemptions: 5 })),
        auto(amount('REFUSED', 100)),
      ],
      { exhausted: new Set(['REFUSED']) },
    );
    expect(r.pricing.discount).toBe(0);
    expect(r.rejectedCoupons).toEqual([
      { code: 'GONE', reason: 'EXHAUSTED', automatic: true },
      { code: 'REFUSED', reason: 'EXHAUSTED', automatic: true },
      { code: 'SPEND100', reason: 'MIN_SUBTOTAL_NOT_MET', automatic: true },
    ]);
  });

  it('treats an automatic promotion the customer also entered as entered, and ignores non-automatic entries in the automatic list', () => {
    const both = auto(amount('BOTH', 300));
    const r = priceAt(LINES, [both], [both, amount('NOT_AUTO', 999)]);
    expect(r.appliedCoupons).toEqual([{ code: 'BOTH', type: 'AMOUNT_OFF', amountOff: 300 }]);
  });

  it('rejects an entered code scoped to another store or region with COUPON_NOT_APPLICABLE NOT_IN_SCOPE', () => {
    for (const c of [amount('WESTONLY', 100, { region: 'west' }), amount('ONESTORE', 100, { storeIds: ['S-WEST-9'] })]) {
      expect(caught(() => priceAt(LINES, [c], [])).extra).toEqual({ couponCode: c.code, reason: 'NOT_IN_SCOPE' });
    }
    expect(priceAt(LINES, [amount('HERE', 100, { storeIds: ['S-EAST-1'], region: 'east' })], []).pricing.discount).toBe(100);
    expect(caught(() => price(LINES, [amount('HERE', 100, { region: 'east' })])).extra).toMatchObject({ reason: 'NOT_IN_SCOPE' });
  });
});

describe('priceOrder: exclusive groups, priority and maxOrderDiscount', () => {
  it('applies at most one coupon per exclusive group: the best one, the others EXCLUSIVE_GROUP', () => {
    const r = price(LINES, [
      amount('G_SMALL', 300, { exclusiveGroup: 'WELCOME' }),
      percent('G_BIG', 10, { exclusiveGroup: 'WELCOME' }),
      amount('FREE', 200),
    ]);
    expect(r.appliedCoupons.map((c) => c.code)).toEqual(['G_BIG', 'FREE']);
    expect(r.pricing.discount).toBe(620 + 200);
    expect(r.rejectedCoupons).toEqual([{ code: 'G_SMALL', reason: 'EXCLUSIVE_GROUP' }]);
  });

  it('chooses one member of every group independently', () => {
    const r = price(LINES, [
      amount('A1', 100, { exclusiveGroup: 'A' }),
      amount('A2', 200, { exclusiveGroup: 'A' }),
      amount('B1', 400, { exclusiveGroup: 'B' }),
      amount('B2', 300, { exclusiveGroup: 'B' }),
    ]);
    expect(r.appliedCoupons.map((c) => c.code)).toEqual(['A2', 'B1']);
    expect(r.rejectedCoupons.map((c) => c.reason)).toEqual(['EXCLUSIVE_GROUP', 'EXCLUSIVE_GROUP']);
  });

  it('caps the whole order at the smallest maxOrderDiscount of the coupons used', () => {
    const r = price(LINES, [percent('P20', 20, { maxOrderDiscount: 1500 }), amount('A500', 500)]);
    // 1240 + 500 = 1740, capped at 1500
    expect(r.pricing).toMatchObject({ discount: 1500, total: 4700 });
    expect(r.appliedCoupons).toEqual([
      { code: 'P20', type: 'PERCENT_OFF', amountOff: 1240 },
      { code: 'A500', type: 'AMOUNT_OFF', amountOff: 260 },
    ]);
  });

  it('leaves out a coupon whose maxOrderDiscount would cost more than it gives (WORSE_COMBINATION)', () => {
    const r = price(LINES, [amount('A1000', 1000), amount('A1000B', 1000), amount('TINYCAP', 300, { maxOrderDiscount: 500 })]);
    expect(r.pricing.discount).toBe(2000);
    expect(r.rejectedCoupons).toEqual([{ code: 'TINYCAP', reason: 'WORSE_COMBINATION' }]);
  });

  it('credits the higher priority first when a limit bites, and does not use (redeem) a coupon that takes nothing', () => {
    const coupons = [amount('LOW', 700), amount('HIGH', 700, { priority: 5, maxOrderDiscount: 700 })];
    const r = price(LINES, coupons);
    expect(r.pricing.discount).toBe(700);
    expect(r.appliedCoupons).toEqual([{ code: 'HIGH', type: 'AMOUNT_OFF', amountOff: 700 }]);
    expect(r.rejectedCoupons).toEqual([{ code: 'LOW', reason: 'DISCOUNT_LIMIT_REACHED' }]);
    // without a cap, the subtotal is the limit
    const small = price([{ sku: 'PIE', quantity: 1 }], [amount('FIRST', 650, { priority: 1 }), amount('SECOND', 100)]);
    expect(small.appliedCoupons.map((c) => c.code)).toEqual(['FIRST']);
    expect(small.rejectedCoupons).toEqual([{ code: 'SECOND', reason: 'DISCOUNT_LIMIT_REACHED' }]);
  });

  it('does not redeem a percent coupon worth nothing on this subtotal (ZERO_DISCOUNT)', () => {
    const r = price([{ sku: 'PIE', quantity: 1 }], [percent('ONEPCT', 1, { maxDiscount: 0 }), amount('A10', 10)]);
    expect(r.appliedCoupons.map((c) => c.code)).toEqual(['A10']);
    expect(r.rejectedCoupons).toEqual([{ code: 'ONEPCT', reason: 'ZERO_DISCOUNT' }]);
    const alone = price([{ sku: 'PIE', quantity: 1 }], [percent('NOTHING', 1, { maxDiscount: 0, stackable: false })]);
    expect(alone).toMatchObject({ appliedCoupons: [], rejectedCoupons: [{ code: 'NOTHING', reason: 'ZERO_DISCOUNT' }] });
  });

  it('breaks a tie between equally good coupons by priority before code order', () => {
    const r = price(LINES, [amount('NA', 1000, { stackable: false }), amount('NB', 1000, { stackable: false, priority: 1 })]);
    expect(r.appliedCoupons.map((c) => c.code)).toEqual(['NB']);
  });
});

describe('RuleCache', () => {
  it('compiles each coupon once per version across orders, and again after the coupon changes', () => {
    const rules = new RuleCache();
    const c1 = { ...amount('C1', 100), version: 1 };
    const a1 = { ...auto(percent('AUTO', 5)), version: 3 };
    for (let i = 0; i < 50; i++) priceAt(LINES, [c1], [a1], { rules });
    expect(rules.compilations).toBe(2);
    const changed = { ...c1, amountOff: 250, version: 2 };
    expect(priceAt(LINES, [changed], [a1], { rules }).appliedCoupons.find((c) => c.code === 'C1')?.amountOff).toBe(250);
    expect(rules.compilations).toBe(3);
  });

  it('gives the same result as compiling afresh', () => {
    const coupons = [
      { ...percent('P', 15, { maxOrderDiscount: 800 }), version: 7 },
      { ...amount('A', 300, { exclusiveGroup: 'G' }), version: 1 },
    ];
    expect(priceAt(LINES, coupons, [], { rules: new RuleCache() })).toEqual(priceAt(LINES, coupons, []));
  });
});

// ------------------------------------------- promotions engine properties

/** Always-valid coupons with every stacking field: groups G0/G1, priority, maxOrderDiscount, automatic. */
const ruleCouponsArb = fc
  .array(
    fc.record({
      base: validCouponArb,
      stackable: fc.boolean(),
      automatic: fc.boolean(),
      exclusiveGroup: fc.option(fc.constantFrom('G0', 'G1'), { nil: undefined }),
      priority: fc.option(fc.integer({ min: -2, max: 2 }), { nil: undefined }),
      maxOrderDiscount: fc.option(fc.integer({ min: 0, max: 300_000 }), { nil: undefined }),
    }),
    { maxLength: 7 },
  )
  .map((list) =>
    list.map(({ base, ...rest }, i) =>
      coupon({ ...base, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)), code: `R${i}` }),
    ),
  );

/** The request for `coupons`: automatic ones through `automatic`, the others entered as `codes`. */
const ruleRequest = (
  lines: PriceOrderRequest['lines'],
  cat: ReadonlyMap<string, CatalogItem>,
  coupons: Coupon[],
  codes = coupons.filter((c) => !c.automatic).map((c) => c.code),
): PriceOrderRequest => ({
  lines,
  catalog: cat,
  couponCodes: codes,
  coupons: new Map(coupons.filter((c) => !c.automatic).map((c) => [c.code, c])),
  automatic: coupons.filter((c) => c.automatic),
  store: STORE,
  now: NOW,
});

/** Independent oracle: the largest discount over every allowed subset (min(subtotal, caps, Σ raw)). */
function bestDiscount(subtotal: number, coupons: Coupon[]): number {
  let best = 0;
  for (let mask = 1; mask < 1 << coupons.length; mask++) {
    const set = coupons.filter((_, i) => mask & (1 << i));
    if (set.length > 1 && set.some((c) => !c.stackable)) continue;
    const groups = set.flatMap((c) => (c.exclusiveGroup ? [c.exclusiveGroup] : []));
    if (new Set(groups).size !== groups.length) continue;
    const raw = set.reduce(
      (s, c) =>
        s +
        (c.type === 'AMOUNT_OFF'
          ? c.amountOff!
          : c.type === 'PERCENT_OFF'
            ? Math.min(Math.floor((subtotal * c.percentOff!) / 100), c.maxDiscount ?? Infinity)
            : 0),
      0,
    );
    best = Math.max(best, Math.min(subtotal, raw, ...set.map((c) => c.maxOrderDiscount ?? Infinity)));
  }
  return best;
}

describe('promotions engine properties', () => {
  it('keeps 0 ≤ discount ≤ subtotal and every limit, one coupon per group, and accounts for every coupon', () => {
    fc.assert(
      fc.property(linesArb, priceCatalogArb, ruleCouponsArb, (lines, cat, coupons) => {
        const r = priceOrder(ruleRequest(lines, cat, coupons));
        const { subtotal, discount, total } = r.pricing;
        expect(discount).toBeGreaterThanOrEqual(0);
        expect(discount).toBeLessThanOrEqual(subtotal);
        expect(total).toBe(subtotal - discount);
        expect(total).toBeGreaterThanOrEqual(0);
        expect(r.appliedCoupons.reduce((s, c) => s + c.amountOff, 0)).toBe(discount);
        const used = r.appliedCoupons.map((a) => coupons.find((c) => c.code === a.code)!);
        for (const c of used) expect(discount).toBeLessThanOrEqual(c.maxOrderDiscount ?? Infinity);
        const groups = used.flatMap((c) => (c.exclusiveGroup ? [c.exclusiveGroup] : []));
        expect(new Set(groups).size).toBe(groups.length);
        if (used.some((c) => !c.stackable)) expect(used).toHaveLength(1);
        for (const a of r.appliedCoupons) expect(a.amountOff > 0 || a.type === 'FREE_ITEM').toBe(true);
        const accounted = [...r.appliedCoupons, ...r.rejectedCoupons].map((c) => c.code).sort();
        expect(accounted).toEqual(coupons.map((c) => c.code).sort());
      }),
      { numRuns: 500 },
    );
  });

  it('finds the largest discount any allowed combination gives (brute-force oracle)', () => {
    fc.assert(
      fc.property(linesArb, priceCatalogArb, ruleCouponsArb, (lines, cat, coupons) => {
        const r = priceOrder(ruleRequest(lines, cat, coupons));
        expect(r.pricing.discount).toBe(bestDiscount(r.pricing.subtotal, coupons));
      }),
      { numRuns: 500 },
    );
  });

  it('never depends on the order of coupon codes or of automatic promotions', () => {
    fc.assert(
      fc.property(linesArb, priceCatalogArb, ruleCouponsArb, fc.func(fc.integer()), (lines, cat, coupons, key) => {
        const shuffled = [...coupons].sort((a, b) => key(a.code) - key(b.code) || (a.code < b.code ? -1 : 1));
        const codes = shuffled.filter((c) => !c.automatic).map((c) => c.code);
        expect(priceOrder(ruleRequest(lines, cat, shuffled, codes))).toEqual(priceOrder(ruleRequest(lines, cat, coupons)));
        expect(priceOrder(ruleRequest(lines, cat, [...coupons].reverse()))).toEqual(priceOrder(ruleRequest(lines, cat, coupons)));
      }),
      { numRuns: 500 },
    );
  });

  it('never makes an order cheaper when a coupon or an automatic promotion is removed', () => {
    fc.assert(
      fc.property(linesArb, priceCatalogArb, ruleCouponsArb, fc.nat(), (lines, cat, coupons, pick) => {
        fc.pre(coupons.length > 0);
        const fewer = coupons.filter((_, i) => i !== pick % coupons.length);
        const withAll = priceOrder(ruleRequest(lines, cat, coupons));
        const without = priceOrder(ruleRequest(lines, cat, fewer));
        expect(without.pricing.total).toBeGreaterThanOrEqual(withAll.pricing.total);
      }),
      { numRuns: 500 },
    );
  });
});
