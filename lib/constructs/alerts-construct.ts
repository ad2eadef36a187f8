import { CfnOutput } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ALERT_TOPIC_ENV, functions, type FunctionId, type FunctionSpec } from '../wiring.ts';

/** Name of the low-stock alert topic (one per regional stack). */
export const ALERT_TOPIC_NAME = 'low-stock-alerts';

/** Properties of {@link AlertsConstruct}. */
export interface AlertsConstructProps {
  /** Every wiring function by id; those whose spec says `publishesAlerts` may publish. */
  readonly functions: Record<FunctionId, IFunction & { addEnvironment(key: string, value: string): unknown }>;
}

/**
 * Low-stock alerts for people (PRODUCT.md: alert <= 1 s after the decrement): the SNS topic
 * `low-stock-alerts`, TLS only. Only the functions whose lib/wiring.ts spec says `publishesAlerts`
 * may publish to it, and they learn its ARN from ALERT_TOPIC_ARN. Subscribe store operators' e-mail,
 * SMS or chat endpoints to it; the topic ARN is a stack output.
 */
export class AlertsConstruct extends Construct {
  /** The topic alerts are published to. */
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlertsConstructProps) {
    super(scope, id);
    this.topic = new Topic(this, 'LowStockAlerts', { topicName: ALERT_TOPIC_NAME, displayName: 'wandian low stock', enforceSSL: true });
    for (const [fnId, spec] of Object.entries(functions) as [FunctionId, FunctionSpec][]) {
      if (!spec.publishesAlerts) continue;
      props.functions[fnId].addEnvironment(ALERT_TOPIC_ENV, this.topic.topicArn);
      this.topic.grantPublish(props.functions[fnId]);
    }
    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn, description: 'Low-stock alerts: subscribe store operators here' });
  }
}
