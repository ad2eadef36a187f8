/**
 * Request-body schemas of API contract v1 (shared/brief/PRODUCT.md), written with zod 4.
 * Every object is strict (unknown keys are rejected). Money is integer minor units in 0..10^12,
 * stock is integer units in 0..10^7, times are ISO-8601 UTC strings (`...Z`).
 * Pure: no I/O. Handlers call `parseJsonBody` then `parseWith(schema, body)`.
 */
import { z } from 'zod';
import { DomainError } from './errors.ts';
import { MAX_COUPON_COUNTER_SHARDS, MAX_INVENTORY_SHARDS } from './inventory.ts';

/** Largest money amount accepted in a request, in minor units (10^12). */
export const MAX_MONEY = 1_000_000_000_000;
/** Largest stock quantity accepted in a request, in units of stock (10^7). */
export const MAX_STOCK = 10_000_000;
/** Largest request body accepted, in bytes (64 KiB, after base64 decoding). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Id of a store, SKU, customer, order, coupon code or payment: 1..64 chars, `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Any id (storeId, sku, customerId, orderId, coupon code, paymentId); also used for path parameters. */
export const idSchema = z.string().regex(ID_PATTERN, 'Must be 1-64 characters [A-Za-z0-9_.:-], starting with a letter or digit');

/** A display name: 1..200 characters. */
export const nameSchema = z.string().min(1).max(200);
/** ISO-4217 currency code: three upper-case letters. */
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'Must be an ISO-4217 code of three upper-case letters');
/** Money: integer minor units, 0..10^12. */
export const moneySchema = z.int().min(0).max(MAX_MONEY);
/** Stock: integer units of stock, 0..10^7. */
export const stockSchema = z.int().min(0).max(MAX_STOCK);
/** ISO-8601 UTC timestamp, e.g. `2025-01-31T08:00:00Z` (fractional seconds allowed, offsets not). */
export const utcTimestampSchema = z.iso.datetime({ message: 'Must be an ISO-8601 UTC timestamp like 2025-01-31T08:00:00Z' });

/** True when `tz` is an IANA zone name the runtime's Intl knows (offsets such as `+08:00` are refused). */
export function isValidTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A sales-region name like `east`: lower case, 1..32 characters. */
export const regionSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'Must be a sales region name like "east"');

/** PUT /v1/stores/{storeId}: `{name, region, timezone}`; region is a sales-region name like `east`. */
export const storeBodySchema = z.strictObject({
  name: nameSchema,
  region: regionSchema,
  timezone: z.string().refine(isValidTimeZone, 'Must be a valid IANA time zone like "Asia/Shanghai"'),
});
export type StoreBody = z.infer<typeof storeBodySchema>;

/** PUT /v1/catalog/{sku}: `{name, unitPrice (minor units), currency, category}`. */
export const catalogItemBodySchema = z.strictObject({
  name: nameSchema,
  unitPrice: moneySchema,
  currency: currencySchema,
  category: nameSchema,
});
export type CatalogItemBody = z.infer<typeof catalogItemBodySchema>;

/**
 * PUT /v1/stores/{storeId}/inventory/{sku}: `{available, lowStockThreshold, shards?}` in units of stock;
 * `shards` (1..MAX_INVENTORY_SHARDS = 64, default: keep, 1 for a new item) splits a hot item's stock over that
 * many shard items (src/domain/inventory.ts).
 */
export const inventoryBodySchema = z.strictObject({
  available: stockSchema,
  lowStockThreshold: stockSchema,
  shards: z.int().min(1).max(MAX_INVENTORY_SHARDS).optional(),
});
export type InventoryBody = z.infer<typeof inventoryBodySchema>;

/** Largest number of stores a coupon can be scoped to (`storeIds`); wider scopes use `region`. */
export const MAX_COUPON_STORES = 500;

