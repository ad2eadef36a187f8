import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * Secrets of the stack. The payment webhook secret is the HMAC-SHA256 key that payment providers
 * sign their callbacks with (`X-Signature`); it is generated here and shared with the providers
 * out of band. Functions with `readsWebhookSecret` get its ARN and read rights.
 */
export class SecurityConstruct extends Construct {
  /** HMAC key for `POST /v1/payments/webhook` signatures. */
  readonly webhookSecret: Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.webhookSecret = new Secret(this, 'PaymentWebhookSecret', {
      description: 'wandian: HMAC-SHA256 key of payment provider webhooks (X-Signature)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
  }
}
