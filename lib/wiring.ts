/**
 * The single manifest of wandian's deployable parts: tables, functions, HTTP routes, state machines,
 * event rules and schedules. Pure data (no CDK imports) so that BOTH the CDK constructs in `lib/` and the local
 * runtime in `local/` read it; `test/cdk/stack.test.ts` checks the synthesized template against it.
 *
 * Paths are relative to the repository root.
 */
// Types only: the catalog (zod) imports this manifest at run time, never the other way round.
import type { EventType } from '../src/events/catalog.ts';

/** Attribute names are all strings (S); every table is on-demand with point-in-time recovery. */
export interface TableSpec {
  partitionKey: string;
  sortKey?: string;
  /** Attribute holding an epoch-seconds expiry, enabled as DynamoDB TTL. */
  ttlAttribute?: string;
  /** Environment variable through which functions learn the physical table name. */
  envVar: string;
  purpose: string;
  /** Global secondary indexes by index name (on-demand like the table). */
  globalSecondaryIndexes?: Record<string, IndexSpec>;
  /** DynamoDB Streams view type, when a `pipes` entry reads the table's changes (the transactional outbox). */
  stream?: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'KEYS_ONLY';
}

/** A global secondary index: string (S) keys; `projection` lists the non-key attributes it copies ([] = keys only). */
export interface IndexSpec {
  partitionKey: string;
  sortKey?: string;
  projection: readonly string[];
  purpose: string;
}

export const tables = {
  stores: { partitionKey: 'storeId', envVar: 'TABLE_STORES', purpose: 'Store master data: name, sales region, timezone.' },
  catalog: { partitionKey: 'sku', envVar: 'TABLE_CATALOG', purpose: 'Chain-wide SKU catalog with unit prices in minor units.' },
  inventory: {
    partitionKey: 'storeId',
    sortKey: 'sku',
    envVar: 'TABLE_INVENTORY',
    purpose: 'Stock per store x SKU: available, reserved, sold, stocked (conditional writes only).',
  },
  coupons: {
    partitionKey: 'code',
    sortKey: 'scope',
    envVar: 'TABLE_COUPONS',
    purpose: "Coupon definitions and redemption counters (scope 'COUPON'), per-customer counters (scope 'CUSTOMER#<id>').",
  },
  orders: {
    partitionKey: 'orderId',
    envVar: 'TABLE_ORDERS',
    purpose: 'Orders with status, history, reservation state and the claim that decides an unpaid order (src/domain/order-claim.ts).',
    // The outbox: every order's domain events come from its changes (pipes.orderEvents), never from a publish after the write.
    stream: 'NEW_AND_OLD_IMAGES',
    globalSecondaryIndexes: {
      openOrders: {
        partitionKey: 'openShard',
        sortKey: 'expiresAt',
        projection: ['status', 'storeId', 'createdAt', 'paymentIntentId', 'claimedAt'],
        purpose:
          "Sparse: only orders the expiry sweeper and the reconciler may have to drive (PENDING_PAYMENT, or NEEDS_ATTENTION reached from it) carry openShard ('OPEN#0'..'OPEN#15', a hash of the order id, spreading writes); removed when the order is paid or final.",
      },
    },
  },
  wallets: {
    partitionKey: 'customerId',
    envVar: 'TABLE_WALLETS',
    purpose:
      'Customer wallets (paymentMethod BALANCE): balance in minor units of one currency, never below zero (conditional writes only).',
  },
  payments: {
    partitionKey: 'paymentId',
    envVar: 'TABLE_PAYMENTS',
    purpose: 'One record per provider payment id: makes the payment webhook idempotent per paymentId.',
  },
  idempotency: {
    partitionKey: 'id',
    ttlAttribute: 'expiration',
    envVar: 'TABLE_IDEMPOTENCY',
    purpose: 'Powertools idempotency records for Idempotency-Key requests.',
  },
  reports: {
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_REPORTS',
    purpose: 'Hourly aggregates (atomic counters) and processed-event markers that make reporting exactly-once.',
  },
  alerts: {
    partitionKey: 'scope',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_ALERTS',
    purpose: "Low-stock alerts, 30 days, newest first per scope ('ALL' and 'STORE#<id>').",
  },
  staff: {
    partitionKey: 'sub',
    envVar: 'TABLE_STAFF',
    purpose:
      'Staff assignments (PUT /v1/staff/{sub}, chainAdmin): which stores a storeStaff member (or a machine client) acts for, which sales region a regionManager acts for. Data, not token claims.',
  },
  audit: {
    partitionKey: 'pk',
    sortKey: 'sk',
    envVar: 'TABLE_AUDIT',
    purpose:
      'Append-only audit log of operator writes (actor, role, action, target, before/after, request id, time), written in the same transaction as the change; no API updates or deletes a record.',
    globalSecondaryIndexes: {
      byActor: {
        partitionKey: 'actor',
        sortKey: 'sk',
        projection: ['auditId', 'at', 'role', 'requestId', 'action', 'target', 'storeId', 'before', 'after'],
        purpose: "GET /v1/audit?actor=: one principal's records, newest first (sk = '<at>#<requestId>#<action>').",
      },
      byStore: {
        partitionKey: 'storeId',
        sortKey: 'sk',
        projection: ['auditId', 'at', 'actor', 'role', 'requestId', 'action', 'target', 'before', 'after'],
        purpose: 'GET /v1/audit?storeId=: the records of one store (sparse: only records whose target belongs to a store), newest first.',
      },
    },
  },
  topups: {
    partitionKey: 'topupId',
    envVar: 'TABLE_TOPUPS',
    purpose:
      'Wallet top-ups: created PENDING by the customer, credited to the wallet exactly once when the provider webhook confirms the payment.',
  },
  rateLimits: {
    partitionKey: 'pk',
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_RATE_LIMITS',
    purpose:
      "Per-principal request counters per minute window ('<limit>#<sub>#<minute>'), conditional increments; expire after the window.",
  },
  connections: {
    partitionKey: 'subject',
    sortKey: 'connectionId',
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_CONNECTIONS',
    purpose:
      "Live status subscriptions: subject 'order#<id>', 'customer#<id>' or 'store#<id>' x WebSocket connectionId, plus one 'connection#<id>' row per connection naming its subject (for $disconnect); expire after API Gateway's 2 h connection limit.",
  },
  reconcilerState: {
    partitionKey: 'pk',
    envVar: 'TABLE_RECONCILER_STATE',
    purpose:
      "The reconciler's resume points: one item per inventory scan segment ('INVENTORY#<segment>/<segments>') holding the key its next page starts after, so runs walk the whole inventory table instead of its first page.",
  },
} as const satisfies Record<string, TableSpec>;