/**
 * Fields every coupon type may carry. `currency` is allowed on every type (not only AMOUNT_OFF)
 * because `minSubtotal`, `maxDiscount` and `maxOrderDiscount` are money too; when absent the coupon
 * applies to any currency. Limits (`maxRedemptions`, `perCustomerLimit`) are counts >= 1.
 * Promotions engine fields (src/domain/pricing.ts): `automatic` (applied without a code), scope
 * `storeIds` (1..500 unique ids) and `region`, `exclusiveGroup` (an id), `priority` (-1000..1000,
 * default 0, higher first) and `maxOrderDiscount` (minor units: cap on the whole order's discount
 * when this coupon is used); `counterShards` (1..64) splits a hot promotion's redemption counter over that many
 * items, each holding a slice of `maxRedemptions`.
 */
const couponCommon = {
  currency: currencySchema.optional(),
  minSubtotal: moneySchema.optional(),
  stackable: z.boolean().default(true),
  maxRedemptions: z.int().min(1).max(MAX_MONEY).optional(),
  perCustomerLimit: z.int().min(1).max(MAX_STOCK).optional(),
  validFrom: utcTimestampSchema.optional(),
  validTo: utcTimestampSchema.optional(),
  automatic: z.boolean().optional(),
  storeIds: z
    .array(idSchema)
    .min(1)
    .max(MAX_COUPON_STORES)
    .superRefine((ids, ctx) => noDuplicates(ids, undefined, ctx, 'store id'))
    .optional(),
  region: regionSchema.optional(),
  exclusiveGroup: idSchema.optional(),
  priority: z.int().min(-1000).max(1000).optional(),
  maxOrderDiscount: moneySchema.optional(),
  /** Chain-wide promotion counter slices (1..64): the redemption counter is split over that many items. */
  counterShards: z.int().min(1).max(MAX_COUPON_COUNTER_SHARDS).optional(),
};

/**
 * PUT /v1/coupons/{code}: a union on `type`:
 * AMOUNT_OFF `{amountOff >= 1}`; PERCENT_OFF `{percentOff 1..100, maxDiscount?}`;
 * FREE_ITEM `{sku, quantity 1..999}`; plus the common fields above. validFrom < validTo when both given.
 */
export const couponBodySchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('AMOUNT_OFF'), amountOff: moneySchema.min(1), ...couponCommon }),
    z.strictObject({
      type: z.literal('PERCENT_OFF'),
      percentOff: z.int().min(1).max(100),
      maxDiscount: moneySchema.optional(),
      ...couponCommon,
    }),
    z.strictObject({ type: z.literal('FREE_ITEM'), sku: idSchema, quantity: z.int().min(1).max(999), ...couponCommon }),
  ])
  .superRefine((c, ctx) => {
    if (c.validFrom !== undefined && c.validTo !== undefined && Date.parse(c.validFrom) >= Date.parse(c.validTo)) {
      ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'validTo must be after validFrom' });
    }
  });
export type CouponBody = z.infer<typeof couponBodySchema>;

/** The payment methods of API contract v1. */
export const paymentMethodSchema = z.enum(['WECHAT_PAY', 'ALIPAY', 'CARD', 'BALANCE']);

/** Adds an issue at `[index, field]` for every value that already appeared earlier in the list. */
function noDuplicates<T>(values: T[], field: string | undefined, ctx: z.RefinementCtx, what: string): void {
  const seen = new Set<T>();
  values.forEach((v, i) => {
    if (seen.has(v))
      ctx.addIssue({ code: 'custom', path: field === undefined ? [i] : [i, field], message: `Duplicate ${what} ${String(v)}` });
    seen.add(v);
  });
}

/**
 * POST /v1/orders: `{storeId, customerId? (contract v1.1: the token's sub; if sent it must equal it), items: 1..25 of {sku, quantity 1..999} (no duplicate sku),
 * couponCodes?: 0..5 unique codes, paymentMethod}`.
 */
