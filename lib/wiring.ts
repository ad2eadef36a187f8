/**
 * The single manifest of wandian's deployable parts: tables, functions, HTTP routes, state machines
 * and event rules. Pure data (no CDK imports) so that BOTH the CDK constructs in `lib/` and the local
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
  orders: { partitionKey: 'orderId', envVar: 'TABLE_ORDERS', purpose: 'Orders with status, history, reservation state and the saga task token.' },
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
} as const satisfies Record<string, TableSpec>;

export type TableId = keyof typeof tables;
/** Declared up front because functions and state machines refer to each other. */
export type StateMachineId = 'orderSaga' | 'refundSaga';
export type TableAccess = 'read' | 'readWrite';

/** Optional capabilities a function needs; the CDK grants them, the local runtime provides them. */
export interface FunctionSpec {
  /** Handler module; the handler export is always `handler`. */
  entry: string;
  description: string;
  tables: Partial<Record<TableId, TableAccess>>;
  /** State machines this function may start (StartExecution). */
  startsStateMachines?: StateMachineId[];
  /** May call SendTaskSuccess / SendTaskFailure on the order saga. */
  sendsTaskResults?: boolean;
  publishesEvents?: boolean;
  /** Reads the payment-provider webhook secret. */
  readsWebhookSecret?: boolean;
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
  voidPayment: { entry: 'functions/saga/void-payment.ts', description: 'Saga VoidPayment: void or refund the payment (compensation)', tables: { orders: 'readWrite' } },
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
  refundPayment: { entry: 'functions/saga/refund-payment.ts', description: 'Refund saga RefundPayment: refund with the provider', tables: { orders: 'readWrite' } },
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
    description: 'Hourly sales counters per store and sales region, exactly once per event',
    tables: { reports: 'readWrite' },
  },
  detectLowStock: {
    entry: 'functions/events/detect-low-stock.ts',
    description: 'On OrderPlaced: flag stock that crossed its low-stock threshold and emit InventoryLow once per crossing',
    tables: { inventory: 'readWrite' },
    publishesEvents: true,
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
} as const satisfies Record<string, RuleSpec>;

export type RuleId = keyof typeof rules;

/** Environment variable that carries the bus name to every publishing function. */
export const EVENT_BUS_ENV = 'EVENT_BUS_NAME';