export type TableId = keyof typeof tables;
/** Declared up front because functions and state machines refer to each other. */
export type StateMachineId = 'placeOrder' | 'confirmPayment' | 'compensateOrder' | 'refundSaga';
export type TableAccess = 'read' | 'readWrite';

/** Optional capabilities a function needs; the CDK grants them, the local runtime provides them. */
export interface FunctionSpec {
  /** Handler module; the handler export is always `handler`. */
  entry: string;
  description: string;
  tables: Partial<Record<TableId, TableAccess>>;
  /** Tables (also listed in `tables`) this function deletes items from (DeleteItem, also inside TransactWriteItems). */
  deletesFrom?: readonly TableId[];
  /** Tables (also listed in `tables`) this function scans (Scan, e.g. a parallel segment scan). */
  scans?: readonly TableId[];
  /** Global secondary indexes this function queries, by table (also listed in `tables`). */
  queriesIndexes?: Partial<Record<TableId, readonly string[]>>;
  /** State machines this function may start (StartExecution). */
  startsStateMachines?: StateMachineId[];
  /** State machines whose executions this function may look up (DescribeExecution). */
  readsExecutionsOf?: StateMachineId[];
  publishesEvents?: boolean;
  /** May publish to the low-stock alert SNS topic (its ARN in ALERT_TOPIC_ENV). */
  publishesAlerts?: boolean;
  /** Reads the payment-provider webhook secret. */
  readsWebhookSecret?: boolean;
  /** Posts to WebSocket connections through the management API (its endpoint in WEBSOCKET_ENDPOINT_ENV). */
  postsToConnections?: boolean;
  timeoutSeconds?: number;
  memoryMb?: number;
  /** Reserved concurrency in AWS: caps the function so a flood cannot starve the rest of the account (and guarantees it this much). */
  reservedConcurrency?: number;
}

