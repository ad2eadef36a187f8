/**
 * The single manifest of wandian's deployable parts: tables, functions, HTTP routes, state machines,
 * event rules and schedules. Pure data (no CDK imports) so that BOTH the CDK constructs in `lib/` and the local
 * runtime in `local/` read it; `test/cdk/stack.test.ts` checks the synthesized template against it.
 *
 * Paths are relative to the repository root.
 */

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
    purpose: 'Orders with status, history, reservation state and the saga task token.',
    globalSecondaryIndexes: {
      openOrders: {
        partitionKey: 'openShard',
        sortKey: 'expiresAt',
        projection: ['status', 'storeId', 'createdAt', 'paymentIntentId'],
        purpose:
          "Sparse: only orders the reconciler may have to drive (PENDING_PAYMENT, or NEEDS_ATTENTION reached from it) carry openShard ('OPEN#0'..'OPEN#15', a hash of the order id, spreading writes); removed when the order is paid or final.",
      },
    },
  },
  wallets: {
    partitionKey: 'customerId',
    envVar: 'TABLE_WALLETS',
    purpose: 'Customer wallets (paymentMethod BALANCE): balance in minor units of one currency, never below zero (conditional writes only).',
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
  connections: {
    partitionKey: 'subject',
    sortKey: 'connectionId',
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_CONNECTIONS',
    purpose: "Live status subscriptions: subject 'order#<id>' or 'customer#<id>' x WebSocket connectionId, plus one 'connection#<id>' row per connection naming its subject (for $disconnect); expire after API Gateway's 2 h connection limit.",
  },
} as const satisfies Record<string, TableSpec>;

export type TableId = keyof typeof tables;
/** Declared up front because functions and state machines refer to each other. */
export type StateMachineId = 'orderSaga' | 'refundSaga' | 'recoverOrder';
export type TableAccess = 'read' | 'readWrite';

/** Optional capabilities a function needs; the CDK grants them, the local runtime provides them. */
export interface FunctionSpec {
  /** Handler module; the handler export is always `handler`. */
  entry: string;
  description: string;
  tables: Partial<Record<TableId, TableAccess>>;
  /** State machines this function may start (StartExecution). */
  startsStateMachines?: StateMachineId[];
  /** State machines whose executions this function may look up (DescribeExecution). */
  readsExecutionsOf?: StateMachineId[];
  /** May call SendTaskSuccess / SendTaskFailure on the order saga. */
  sendsTaskResults?: boolean;
  publishesEvents?: boolean;
  /** May publish to the low-stock alert SNS topic (its ARN in ALERT_TOPIC_ENV). */
  publishesAlerts?: boolean;
  /** Reads the payment-provider webhook secret. */
  readsWebhookSecret?: boolean;
  /** Posts to WebSocket connections through the management API (its endpoint in WEBSOCKET_ENDPOINT_ENV). */
  postsToConnections?: boolean;
  timeoutSeconds?: number;
  memoryMb?: number;
}

