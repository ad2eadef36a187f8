import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import {
  catalogItemBodySchema,
  couponBodySchema,
  createOrderBodySchema,
  idSchema,
  inventoryBodySchema,
  isValidTimeZone,
  MAX_BODY_BYTES,
  parseJsonBody,
  exceedsJsonDepth,
  MAX_JSON_DEPTH,
  parseWith,
  paymentWebhookBodySchema,
  storeBodySchema,
  walletTopupBodySchema,
  walletAdjustmentBodySchema,
} from '../../src/domain/schemas.ts';

/** Runs `fn` and returns the DomainError it throws. */
function caught(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

const paths = (e: DomainError): string[] => (e.extra.errors as { path: string }[]).map((i) => i.path);

const goodOrder = {
  storeId: 'store-001',
  customerId: 'cust:42',
  items: [{ sku: 'BURGER_1', quantity: 2 }],
  couponCodes: ['SAVE10'],
  paymentMethod: 'WECHAT_PAY',
};
const order = (patch: Record<string, unknown>) => ({ ...goodOrder, ...patch });
const item = (patch: Record<string, unknown>) => order({ items: [{ sku: 'BURGER_1', quantity: 2, ...patch }] });

describe('parseJsonBody', () => {
  it('parses a JSON object', () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ a: 1 });
  });
  it('decodes a base64 body', () => {
    expect(parseJsonBody(Buffer.from('{"a":"点"}').toString('base64'), true)).toEqual({ a: '点' });
  });
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty string', ''],
    ['whitespace', '  \n '],
    ['non-JSON text', 'hello'],
    ['truncated JSON', '{"storeId": "s1",'],
    ['single quotes', "{'a':1}"],
  ])('rejects %s with MALFORMED_JSON', (_name, raw) => {
    const e = caught(() => parseJsonBody(raw));
    expect(e.code).toBe('MALFORMED_JSON');
    expect(e.status).toBe(400);
  });
  it('rejects invalid UTF-8 in a base64 body with MALFORMED_JSON', () => {
    expect(caught(() => parseJsonBody(Buffer.from([0x22, 0xff, 0x22]).toString('base64'), true)).code).toBe('MALFORMED_JSON');
  });
  it('accepts exactly 64 KiB and rejects one byte more with PAYLOAD_TOO_LARGE', () => {
    const body = (n: number) => `"${'x'.repeat(n - 2)}"`;
    expect(parseJsonBody(body(MAX_BODY_BYTES))).toHaveLength(MAX_BODY_BYTES - 2);
    const e = caught(() => parseJsonBody(body(MAX_BODY_BYTES + 1)));
    expect(e.code).toBe('PAYLOAD_TOO_LARGE');
    expect(e.status).toBe(413);
  });
  it('counts bytes, not characters, and base64 bodies after decoding', () => {
    expect(caught(() => parseJsonBody(`"${'点'.repeat(30_000)}"`)).code).toBe('PAYLOAD_TOO_LARGE');
    const big = Buffer.from(`"${'x'.repeat(MAX_BODY_BYTES)}"`).toString('base64');
    expect(caught(() => parseJsonBody(big, true)).code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('parseJsonBody: nesting depth (checked before JSON.parse)', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  it(`accepts ${MAX_JSON_DEPTH} levels and rejects ${MAX_JSON_DEPTH + 1} with VALIDATION_FAILED`, () => {
    expect(() => parseJsonBody(nested(MAX_JSON_DEPTH))).not.toThrow();
    const e = caught(() => parseJsonBody(`${'{"a":'.repeat(MAX_JSON_DEPTH)}[1]${'}'.repeat(MAX_JSON_DEPTH)}`));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.status).toBe(400);
  });
  it.each([6_000, 30_000])('rejects a %i-deep array as VALIDATION_FAILED, even when truncated', (depth) => {
    expect(caught(() => parseJsonBody(nested(depth))).code).toBe('VALIDATION_FAILED');
    expect(caught(() => parseJsonBody('['.repeat(depth))).code).toBe('VALIDATION_FAILED');
  });
  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ note: `[[[[${'{'.repeat(100)}\\"[[[` });
    expect(exceedsJsonDepth(text)).toBe(false);
    expect(parseJsonBody(text)).toEqual(JSON.parse(text));
  });
  it('counts objects and arrays alike', () => {
    expect(exceedsJsonDepth('{"a":[{"b":[1]}]}', 4)).toBe(false);
    expect(exceedsJsonDepth('{"a":[{"b":[1]}]}', 3)).toBe(true);
  });
  it('never echoes the parser message (it can quote the input)', () => {
    const e = caught(() => parseJsonBody('{"secret": tru'));
    expect(e.code).toBe('MALFORMED_JSON');
    expect(e.detail).toBe('Request body is not valid JSON');
  });
});

