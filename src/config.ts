/**
 * Typed configuration: the one place that reads process.env. Table names, state machine ARNs and the
 * bus name come from the variables that lib/wiring.ts names and the CDK stack (or the local runtime) sets.
 */
import { tables, stateMachines, EVENT_BUS_ENV, type TableId, type StateMachineId } from '../lib/wiring.ts';

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

/** Seconds an order waits for payment before it expires (default 900 = 15 min, PRODUCT.md Saga). */
export const paymentTimeoutSeconds = (): number => positiveInt('WANDIAN_PAYMENT_TIMEOUT_SECONDS', 900);

/** Idempotency records live this long (seconds); 24 h like common payment APIs. */
export const idempotencyTtlSeconds = (): number => positiveInt('WANDIAN_IDEMPOTENCY_TTL_SECONDS', 86_400);

/** Documented default for local runs only; a deployed stack reads the secret from Secrets Manager. */
export const LOCAL_WEBHOOK_SECRET_DEFAULT = 'wandian-local-webhook-secret';
