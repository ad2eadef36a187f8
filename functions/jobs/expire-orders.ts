/**
 * Scheduled job `expireOrders` (lib/wiring.ts `schedules`: every minute in AWS, every second locally) — input
 * {@link ScheduledRun} `{schedule, intervalSeconds}` → {@link SweepSummary} `{due, expired, lost, errors,
 * complete}` (counts). The payment deadline of the order Saga: claims each unclaimed PENDING_PAYMENT order past
 * `expiresAt` for EXPIRY (one conditional write; a payment that claimed first wins) and starts compensateOrder
 * (src/saga/expiry.ts). Idempotent: the claim decides once, the compensation's steps are once-only. Logs the
 * summary (`swept`, WARN when it acted) and emits `OrdersExpiredBySweeper` when it expired any.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { doc, sfn } from '../commons/clients.ts';
import { orders } from '../commons/stores.ts';
import { logger, metrics, tracer } from '../commons/powertools.ts';
import { flushMetrics } from '../commons/metrics.ts';
import type { ScheduledRun } from '../../lib/wiring.ts';
import { expirySweepSettings } from '../../src/config.ts';
import { sweepExpired, type SweepSummary } from '../../src/saga/expiry.ts';
import { ReconcileStore } from '../../src/store/reconcile-store.ts';

const store = new ReconcileStore(doc);

export const handler = middy<ScheduledRun, SweepSummary>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushMetrics())
  .handler(async () => {
    const { maxOrdersPerRun, concurrency } = expirySweepSettings();
    const summary = await sweepExpired(
      { orders, sfn, store, warn: (message, details) => logger.warn(message, details) },
      new Date(),
      maxOrdersPerRun,
      concurrency,
    );
    logger[summary.expired + summary.errors > 0 ? 'warn' : 'info']('swept', { summary });
    if (summary.expired > 0) metrics.addMetric('OrdersExpiredBySweeper', MetricUnit.Count, summary.expired);
    return summary;
  });
