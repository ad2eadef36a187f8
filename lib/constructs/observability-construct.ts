import { Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { routes, type FunctionId, type StateMachineId, type TableId } from '../wiring.ts';
import type { OrderStatus } from '../../src/domain/types.ts';
import {
  businessMetrics,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  orderStatusMetric,
  sagaOutcomes,
} from '../../src/observability/business-metrics.ts';

const PERIOD = Duration.minutes(1);

/** Default API 5xx alarm threshold: more than 10 server errors a minute in 2 of 3 minutes. */
export const DEFAULT_API_5XX_THRESHOLD = 10;

/** PRODUCT.md figures: create order P99 <= 350 ms; P95 < 200 ms overall. */
export const CREATE_ORDER_P99_MS = 350;
export const API_P95_MS = 200;

/** The HTTP API stage whose route-level metrics are read (lib/constructs/api-construct.ts). */
const API_STAGE = '$default';
const createOrderRoute = routes.find((r) => r.function === 'createOrder')!;

/** Age (s) of the oldest message of a batch consumer's queue above which it is alarmed (3 minutes running). */
const QUEUE_AGE_ALARM_SECONDS = 30;

/** Properties of {@link ObservabilityConstruct}. */
export interface ObservabilityConstructProps {
  /** API whose latency and 4xx/5xx are graphed; 5xx is alarmed. */
  readonly api: IHttpApi;
  /** Functions whose errors and throttles are graphed. */
  readonly functions: Record<FunctionId, IFunction>;
  /** Sagas whose outcomes are graphed; failures and timeouts are alarmed. */
  readonly stateMachines: Record<StateMachineId, IStateMachine>;
  /** Tables whose condition failures and throttling are graphed. */
  readonly tables: Record<TableId, ITableV2>;
  /** Dead-letter queues whose depth must stay 0. */
  readonly deadLetterQueues: Partial<Record<string, IQueue>>;
  /** Queues between rules and batch consumers: an old message means the consumer is stuck or behind. */
  readonly eventQueues?: Partial<Record<string, IQueue>>;
  /** Stack key the alarm topic is encrypted with (its policy lets CloudWatch alarms use it). */
  readonly key: IKey;
  /** API 5xx responses per minute above which the alarm fires (default {@link DEFAULT_API_5XX_THRESHOLD}). */
  readonly api5xxThreshold?: number;
}

/**
 * The operations dashboard (business figures from the functions' Powertools metrics: orders/min by
 * status, revenue/min, saga outcomes, compensation steps, low-stock alerts; API latency and errors,
 * Lambda errors and throttles, saga executions, DynamoDB condition failures and throttling, dead
 * letters) and the alarms that page the `ops-alarms` topic: any failed or timed-out saga execution (a
 * compensation that kept failing ends the execution failed), any order parked in NEEDS_ATTENTION,
 * create-order p99 above 350 ms and API p95 above 200 ms (PRODUCT.md), API 5xx above the threshold,
 * any dead-lettered event, a batch consumer's queue whose oldest message waits over 30 s.
 */
export class ObservabilityConstruct extends Construct {
  /** Subscribe on-call endpoints here. */
  readonly alarmTopic: Topic;
  /** The stack's operations dashboard, named after the stack. */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityConstructProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.alarmTopic = new Topic(this, 'OpsAlarms', { topicName: 'ops-alarms', enforceSSL: true, masterKey: props.key });
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: stackName, defaultInterval: Duration.hours(3) });

    const sum = { statistic: 'Sum', period: PERIOD } as const;
    const fns = Object.entries(props.functions);
    const sms = Object.entries(props.stateMachines);
    const tables = Object.entries(props.tables);
    const queues = Object.entries(props.deadLetterQueues).filter((entry): entry is [string, IQueue] => entry[1] !== undefined);

    const graph = (title: string, left: IMetric[], width = 12): IWidget => new GraphWidget({ title, left, width, height: 6 });
    /** A business metric (namespace Wandian, dimension service) summed per minute. */
    const business = (metricName: string, label: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: METRICS_SERVICE }, ...sum, label });
    const statusMetric = (status: OrderStatus) => business(orderStatusMetric[status], status);
    const outcome = (label: string, statuses: readonly OrderStatus[]): IMetric =>
      statuses.length === 1
        ? business(orderStatusMetric[statuses[0]!], label)
        : new MathExpression({
            expression: statuses.map((_, i) => `s${i}`).join(' + '),
            usingMetrics: Object.fromEntries(statuses.map((st, i) => [`s${i}`, statusMetric(st)])),
            label,
            period: PERIOD,
          });
    const createOrderLatency = props.api.metricLatency({
      statistic: 'p99',
      period: PERIOD,
      label: `${createOrderRoute.method} ${createOrderRoute.path} p99`,
      dimensionsMap: { ApiId: props.api.apiId, Stage: API_STAGE, Method: createOrderRoute.method, Resource: createOrderRoute.path },
    });

    this.dashboard.addWidgets(
      graph('Orders/min by status', (Object.keys(orderStatusMetric) as OrderStatus[]).map(statusMetric)),
      graph('Revenue/min (minor units, per currency)', [
        new MathExpression({
          expression: `SEARCH('{${METRICS_NAMESPACE},currency,service} MetricName="${businessMetrics.revenue}"', 'Sum', 60)`,
          label: 'Revenue',
          period: PERIOD,
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Saga outcomes/min',
        Object.entries(sagaOutcomes).map(([label, statuses]) => outcome(label, statuses)),
        8,
      ),
      graph('Compensation steps/min', [business(businessMetrics.compensations, 'compensation steps')], 8),
      graph('Low-stock alerts/min', [business(businessMetrics.lowStockAlerts, 'alerts')], 8),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API latency (ms)',
        left: [props.api.metricLatency({ statistic: 'p99', period: PERIOD, label: 'Latency p99' }), createOrderLatency],
        leftAnnotations: [{ value: CREATE_ORDER_P99_MS, label: 'create order p99 target' }],
        width: 12,
        height: 6,
      }),
      graph('API 4xx / 5xx', [
        props.api.metricClientError({ ...sum, label: '4xx' }),
        props.api.metricServerError({ ...sum, label: '5xx' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda errors',
        fns.map(([fnId, fn]) => fn.metricErrors({ ...sum, label: fnId })),
      ),
      graph(
        'Lambda throttles',
        fns.map(([fnId, fn]) => fn.metricThrottles({ ...sum, label: fnId })),
      ),
    );
    this.dashboard.addWidgets(
      ...sms.map(([smId, sm]) =>
        graph(
          `Saga ${smId} executions`,
          [
            sm.metricSucceeded({ ...sum, label: 'ExecutionsSucceeded' }),
            sm.metricFailed({ ...sum, label: 'ExecutionsFailed' }),
            sm.metricTimedOut({ ...sum, label: 'ExecutionsTimedOut' }),
          ],
          24 / sms.length,
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'DynamoDB ConditionalCheckFailedRequests',
        tables.map(([tableId, t]) => t.metricConditionalCheckFailedRequests({ ...sum, label: tableId })),
        8,
      ),
      graph(
        'DynamoDB ThrottledRequests (all operations)',
        tables.map(
          ([tableId, t]) =>
            new MathExpression({
              // ThrottledRequests exists only per (TableName, Operation): sum whatever operations occur.
              expression: `SUM(SEARCH('{AWS/DynamoDB,Operation,TableName} MetricName="ThrottledRequests" TableName="${t.tableName}"', 'Sum', 60))`,
              label: tableId,
              period: PERIOD,
            }),
        ),
        8,
      ),
      graph(
        'DynamoDB Read/WriteThrottleEvents',
        tables.flatMap(([tableId, t]) => [
          t.metric('ReadThrottleEvents', { ...sum, label: `${tableId} read` }),
          t.metric('WriteThrottleEvents', { ...sum, label: `${tableId} write` }),
        ]),
        8,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Dead-lettered events (messages visible)',
        queues.map(([name, q]) => q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD, label: name })),
        24,
      ),
    );

    const alarm = (
      alarmId: string,
      description: string,
      metric: IMetric,
      threshold: number,
      evaluationPeriods = 1,
      datapointsToAlarm = 1,
    ): void => {
      new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods,
        datapointsToAlarm,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new SnsAction(this.alarmTopic));
    };
    for (const [smId, sm] of sms) {
      alarm(
        `${smId}ExecutionsFailed`,
        `${smId}: an execution failed (a compensation kept failing, see NEEDS_ATTENTION orders)`,
        sm.metricFailed(sum),
        0,
      );
      alarm(`${smId}ExecutionsTimedOut`, `${smId}: an execution timed out`, sm.metricTimedOut(sum), 0);
    }
    alarm(
      'OrdersNeedAttention',
      'Orders were parked in NEEDS_ATTENTION (a compensation kept failing): an operator must finish them',
      statusMetric('NEEDS_ATTENTION'),
      0,
    );
    alarm(
      'CreateOrderLatencyP99',
      `${createOrderRoute.method} ${createOrderRoute.path}: p99 latency above ${CREATE_ORDER_P99_MS} ms (PRODUCT.md)`,
      createOrderLatency,
      CREATE_ORDER_P99_MS,
      5,
      3,
    );
    alarm(
      'ApiLatencyP95',
      `HTTP API: p95 latency above ${API_P95_MS} ms (PRODUCT.md)`,
      props.api.metricLatency({ statistic: 'p95', period: PERIOD }),
      API_P95_MS,
      5,
      3,
    );
    const api5xx = props.api5xxThreshold ?? DEFAULT_API_5XX_THRESHOLD;
    alarm('Api5xx', `HTTP API: more than ${api5xx} 5xx responses a minute`, props.api.metricServerError(sum), api5xx, 3, 2);
    for (const [name, queue] of Object.entries(props.eventQueues ?? {})) {
      if (!queue) continue;
      alarm(
        `${name}Backlog`,
        `${name}: events wait over ${QUEUE_AGE_ALARM_SECONDS} s for their consumer (reports fresh within 3 s, PRODUCT.md)`,
        queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: PERIOD }),
        QUEUE_AGE_ALARM_SECONDS,
        3,
        3,
      );
    }
    for (const [name, queue] of queues) {
      alarm(
        `${name}DeadLetters`,
        `${name}: events were dead-lettered; inspect and redrive the queue`,
        queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD }),
        0,
      );
    }
  }
}