describe('idSchema', () => {
  it.each(['a', 'store-001', 'SKU_1.2:x', 'A'.repeat(64)])('accepts %s', (id) => {
    expect(idSchema.safeParse(id).success).toBe(true);
  });
  it.each(['', '-lead', '_lead', 'has space', 'slash/no', 'ü', 'A'.repeat(65), 'a\n', '../x'])('rejects %j', (id) => {
    expect(idSchema.safeParse(id).success).toBe(false);
  });
});

describe('createOrderBodySchema', () => {
  it('accepts a good order and leaves couponCodes optional', () => {
    expect(parseWith(createOrderBodySchema, goodOrder)).toEqual(goodOrder);
    const { couponCodes: _omit, ...noCoupons } = goodOrder;
    expect(parseWith(createOrderBodySchema, noCoupons).couponCodes).toBeUndefined();
    expect(parseWith(createOrderBodySchema, order({ couponCodes: [] })).couponCodes).toEqual([]);
  });

  const bad: [string, unknown, string[]][] = [
    ['a non-object body', 'x', ['']],
    ['an array body', [], ['']],
    ['null', null, ['']],
    // customerId is optional since contract v1.1: the token's sub is the customer.
    ['an empty object', {}, ['storeId', 'items', 'paymentMethod']],
    ['a missing storeId', order({ storeId: undefined }), ['storeId']],
    ['quantity 0', item({ quantity: 0 }), ['items.0.quantity']],
    ['quantity -1', item({ quantity: -1 }), ['items.0.quantity']],
    ['quantity 10^9', item({ quantity: 1e9 }), ['items.0.quantity']],
    ['quantity 1000', item({ quantity: 1000 }), ['items.0.quantity']],
    ['quantity 1.5', item({ quantity: 1.5 }), ['items.0.quantity']],
    ['quantity "2"', item({ quantity: '2' }), ['items.0.quantity']],
    ['quantity NaN-like null', item({ quantity: null }), ['items.0.quantity']],
    ['a missing quantity', order({ items: [{ sku: 'A' }] }), ['items.0.quantity']],
    ['an unknown key on an item', item({ price: 1 }), ['items.0.price']],
    ['an unknown top-level key', order({ discount: 100 }), ['discount']],
    ['no items', order({ items: [] }), ['items']],
    ['26 items', order({ items: Array.from({ length: 26 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })) }), ['items']],
    ['items not an array', order({ items: { sku: 'A', quantity: 1 } }), ['items']],
    [
      'a duplicate sku',
      order({
        items: [
          { sku: 'A', quantity: 1 },
          { sku: 'B', quantity: 1 },
          { sku: 'A', quantity: 2 },
        ],
      }),
      ['items.2.sku'],
    ],
    ['a bad sku charset', item({ sku: 'bad sku' }), ['items.0.sku']],
    ['a 65-char storeId', order({ storeId: 's'.repeat(65) }), ['storeId']],
    ['a storeId with a slash', order({ storeId: 'a/b' }), ['storeId']],
    ['a numeric customerId', order({ customerId: 42 }), ['customerId']],
    ['6 coupon codes', order({ couponCodes: ['A', 'B', 'C', 'D', 'E', 'F'] }), ['couponCodes']],
    ['duplicate coupon codes', order({ couponCodes: ['A', 'B', 'A'] }), ['couponCodes.2']],
    ['a bad coupon code', order({ couponCodes: ['ok', 'not ok'] }), ['couponCodes.1']],
    ['couponCodes as a string', order({ couponCodes: 'SAVE10' }), ['couponCodes']],
    ['an unknown paymentMethod', order({ paymentMethod: 'CASH' }), ['paymentMethod']],
    ['a lower-case paymentMethod', order({ paymentMethod: 'card' }), ['paymentMethod']],
  ];
  it.each(bad)('rejects %s with VALIDATION_FAILED at the right paths', (_name, body, expected) => {
    const e = caught(() => parseWith(createOrderBodySchema, body));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.status).toBe(400);
    expect(paths(e)).toEqual(expected);
  });

  it('lists every issue, not just the first', () => {
    const e = caught(() =>
      parseWith(createOrderBodySchema, {
        storeId: '',
        customerId: 'c',
        items: [
          { sku: 'A', quantity: 0 },
          { sku: 'A', quantity: 1.5 },
        ],
        paymentMethod: 'X',
        x: 1,
      }),
    );
    expect(paths(e).sort()).toEqual(['items.0.quantity', 'items.1.quantity', 'paymentMethod', 'storeId', 'x'].sort());
    expect(e.detail).toMatch(/and 4 more/);
  });
});

