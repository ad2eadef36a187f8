import { Duration, Stack } from 'aws-cdk-lib';
import { EventBus, Rule, type EventPattern } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { rules, type FunctionId, type RuleId, type RuleSpec } from '../wiring.ts';
import { markWiring } from './conventions.ts';
import { acknowledge } from './nag.ts';

/** EventBridge retries a failed delivery this often, for at most this long, then dead-letters it. */
const DELIVERY_RETRY_ATTEMPTS = 20;
const MAX_EVENT_AGE = Duration.hours(2);

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

  /** The stack key: encrypts the bus's events and the dead-letter queues. */
  private readonly key: IKey;

  constructor(scope: Construct, id: string, props: { readonly key: IKey }) {
    super(scope, id);
    this.key = props.key;
    this.bus = new EventBus(this, 'Bus', { eventBusName: eventBusName(this), kmsKey: props.key });
  }

  /** Creates one rule per wiring `rules` entry, targeting its function with retries and a dead-letter queue. */
  addRules(functions: Record<FunctionId, IFunction>): void {
    for (const [ruleId, spec] of Object.entries(rules) as [RuleId, RuleSpec][]) {
      const rule = new Rule(this, ruleId, {
        eventBus: this.bus,
        description: spec.description,
        // Passed as-is: CDK renders the pattern's keys verbatim (it only renames `detailType`),
        // so EventBridge's own names such as `detail-type` reach the template unchanged.
        eventPattern: spec.eventPattern as EventPattern,
        targets: [
          new LambdaFunction(functions[spec.target], {
            deadLetterQueue: this.deadLetterQueueFor(spec.target, functions[spec.target]),
            retryAttempts: DELIVERY_RETRY_ATTEMPTS,
            maxEventAge: MAX_EVENT_AGE,
          }),
        ],
      });
      markWiring(rule, `rules.${ruleId}`);
      this.rules[ruleId] = rule;
    }
  }

  private deadLetterQueueFor(fnId: FunctionId, fn: IFunction): Queue {
    const existing = this.deadLetterQueues[fnId];
    if (existing) return existing;
    const queue = new Queue(this, `${fnId}DeadLetters`, {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
    });
    acknowledge(
      queue,
      'AwsSolutions-SQS3',
      'This queue IS a dead-letter queue: the target of an EventBridge rule DeadLetterConfig and a Lambda on-failure destination, not of an SQS redrive policy.',
    );
    fn.configureAsyncInvoke({ onFailure: new SqsDestination(queue), retryAttempts: 2, maxEventAge: MAX_EVENT_AGE });
    this.deadLetterQueues[fnId] = queue;
    return queue;
  }
}
