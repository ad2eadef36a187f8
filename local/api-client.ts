/**
 * A small HTTP client for wandian's API contract v1.1 (shared/brief/PRODUCT.md), used by the tests, the demo
 * and the bench: JSON in, `{status, body, headers}` out. Money is integer minor units; no retries, no
 * timeouts of its own (the caller decides).
 *
 * Identity: tokens come from the local issuer (`POST /local/token`). A client either sends one fixed token
 * (`as(token)`, `asUser(sub, groups)`), none (`anonymous()`), or, by default, acts as the principal the
 * contract expects for each call ('auto'): the customer of the body's `customerId` for `POST /v1/orders`, the
 * path's customer for their wallet, a chain admin for everything else. 'auto' is a convenience for tests and
 * the demo that exercise other behaviour; authorization itself is tested with explicit tokens.
 */
import { randomUUID } from 'node:crypto';
import { sign } from '../src/payments/signature.ts';
import type { PaymentProviderId } from '../src/payments/webhook-secret-env.ts';

/** The webhook provider (path segment) of a payment method; BALANCE and unknown ones default to `card`. */
export function providerFor(paymentMethod: string | undefined): PaymentProviderId {
  return paymentMethod === 'WECHAT_PAY' ? 'wechat-pay' : paymentMethod === 'ALIPAY' ? 'alipay' : 'card';
}

/** One answer: HTTP status, the parsed JSON body (or the raw text when it is not JSON) and the headers. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** What a local token is issued for (local/identity.ts `POST /local/token`). */
export interface TokenRequest {
  sub: string;
  groups?: Array<'customer' | 'storeStaff' | 'regionManager' | 'chainAdmin'>;
  scope?: string;
  clientId?: string;
  expiresInSeconds?: number;
}

/** How a client authenticates: a fixed bearer token, none, or the principal each call expects ('auto'). */
export type ClientAuth = { token: string } | 'none' | 'auto';

/** The chain admin the 'auto' client uses for operator calls. */
export const AUTO_ADMIN_SUB = 'local-chain-admin';

/** Client for one API base URL (`http://127.0.0.1:<port>`); `webhookSecret` signs payment callbacks. */
export class ApiClient {
  private readonly tokens: Map<string, Promise<string>>;

  constructor(
    readonly baseUrl: string,
    private readonly webhookSecret: string,
    readonly auth: ClientAuth = 'auto',
    tokens?: Map<string, Promise<string>>,
  ) {
    this.tokens = tokens ?? new Map();
  }

  /** A client sending `token` on every call. */
  as(token: string): ApiClient {
    return new ApiClient(this.baseUrl, this.webhookSecret, { token }, this.tokens);
  }

  /** A client sending no token. */
  anonymous(): ApiClient {
    return new ApiClient(this.baseUrl, this.webhookSecret, 'none', this.tokens);
  }

  /** A client acting as `sub` with `groups` (default customer). */
  async asUser(sub: string, groups: TokenRequest['groups'] = ['customer']): Promise<ApiClient> {
    return this.as(await this.token({ sub, groups }));
  }