export const createOrderBodySchema = z.strictObject({
  storeId: idSchema,
  customerId: idSchema.optional(),
  items: z
    .array(z.strictObject({ sku: idSchema, quantity: z.int().min(1).max(999) }))
    .min(1)
    .max(25)
    .superRefine((items, ctx) =>
      noDuplicates(
        items.map((i) => i.sku),
        'sku',
        ctx,
        'sku',
      ),
    ),
  couponCodes: z
    .array(idSchema)
    .max(5)
    .superRefine((codes, ctx) => noDuplicates(codes, undefined, ctx, 'coupon code'))
    .optional(),
  paymentMethod: paymentMethodSchema,
});
export type CreateOrderBody = z.infer<typeof createOrderBodySchema>;

/**
 * POST /v1/payments/webhook/{provider}: `{paymentId, orderId | topupId (exactly one), status, amount (minor
 * units), currency, occurredAt}` (contract v1.1: a callback pays an order or confirms a wallet top-up).
 */
export const paymentWebhookBodySchema = z
  .strictObject({
    paymentId: idSchema,
    orderId: idSchema.optional(),
    topupId: idSchema.optional(),
    status: z.enum(['SUCCEEDED', 'FAILED']),
    amount: moneySchema,
    currency: currencySchema,
    occurredAt: utcTimestampSchema,
  })
  .superRefine((b, ctx) => {
    if ((b.orderId === undefined) === (b.topupId === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [b.orderId === undefined ? 'orderId' : 'topupId'],
        message: 'Send exactly one of orderId and topupId',
      });
    }
  });
export type PaymentWebhookBody = z.infer<typeof paymentWebhookBodySchema>;

/** Payment methods a wallet top-up can be paid with (a provider that confirms through the webhook; not BALANCE). */
export const topupPaymentMethodSchema = z.enum(['WECHAT_PAY', 'ALIPAY', 'CARD']);

/** POST /v1/customers/{customerId}/wallet/topups (v1.1): `{amount >= 1 (minor units), currency, paymentMethod}`. */
export const walletTopupBodySchema = z.strictObject({
  amount: moneySchema.min(1),
  currency: currencySchema,
  paymentMethod: topupPaymentMethodSchema,
});
export type WalletTopupBody = z.infer<typeof walletTopupBodySchema>;

/**
 * POST /v1/customers/{customerId}/wallet/adjustments (chainAdmin): `{amount (signed integer minor units,
 * != 0, |amount| <= 10^12), currency, reason (1-200 characters)}`.
 */
export const walletAdjustmentBodySchema = z.strictObject({
  amount: z
    .int()
    .min(-MAX_MONEY)
    .max(MAX_MONEY)
    .refine((n) => n !== 0, 'Must not be 0'),
  currency: currencySchema,
  reason: z.string().trim().min(1).max(200),
});
export type WalletAdjustmentBody = z.infer<typeof walletAdjustmentBodySchema>;

/** One validation problem: `path` is dot-joined (`items.0.quantity`; `''` for the body itself). */
export interface ValidationIssue {
  path: string;
  message: string;
}

/**
 * Flattens zod issues to `{path, message}`; an unknown key becomes one issue at its own path, and a
 * wrong type hides the other issues at the same path (zod also runs e.g. length checks on it).
 */
function toIssues(error: z.ZodError): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const wrongType = new Set(error.issues.filter((i) => i.code === 'invalid_type').map((i) => i.path.map(String).join('.')));
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code !== 'invalid_type' && wrongType.has(base.join('.'))) continue;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...base, key].join('.'), message: `Unknown field "${key}"` });
    } else {
      out.push({ path: base.join('.'), message: issue.message });
    }
  }
  return out;
}

