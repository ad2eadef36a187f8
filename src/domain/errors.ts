/**
 * Errors are values with a stable machine-readable `code` and an HTTP status; one module
 * (functions/commons/http.ts) turns them into application/problem+json. Codes come from the
 * API contract v1 in shared/brief/PRODUCT.md.
 */
export const errorCatalog = {
  VALIDATION_FAILED: { status: 400, title: 'Request validation failed' },
  MALFORMED_JSON: { status: 400, title: 'Request body is not valid JSON' },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'Idempotency-Key header is required' },
  INVALID_RANGE: { status: 400, title: 'Invalid time range' },
  INVALID_SIGNATURE: { status: 401, title: 'Webhook signature is missing or wrong' },
  STALE_SIGNATURE: { status: 401, title: 'Webhook signature timestamp is outside the accepted window' },
  UNAUTHENTICATED: { status: 401, title: 'A valid bearer token is required' },
  FORBIDDEN: { status: 403, title: 'Not allowed for this caller' },
  TOPUP_NOT_FOUND: { status: 404, title: 'Top-up not found' },
  STORE_NOT_FOUND: { status: 404, title: 'Store not found' },
  SKU_NOT_FOUND: { status: 404, title: 'SKU not found' },
  INVENTORY_NOT_FOUND: { status: 404, title: 'No inventory for this store and SKU' },
  ORDER_NOT_FOUND: { status: 404, title: 'Order not found' },
  WALLET_NOT_FOUND: { status: 404, title: 'Customer has no wallet' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  INVENTORY_SHORTAGE: { status: 409, title: 'Not enough stock' },
  ORDER_NOT_CANCELLABLE: { status: 409, title: 'Order can no longer be cancelled' },
  ORDER_NOT_FULFILLABLE: { status: 409, title: 'Only a PAID order can be fulfilled' },
  IDEMPOTENCY_KEY_IN_PROGRESS: { status: 409, title: 'A request with this Idempotency-Key is still in progress' },
  CONCURRENT_UPDATE: { status: 409, title: 'The resource changed concurrently; retry' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Content-Type must be application/json' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  // Load shedding (README "Overload and retries"): nothing was written; retry with the same Idempotency-Key after Retry-After.
  SERVICE_OVERLOADED: { status: 503, title: 'Service overloaded' },
  // The order write did not answer in time and may have committed: the same Idempotency-Key's retry answers which.
  ORDER_IN_DOUBT: { status: 503, title: 'Order outcome not known yet' },
  INSUFFICIENT_FUNDS: { status: 422, title: 'The wallet cannot go below zero' },
  COUPON_NOT_APPLICABLE: { status: 422, title: 'Coupon not applicable' },
  COUPON_EXHAUSTED: { status: 422, title: 'Coupon redemption limit reached' },
  CURRENCY_MISMATCH: { status: 422, title: 'Items and coupons must share one currency' },
  WALLET_LIMIT_EXCEEDED: { status: 422, title: 'The top-up would take the wallet beyond its maximum balance' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key was used with a different request body' },
} as const;

export type ErrorCode = keyof typeof errorCatalog;

/**
 * A failure the caller can act on; `extra` fields are added to the problem document (e.g. `shortages`),
 * `headers` to the response (e.g. `retry-after` for RATE_LIMITED; lower-case names).
 */
export class DomainError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'DomainError';
    this.status = errorCatalog[code].status;
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