  /** An access token from the local issuer (cached per request shape for this client family; 1 h lifetime). */
  token(req: TokenRequest): Promise<string> {
    const key = JSON.stringify(req);
    let token = this.tokens.get(key);
    if (!token) {
      token = fetch(`${this.baseUrl}/local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: key }).then(
        async (res) => {
          if (!res.ok) throw new Error(`POST /local/token answered ${res.status}: ${await res.text()}`);
          return ((await res.json()) as { access_token: string }).access_token;
        },
      );
      token.catch(() => this.tokens.delete(key));
      if (req.expiresInSeconds === undefined) this.tokens.set(key, token);
    }
    return token;
  }

  /** The principal an 'auto' client acts as for this call. */
  private autoPrincipal(method: string, path: string, body: unknown): TokenRequest {
    if (method === 'POST' && path === '/v1/orders') {
      const customerId = typeof body === 'object' && body !== null ? (body as { customerId?: unknown }).customerId : undefined;
      // Without a usable customerId (or a body at all) some customer sends it, so the API's validation answers.
      return {
        sub: typeof customerId === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/.test(customerId) ? customerId : 'auto-customer',
        groups: ['customer'],
      };
    }
    const wallet = /^\/v1\/customers\/([^/]+)\/wallet(?:$|\/topups)/.exec(path);
    if (wallet) {
      // A malformed id cannot be anyone's sub: send some customer, so the API's own validation answers.
      const sub = decodeURIComponent(wallet[1]!);
      return { sub: /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/.test(sub) ? sub : 'auto-customer', groups: ['customer'] };
    }
    return { sub: AUTO_ADMIN_SUB, groups: ['chainAdmin'] };
  }

  /** The Authorization header for a call, per this client's `auth`. */
  private async authorization(method: string, path: string, body: unknown): Promise<Record<string, string>> {
    if (this.auth === 'none' || path.startsWith('/v1/payments/webhook')) return {};
    const token = this.auth === 'auto' ? await this.token(this.autoPrincipal(method, path, body)) : this.auth.token;
    return { authorization: `Bearer ${token}` };
  }

  /** Sends `body` as JSON (a string is sent verbatim) and parses the JSON answer. */
  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const auth =
      'authorization' in headers
        ? {}
        : await this.authorization(method, path.split('?')[0]!, typeof body === 'string' ? safeParse(body) : body);
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? { ...auth, ...headers } : { 'content-type': 'application/json', ...auth, ...headers },
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
   * POST /v1/orders as a well-behaved client (README "Overload and retries"): an answer that is not final — 503
   * SERVICE_OVERLOADED (shed, nothing written), 429 (throttled), any other 5xx (in doubt), or 409
   * IDEMPOTENCY_KEY_IN_PROGRESS — is retried with the SAME Idempotency-Key (`key`, fresh unless given) after its
   * Retry-After (at most 1 s here; 200 ms × attempt without one), jittered ±50 % so a shed burst does not come
   * back as one burst; at most `attempts` tries. The caller gets the one definitive answer for its order.
   */
  async createOrderUntilAnswered(body: unknown, attempts = 10, key: string = randomUUID()): Promise<ApiResponse> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.createOrder(body, key);
      const notFinal = res.status >= 500 || res.status === 429 || res.body?.code === 'IDEMPOTENCY_KEY_IN_PROGRESS';
      if (!notFinal || attempt >= attempts) return res;
      const retryAfterMs = Number(res.headers.get('retry-after')) * 1000 || 200 * attempt;
      await new Promise((r) => setTimeout(r, Math.min(1_000, retryAfterMs) * (0.5 + Math.random())));
    }
  }

  /** POST /v1/orders/{orderId}/cancel: 202 `{orderId, action: CANCEL | REFUND}` or 409 ORDER_NOT_CANCELLABLE. */
  cancel(orderId: string) {
    return this.request('POST', `/v1/orders/${encodeURIComponent(orderId)}/cancel`);
  }

  /**
   * Sends a provider callback to `POST /v1/payments/webhook/<provider>` (default `card`), signed now with this
   * client's secret as `X-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, or with `signature`
   * sent as given (tests of bad, stale or rotated signatures build it with src/payments/signature.ts `sign`).
   */
  webhook(payload: Record<string, unknown>, signature?: string, provider: string = 'card') {
    const raw = JSON.stringify(payload);
    return this.request('POST', `/v1/payments/webhook/${provider}`, raw, {
      'x-signature': signature ?? sign(raw, this.webhookSecret, Math.floor(Date.now() / 1000)),
    });
  }

  /**
   * Pays `order` in full through the webhook of its payment method's provider (WECHAT_PAY → wechat-pay,
   * ALIPAY → alipay, otherwise card); status SUCCEEDED unless told otherwise; amount in minor units.
   */
  pay(
    order: { orderId: string; pricing: { total: number; currency: string }; paymentMethod?: string },
    overrides: Record<string, unknown> = {},
    provider: string = providerFor(order.paymentMethod),
  ) {
    return this.webhook(
      {
        paymentId: `pay_${randomUUID()}`,
        orderId: order.orderId,
        status: 'SUCCEEDED',
        amount: order.pricing.total,
        currency: order.pricing.currency,
        occurredAt: new Date().toISOString(),
        ...overrides,
      },
      undefined,
      provider,
    );
  }

  /**
   * POST /v1/customers/{customerId}/wallet/topups: opens a PENDING top-up of `amount` minor units (201
   * `{topupId, status: PENDING, ...}`); nothing is credited until {@link payTopup}. Idempotency-Key fresh unless given.
   */
  topUp(
    customerId: string,
    amount: number,
    currency: string,
    paymentMethod: 'WECHAT_PAY' | 'ALIPAY' | 'CARD' = 'CARD',
    idempotencyKey: string = randomUUID(),
  ) {
    return this.request(
      'POST',
      `/v1/customers/${encodeURIComponent(customerId)}/wallet/topups`,
      { amount, currency, paymentMethod },
      { 'idempotency-key': idempotencyKey },
    );
  }

  /** Confirms a top-up as its provider would: a signed SUCCEEDED callback naming `topupId` (overrides patch the body). */
  payTopup(
    topup: { topupId: string; amount: number; currency: string; paymentMethod?: string },
    overrides: Record<string, unknown> = {},
    provider: string = providerFor(topup.paymentMethod),
  ) {
    return this.webhook(
      {
        paymentId: `pay_${randomUUID()}`,
        topupId: topup.topupId,
        status: 'SUCCEEDED',
        amount: topup.amount,
        currency: topup.currency,
        occurredAt: new Date().toISOString(),
        ...overrides,
      },
      undefined,
      provider,
    );
  }

  /**
   * Funds a wallet the v1.1 way: opens a top-up and confirms it through the webhook. Returns the confirmation
   * answer; throws when either step is refused (so seeding code fails loudly).
   */
  async fundWallet(
    customerId: string,
    amount: number,
    currency: string,
    paymentMethod: 'WECHAT_PAY' | 'ALIPAY' | 'CARD' = 'CARD',
    idempotencyKey?: string,
  ): Promise<ApiResponse> {
    const opened = await this.topUp(customerId, amount, currency, paymentMethod, idempotencyKey);
    if (opened.status !== 201) throw new Error(`Top-up of ${customerId} answered ${opened.status}: ${JSON.stringify(opened.body)}`);
    const confirmed = await this.payTopup(opened.body);
    if (confirmed.status !== 200)
      throw new Error(`Top-up confirmation of ${customerId} answered ${confirmed.status}: ${JSON.stringify(confirmed.body)}`);
    return confirmed;
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

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