/**
 * Validates `value` against `schema` and returns the parsed output (defaults applied).
 * Throws DomainError VALIDATION_FAILED (400) with extra `{ errors: [{path, message}] }` listing
 * every issue (API contract v1, PRODUCT.md).
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = toIssues(result.error);
  const first = errors[0];
  const detail = first
    ? `${first.path || 'body'}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`
    : 'Invalid request';
  throw new DomainError('VALIDATION_FAILED', detail, { errors });
}

/**
 * Deepest nesting of arrays/objects accepted in a request body (a top-level object is depth 1).
 * Our deepest legitimate body is 3 levels (order → items → line); 32 leaves ample room while staying far
 * from the recursion that hashing (Powertools idempotency), JMESPath and zod do per level: a 6,000-deep
 * array (12 KB) used to crash the idempotency hashing with a 500 (issue 7, item 7).
 */
export const MAX_JSON_DEPTH = 32;

/**
 * True when `text` nests arrays/objects more than `maxDepth` levels. One O(n) pass over the characters,
 * no allocation: brackets inside JSON strings (escapes honoured) do not count. Meant to run BEFORE
 * JSON.parse and anything recursive; on malformed text the answer is only a hint (JSON.parse decides).
 */
export function exceedsJsonDepth(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped, whatever it is
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Decodes an HTTP body (API Gateway style: a string, possibly base64) and parses it as JSON.
 * Returns the parsed value (still unvalidated). Checks run cheapest first, before JSON.parse: throws
 * DomainError PAYLOAD_TOO_LARGE (413) when the body exceeds MAX_BODY_BYTES (64 KiB, bytes after
 * decoding), VALIDATION_FAILED (400, `errors: [{path: 'body', ...}]`) when it nests deeper than
 * MAX_JSON_DEPTH (32), MALFORMED_JSON (400) when it is missing, blank, not UTF-8 or not JSON. The parser's
 * own message is never echoed (it can quote the input). Source: PRODUCT.md API contract v1; issue 7.
 */
export function parseJsonBody(raw: string | undefined | null, isBase64 = false): unknown {
  if (raw === undefined || raw === null || raw === '') throw new DomainError('MALFORMED_JSON', 'Request body is empty');
  // Cheap pre-check before decoding: base64 takes 4 chars per 3 bytes, UTF-8 at least 1 byte per char.
  if (raw.length > (isBase64 ? Math.ceil((MAX_BODY_BYTES * 4) / 3) + 4 : MAX_BODY_BYTES)) tooLarge();
  const bytes = isBase64 ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) tooLarge();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DomainError('MALFORMED_JSON', 'Request body is not valid UTF-8');
  }
  if (text.trim() === '') throw new DomainError('MALFORMED_JSON', 'Request body is empty');
  if (exceedsJsonDepth(text)) {
    throw new DomainError('VALIDATION_FAILED', `Request body nests deeper than ${MAX_JSON_DEPTH} levels`, {
      errors: [{ path: 'body', message: `nesting deeper than ${MAX_JSON_DEPTH} levels of arrays/objects` }],
      limitDepth: MAX_JSON_DEPTH,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError('MALFORMED_JSON', 'Request body is not valid JSON');
  }
}

function tooLarge(): never {
  throw new DomainError('PAYLOAD_TOO_LARGE', `Request body exceeds ${MAX_BODY_BYTES} bytes`, { limitBytes: MAX_BODY_BYTES });
}

/** Largest number of stores one staff assignment may name. */
export const MAX_STAFF_STORES = 500;

/**
 * PUT /v1/staff/{sub}: `{stores?: 0..500 unique store ids, region?: a sales region}`, at least one of the
 * two (contract v1.1 "Identity and access"). The assignment replaces the previous one.
 */
export const staffBodySchema = z
  .strictObject({
    stores: z
      .array(idSchema)
      .max(MAX_STAFF_STORES)
      .superRefine((ids, ctx) => noDuplicates(ids, undefined, ctx, 'store id'))
      .optional(),
    region: regionSchema.optional(),
  })
  .refine((b) => b.stores !== undefined || b.region !== undefined, { message: 'Give stores, region or both' });
export type StaffBody = z.infer<typeof staffBodySchema>;
