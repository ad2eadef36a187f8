/**
 * Scheduled job `reconcile` (lib/wiring.ts `schedules`: every 5 minutes in AWS, every few seconds
 * locally) — input {@link ScheduledRun} `{schedule, intervalSeconds}` → {@link ReconcileSummary}
 * `{started, committed, compensated, needsAttention, inventoryChecked, repaired, mismatches, errors}` (counts).
 * Finds orders placeOrder never reached, claimed orders whose segment did not finish, orders the expiry sweeper
 * missed, and reservations no open order holds, and drives each to a correct final state (src/saga/reconciler.ts;
 * rules in src/domain/reconcile.ts). Idempotent: every action is a conditional write or a segment start whose
 * steps are once-only. Logs the summary (WARN when it acted) and emits one
 * `Reconciler<Count>` metric per non-zero count.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { doc, sfn } from '../commons/clients.ts';
import { orders } from '../commons/stores.ts';
import { logger, metrics, tracer } from '../commons/powertools.ts';
import { flushMetrics } from '../commons/metrics.ts';
import { schedules, type ScheduledRun } from '../../lib/wiring.ts';
import { reconcileSettings } from '../../src/config.ts';
import type { ReconcileSummary } from '../../src/domain/reconcile.ts';
import { reconcile } from '../../src/saga/reconciler.ts';
import { ReconcileStore } from '../../src/store/reconcile-store.ts';

const store = new ReconcileStore(doc);
const ACTIONS: (keyof ReconcileSummary)[] = ['started', 'committed', 'compensated', 'repaired', 'mismatches', 'errors'];

export const handler = middy<ScheduledRun, ReconcileSummary>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushMetrics())
  .handler(async (event) => {
    const summary = await reconcile(
      {
        orders,
        store,
        sfn,
        warn: (message, details) => logger.warn(message, details),
      },
      reconcileSettings(),
      new Date(),
      event?.intervalSeconds ?? schedules.reconcile.rateMinutes * 60,
    );
    const acted = ACTIONS.some((k) => summary[k] > 0);
    logger[acted ? 'warn' : 'info']('reconciled', { summary });
    for (const [key, count] of Object.entries(summary)) {
      if (count > 0) metrics.addMetric(`Reconciler${key[0]!.toUpperCase()}${key.slice(1)}`, MetricUnit.Count, count);
    }
    return summary;
  });
