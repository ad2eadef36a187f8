import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { schedules, type FunctionId, type ScheduledRun, type ScheduleId, type ScheduleSpec } from '../wiring.ts';
import { markWiring } from './conventions.ts';

/** Properties of {@link SchedulesConstruct}. */
export interface SchedulesConstructProps {
  /** Every wiring function by id; each schedule invokes its `target`. */
  readonly functions: Record<FunctionId, IFunction>;
}

/**
 * One EventBridge Scheduler schedule per `schedules` entry of lib/wiring.ts: `rate(n minutes)`, no
 * flexible window, invoking the target function with the {@link ScheduledRun} event
 * `{schedule, intervalSeconds}`. A failed invocation is retried twice, and never after the next run is
 * due (it would only duplicate it); each schedule gets its own role allowed to invoke just its target.
 */
export class SchedulesConstruct extends Construct {
  /** Every wiring schedule by its id. */
  readonly schedules: Record<ScheduleId, Schedule>;

  constructor(scope: Construct, id: string, props: SchedulesConstructProps) {
    super(scope, id);
    const entries = (Object.entries(schedules) as [ScheduleId, ScheduleSpec][]).map(([scheduleId, spec]) => {
      const period = Duration.minutes(spec.rateMinutes);
      const event: ScheduledRun = { schedule: scheduleId, intervalSeconds: period.toSeconds() };
      const schedule = new Schedule(this, scheduleId, {
        description: spec.description,
        schedule: ScheduleExpression.rate(period),
        timeWindow: TimeWindow.off(),
        target: new LambdaInvoke(props.functions[spec.target], {
          input: ScheduleTargetInput.fromObject(event),
          retryAttempts: 2,
          maxEventAge: Duration.seconds(Math.max(60, period.toSeconds())),
        }),
      });
      markWiring(schedule, `schedules.${scheduleId}`);
      return [scheduleId, schedule] as const;
    });
    this.schedules = Object.fromEntries(entries) as Record<ScheduleId, Schedule>;
  }
}
