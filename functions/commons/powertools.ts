/**
 * Powertools singletons shared by every handler: Logger (service name from POWERTOOLS_SERVICE_NAME),
 * Metrics (namespace from POWERTOOLS_METRICS_NAMESPACE, `Wandian`; EMF lines flushed by the middy
 * `logMetrics` middleware, see metrics.ts; POWERTOOLS_METRICS_DISABLED=true silences them, as locally) and
 * Tracer (X-Ray; the functions have active tracing in CDK).
 *
 * Tracer switches itself off outside AWS Lambda (no AWS_EXECUTION_ENV, as in the local runtime and the
 * tests) or with POWERTOOLS_TRACE_ENABLED=false: its middleware, annotations and client capture are then
 * no-ops, so nothing is sent and nothing waits for an X-Ray daemon.
 *
 * Correlation: the order's id is THE correlation id of an order's flow. Every wrapper (httpHandler,
 * taskHandler, eventConsumer) sets it with {@link correlateWith} as soon as it knows the order, so the
 * API request, each saga step, each event consumer and the X-Ray traces of one order share
 * `correlation_id` = orderId; the wrappers' middleware resets it after each invocation.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../src/observability/business-metrics.ts';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? METRICS_SERVICE;

export const logger = new Logger({ serviceName, correlationIdSearchFn: search });
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE });
export const tracer = new Tracer({ serviceName });

/** X-Ray annotation (indexed, searchable: `annotation.orderId = "..."`) carrying the correlation id. */
export const ORDER_ANNOTATION = 'orderId';

/**
 * Makes `orderId` the correlation id of the rest of this invocation: `correlation_id` and `orderId` on every
 * log line, and the `orderId` annotation on the trace (a no-op where tracing is off). Call it once the
 * invocation knows which order it serves; the wrapper's `resetKeys` clears it afterwards.
 */
export function correlateWith(orderId: string): void {
  logger.setCorrelationId(orderId);
  logger.appendKeys({ orderId });
  tracer.putAnnotation(ORDER_ANNOTATION, orderId);
}
