/**
 * One function's environment, built from its lib/wiring.ts spec: the ONE place that decides which
 * variables a function receives, used by BOTH the CDK FunctionsConstruct (deployed) and the local runtime
 * (local/lambda-runtime.ts, each isolate's own `env`). Pure: no CDK imports; resource names and ARNs come
 * in `resolved` (CDK tokens when deployed, local names and ARNs locally).
 *
 * A function gets a resource's variable only if its spec declares the capability: a table name only for
 * the tables it lists, a state machine ARN only for those it starts or describes, the bus name only with
 * `publishesEvents`, the alert topic only with `publishesAlerts`, the WebSocket management endpoint only
 * with `postsToConnections`, the webhook secret ARNs only with `readsWebhookSecret`, a per-principal limit
 * only for the limits of its routes.
 */
import { paymentProviders, webhookSecretEnv, type PaymentProvider } from '../src/payments/webhook-secret-env.ts';
import {
  ALERT_TOPIC_ENV,
  EVENT_BUS_ENV,
  JWT_AUDIENCE_ENV,
  JWT_ISSUER_ENV,
  WEBSOCKET_ENDPOINT_ENV,
  principalLimits,
  routes as wiredRoutes,
  stateMachines,
  tables,
  type FunctionSpec,
  type PrincipalLimitId,
  type RouteSpec,
  type StateMachineId,
  type TableAccess,
  type TableId,
} from './wiring.ts';

/**
 * DynamoDB actions per access level, listed explicitly (no `dynamodb:*`, no BatchWriteItem, no DeleteItem or
 * Scan unless the spec says `deletesFrom` / `scans`). TransactWriteItems needs the per-item actions it contains;
 * TransactGetItems, DescribeTable and streams are not used by any handler.
 */
export const DYNAMODB_ACTIONS: Readonly<Record<TableAccess | 'delete' | 'scan', readonly string[]>> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
  readWrite: [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:BatchGetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:ConditionCheckItem',
  ],
  delete: ['dynamodb:DeleteItem'],
  scan: ['dynamodb:Scan'],
};

/** Memory of a function without `memoryMb`, in MB: the same deployed and locally. */
export const DEFAULT_MEMORY_MB = 512;
/** Timeout of a function without `timeoutSeconds`, in seconds: the same deployed and locally. */
export const DEFAULT_TIMEOUT_SECONDS = 10;

/**
 * The level deployed handlers log at: Powertools Logger's default, INFO (no POWERTOOLS_LOG_LEVEL and no Lambda log
 * level filter are set; stack test). Operators need it: the per-order trail by correlation_id (README "Tracing an
 * order") is INFO lines, and Powertools Metrics' EMF lines carry no level (a level filter would drop them). The local
 * runtime logs at WARN unless POWERTOOLS_LOG_LEVEL says otherwise (a readable console); scripts/cost.ts runs the
 * handlers at this level, metrics on, so the log bytes it counts are the deployed ones.
 */
export const DEPLOYED_LOG_LEVEL = 'INFO';

/**
 * API Gateway HTTP API's integration timeout, in seconds (its maximum and default: 30 s, "Amazon API Gateway
 * quotas", HTTP APIs). A Lambda behind a route must time out well before it, or the gateway answers the client
 * 503/504 while the function may still commit: every API function's timeout stays below this (stack test).
 */
export const HTTP_API_INTEGRATION_TIMEOUT_SECONDS = 30;

/**
 * THE timeout of a function, in seconds: its spec's `timeoutSeconds`, else DEFAULT_TIMEOUT_SECONDS. The CDK
 * construct (lib/constructs/lambda.ts) deploys it and the local runtime (local/lambda-runtime.ts) enforces it,
 * so a handler times out locally exactly when it would in AWS.
 */
export const functionTimeoutSeconds = (spec: object): number =>
  'timeoutSeconds' in spec && typeof spec.timeoutSeconds === 'number' ? spec.timeoutSeconds : DEFAULT_TIMEOUT_SECONDS;