export const functions = {
  // --- HTTP API ---
  putStore: { entry: 'functions/api/put-store.ts', description: 'PUT /v1/stores/{storeId}', tables: { stores: 'readWrite' } },
  putCatalogItem: { entry: 'functions/api/put-catalog-item.ts', description: 'PUT /v1/catalog/{sku}', tables: { catalog: 'readWrite' } },
  putInventory: {
    entry: 'functions/api/put-inventory.ts',
    description: 'PUT /v1/stores/{storeId}/inventory/{sku}',
    tables: { stores: 'read', catalog: 'read', inventory: 'readWrite' },
  },
  getInventory: { entry: 'functions/api/get-inventory.ts', description: 'GET /v1/stores/{storeId}/inventory/{sku}', tables: { inventory: 'read' } },
  putCoupon: { entry: 'functions/api/put-coupon.ts', description: 'PUT /v1/coupons/{code}', tables: { coupons: 'readWrite' } },
  createOrder: {
    entry: 'functions/api/create-order.ts',
    description: 'POST /v1/orders: price, reserve stock + redeem coupons + write order in one transaction, start the saga',
    tables: { stores: 'read', catalog: 'read', coupons: 'readWrite', inventory: 'readWrite', orders: 'readWrite', idempotency: 'readWrite' },
    startsStateMachines: ['orderSaga'],
    publishesEvents: true,
  },
  getOrder: { entry: 'functions/api/get-order.ts', description: 'GET /v1/orders/{orderId}', tables: { orders: 'read' } },
  cancelOrder: {
    entry: 'functions/api/cancel-order.ts',
    description: 'POST /v1/orders/{orderId}/cancel: cancel before payment, refund after',
    tables: { orders: 'readWrite' },
    startsStateMachines: ['refundSaga'],
    sendsTaskResults: true,
  },
  fulfilOrder: {
    entry: 'functions/api/fulfil-order.ts',
    description: 'POST /v1/orders/{orderId}/fulfil: the store hands a PAID order over (FULFILLED), OrderFulfilled',
    tables: { orders: 'readWrite' },
    publishesEvents: true,
  },
  topUpWallet: {
    entry: 'functions/api/top-up-wallet.ts',
    description: 'POST /v1/customers/{customerId}/wallet/topups: add money to the wallet (Idempotency-Key)',
    tables: { wallets: 'readWrite', idempotency: 'readWrite' },
  },
  getWallet: { entry: 'functions/api/get-wallet.ts', description: 'GET /v1/customers/{customerId}/wallet', tables: { wallets: 'read' } },
  paymentWebhook: {
    entry: 'functions/api/payment-webhook.ts',
    description: 'POST /v1/payments/webhook: verify signature, record the payment once, resume the saga',
    tables: { orders: 'readWrite', payments: 'readWrite' },
    sendsTaskResults: true,
    readsWebhookSecret: true,
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
  awaitPayment: {
    entry: 'functions/saga/await-payment.ts',
    description: 'Saga WaitForPayment: store the task token on the order (resumes at once if the callback came first)',
    tables: { orders: 'readWrite' },
    sendsTaskResults: true,
  },
  commitReservation: {
    entry: 'functions/saga/commit-reservation.ts',
    description: 'Saga CommitReservation: reserved -> sold, order -> PAID, OrderPaid',
    tables: { orders: 'readWrite', inventory: 'readWrite' },
    publishesEvents: true,
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
  closeOrder: {
    entry: 'functions/saga/close-order.ts',
    description: 'Saga CloseOrder: final status CANCELLED | EXPIRED | PAYMENT_FAILED, OrderCancelled',
    tables: { orders: 'readWrite' },
    publishesEvents: true,
  },
  beginRefund: { entry: 'functions/saga/begin-refund.ts', description: 'Refund saga BeginRefund: claim a PAID order for refund', tables: { orders: 'readWrite' } },
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
    description: 'Refund saga MarkRefunded: order -> REFUNDED, OrderRefunded',
    tables: { orders: 'readWrite' },
    publishesEvents: true,
  },
  markNeedsAttention: {
    entry: 'functions/saga/mark-needs-attention.ts',
    description: 'Saga MarkNeedsAttention: a compensation kept failing; park the order for an operator',
    tables: { orders: 'readWrite' },
    publishesEvents: true,
  },
  // --- Event consumers ---
  recordSales: {
    entry: 'functions/events/record-sales.ts',
    description: 'Hourly sales per store and sales region (UTC and store-local hours) and paid units per SKU, exactly once per event',
    tables: { reports: 'readWrite', stores: 'read' },
  },
  recordFunnel: {
    entry: 'functions/events/record-funnel.ts',
    description: 'Payment funnel per store and sales region: placed, paid, time-to-pay histogram, exactly once per event',
    tables: { reports: 'readWrite' },
  },
  recordCouponRedemptions: {
    entry: 'functions/events/record-coupon-redemptions.ts',
    description: 'Coupon redemptions and discount per code per hour, exactly once per event',
    tables: { reports: 'readWrite' },
  },
  recordLowStockAlert: {
    entry: 'functions/events/record-low-stock-alert.ts',
    description: 'On InventoryLow: store the alert once and send it to the alert topic',
    tables: { alerts: 'readWrite' },
    publishesAlerts: true,
  },
  // --- Reports and alerts API ---
  getSalesReport: { entry: 'functions/api/get-sales-report.ts', description: 'GET /v1/reports/sales', tables: { reports: 'read' } },
  getTopSkusReport: { entry: 'functions/api/get-top-skus-report.ts', description: 'GET /v1/reports/top-skus', tables: { reports: 'read' } },
  getFunnelReport: { entry: 'functions/api/get-funnel-report.ts', description: 'GET /v1/reports/funnel', tables: { reports: 'read' } },
  getCouponReport: { entry: 'functions/api/get-coupon-report.ts', description: 'GET /v1/reports/coupons', tables: { reports: 'read' } },
  listAlerts: { entry: 'functions/api/list-alerts.ts', description: 'GET /v1/alerts', tables: { alerts: 'read' } },
  detectLowStock: {
    entry: 'functions/events/detect-low-stock.ts',
    description: 'On OrderPlaced: flag stock that crossed its low-stock threshold and emit InventoryLow once per crossing',
    tables: { inventory: 'readWrite' },
    publishesEvents: true,
  },
  // --- Live order status (WebSocket API) ---
  connectLiveStatus: {
    entry: 'functions/live/connect.ts',
    description: 'WebSocket $connect: subscribe a connection to an order (?orderId, refused for an unknown order) or a customer (?customerId)',
    tables: { orders: 'read', connections: 'readWrite' },
  },
  disconnectLiveStatus: {
    entry: 'functions/live/disconnect.ts',
    description: 'WebSocket $disconnect: drop the connection and its subscription',
    tables: { connections: 'readWrite' },
  },
  pushOrderStatus: {
    entry: 'functions/live/push-order-status.ts',
    description: "On an order status event: push the order's current status to its subscribers, dropping gone connections",
    tables: { orders: 'read', connections: 'readWrite' },
    postsToConnections: true,
  },
  // --- Scheduled jobs (see `schedules`) ---
  reconcile: {
    entry: 'functions/jobs/reconcile.ts',
    description: 'Reconciler: starts sagas that never started, recovers orders stuck past their deadline, gives back reservations no open order holds',
    tables: { orders: 'read', inventory: 'readWrite' },
    startsStateMachines: ['orderSaga', 'recoverOrder'],
    readsExecutionsOf: ['orderSaga', 'recoverOrder'],
    publishesEvents: true,
    timeoutSeconds: 120,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionId = keyof typeof functions;

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';
export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway route path with `{param}` placeholders. */
  path: string;
  function: FunctionId;
}

/** API contract v1 (shared/brief/PRODUCT.md). */
export const routes: readonly RouteSpec[] = [
  { method: 'PUT', path: '/v1/stores/{storeId}', function: 'putStore' },
  { method: 'PUT', path: '/v1/catalog/{sku}', function: 'putCatalogItem' },
  { method: 'PUT', path: '/v1/stores/{storeId}/inventory/{sku}', function: 'putInventory' },
  { method: 'GET', path: '/v1/stores/{storeId}/inventory/{sku}', function: 'getInventory' },
  { method: 'PUT', path: '/v1/coupons/{code}', function: 'putCoupon' },
  { method: 'POST', path: '/v1/orders', function: 'createOrder' },
  { method: 'GET', path: '/v1/orders/{orderId}', function: 'getOrder' },
  { method: 'POST', path: '/v1/orders/{orderId}/cancel', function: 'cancelOrder' },
  { method: 'POST', path: '/v1/payments/webhook', function: 'paymentWebhook' },
  { method: 'POST', path: '/v1/orders/{orderId}/fulfil', function: 'fulfilOrder' },
  { method: 'POST', path: '/v1/customers/{customerId}/wallet/topups', function: 'topUpWallet' },
  { method: 'GET', path: '/v1/customers/{customerId}/wallet', function: 'getWallet' },
  { method: 'GET', path: '/v1/reports/sales', function: 'getSalesReport' },
  { method: 'GET', path: '/v1/reports/top-skus', function: 'getTopSkusReport' },
  { method: 'GET', path: '/v1/reports/funnel', function: 'getFunnelReport' },
  { method: 'GET', path: '/v1/reports/coupons', function: 'getCouponReport' },
  { method: 'GET', path: '/v1/alerts', function: 'listAlerts' },
];

export interface StateMachineSpec {
  /** ASL in JSONPath (aws-local-stepfunctions ignores JSONata). */
  file: string;
  /** `${Name}` in the ASL → the ARN of this function. */
  functionSubstitutions: Record<string, FunctionId>;
  /** Environment variable through which functions learn the state machine ARN. */
  envVar: string;
}

export const stateMachines = {
  orderSaga: {
    file: 'statemachines/order-saga.asl.json',
    envVar: 'ORDER_SAGA_ARN',
    functionSubstitutions: {
      CreatePaymentIntentFunctionArn: 'createPaymentIntent',
      DebitWalletFunctionArn: 'debitWallet',
      AwaitPaymentFunctionArn: 'awaitPayment',
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
    envVar: 'REFUND_SAGA_ARN',
    functionSubstitutions: {
      BeginRefundFunctionArn: 'beginRefund',
      RefundPaymentFunctionArn: 'refundPayment',
      RestockItemsFunctionArn: 'restockItems',
      MarkRefundedFunctionArn: 'markRefunded',
      MarkNeedsAttentionFunctionArn: 'markNeedsAttention',
    },
  },
  /** Started by the reconciler for a stuck order whose order saga is gone: commit or compensate. */
  recoverOrder: {
    file: 'statemachines/recover-order.asl.json',
    envVar: 'RECOVER_ORDER_ARN',
    functionSubstitutions: {
      CommitReservationFunctionArn: 'commitReservation',
      VoidPaymentFunctionArn: 'voidPayment',
      ReleaseStockFunctionArn: 'releaseStock',
      ReleaseCouponsFunctionArn: 'releaseCoupons',
      CloseOrderFunctionArn: 'closeOrder',
      MarkNeedsAttentionFunctionArn: 'markNeedsAttention',
    },
  },
} as const satisfies Record<StateMachineId, StateMachineSpec>;

/** Event sources on the bus (see src/events/catalog.ts for detail shapes). */
export const eventSources = { orders: 'wandian.orders', inventory: 'wandian.inventory' } as const;

export interface RuleSpec {
  description: string;
  /** EventBridge event pattern, deployed as-is and matched as-is by the local bus. */
  eventPattern: Record<string, unknown>;
  target: FunctionId;
}

export const rules = {
  salesToHourlyReport: {
    description: 'Order outcomes feed the hourly sales report',
    eventPattern: { source: [eventSources.orders], 'detail-type': ['OrderPaid', 'OrderCancelled', 'OrderRefunded'] },
    target: 'recordSales',
  },
  placedToLowStockCheck: {
    description: 'Every placed order checks its lines against the low-stock thresholds',
    eventPattern: { source: [eventSources.orders], 'detail-type': ['OrderPlaced'] },
    target: 'detectLowStock',
  },
  placedAndPaidToFunnel: {
    description: 'Placed and paid orders feed the payment funnel',
    eventPattern: { source: [eventSources.orders], 'detail-type': ['OrderPlaced', 'OrderPaid'] },
    target: 'recordFunnel',
  },
  couponRedeemedToReport: {
    description: 'Coupon redemptions feed the hourly coupon report',
    eventPattern: { source: [eventSources.orders], 'detail-type': ['CouponRedeemed'] },
    target: 'recordCouponRedemptions',
  },
  inventoryLowToAlert: {
    description: 'Low stock is stored as an alert and sent to the alert topic',
    eventPattern: { source: [eventSources.inventory], 'detail-type': ['InventoryLow'] },
    target: 'recordLowStockAlert',
  },
  statusToLivePush: {
    description: 'Every order status change is pushed to the WebSocket subscribers of the order and its customer',
    eventPattern: {
      source: [eventSources.orders],
      'detail-type': ['OrderPlaced', 'OrderPaid', 'OrderCancelled', 'OrderRefunded', 'OrderFulfilled', 'OrderNeedsAttention'],
    },
    target: 'pushOrderStatus',
  },
} as const satisfies Record<string, RuleSpec>;

export type RuleId = keyof typeof rules;

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

/** Environment variable that carries the WebSocket management API endpoint to `postsToConnections` functions. */
export const WEBSOCKET_ENDPOINT_ENV = 'WEBSOCKET_MANAGEMENT_ENDPOINT';

export interface ScheduleSpec {
  description: string;
  /** Period in AWS (EventBridge Scheduler `rate(n minutes)`); locally every WANDIAN_LOCAL_SCHEDULE_SECONDS (default 5). */
  rateMinutes: number;
  target: FunctionId;
}

/**
 * Functions run on a timer. Each run receives the {@link ScheduledRun} event. Deployed as EventBridge
 * Scheduler schedules (lib/constructs/schedules-construct.ts); run on a timer by the local runtime.
 */
export const schedules = {
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