describe('storeBodySchema', () => {
  it('accepts a good store', () => {
    expect(parseWith(storeBodySchema, { name: '望京店', region: 'east', timezone: 'Asia/Shanghai' })).toEqual({
      name: '望京店',
      region: 'east',
      timezone: 'Asia/Shanghai',
    });
  });
  it.each([
    ['an unknown time zone', { timezone: 'Mars/Olympus' }, ['timezone']],
    ['an offset instead of a zone', { timezone: '+08:00' }, ['timezone']],
    ['an empty time zone', { timezone: '' }, ['timezone']],
    ['a 201-char name', { name: 'n'.repeat(201) }, ['name']],
    ['an empty name', { name: '' }, ['name']],
    ['a numeric name', { name: 7 }, ['name']],
    ['an upper-case region', { region: 'EAST' }, ['region']],
    ['an unknown key', { manager: 'x' }, ['manager']],
  ])('rejects %s', (_name, patch, expected) => {
    const e = caught(() => parseWith(storeBodySchema, { name: 'S', region: 'east', timezone: 'UTC', ...patch }));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(paths(e)).toEqual(expected);
  });
  it('accepts exactly 200 characters of name', () => {
    expect(storeBodySchema.safeParse({ name: 'n'.repeat(200), region: 'east', timezone: 'UTC' }).success).toBe(true);
  });
  it('knows IANA zones through Intl', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Nowhere/Land')).toBe(false);
  });
});

describe('catalogItemBodySchema', () => {
  const good = { name: 'Burger', unitPrice: 2500, currency: 'CNY', category: 'food' };
  it('accepts a good item, price 0 and 10^12', () => {
    expect(parseWith(catalogItemBodySchema, good)).toEqual(good);
    expect(catalogItemBodySchema.safeParse({ ...good, unitPrice: 0 }).success).toBe(true);
    expect(catalogItemBodySchema.safeParse({ ...good, unitPrice: 1e12 }).success).toBe(true);
  });
  it.each([
    ['a float price', { unitPrice: 25.5 }, ['unitPrice']],
    ['a negative price', { unitPrice: -1 }, ['unitPrice']],
    ['a price above 10^12', { unitPrice: 1e12 + 1 }, ['unitPrice']],
    ['a string price', { unitPrice: '2500' }, ['unitPrice']],
    ['a lower-case currency', { currency: 'cny' }, ['currency']],
    ['a 4-letter currency', { currency: 'CNYY' }, ['currency']],
    ['a missing category', { category: undefined }, ['category']],
  ])('rejects %s', (_name, patch, expected) => {
    expect(paths(caught(() => parseWith(catalogItemBodySchema, { ...good, ...patch })))).toEqual(expected);
  });
});

describe('inventoryBodySchema', () => {
  it('accepts stock 0..10^7', () => {
    expect(parseWith(inventoryBodySchema, { available: 0, lowStockThreshold: 10_000_000 })).toEqual({
      available: 0,
      lowStockThreshold: 10_000_000,
    });
  });
  it.each([
    [{ available: -1, lowStockThreshold: 1 }, ['available']],
    [{ available: 10_000_001, lowStockThreshold: 1 }, ['available']],
    [{ available: 1.5, lowStockThreshold: 1 }, ['available']],
    [{ available: 1 }, ['lowStockThreshold']],
    [{ available: 1, lowStockThreshold: 1, reserved: 0 }, ['reserved']],
  ])('rejects %j', (body, expected) => {
    expect(paths(caught(() => parseWith(inventoryBodySchema, body)))).toEqual(expected);
  });
});

