/**
 * A small HTTP client for wandian's API contract v1 (shared/brief/PRODUCT.md), used by the tests, the demo
 * and the bench: JSON in, `{status, body, headers}` out. Money is integer minor units; no retries, no
 * timeouts of its own (the caller decides).
 */
import { randomUUID } from 'node:crypto';
import { signBody } from '../src/payments/signature.ts';

/** One answer: HTTP status, the parsed JSON body (or the raw text when it is not JSON) and the headers. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Client for one API base URL (`http://127.0.0.1:<port>`); `webhookSecret` signs payment callbacks. */
export class ApiClient {
  constructor(readonly baseUrl: string, private readonly webhookSecret: string) {}

  /** Sends `body` as JSON (a string is sent verbatim) and parses the JSON answer. */
  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** PUT `path` with a JSON body. */
  put = (path: string, body: unknown) => this.request('PUT', path, body);
  /** GET `path`. */
  get = (path: string) => this.request('GET', path);

  /** POST /v1/orders with an Idempotency-Key (fresh unless given). */
  createOrder(body: unknown, idempotencyKey: string = randomUUID()) {
    return this.request('POST', '/v1/orders', body, { 'idempotency-key': idempotencyKey });
  }

  /**
   * POST /v1/orders as a well-behaved client: an in-doubt answer (5xx, or 409
   * IDEMPOTENCY_KEY_IN_PROGRESS) is retried with the SAME Idempotency-Key (at most `attempts` times,
   * 200 ms × attempt apart), so the caller gets the one definitive answer for its order.
   */
  async createOrderUntilAnswered(body: unknown, attempts = 10): Promise<ApiResponse> {
    const key = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const res = await this.createOrder(body, key);
      const inDoubt = res.status >= 500 || res.body?.code === 'IDEMPOTENCY_KEY_IN_PROGRESS';
      if (!inDoubt || attempt >= attempts) return res;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }

  /** POST /v1/orders/{orderId}/cancel: 202 `{orderId, action: CANCEL | REFUND}` or 409 ORDER_NOT_CANCELLABLE. */
  cancel(orderId: string) {
    return this.request('POST', `/v1/orders/${encodeURIComponent(orderId)}/cancel`);
  }

  /** Signs and sends a provider callback (or sends `signature` as given). */
  webhook(payload: Record<string, unknown>, signature?: string) {
    const raw = JSON.stringify(payload);
    return this.request('POST', '/v1/payments/webhook', raw, { 'x-signature': signature ?? signBody(raw, this.webhookSecret) });
  }

  /** Pays `order` in full through the webhook (status SUCCEEDED unless told otherwise); amount in minor units. */
  pay(order: { orderId: string; pricing: { total: number; currency: string } }, overrides: Record<string, unknown> = {}) {
    return this.webhook({
      paymentId: `pay_${randomUUID()}`,
      orderId: order.orderId,
      status: 'SUCCEEDED',
      amount: order.pricing.total,
      currency: order.pricing.currency,
      occurredAt: new Date().toISOString(),
      ...overrides,
    });
  }

  /** Polls GET /v1/orders/{id} every 50 ms until its status is one of `statuses` (or throws after `timeoutMs` ms). */
  async waitForStatus(orderId: string, statuses: string[], timeoutMs = 15_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      last = (await this.get(`/v1/orders/${orderId}`)).body;
      if (statuses.includes(last?.status)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`Order ${orderId} did not reach ${statuses.join('|')} in ${timeoutMs} ms; last status ${last?.status}`);
  }
}
