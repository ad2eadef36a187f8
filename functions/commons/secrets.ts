/**
 * The payment webhook secret: WANDIAN_PAYMENT_WEBHOOK_SECRET when set (local runs), otherwise the
 * Secrets Manager secret named by PAYMENT_WEBHOOK_SECRET_ARN (deployed stack), cached 5 minutes by
 * Powertools Parameters.
 */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/** The shared secret for X-Signature HMACs. Throws if neither source is configured. */
export async function webhookSecret(): Promise<string> {
  const local = process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET;
  if (local) return local;
  const arn = process.env.PAYMENT_WEBHOOK_SECRET_ARN;
  if (!arn) throw new Error('No webhook secret configured (WANDIAN_PAYMENT_WEBHOOK_SECRET or PAYMENT_WEBHOOK_SECRET_ARN)');
  const secret = await getSecret(arn, { maxAge: 300 });
  if (typeof secret !== 'string' || secret.length === 0) throw new Error('Webhook secret is empty');
  return secret;
}