describe('couponBodySchema', () => {
  it('parses each coupon type and defaults stackable to true', () => {
    expect(parseWith(couponBodySchema, { type: 'AMOUNT_OFF', amountOff: 500, currency: 'CNY' })).toEqual({
      type: 'AMOUNT_OFF',
      amountOff: 500,
      currency: 'CNY',
      stackable: true,
    });
    expect(parseWith(couponBodySchema, { type: 'PERCENT_OFF', percentOff: 100, maxDiscount: 1000, stackable: false }).stackable).toBe(
      false,
    );
    const free = parseWith(couponBodySchema, {
      type: 'FREE_ITEM',
      sku: 'FRIES',
      quantity: 1,
      minSubtotal: 3000,
      maxRedemptions: 100,
      perCustomerLimit: 1,
      validFrom: '2025-01-01T00:00:00Z',
      validTo: '2025-02-01T00:00:00.000Z',
    });
    expect(free).toMatchObject({ type: 'FREE_ITEM', sku: 'FRIES', quantity: 1, stackable: true });
  });
  it('parses the promotions-engine fields of an automatic, scoped promotion', () => {
    const promo = {
      type: 'PERCENT_OFF',
      percentOff: 10,
      automatic: true,
      storeIds: ['S1', 'S2'],
      region: 'east',
      exclusiveGroup: 'WELCOME',
      priority: -5,
      maxOrderDiscount: 0,
    };
    expect(parseWith(couponBodySchema, promo)).toEqual({ ...promo, stackable: true });
  });
  it.each([
    ['an unknown type', { type: 'BOGO' }, ['type']],
    ['a missing type', { amountOff: 1 }, ['type']],
    ['AMOUNT_OFF without amountOff', { type: 'AMOUNT_OFF' }, ['amountOff']],
    ['AMOUNT_OFF with percentOff', { type: 'AMOUNT_OFF', amountOff: 1, percentOff: 10 }, ['percentOff']],
    ['amountOff 0', { type: 'AMOUNT_OFF', amountOff: 0 }, ['amountOff']],
    ['percentOff 0', { type: 'PERCENT_OFF', percentOff: 0 }, ['percentOff']],
    ['percentOff 101', { type: 'PERCENT_OFF', percentOff: 101 }, ['percentOff']],
    ['percentOff 12.5', { type: 'PERCENT_OFF', percentOff: 12.5 }, ['percentOff']],
    ['a negative maxDiscount', { type: 'PERCENT_OFF', percentOff: 10, maxDiscount: -1 }, ['maxDiscount']],
    ['FREE_ITEM without sku', { type: 'FREE_ITEM', quantity: 1 }, ['sku']],
    ['FREE_ITEM quantity 0', { type: 'FREE_ITEM', sku: 'A', quantity: 0 }, ['quantity']],
    ['a string stackable', { type: 'AMOUNT_OFF', amountOff: 1, stackable: 'yes' }, ['stackable']],
    ['maxRedemptions 0', { type: 'AMOUNT_OFF', amountOff: 1, maxRedemptions: 0 }, ['maxRedemptions']],
    ['a local validFrom', { type: 'AMOUNT_OFF', amountOff: 1, validFrom: '2025-01-01T00:00:00' }, ['validFrom']],
    ['an offset validTo', { type: 'AMOUNT_OFF', amountOff: 1, validTo: '2025-01-01T08:00:00+08:00' }, ['validTo']],
    ['a date-only validTo', { type: 'AMOUNT_OFF', amountOff: 1, validTo: '2025-01-01' }, ['validTo']],
    [
      'validFrom after validTo',
      { type: 'AMOUNT_OFF', amountOff: 1, validFrom: '2025-02-01T00:00:00Z', validTo: '2025-01-01T00:00:00Z' },
      ['validTo'],
    ],
    [
      'validFrom equal to validTo',
      { type: 'AMOUNT_OFF', amountOff: 1, validFrom: '2025-02-01T00:00:00Z', validTo: '2025-02-01T00:00:00.000Z' },
      ['validTo'],
    ],
    ['a bad currency', { type: 'AMOUNT_OFF', amountOff: 1, currency: 'yuan' }, ['currency']],
    ['a string automatic', { type: 'AMOUNT_OFF', amountOff: 1, automatic: 'true' }, ['automatic']],
    ['an empty storeIds', { type: 'AMOUNT_OFF', amountOff: 1, storeIds: [] }, ['storeIds']],
    ['a duplicate store id', { type: 'AMOUNT_OFF', amountOff: 1, storeIds: ['S1', 'S1'] }, ['storeIds.1']],
    ['501 store ids', { type: 'AMOUNT_OFF', amountOff: 1, storeIds: Array.from({ length: 501 }, (_, i) => `S${i}`) }, ['storeIds']],
    ['an upper-case region', { type: 'AMOUNT_OFF', amountOff: 1, region: 'East' }, ['region']],
    ['a bad exclusiveGroup', { type: 'AMOUNT_OFF', amountOff: 1, exclusiveGroup: 'no spaces' }, ['exclusiveGroup']],
    ['a fractional priority', { type: 'AMOUNT_OFF', amountOff: 1, priority: 1.5 }, ['priority']],
    ['priority 1001', { type: 'AMOUNT_OFF', amountOff: 1, priority: 1001 }, ['priority']],
    ['a negative maxOrderDiscount', { type: 'AMOUNT_OFF', amountOff: 1, maxOrderDiscount: -1 }, ['maxOrderDiscount']],
  ])('rejects %s', (_name, body, expected) => {
    const e = caught(() => parseWith(couponBodySchema, body));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(paths(e)).toEqual(expected);
  });
});

