/**
 * The wiring's `schedules` (EventBridge Scheduler in AWS) run locally on a timer: every `intervalSeconds`
 * (WANDIAN_LOCAL_SCHEDULE_SECONDS, default 5, instead of the deployed `rateMinutes`) each schedule's target
 * is invoked with the same event shape, `{schedule, intervalSeconds}`; a schedule with `localIntervalSeconds` runs
 * at the shorter of the two (the expiry sweeper every second). A schedule's next run is timed from
 * the end of the previous one, so runs of one schedule never overlap.
 */
import type { ScheduledRun } from '../lib/wiring.ts';
import type { LambdaRuntime } from './lambda-runtime.ts';

export const DEFAULT_LOCAL_SCHEDULE_SECONDS = 5;

export interface LocalScheduler {
  /** Runs started per schedule id, since start. */
  runs(): Record<string, number>;
  /** Cancels the timers and waits for runs in progress; idempotent. */
  stop(): Promise<void>;
}

/** Starts one timer per schedule; a run's error is passed to `log` and the schedule goes on. */
export function startScheduler(opts: {
  runtime: LambdaRuntime;
  /** Schedule id → target function id (lib/wiring.ts `schedules`, or test fixtures). */
  schedules: Readonly<Record<string, { target: string; localIntervalSeconds?: number }>>;
  intervalSeconds: number;
  log: (line: string, error?: unknown) => void;
}): LocalScheduler {
  let stopped = false;
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  const counts: Record<string, number> = {};

  const arm = (id: string, target: string, seconds: number) => {
    timers.set(
      id,
      setTimeout(() => {
        counts[id] = (counts[id] ?? 0) + 1;
        const event: ScheduledRun = { schedule: id, intervalSeconds: seconds };
        const run = opts.runtime
          .invoke(target, event)
          .catch((error) => opts.log(`schedule ${id} run failed`, error))
          .finally(() => {
            inFlight.delete(run);
            if (!stopped) arm(id, target, seconds);
          });
        inFlight.add(run);
      }, seconds * 1000),
    );
  };
  for (const [id, spec] of Object.entries(opts.schedules))
    arm(id, spec.target, Math.min(opts.intervalSeconds, spec.localIntervalSeconds ?? opts.intervalSeconds));

  return {
    runs: () => ({ ...counts }),
    stop: async () => {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      await Promise.all([...inFlight]);
    },
  };
}