/** What the environment is built from: physical names and ARNs (or CDK tokens), by logical id. */
export interface ResolvedResources {
  /** Physical table name by table id. */
  readonly tableNames: Readonly<Partial<Record<TableId, string>>>;
  /** State machine ARN by id. */
  readonly stateMachineArns?: Readonly<Partial<Record<StateMachineId, string>>>;
  /** The event bus name (`EVENT_BUS_NAME`). */
  readonly busName?: string;
  /** The low-stock alert topic ARN (`ALERT_TOPIC_ARN`). */
  readonly alertTopicArn?: string;
  /** The WebSocket management endpoint (`WEBSOCKET_MANAGEMENT_ENDPOINT`). */
  readonly webSocketEndpoint?: string;
  /** Webhook secret ARN per provider (`PAYMENT_WEBHOOK_SECRET_ARN_<PROVIDER>`). */
  readonly webhookSecretArns?: Readonly<Partial<Record<PaymentProvider, string>>>;
  /** Token issuer and accepted client ids (every function). */
  readonly tokens?: { readonly issuer: string; readonly audience: string };
  /** Seconds an order waits for payment (every function). */
  readonly paymentTimeoutSeconds?: number;
  /** Sales regions served (every function, comma-separated). */
  readonly salesRegions?: readonly string[];
  /** Requests per minute per principal by limit (default: the wiring's). */
  readonly principalLimitsPerMinute?: Readonly<Partial<Record<PrincipalLimitId, number>>>;
}

/** The spec fields the environment depends on (a test fixture may declare only some). */
export type EnvironmentSpec = Pick<
  FunctionSpec,
  | 'tables'
  | 'startsStateMachines'
  | 'readsExecutionsOf'
  | 'publishesEvents'
  | 'publishesAlerts'
  | 'postsToConnections'
  | 'readsWebhookSecret'
>;

/** Every variable through which some function may learn a resource (what a function without the capability must NOT have; per-principal limits are settings, not resources). */
export function resourceEnvironmentNames(): string[] {
  return [
    ...Object.values(tables).map((t) => t.envVar),
    ...Object.values(stateMachines).map((s) => s.envVar),
    EVENT_BUS_ENV,
    ALERT_TOPIC_ENV,
    WEBSOCKET_ENDPOINT_ENV,
    ...paymentProviders.map(webhookSecretEnv),
  ];
}

/**
 * The environment of function `id` (spec `spec`): the variables listed in the module comment, each set
 * only when its value is resolved (e.g. no ALERT_TOPIC_ARN where no topic exists). `routes` (default the
 * wiring's) decide the per-principal limits.
 */
export function functionEnvironment(
  id: string,
  spec: EnvironmentSpec,
  resolved: ResolvedResources,
  routes: readonly Pick<RouteSpec, 'function' | 'principalLimit'>[] = wiredRoutes,
): Record<string, string> {
  const env: Record<string, string> = { POWERTOOLS_SERVICE_NAME: 'wandian', POWERTOOLS_METRICS_NAMESPACE: 'Wandian' };
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) env[name] = value;
  };
  if (resolved.paymentTimeoutSeconds !== undefined) set('WANDIAN_PAYMENT_TIMEOUT_SECONDS', String(resolved.paymentTimeoutSeconds));
  if (resolved.salesRegions) set('WANDIAN_SALES_REGIONS', resolved.salesRegions.join(','));
  set(JWT_ISSUER_ENV, resolved.tokens?.issuer);
  set(JWT_AUDIENCE_ENV, resolved.tokens?.audience);
  for (const route of routes) {
    if (route.function !== id || !route.principalLimit) continue;
    const limit = principalLimits[route.principalLimit];
    set(limit.perMinuteEnv, String(resolved.principalLimitsPerMinute?.[route.principalLimit] ?? limit.defaultPerMinute));
  }
  for (const tableId of Object.keys(spec.tables ?? {}) as TableId[]) {
    const name = resolved.tableNames[tableId];
    if (name === undefined) throw new Error(`functions.${id}: no physical name for table ${tableId}`);
    env[tables[tableId].envVar] = name;
  }
  for (const smId of new Set([...(spec.startsStateMachines ?? []), ...(spec.readsExecutionsOf ?? [])])) {
    set(stateMachines[smId].envVar, resolved.stateMachineArns?.[smId]);
  }
  if (spec.publishesEvents) set(EVENT_BUS_ENV, resolved.busName);
  if (spec.publishesAlerts) set(ALERT_TOPIC_ENV, resolved.alertTopicArn);
  if (spec.postsToConnections) set(WEBSOCKET_ENDPOINT_ENV, resolved.webSocketEndpoint);
  if (spec.readsWebhookSecret) for (const p of paymentProviders) set(webhookSecretEnv(p), resolved.webhookSecretArns?.[p]);
  return env;
}