describe('paymentWebhookBodySchema', () => {
  const good = {
    paymentId: 'wx_123',
    orderId: '01J0ORDER',
    status: 'SUCCEEDED',
    amount: 4500,
    currency: 'CNY',
    occurredAt: '2025-01-01T08:00:00.123Z',
  };
  it('accepts a good callback', () => {
    expect(parseWith(paymentWebhookBodySchema, good)).toEqual(good);
  });
  it.each([
    ['an unknown status', { status: 'PENDING' }, ['status']],
    ['a float amount', { amount: 45.0001 }, ['amount']],
    ['a string amount', { amount: '4500' }, ['amount']],
    ['a bad occurredAt', { occurredAt: 'yesterday' }, ['occurredAt']],
    ['an extra key', { signature: 'x' }, ['signature']],
  ])('rejects %s', (_name, patch, expected) => {
    expect(paths(caught(() => parseWith(paymentWebhookBodySchema, { ...good, ...patch })))).toEqual(expected);
  });
});

describe('paymentWebhookBodySchema with a top-up (v1.1)', () => {
  const good = {
    paymentId: 'wx_124',
    topupId: 'top_1',
    status: 'SUCCEEDED',
    amount: 4500,
    currency: 'CNY',
    occurredAt: '2025-01-01T08:00:00Z',
  };
  it('accepts a callback naming topupId instead of orderId', () => {
    expect(parseWith(paymentWebhookBodySchema, good)).toEqual(good);
  });
  it('requires exactly one of orderId and topupId', () => {
    expect(paths(caught(() => parseWith(paymentWebhookBodySchema, { ...good, orderId: 'ord_1' })))).toEqual(['topupId']);
    const { topupId: _omitted, ...neither } = good;
    expect(paths(caught(() => parseWith(paymentWebhookBodySchema, neither)))).toEqual(['orderId']);
  });
});

describe('walletTopupBodySchema', () => {
  // Contract v1.1: a top-up is a provider payment, so paymentMethod (not BALANCE) is required.
  it('accepts a positive amount with a provider payment method and rejects 0', () => {
    expect(parseWith(walletTopupBodySchema, { amount: 100, currency: 'CNY', paymentMethod: 'ALIPAY' })).toEqual({
      amount: 100,
      currency: 'CNY',
      paymentMethod: 'ALIPAY',
    });
    expect(paths(caught(() => parseWith(walletTopupBodySchema, { amount: 0, currency: 'CNY', paymentMethod: 'CARD' })))).toEqual([
      'amount',
    ]);
  });
  it.each([
    ['no paymentMethod', { amount: 100, currency: 'CNY' }, ['paymentMethod']],
    ['BALANCE', { amount: 100, currency: 'CNY', paymentMethod: 'BALANCE' }, ['paymentMethod']],
  ])('rejects %s', (_name, body, expected) => {
    expect(paths(caught(() => parseWith(walletTopupBodySchema, body)))).toEqual(expected);
  });
});

describe('walletAdjustmentBodySchema', () => {
  it('accepts a signed non-zero amount with a reason', () => {
    expect(parseWith(walletAdjustmentBodySchema, { amount: -250, currency: 'CNY', reason: 'goodwill reversal' })).toEqual({
      amount: -250,
      currency: 'CNY',
      reason: 'goodwill reversal',
    });
    expect(parseWith(walletAdjustmentBodySchema, { amount: 1, currency: 'CNY', reason: 'x' }).amount).toBe(1);
  });
  it.each([
    ['amount 0', { amount: 0, currency: 'CNY', reason: 'r' }, ['amount']],
    ['a fractional amount', { amount: -1.5, currency: 'CNY', reason: 'r' }, ['amount']],
    ['an empty reason', { amount: 5, currency: 'CNY', reason: '  ' }, ['reason']],
    ['a 201-character reason', { amount: 5, currency: 'CNY', reason: 'r'.repeat(201) }, ['reason']],
    ['no currency', { amount: 5, reason: 'r' }, ['currency']],
  ])('rejects %s', (_name, body, expected) => {
    expect(paths(caught(() => parseWith(walletAdjustmentBodySchema, body)))).toEqual(expected);
  });
});

describe('parseJsonBody + parseWith', () => {
  it('turns a raw body into a typed order', () => {
    const parsed = parseWith(createOrderBodySchema, parseJsonBody(JSON.stringify(goodOrder)));
    expect(parsed.items[0]?.quantity).toBe(2);
  });
});