export const functions = {
  // --- HTTP API ---
  putStore: {
    entry: 'functions/api/put-store.ts',
    description: 'PUT /v1/stores/{storeId} (audited)',
    tables: { stores: 'readWrite', staff: 'read', audit: 'readWrite' },
  },
  putCatalogItem: {
    entry: 'functions/api/put-catalog-item.ts',
    description: 'PUT /v1/catalog/{sku} (audited)',
    tables: { catalog: 'readWrite', audit: 'readWrite' },
  },
  putInventory: {
    entry: 'functions/api/put-inventory.ts',
    description: 'PUT /v1/stores/{storeId}/inventory/{sku} (audited)',
    tables: { stores: 'read', catalog: 'read', inventory: 'readWrite', staff: 'read', audit: 'readWrite' },
  },
  getInventory: {
    entry: 'functions/api/get-inventory.ts',
    description: 'GET /v1/stores/{storeId}/inventory/{sku}',
    tables: { inventory: 'read', stores: 'read', staff: 'read' },
  },
  putCoupon: {
    entry: 'functions/api/put-coupon.ts',
    description: 'PUT /v1/coupons/{code} (audited)',
    tables: { coupons: 'readWrite', staff: 'read', audit: 'readWrite' },
  },
  createOrder: {
    entry: 'functions/api/create-order.ts',
    description:
      'POST /v1/orders: price, reserve stock + redeem coupons + write order in one transaction (OrderPlaced via the outbox), start the saga',
    tables: {
      stores: 'read',
      catalog: 'read',
      coupons: 'readWrite',
      inventory: 'readWrite',
      orders: 'readWrite',
      idempotency: 'readWrite',
      rateLimits: 'readWrite',
    },
    // Powertools Idempotency deletes its record when the handler fails.
    deletesFrom: ['idempotency'],
    startsStateMachines: ['placeOrder'],
    reservedConcurrency: 200,
  },
  getOrder: { entry: 'functions/api/get-order.ts', description: 'GET /v1/orders/{orderId}', tables: { orders: 'read', staff: 'read' } },
  cancelOrder: {
    entry: 'functions/api/cancel-order.ts',
    description: 'POST /v1/orders/{orderId}/cancel: cancel before payment, refund after (an operator refund is audited)',
    tables: { orders: 'readWrite', staff: 'read', audit: 'readWrite' },
    startsStateMachines: ['compensateOrder', 'refundSaga'],
  },
  fulfilOrder: {
    entry: 'functions/api/fulfil-order.ts',
    description: 'POST /v1/orders/{orderId}/fulfil: the store hands a PAID order over (FULFILLED; OrderFulfilled via the outbox) (audited)',
    tables: { orders: 'readWrite', staff: 'read', audit: 'readWrite' },
  },
  topUpWallet: {
    entry: 'functions/api/top-up-wallet.ts',
    description: 'POST /v1/customers/{customerId}/wallet/topups: open a PENDING top-up, paid through the provider (Idempotency-Key)',
    tables: { topups: 'readWrite', wallets: 'read', idempotency: 'readWrite', rateLimits: 'readWrite' },
    // Powertools Idempotency deletes its record when the handler fails.
    deletesFrom: ['idempotency'],
  },
  getWallet: { entry: 'functions/api/get-wallet.ts', description: 'GET /v1/customers/{customerId}/wallet', tables: { wallets: 'read' } },
  getTopup: {
    entry: 'functions/api/get-topup.ts',
    description: 'GET /v1/customers/{customerId}/wallet/topups/{topupId}',
    tables: { topups: 'read' },
  },
  adjustWallet: {
    entry: 'functions/api/adjust-wallet.ts',
    description:
      'POST /v1/customers/{customerId}/wallet/adjustments: chainAdmin moves money without a provider, audited, never below zero (Idempotency-Key)',
    tables: { wallets: 'readWrite', audit: 'readWrite', idempotency: 'readWrite' },
  },
  paymentWebhook: {
    entry: 'functions/api/payment-webhook.ts',
    description:
      'POST /v1/payments/webhook/{provider}: verify the timed signature, claim the order for the payment once and start confirmPayment (or compensateOrder), or credit the top-up',
    tables: { orders: 'readWrite', payments: 'readWrite', topups: 'readWrite', wallets: 'readWrite' },
    startsStateMachines: ['confirmPayment', 'compensateOrder'],
    readsWebhookSecret: true,
    reservedConcurrency: 100,
  },
  putStaff: {
    entry: 'functions/api/put-staff.ts',
    description: 'PUT /v1/staff/{sub}: which stores or sales region a staff member acts for (chainAdmin, audited)',
    tables: { staff: 'readWrite', audit: 'readWrite' },
  },
  getAudit: {
    entry: 'functions/api/get-audit.ts',
    description: 'GET /v1/audit: operator writes, filtered and paginated (chainAdmin)',
    tables: { audit: 'read' },
    // ?actor= and ?storeId= read the byActor / byStore indexes (found by the local access guard: AccessDenied in AWS without it).
    queriesIndexes: { audit: ['byActor', 'byStore'] },
  },
  // --- Saga tasks (names match the ASL states) ---
  createPaymentIntent: {
    entry: 'functions/saga/create-payment-intent.ts',
    description: 'Saga CreatePaymentIntent: open a payment intent with the provider',
    tables: { orders: 'readWrite' },
  },
  debitWallet: {
    entry: 'functions/saga/debit-wallet.ts',
    description: 'Saga DebitWallet (BALANCE): take the total from the wallet and record the payment, once, never below zero',
    tables: { orders: 'readWrite', wallets: 'readWrite' },
  },
  commitReservation: {
    entry: 'functions/saga/commit-reservation.ts',
    description: 'Saga CommitReservation: reserved -> sold, order -> PAID (OrderPaid via the outbox)',
    tables: { orders: 'readWrite', inventory: 'readWrite' },
  },
  voidPayment: {
    entry: 'functions/saga/void-payment.ts',
    description: 'Saga VoidPayment: void or refund the payment, or credit a wallet debit back (compensation)',
    tables: { orders: 'readWrite', wallets: 'readWrite' },
  },
  releaseStock: {
    entry: 'functions/saga/release-stock.ts',
    description: 'Saga ReleaseStock: reserved -> available, once per order (compensation)',
    tables: { orders: 'readWrite', inventory: 'readWrite' },
  },
  releaseCoupons: {
    entry: 'functions/saga/release-coupons.ts',
    description: 'Saga ReleaseCoupons: give coupon redemptions back, once per order (compensation)',
    tables: { orders: 'readWrite', coupons: 'readWrite' },
  },
  claimOrder: {
    entry: 'functions/saga/claim-order.ts',
    description:
      'Saga ClaimOrder: claim an unpaid order for EXPIRY, CANCEL or PAYMENT_FAILED by one conditional write; answers the winning claim',
    tables: { orders: 'readWrite' },
  },
  closeOrder: {
    entry: 'functions/saga/close-order.ts',
    description: 'Saga CloseOrder: final status CANCELLED | EXPIRED | PAYMENT_FAILED (OrderCancelled via the outbox)',
    tables: { orders: 'readWrite' },
  },
  beginRefund: {
    entry: 'functions/saga/begin-refund.ts',
    description: 'Refund saga BeginRefund: claim a PAID order for refund',
    tables: { orders: 'readWrite' },
  },
  refundPayment: {
    entry: 'functions/saga/refund-payment.ts',
    description: 'Refund saga RefundPayment: refund with the provider, or credit the wallet back once',
    tables: { orders: 'readWrite', wallets: 'readWrite' },
  },
  restockItems: {
    entry: 'functions/saga/restock-items.ts',
    description: 'Refund saga RestockItems: sold -> available, once per order',
    tables: { orders: 'readWrite', inventory: 'readWrite' },
  },
  markRefunded: {
    entry: 'functions/saga/mark-refunded.ts',
    description: 'Refund saga MarkRefunded: order -> REFUNDED (OrderRefunded via the outbox)',
    tables: { orders: 'readWrite' },
  },
  markNeedsAttention: {
    entry: 'functions/saga/mark-needs-attention.ts',
    description: 'Saga MarkNeedsAttention: a compensation kept failing; park the order for an operator',
    tables: { orders: 'readWrite' },
  },
  // --- Event consumers ---
  projectReports: {
    entry: 'functions/events/project-reports.ts',
    description:
      'Reporting projection, batches from its queue: hourly sales (UTC rows keyed by store-local hour), paid units per SKU, payment funnel and coupon redemptions, each row written once per batch, exactly once per event',
    tables: { reports: 'readWrite', stores: 'read' },
  },
  recordLowStockAlert: {
    entry: 'functions/events/record-low-stock-alert.ts',
    description: 'On InventoryLow: store the alert once and send it to the alert topic',
    tables: { alerts: 'readWrite' },
    publishesAlerts: true,
  },
  orderEventsFromStream: {
    entry: 'functions/events/order-events-from-stream.ts',
    description:
      'Outbox pipe enrichment (pipes.orderEvents): a batch of orders-table stream records → the domain events they mean, as event-bus entries',
    // Pure: everything it needs is in the stream record's images.
    tables: {},
  },
  fanOutOrderStatus: {
    entry: 'functions/events/order-status-fan-out.ts',
    description:
      "Target of pipes.orderStatusFanOut: per batch of order events, push each order's current status to its WebSocket subscribers and, on OrderPlaced, flag stock that crossed its low-stock threshold (InventoryLow once per crossing)",
    // Live push: orders read, connections (gone ones deleted), posts; low-stock detection: inventory, InventoryLow on the bus.
    tables: { orders: 'read', connections: 'readWrite', inventory: 'readWrite' },
    deletesFrom: ['connections'],
    postsToConnections: true,
    publishesEvents: true,
  },
  // --- Reports and alerts API ---
  getSalesReport: {
    entry: 'functions/api/get-sales-report.ts',
    description: 'GET /v1/reports/sales',
    tables: { reports: 'read', stores: 'read', staff: 'read' },
  },
  getTopSkusReport: {
    entry: 'functions/api/get-top-skus-report.ts',
    description: 'GET /v1/reports/top-skus',
    tables: { reports: 'read', stores: 'read', staff: 'read' },
  },
  getFunnelReport: {
    entry: 'functions/api/get-funnel-report.ts',
    description: 'GET /v1/reports/funnel',
    tables: { reports: 'read', stores: 'read', staff: 'read' },
  },
  getCouponReport: {
    entry: 'functions/api/get-coupon-report.ts',
    description: 'GET /v1/reports/coupons',
    tables: { reports: 'read', coupons: 'read', staff: 'read' },
  },
  listAlerts: {
    entry: 'functions/api/list-alerts.ts',
    description: 'GET /v1/alerts',
    tables: { alerts: 'read', stores: 'read', staff: 'read' },
  },
  // --- Live order status (WebSocket API) ---
  connectLiveStatus: {
    entry: 'functions/live/connect.ts',
    description:
      "WebSocket $connect: subscribe the caller to their order (?orderId), their own orders (?customerId) or, for staff, a store's orders (?storeId)",
    tables: { orders: 'read', connections: 'readWrite', staff: 'read', stores: 'read' },
  },
  authorizeLiveStatus: {
    entry: 'functions/live/authorize.ts',
    description: 'WebSocket $connect REQUEST authorizer: verifies ?token= (aws-jwt-verify, same rules as the HTTP JWT authorizer)',
    tables: {},
  },
  disconnectLiveStatus: {
    entry: 'functions/live/disconnect.ts',
    description: 'WebSocket $disconnect: drop the connection and its subscription',
    tables: { connections: 'readWrite' },
    deletesFrom: ['connections'],
  },
  // --- Scheduled jobs (see `schedules`) ---
  expireOrders: {
    entry: 'functions/jobs/expire-orders.ts',
    description:
      'Expiry sweeper: claims unclaimed PENDING_PAYMENT orders past expiresAt for EXPIRY (conditional write) and starts compensateOrder',
    tables: { orders: 'readWrite' },
    queriesIndexes: { orders: ['openOrders'] },
    startsStateMachines: ['compensateOrder'],
    timeoutSeconds: 60,
  },
  reconcile: {
    entry: 'functions/jobs/reconcile.ts',
    description:
      'Reconciler: restarts Saga segments from order state (placeOrder never ran, a claim whose segment did not finish, an expiry the sweeper missed), gives back reservations no open order holds',
    tables: { orders: 'readWrite', inventory: 'readWrite', reconcilerState: 'readWrite' },
    // Parallel segment scan of inventory, one page of one segment per run, resumed from reconcilerState.
    scans: ['inventory'],
    queriesIndexes: { orders: ['openOrders'] },
    startsStateMachines: ['placeOrder', 'confirmPayment', 'compensateOrder'],
    timeoutSeconds: 120,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionId = keyof typeof functions;

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** Roles are Cognito groups (the token's `cognito:groups`); contract v1.1, shared/brief/PRODUCT.md "Identity and access". */
export const roles = ['customer', 'storeStaff', 'regionManager', 'chainAdmin'] as const;
export type Role = (typeof roles)[number];

/**
 * OAuth scopes of the resource server for machine clients (client-credentials tokens, e.g. a POS pushing
 * stock). A machine client acts for the stores its staff assignment (`PUT /v1/staff/{client id}`) names.
 */
export const RESOURCE_SERVER_ID = 'wandian';
export const machineScopes = {
  inventoryRead: `${RESOURCE_SERVER_ID}/inventory.read`,
  inventoryWrite: `${RESOURCE_SERVER_ID}/inventory.write`,
} as const;
export type MachineScope = (typeof machineScopes)[keyof typeof machineScopes];

/**
 * Who may call a route. `jwt`: a valid access token (issuer, audience, expiry, RS256) is checked at the
 * gateway (401 otherwise); then the handler's policy (src/auth/policy.ts) allows the listed `roles` (or a
 * machine token with one of `scopes`) and checks the resource (403 / 404). `signature`: no token, the
 * payment provider's HMAC signature only.
 */
export type RouteAuth = { kind: 'jwt'; roles: readonly Role[]; scopes?: readonly MachineScope[] } | { kind: 'signature' };

/** API Gateway route throttling (token bucket): steady requests/s and bucket size, per region. */
export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

/**
 * Per-route throttles by kind of traffic. Sized from the brief's 1,000 orders/s per region (create + pay):
 * order creation and webhooks get 2x headroom, reads more; operator writes (consoles, POS stock pushes of up to 10,000
 * stores) 500/s, far below what a flood would need to hurt the order path.
 * A route whose function has a `reservedConcurrency` bursts at most that many requests (wiring test): deployed, a
 * throttled Lambda reaches the client as API Gateway's bare 500, so the gateway must shed a burst first, with 429
 * (README "Overload and retries"). Steady state, rate x duration stays within it (2,000/s x 0.1 s = 200).
 */
export const throttles = {
  orderWrite: { rateLimit: 2_000, burstLimit: 200 },
  webhook: { rateLimit: 2_000, burstLimit: 100 },
  customerRead: { rateLimit: 3_000, burstLimit: 5_000 },
  customerWrite: { rateLimit: 500, burstLimit: 1_000 },
  operatorWrite: { rateLimit: 500, burstLimit: 1_000 },
  operatorRead: { rateLimit: 500, burstLimit: 1_000 },
} as const satisfies Record<string, Throttle>;

/** Per-principal limits (requests per minute per token `sub`), answered 429 RATE_LIMITED with Retry-After. */
export const principalLimits = {
  orderCreations: { perMinuteEnv: 'WANDIAN_CUSTOMER_ORDERS_PER_MINUTE', defaultPerMinute: 20 },
  topups: { perMinuteEnv: 'WANDIAN_CUSTOMER_TOPUPS_PER_MINUTE', defaultPerMinute: 20 },
} as const;
export type PrincipalLimitId = keyof typeof principalLimits;

export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway route path with `{param}` placeholders. */
  path: string;
  function: FunctionId;
  auth: RouteAuth;
  throttle: Throttle;
  /** Counted against this per-principal limit before any write. */
  principalLimit?: PrincipalLimitId;
}

const anyOperator = ['storeStaff', 'regionManager', 'chainAdmin'] as const satisfies readonly Role[];
const jwt = (roles: readonly Role[], scopes?: readonly MachineScope[]): RouteAuth => ({
  kind: 'jwt',
  roles,
  ...(scopes ? { scopes } : {}),
});

/** API contract v1.1 (shared/brief/PRODUCT.md): every route names who may call it. */
export const routes: readonly RouteSpec[] = [
  {
    method: 'PUT',
    path: '/v1/stores/{storeId}',
    function: 'putStore',
    auth: jwt(['chainAdmin', 'regionManager']),
    throttle: throttles.operatorWrite,
  },
  { method: 'PUT', path: '/v1/catalog/{sku}', function: 'putCatalogItem', auth: jwt(['chainAdmin']), throttle: throttles.operatorWrite },
  {
    method: 'PUT',
    path: '/v1/stores/{storeId}/inventory/{sku}',
    function: 'putInventory',
    auth: jwt(anyOperator, [machineScopes.inventoryWrite]),
    throttle: throttles.operatorWrite,
  },
  {
    method: 'GET',
    path: '/v1/stores/{storeId}/inventory/{sku}',
    function: 'getInventory',
    auth: jwt(anyOperator, [machineScopes.inventoryRead, machineScopes.inventoryWrite]),
    throttle: throttles.operatorRead,
  },
  {
    method: 'PUT',
    path: '/v1/coupons/{code}',
    function: 'putCoupon',
    auth: jwt(['chainAdmin', 'regionManager']),
    throttle: throttles.operatorWrite,
  },
  {
    method: 'POST',
    path: '/v1/orders',
    function: 'createOrder',
    auth: jwt(['customer']),
    throttle: throttles.orderWrite,
    principalLimit: 'orderCreations',
  },
  {
    method: 'GET',
    path: '/v1/orders/{orderId}',
    function: 'getOrder',
    auth: jwt(['customer', ...anyOperator]),
    throttle: throttles.customerRead,
  },
  {
    method: 'POST',
    path: '/v1/orders/{orderId}/cancel',
    function: 'cancelOrder',
    auth: jwt(['customer', ...anyOperator]),
    throttle: throttles.customerWrite,
  },
  {
    method: 'POST',
    path: '/v1/payments/webhook/{provider}',
    function: 'paymentWebhook',
    auth: { kind: 'signature' },
    throttle: throttles.webhook,
  },
  {
    method: 'POST',
    path: '/v1/orders/{orderId}/fulfil',
    function: 'fulfilOrder',
    auth: jwt(anyOperator),
    throttle: throttles.operatorWrite,
  },
  {
    method: 'POST',
    path: '/v1/customers/{customerId}/wallet/topups',
    function: 'topUpWallet',
    auth: jwt(['customer']),
    throttle: throttles.customerWrite,
    principalLimit: 'topups',
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}/wallet',
    function: 'getWallet',
    auth: jwt(['customer', 'chainAdmin']),
    throttle: throttles.customerRead,
  },
  {
    method: 'GET',
    path: '/v1/customers/{customerId}/wallet/topups/{topupId}',
    function: 'getTopup',
    auth: jwt(['customer', 'chainAdmin']),
    throttle: throttles.customerRead,
  },
  {
    method: 'POST',
    path: '/v1/customers/{customerId}/wallet/adjustments',
    function: 'adjustWallet',
    auth: jwt(['chainAdmin']),
    throttle: throttles.operatorWrite,
  },
  { method: 'GET', path: '/v1/reports/sales', function: 'getSalesReport', auth: jwt(anyOperator), throttle: throttles.operatorRead },
  { method: 'GET', path: '/v1/reports/top-skus', function: 'getTopSkusReport', auth: jwt(anyOperator), throttle: throttles.operatorRead },
  { method: 'GET', path: '/v1/reports/funnel', function: 'getFunnelReport', auth: jwt(anyOperator), throttle: throttles.operatorRead },
  { method: 'GET', path: '/v1/reports/coupons', function: 'getCouponReport', auth: jwt(anyOperator), throttle: throttles.operatorRead },
  { method: 'GET', path: '/v1/alerts', function: 'listAlerts', auth: jwt(anyOperator), throttle: throttles.operatorRead },
  { method: 'PUT', path: '/v1/staff/{sub}', function: 'putStaff', auth: jwt(['chainAdmin']), throttle: throttles.operatorWrite },
  { method: 'GET', path: '/v1/audit', function: 'getAudit', auth: jwt(['chainAdmin']), throttle: throttles.operatorRead },
];

/** The route serving an API Gateway `routeKey` ("METHOD /path"), or undefined. */
export const routeByKey = (routeKey: string): RouteSpec | undefined => routes.find((r) => `${r.method} ${r.path}` === routeKey);

export interface StateMachineSpec {
  /** ASL in JSONPath (aws-local-stepfunctions ignores JSONata). */
  file: string;
  /**
   * STANDARD (billed per state transition, may wait up to a year, execution names dedupe starts) or EXPRESS
   * (billed per request + duration, at most 5 minutes, no task-token waits, no name dedupe). The cost model reads it.
   */
  type: 'STANDARD' | 'EXPRESS';
  /** `${Name}` in the ASL → the ARN of this function. */
  functionSubstitutions: Record<string, FunctionId>;
  /** Environment variable through which functions learn the state machine ARN. */
  envVar: string;
}

/**
 * The order Saga runs as three EXPRESS segments (issue 8): the wait for payment is the order's PENDING_PAYMENT
 * state in DynamoDB, not a task token, and whoever CLAIMS the unpaid order (src/domain/order-claim.ts) starts
 * the next segment. Express starts are at-least-once with no name dedupe: every step is once-only by a
 * conditional write on the order, so a duplicated start changes nothing twice.
 */
export const stateMachines = {
  /** Started for each new order (create-order; the reconciler again for one without a payment intent). */
  placeOrder: {
    file: 'statemachines/place-order.asl.json',
    type: 'EXPRESS',
    envVar: 'PLACE_ORDER_ARN',
    functionSubstitutions: {
      CreatePaymentIntentFunctionArn: 'createPaymentIntent',
      DebitWalletFunctionArn: 'debitWallet',
      ClaimOrderFunctionArn: 'claimOrder',
      CommitReservationFunctionArn: 'commitReservation',
      VoidPaymentFunctionArn: 'voidPayment',
      ReleaseStockFunctionArn: 'releaseStock',
      ReleaseCouponsFunctionArn: 'releaseCoupons',
      CloseOrderFunctionArn: 'closeOrder',
      MarkNeedsAttentionFunctionArn: 'markNeedsAttention',
    },
  },
  /** Started by the payment webhook after its PAYMENT claim (and by the reconciler while it has not finished). */
  confirmPayment: {
    file: 'statemachines/confirm-payment.asl.json',
    type: 'EXPRESS',
    envVar: 'CONFIRM_PAYMENT_ARN',
    functionSubstitutions: { CommitReservationFunctionArn: 'commitReservation' },
  },
  /** Started after an EXPIRY (sweeper), CANCEL (cancel endpoint) or PAYMENT_FAILED (webhook) claim, and by the reconciler. */
  compensateOrder: {
    file: 'statemachines/compensate-order.asl.json',
    type: 'EXPRESS',
    envVar: 'COMPENSATE_ORDER_ARN',
    functionSubstitutions: {
      ClaimOrderFunctionArn: 'claimOrder',
      CommitReservationFunctionArn: 'commitReservation',
      VoidPaymentFunctionArn: 'voidPayment',
      ReleaseStockFunctionArn: 'releaseStock',
      ReleaseCouponsFunctionArn: 'releaseCoupons',
      CloseOrderFunctionArn: 'closeOrder',
      MarkNeedsAttentionFunctionArn: 'markNeedsAttention',
    },
  },
  refundSaga: {
    file: 'statemachines/refund-saga.asl.json',
    type: 'EXPRESS',
    envVar: 'REFUND_SAGA_ARN',
    functionSubstitutions: {
      BeginRefundFunctionArn: 'beginRefund',
      RefundPaymentFunctionArn: 'refundPayment',
      RestockItemsFunctionArn: 'restockItems',
      MarkRefundedFunctionArn: 'markRefunded',
      MarkNeedsAttentionFunctionArn: 'markNeedsAttention',
    },
  },
} as const satisfies Record<StateMachineId, StateMachineSpec>;

/** Event sources on the bus (see src/events/catalog.ts for detail shapes). */
export const eventSources = { orders: 'wandian.orders', inventory: 'wandian.inventory' } as const;

/**
 * The source each detail-type is published with. Kept here, as pure data, because the rules below are built
 * from it; src/events/catalog.ts re-exports it as `eventSource` (publishers and schemas use that).
 */
export const eventTypeSources = {
  OrderPlaced: eventSources.orders,
  OrderPaid: eventSources.orders,
  OrderCancelled: eventSources.orders,
  OrderRefunded: eventSources.orders,
  OrderFulfilled: eventSources.orders,
  OrderNeedsAttention: eventSources.orders,
  InventoryLow: eventSources.inventory,
  CouponRedeemed: eventSources.orders,
} as const satisfies Record<EventType, string>;

/** The EventBridge pattern of a wandian rule: the sources of its detail-types, and those detail-types. */
export interface RulePattern<T extends EventType = EventType> {
  source: string[];
  'detail-type': T[];
  /** Conditions on the detail (EventBridge pattern syntax), for every listed detail-type. */
  detail?: Record<string, unknown>;
}

/**
 * An SQS queue between a rule and its target function (deployed: queue + dead-letter queue + Lambda event
 * source mapping; locally: local/queue.ts with the same batching). For consumers that gain from batches
 * (aggregating writes) and can wait `maxBatchingWindowSeconds`; never for latency-bound ones.
 */
export interface QueueSpec {
  /** Messages per invocation at most (SQS event source: 1-10,000; above 10 needs a batching window). */
  batchSize: number;
  /** Longest wait (s) to fill a batch before invoking with what is there (0-300). Bounds the added latency. */
  maxBatchingWindowSeconds: number;
  /** Receives of a message (its first delivery included) before it moves to the dead-letter queue. */
  maxReceiveCount: number;
  /** How long (s) a received message stays invisible before SQS redelivers it; AWS advises >= 6 x the function timeout. */
  visibilityTimeoutSeconds: number;
  /**
   * Batches in flight at most (event source mapping `maxConcurrency`, 2-1000). Concurrent batches update the
   * same hourly rows, and DynamoDB cancels transactions that touch an item at the same moment: few, full
   * batches beat many small ones.
   */
  maxConcurrency: number;
}

export interface RuleSpec<T extends EventType = EventType, F extends FunctionId = FunctionId> {
  description: string;
  /**
   * The detail-types the target consumes: the one list its handler passes to `eventConsumer`
   * (functions/commons/event-consumer.ts) or `queueConsumer` and the one the pattern is made of.
   */
  detailTypes: readonly T[];
  /** EventBridge event pattern, built by {@link eventRule}; deployed as-is and matched as-is by the local bus. */
  eventPattern: RulePattern<T>;
  target: F;
  /** When set, the rule targets a queue and `target` reads it in batches (an SQS event, not an EventBridge one). */
  queue?: QueueSpec;
}

/**
 * A rule from its typed detail-type list: pattern `{source: [sources of the types], detail-type: [types]}`,
 * so that a detail-type is written once (here) and the handler, the deployed rule and the local bus all read it.
 */
export function eventRule<const T extends EventType, const F extends FunctionId>(spec: {
  description: string;
  detailTypes: readonly T[];
  target: F;
  queue?: QueueSpec;
  /** Conditions on the detail, added to the pattern as-is. */
  detail?: Record<string, unknown>;
}): RuleSpec<T, F> {
  const { detail, ...rest } = spec;
  const source = [...new Set(spec.detailTypes.map((t) => eventTypeSources[t]))];
  return { ...rest, eventPattern: { source, 'detail-type': [...spec.detailTypes], ...(detail ? { detail } : {}) } };
}

export const rules = {
  ordersToReports: eventRule({
    description: 'Order events feed every report (sales, top SKUs, funnel, coupons) through one batched projection',
    detailTypes: ['OrderPlaced', 'OrderPaid', 'OrderCancelled', 'OrderRefunded', 'CouponRedeemed'],
    // Coupons are counted from OrderPlaced (its `coupons`): a CouponRedeemed marked countedWithOrder is not delivered
    // (one target invocation less per coupon); one from before (queued at the deploy, or replayed from the archive)
    // still is, and counts its coupon, as its OrderPlaced has no `coupons`. The other types never carry the field.
    detail: { countedWithOrder: [{ exists: false }] },
    target: 'projectReports',
    // Freshness <= 3 s (PRODUCT.md): a batch waits at most 1 s. 100 events make <= 2 transactions of 100 items;
    // one batch takes ~0.1 s, so 5 at a time keep up with ~5,000 events/s (1,000 orders/s make ~2,500).
    queue: { batchSize: 100, maxBatchingWindowSeconds: 1, maxReceiveCount: 5, visibilityTimeoutSeconds: 60, maxConcurrency: 5 },
  }),
  inventoryLowToAlert: eventRule({
    description: 'Low stock is stored as an alert and sent to the alert topic',
    detailTypes: ['InventoryLow'],
    target: 'recordLowStockAlert',
  }),
} as const satisfies Record<string, RuleSpec>;

export type RuleId = keyof typeof rules;

/**
 * An EventBridge Pipe from a table's stream: filter (Pipes filter patterns on the stream record, any one
 * matching), enrichment function, target (the regional bus, or a Lambda function). Deployed as `AWS::Pipes::Pipe`
 * (lib/constructs/outbox-construct.ts); run locally from the same entry by local/stream-runner.ts.
 */
export interface PipeSpec {
  description: string;
  source: PipeSourceSpec;
  /** EventBridge Pipes filter patterns on the stream record (Lambda event-source shape); a record passes if any matches. */
  filters: readonly Record<string, unknown>[];
  /** Synchronous enrichment: stream records in, an array of target entries out (one event each). */
  enrichment: FunctionId;
  target: PipeEventBusTarget | PipeFunctionTarget;
}

/** Where a pipe reads, and how it batches, retries and dead-letters. */
export interface PipeSourceSpec {
  /** The table whose stream is read (it declares `stream`). */
  table: TableId;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** Records per batch handed to the enrichment (at most). */
  batchSize: number;
  /** Seconds the pipe may wait to fill a batch; 0 = hand over what a poll found (latency first). */
  maximumBatchingWindowSeconds: number;
  /** Retries of a failing batch before it is dead-lettered. */
  maximumRetryAttempts: number;
  /** AUTOMATIC_BISECT: a failing batch is split to isolate the record that fails, so the others go through. */
  onPartialBatchItemFailure: 'AUTOMATIC_BISECT';
}

/**
 * Event-bus target (the region's bus): each enrichment entry becomes one event; the values are Pipes dynamic
 * paths into the entry (`$.field`), the detail its input template (`<$.field>`).
 */
export interface PipeEventBusTarget {
  kind: 'eventBus';
  source: string;
  detailType: string;
  time: string;
  inputTemplate: string;
}

/**
 * Lambda target, invoked synchronously (REQUEST_RESPONSE) with the enrichment's whole answer as one JSON array
 * (how Pipes hands a batch to a Lambda target); a throw fails the batch (retried, bisected, dead-lettered).
 */
export interface PipeFunctionTarget {
  kind: 'function';
  function: FunctionId;
}

/** DynamoDB Streams serves at most two simultaneous readers per shard (more are throttled): pipes on one table's stream. */
export const MAX_PIPES_PER_STREAM = 2;

/** What both order-change pipes read: the orders stream, batched for latency (status pushes have a 500 ms budget). */
const orderChanges = {
  table: 'orders',
  startingPosition: 'TRIM_HORIZON',
  batchSize: 100,
  // No batching window; under load polls fill batches anyway.
  maximumBatchingWindowSeconds: 0,
  maximumRetryAttempts: 10,
  onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
} as const satisfies PipeSourceSpec;

/** The order changes that mean a domain event (src/events/order-stream.ts); the enrichment drops the rest. */
const orderEventFilters = [
  // A new order (OrderPlaced, CouponRedeemed).
  { eventName: ['INSERT'] },
  // A change that leaves the order in an announced status; the enrichment drops those whose status did not change.
  {
    eventName: ['MODIFY'],
    dynamodb: {
      NewImage: { status: { S: ['PAID', 'CANCELLED', 'EXPIRED', 'PAYMENT_FAILED', 'REFUNDED', 'FULFILLED', 'NEEDS_ATTENTION'] } },
    },
  },
] as const;

/**
 * The orders table's change stream, read by two pipes (DynamoDB Streams' limit of two readers per shard,
 * {@link MAX_PIPES_PER_STREAM}: no third consumer may read it; more fan-out goes through the bus):
 * - `orderEvents`, the transactional outbox: changes → the domain events (src/events/order-stream.ts) → the bus.
 *   No handler publishes an order event after its write; the write is the event, delivered at least once.
 * - `orderStatusFanOut`: the same events, straight to the function that pushes live status and detects low
 *   stock, instead of two bus rules: ~3.15 fewer EventBridge target invocations per order (the binding default
 *   quota, docs/capacity.md), and one invocation per batch instead of one per event.
 */
export const pipes = {
  orderEvents: {
    description: 'Order changes to domain events on the bus (transactional outbox)',
    source: orderChanges,
    filters: orderEventFilters,
    enrichment: 'orderEventsFromStream',
    target: { kind: 'eventBus', source: '$.source', detailType: '$.detailType', time: '$.time', inputTemplate: '<$.detail>' },
  },
  orderStatusFanOut: {
    description: 'Order changes to live status pushes and low-stock detection (second reader of the orders stream)',
    source: orderChanges,
    filters: orderEventFilters,
    enrichment: 'orderEventsFromStream',
    target: { kind: 'function', function: 'fanOutOrderStatus' },
  },
} as const satisfies Record<string, PipeSpec>;

export type PipeId = keyof typeof pipes;

/** Environment variable that carries the bus name to every publishing function. */
export const EVENT_BUS_ENV = 'EVENT_BUS_NAME';

/** Environment variable that carries the low-stock alert topic ARN to `publishesAlerts` functions (unset locally). */
export const ALERT_TOPIC_ENV = 'ALERT_TOPIC_ARN';

/**
 * WebSocket API routes (live order status): route key → function. Deployed as an API Gateway WebSocket
 * API and served locally at `ws://127.0.0.1:<port>/ws` by the same handlers. No `$default` route:
 * clients only listen.
 */
export const webSocketRoutes = {
  $connect: 'connectLiveStatus',
  $disconnect: 'disconnectLiveStatus',
} as const satisfies Record<string, FunctionId>;

/**
 * The WebSocket `$connect` REQUEST authorizer: the token travels as `?token=` (browsers cannot set headers on
 * a WebSocket), verified with the same rules as the HTTP JWT authorizer (src/auth/jwt-verifier.ts).
 */
export const webSocketAuthorizer = {
  function: 'authorizeLiveStatus',
  identitySource: 'route.request.querystring.token',
} as const satisfies {
  function: FunctionId;
  identitySource: string;
};

/** Token verification settings for every verifier (HTTP JWT authorizer, WebSocket authorizer, local layers). */
export const JWT_ISSUER_ENV = 'WANDIAN_JWT_ISSUER';
/** Comma-separated app client ids; a token's `aud` (ID tokens) or `client_id` (access tokens) must be one. */
export const JWT_AUDIENCE_ENV = 'WANDIAN_JWT_AUDIENCE';

/** Environment variable that carries the WebSocket management API endpoint to `postsToConnections` functions. */
export const WEBSOCKET_ENDPOINT_ENV = 'WEBSOCKET_MANAGEMENT_ENDPOINT';

export interface ScheduleSpec {
  description: string;
  /** Period in AWS (EventBridge Scheduler `rate(n minutes)`); locally every WANDIAN_LOCAL_SCHEDULE_SECONDS (default 5). */
  rateMinutes: number;
  target: FunctionId;
  /** Locally at most this many seconds apart (the shorter of this and the shared local period; 0 still turns schedules off). */
  localIntervalSeconds?: number;
}

/**
 * Functions run on a timer. Each run receives the {@link ScheduledRun} event. Deployed as EventBridge
 * Scheduler schedules (lib/constructs/schedules-construct.ts); run on a timer by the local runtime.
 */
export const schedules = {
  expireOrders: {
    description: 'The payment deadline: claim unpaid orders past expiresAt for EXPIRY and compensate them',
    rateMinutes: 1,
    target: 'expireOrders',
    // Locally every second (not the shared local period): tests use payment timeouts of a few seconds.
    localIntervalSeconds: 1,
  },
  reconcile: {
    description: 'Drive orders whose saga never started or got stuck to a final state; repair leaked reservations',
    rateMinutes: 5,
    target: 'reconcile',
  },
} as const satisfies Record<string, ScheduleSpec>;

export type ScheduleId = keyof typeof schedules;

/** The event a scheduled function receives: which schedule fired and its period in seconds. */
export interface ScheduledRun {
  schedule: string;
  intervalSeconds: number;
}
