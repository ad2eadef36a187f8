import { Duration, Stack } from 'aws-cdk-lib';
import { CfnRule, EventBus, Rule, type EventPattern, type IRuleTarget, type RuleTargetConfig } from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy, bindBaseTargetConfig, LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { rules, type FunctionId, type QueueSpec, type RuleId, type RuleSpec } from '../wiring.ts';
import { markWiring } from './conventions.ts';
import { acknowledge } from './nag.ts';

/** EventBridge retries a failed delivery this often, for at most this long, then dead-letters it. */
const DELIVERY_RETRY_ATTEMPTS = 20;
const MAX_EVENT_AGE = Duration.hours(2);
/** A queued event waits at most this long for its consumer (SQS default); its marker outlives it (src/store/report-store.ts). */
const QUEUE_RETENTION = Duration.days(4);

/**
 * A rule target that is an SQS queue, with EventBridge's send right limited to THIS rule (aws:SourceArn).
 * Not aws-events-targets' SqsQueue: for a KMS-encrypted queue it scopes the grant to the whole account
 * (aws:SourceAccount), so any rule of the account could write to the queue. The key policy already lets
 * events.amazonaws.com use the stack key (security-construct.ts).
 */
function queueTarget(queue: Queue, deadLetterQueue: Queue): IRuleTarget {
  return {
    bind: (rule): RuleTargetConfig => {
      queue.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': CfnRule.arnForRule(rule) } },
        }),
      );
      addToDeadLetterQueueResourcePolicy(rule, deadLetterQueue);
      return {
        ...bindBaseTargetConfig({ deadLetterQueue, retryAttempts: DELIVERY_RETRY_ATTEMPTS, maxEventAge: MAX_EVENT_AGE }),
        arn: queue.queueArn,
        targetResource: queue,
      };
    },
  };
}

/** Deterministic name of the regional bus, `wandian-<region>`. */
export const eventBusName = (scope: IConstruct): string => `wandian-${Stack.of(scope).region}`;

/**
 * The regional bus `wandian-<region>` and the rules of lib/wiring.ts. Build it before the
 * functions (they need the bus) and call {@link EventsConstruct.addRules} once they exist.
 */
export class EventsConstruct extends Construct {
  /** The bus every publishing function sends to and other teams subscribe their rules on. */
  readonly bus: EventBus;
  /** Rules by wiring id (filled by {@link EventsConstruct.addRules}). */
  readonly rules: Partial<Record<RuleId, Rule>> = {};
  /**
   * One queue per consumer function. It receives events EventBridge could not deliver (the event,
   * with error attributes) and invocations the function kept failing (a Lambda destination record
   * with the event as `requestPayload`), so no event is silently lost.
   */
  readonly deadLetterQueues: Partial<Record<FunctionId, Queue>> = {};
  /** The queue between a queued rule (wiring `queue`) and its function, by rule id. */
  readonly queues: Partial<Record<RuleId, Queue>> = {};

  /** The stack key: encrypts the bus's events and the dead-letter queues. */
  private readonly key: IKey;

  constructor(scope: Construct, id: string, props: { readonly key: IKey }) {
    super(scope, id);
    this.key = props.key;
    this.bus = new EventBus(this, 'Bus', { eventBusName: eventBusName(this), kmsKey: props.key });
  }

  /**
   * Creates one rule per wiring `rules` entry. A plain rule targets its function with retries and a
   * dead-letter queue; a queued one (`queue`) targets a KMS-encrypted queue that its function reads in
   * batches (event source mapping with ReportBatchItemFailures), redriving to the dead-letter queue.
   */
  addRules(functions: Record<FunctionId, IFunction>): void {
    for (const [ruleId, spec] of Object.entries(rules) as [RuleId, RuleSpec][]) {
      const fn = functions[spec.target];
      const target = spec.queue
        ? queueTarget(this.queueFor(ruleId, spec.target, fn, spec.queue), this.deadLetterQueues[spec.target]!)
        : new LambdaFunction(fn, {
            deadLetterQueue: this.deadLetterQueueFor(spec.target, fn),
            retryAttempts: DELIVERY_RETRY_ATTEMPTS,
            maxEventAge: MAX_EVENT_AGE,
          });
      const rule = new Rule(this, ruleId, {
        eventBus: this.bus,
        description: spec.description,
        // Passed as-is: CDK renders the pattern's keys verbatim (it only renames `detailType`),
        // so EventBridge's own names such as `detail-type` reach the template unchanged.
        eventPattern: spec.eventPattern as EventPattern,
        targets: [target],
      });
      // A queued consumer's code changes before its rule's pattern does (CloudFormation would update both at once):
      // a new pattern may stop delivering events an older consumer still needed (e.g. ordersToReports' CouponRedeemed).
      if (spec.queue) rule.node.addDependency(fn);
      markWiring(rule, `rules.${ruleId}`);
      this.rules[ruleId] = rule;
    }
  }

  /** The rule's queue (redriving to the function's dead-letter queue) and the function's event source mapping on it. */
  private queueFor(ruleId: RuleId, fnId: FunctionId, fn: IFunction, spec: QueueSpec): Queue {
    if (this.deadLetterQueues[fnId]) throw new Error(`Rule ${ruleId}: ${fnId} already has a dead-letter queue (one rule per consumer)`);
    const deadLetterQueue = this.newDeadLetterQueue(
      fnId,
      'the redrive target of its SQS queue and the DeadLetterConfig of its EventBridge rule',
    );
    this.deadLetterQueues[fnId] = deadLetterQueue;
    const queue = new Queue(this, `${ruleId}Queue`, {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION,
      visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: spec.maxReceiveCount },
    });
    markWiring(queue, `rules.${ruleId}.queue`);
    // Grants the function receive/delete/change-visibility on this queue and decrypt with the stack key.
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: spec.batchSize,
        maxBatchingWindow: Duration.seconds(spec.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: spec.maxConcurrency,
      }),
    );
    this.queues[ruleId] = queue;
    return queue;
  }

  private newDeadLetterQueue(fnId: FunctionId, role: string): Queue {
    const queue = new Queue(this, `${fnId}DeadLetters`, {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
    });
    acknowledge(queue, 'AwsSolutions-SQS3', `This queue IS a dead-letter queue: ${role}.`);
    return queue;
  }

  private deadLetterQueueFor(fnId: FunctionId, fn: IFunction): Queue {
    const existing = this.deadLetterQueues[fnId];
    if (existing) return existing;
    const queue = this.newDeadLetterQueue(
      fnId,
      'the target of an EventBridge rule DeadLetterConfig and a Lambda on-failure destination, not of an SQS redrive policy',
    );
    fn.configureAsyncInvoke({ onFailure: new SqsDestination(queue), retryAttempts: 2, maxEventAge: MAX_EVENT_AGE });
    this.deadLetterQueues[fnId] = queue;
    return queue;
  }
}
