/**
 * Powertools singletons shared by every handler: Logger (service name from POWERTOOLS_SERVICE_NAME) and
 * Metrics (namespace from POWERTOOLS_METRICS_NAMESPACE, `Wandian`; EMF lines flushed by the middy
 * `logMetrics` middleware, see metrics.ts; POWERTOOLS_METRICS_DISABLED=true silences them, as locally).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../src/observability/business-metrics.ts';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? METRICS_SERVICE;

export const logger = new Logger({ serviceName, correlationIdSearchFn: search });
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE });
