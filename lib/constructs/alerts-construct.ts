import { CfnOutput } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ALERT_TOPIC_ENV, functions, type FunctionId, type FunctionSpec } from '../wiring.ts';

/** Name of the low-stock alert topic (one per regional stack). */
export const ALERT_TOPIC_NAME = 'low-stock-alerts';

/** Properties of {@link AlertsConstruct}. */
export interface AlertsConstructProps {
  /** Every wiring function by id; those whose spec says `publishesAlerts` may publish. */
  readonly functions: Record<FunctionId, IFunction & { addEnvironment(key: string, value: string): unknown }>;
  /** Stack key the topic is encrypted with (publishers get their key rights from FunctionsConstruct). */
  readonly key: IKey;
}

/**
 * Low-stock alerts for people (PRODUCT.md: alert <= 1 s after the decrement): the SNS topic
 * `low-stock-alerts`, TLS only, encrypted with the stack key. Only the functions whose lib/wiring.ts spec says `publishesAlerts`
 * may publish to it, and they learn its ARN from ALERT_TOPIC_ARN. Subscribe store operators' e-mail,
 * SMS or chat endpoints to it; the topic ARN is a stack output.
 */
export class AlertsConstruct extends Construct {
  /** The topic alerts are published to. */
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlertsConstructProps) {
    super(scope, id);
    this.topic = new Topic(this, 'LowStockAlerts', {
      topicName: ALERT_TOPIC_NAME,
      displayName: 'wandian low stock',
      enforceSSL: true,
      masterKey: props.key,
    });
    for (const [fnId, spec] of Object.entries(functions) as [FunctionId, FunctionSpec][]) {
      if (!spec.publishesAlerts) continue;
      props.functions[fnId].addEnvironment(ALERT_TOPIC_ENV, this.topic.topicArn);
      // sns:Publish only; the key rights (Decrypt, GenerateDataKey, no wildcards) come with the function's spec.
      props.functions[fnId].addToRolePolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
    }
    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn, description: 'Low-stock alerts: subscribe store operators here' });
  }
}
