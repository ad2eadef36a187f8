/**
 * Typed configuration: the one place that reads process.env. Table names, state machine ARNs and the
 * bus name come from the variables that lib/wiring.ts names and the CDK stack (or the local runtime) sets.
 */
import {
  tables,
  stateMachines,
  principalLimits,
  ALERT_TOPIC_ENV,
  EVENT_BUS_ENV,
  WEBSOCKET_ENDPOINT_ENV,
  type PrincipalLimitId,
  type TableId,
  type StateMachineId,
} from '../lib/wiring.ts';
import type { ReconcileSettings } from './domain/reconcile.ts';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Missing environment variable ${name}`);
  return value;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

/** Physical DynamoDB table name for a logical table. */
export const tableName = (id: TableId): string => required(tables[id].envVar);

/** ARN of a state machine. */
export const stateMachineArn = (id: StateMachineId): string => required(stateMachines[id].envVar);

export const eventBusName = (): string => required(EVENT_BUS_ENV);

/** WebSocket management API endpoint (`https://<api>.execute-api.<region>.amazonaws.com/<stage>`; a loopback URL locally). */
export const websocketManagementEndpoint = (): string => required(WEBSOCKET_ENDPOINT_ENV);

/** Seconds an order waits for payment before it expires (default 900 = 15 min, PRODUCT.md Saga). */
export const paymentTimeoutSeconds = (): number => positiveInt('WANDIAN_PAYMENT_TIMEOUT_SECONDS', 900);

/** Idempotency records live this long (seconds); 24 h like common payment APIs. */
export const idempotencyTtlSeconds = (): number => positiveInt('WANDIAN_IDEMPOTENCY_TTL_SECONDS', 86_400);
/**
 * Seconds the order path caches stores, catalog items and automatic promotions per container
 * (src/store/master-data-cache.ts): WANDIAN_MASTER_DATA_CACHE_SECONDS, default 5; 0 = no caching.
 */
export function masterDataCacheSeconds(): number {
  const raw = process.env.WANDIAN_MASTER_DATA_CACHE_SECONDS;
  const n = raw === undefined || raw === '' ? 5 : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 5;
}

/**
 * Requests a principal (token `sub`) may make per minute under a per-principal limit: the variable the
 * wiring names (WANDIAN_CUSTOMER_ORDERS_PER_MINUTE, WANDIAN_CUSTOMER_TOPUPS_PER_MINUTE), default 20 (the
 * contract's default, PRODUCT.md "Identity and access"). Throws when the variable is not a positive integer.
 */
export const principalLimitPerMinute = (id: PrincipalLimitId): number =>
  positiveInt(principalLimits[id].perMinuteEnv, principalLimits[id].defaultPerMinute);

/** Documented default for local runs only; a deployed stack reads the secret from Secrets Manager. */
export const LOCAL_WEBHOOK_SECRET_DEFAULT = 'wandian-local-webhook-secret';

type Env = Record<string, string | undefined>;

/** True inside AWS Lambda: the runtime sets AWS_EXECUTION_ENV there; the local runtime and the tests do not. */
export const inAwsLambda = (env: Env = process.env): boolean => Boolean(env.AWS_EXECUTION_ENV);

/**
 * ARN of the low-stock alert SNS topic (ALERT_TOPIC_ARN, set by the stack on `publishesAlerts` functions).
 * Locally undefined, and alerts are logged instead. Inside AWS Lambda a missing ARN throws: a deployed
 * function without its topic is a deployment mistake, and an alert that only reaches a log line would go
 * unseen, so the function fails at cold start (alert-notifier.ts reads it at init) rather than degrade.
 */
export function alertTopicArn(env: Env = process.env): string | undefined {
  const arn = env[ALERT_TOPIC_ENV] || undefined;
  if (!arn && inAwsLambda(env))
    throw new Error(`Missing environment variable ${ALERT_TOPIC_ENV}: a deployed alert publisher needs its SNS topic`);
  return arn;
}

/**
 * Reconciler thresholds in seconds (src/domain/reconcile.ts ReconcileSettings): grace 30, stuck 120 s past
 * expiresAt, inventory quiet for payment timeout + stuck + 300, 16 inventory segments, 200 orders per
 * check per run. Variables WANDIAN_RECONCILE_{GRACE,STUCK_AFTER,QUIET}_SECONDS, _INVENTORY_SEGMENTS, _MAX_ORDERS.
 */
export function reconcileSettings(): ReconcileSettings {
  const stuckAfterSeconds = positiveInt('WANDIAN_RECONCILE_STUCK_AFTER_SECONDS', 120);
  return {
    graceSeconds: positiveInt('WANDIAN_RECONCILE_GRACE_SECONDS', 30),
    stuckAfterSeconds,
    quietSeconds: positiveInt('WANDIAN_RECONCILE_QUIET_SECONDS', paymentTimeoutSeconds() + stuckAfterSeconds + 300),
    inventorySegments: positiveInt('WANDIAN_RECONCILE_INVENTORY_SEGMENTS', 16),
    maxOrdersPerRun: positiveInt('WANDIAN_RECONCILE_MAX_ORDERS', 200),
  };
}

/**
 * The expiry sweeper's bounds (functions/jobs/expire-orders.ts): orders claimed per run
 * (WANDIAN_EXPIRY_MAX_ORDERS, default 5,000: a minute's expiries at 1,000 orders/s with a few percent
 * unpaid, the rest next minute) and claims in flight at once (WANDIAN_EXPIRY_CONCURRENCY, default 16).
 */
export function expirySweepSettings(): { maxOrdersPerRun: number; concurrency: number } {
  return {
    maxOrdersPerRun: positiveInt('WANDIAN_EXPIRY_MAX_ORDERS', 5000),
    concurrency: positiveInt('WANDIAN_EXPIRY_CONCURRENCY', 16),
  };
}

/**
 * LOCAL TESTING ONLY: the crash point named by WANDIAN_FAULT_CRASH_AT (src/faults.ts). Always undefined
 * inside AWS Lambda (AWS_EXECUTION_ENV is set there), so a deployed function can never be made to crash; and
 * the Lambda bundles do not even contain it (src/faults.ts: compiled out by esbuild `define`).
 */
export const faultCrashPoint = (): string | undefined => (inAwsLambda() ? undefined : process.env.WANDIAN_FAULT_CRASH_AT || undefined);
/** Local testing only: the crash point (src/faults.ts) at which to THROW instead (read at each pass, so a test can set it); never in AWS Lambda. */
export const faultThrowPoint = (): string | undefined => (inAwsLambda() ? undefined : process.env.WANDIAN_FAULT_THROW_AT || undefined);
