import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { CfnRotationSchedule, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { paymentProviders, type PaymentProvider } from '../../src/payments/webhook-secret-env.ts';
import { createLambda } from './lambda.ts';

/** How often each provider's webhook secret is rotated. */
export const WEBHOOK_SECRET_ROTATION = Duration.days(30);
/** Handler of the rotation Lambda (not a wiring function: nothing but Secrets Manager invokes it). */
export const ROTATION_ENTRY = 'functions/jobs/rotate-webhook-secret.ts';

/**
 * The stack's keys and secrets.
 *
 * - One customer-managed KMS key (yearly rotation) for everything the stack stores: tables, SNS topics,
 *   dead-letter queues, the event bus, the state machines and CloudWatch log groups. Its policy lets the
 *   services that encrypt on the stack's behalf use it: CloudWatch Logs (only for this account's log groups in
 *   this region), CloudWatch alarms (publishing to encrypted topics) and EventBridge (dead-lettering to
 *   encrypted queues). Functions get explicit key rights with their table and topic rights.
 * - One Secrets Manager secret per payment provider (`wechat-pay`, `alipay`, `card`): the HMAC key of that
 *   provider's webhook signatures, rotated every 30 days by functions/jobs/rotate-webhook-secret.ts. During a
 *   rotation the webhook accepts AWSCURRENT and AWSPREVIOUS.
 */
export class SecurityConstruct extends Construct {
  /** The stack's customer-managed key. */
  readonly key: Key;
  /** Webhook HMAC key per provider. */
  readonly webhookSecrets: Record<PaymentProvider, Secret>;
  /** The rotation Lambda of the webhook secrets. */
  readonly rotationFunction: NodejsFunction;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { region, account, partition } = Stack.of(this);
    this.key = new Key(this, 'Key', {
      description: `wandian ${region}: tables, topics, queues, event bus, state machines, log groups`,
      enableKeyRotation: true,
    });
    const encryptDecrypt = ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'];
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: encryptDecrypt,
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*` } },
      }),
    );
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      this.key.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
    }

    const rotation = createLambda(this, 'RotateWebhookSecret', {
      entry: ROTATION_ENTRY,
      description: 'Rotates a payment provider webhook secret (createSecret/setSecret/testSecret/finishSecret)',
      logKey: this.key,
    });
    this.rotationFunction = rotation;
    rotation.grantInvoke(new ServicePrincipal('secretsmanager.amazonaws.com'));

    const secrets = paymentProviders.map((provider) => {
      const pascal = provider.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
      const secret = new Secret(this, `${pascal}WebhookSecret`, {
        description: `wandian: HMAC-SHA256 key of ${provider} payment webhooks (X-Signature), rotated every ${WEBHOOK_SECRET_ROTATION.toDays()} days`,
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
      });
      // The L1 schedule: the L2 would also grant secretsmanager:GetRandomPassword on "*", which this rotation does not use.
      new CfnRotationSchedule(this, `${pascal}WebhookSecretRotation`, {
        secretId: secret.secretArn,
        rotationLambdaArn: rotation.functionArn,
        rotationRules: { scheduleExpression: `rate(${WEBHOOK_SECRET_ROTATION.toDays()} days)` },
      }).node.addDependency(rotation);
      rotation.addToRolePolicy(
        new PolicyStatement({
          actions: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          resources: [secret.secretArn],
        }),
      );
      return [provider, secret] as const;
    });
    this.webhookSecrets = Object.fromEntries(secrets) as Record<PaymentProvider, Secret>;
  }
}
