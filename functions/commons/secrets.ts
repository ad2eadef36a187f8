/**
 * Payment webhook secrets, per provider (PRODUCT.md "Webhook signature"; provider ids in
 * src/payments/webhook-secret-env.ts). A list is returned because during a rotation the current AND the
 * previous secret are accepted.
 *
 * - Deployed (inside AWS Lambda, AWS_EXECUTION_ENV set): ONLY Secrets Manager. The secret's ARN is in
 *   `webhookSecretEnv(provider)` (e.g. PAYMENT_WEBHOOK_SECRET_ARN_WECHAT_PAY); its AWSCURRENT version and,
 *   when it exists, its AWSPREVIOUS version are read with Powertools Parameters, cached 300 s. Any
 *   WANDIAN_PAYMENT_WEBHOOK_SECRET* variable is ignored there, so a stray variable can never replace the
 *   real key. A missing ARN fails fast ({@link assertWebhookSecretsConfigured} at cold start).
 * - Locally: `WANDIAN_PAYMENT_WEBHOOK_SECRET_<WECHAT_PAY|ALIPAY|CARD>` if set, else
 *   `WANDIAN_PAYMENT_WEBHOOK_SECRET` (every provider's); rotation: `WANDIAN_PAYMENT_WEBHOOK_SECRET_<P>_PREVIOUS`
 *   if set, else `WANDIAN_PAYMENT_WEBHOOK_SECRET_PREVIOUS`. Read on every call (tests rotate them live).
 *   Without any variable, an ARN variable is used as deployed (handlers run against a real account).
 */
import { GetParameterError } from '@aws-lambda-powertools/parameters';
import { getSecret, SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { paymentProviders, webhookSecretEnv, type PaymentProviderId } from '../../src/payments/webhook-secret-env.ts';

/** Seconds a secret read from Secrets Manager is cached per container (a rotation applies within this). */
export const WEBHOOK_SECRET_MAX_AGE_SECONDS = 300;

/** Secrets Manager staging labels read: the live secret and, during a rotation, the one before it. */
export type SecretStage = 'AWSCURRENT' | 'AWSPREVIOUS';

/** Reads one version of a secret; undefined when that version does not exist (no AWSPREVIOUS yet). */
export type SecretFetcher = (arn: string, stage: SecretStage) => Promise<string | undefined>;

/** Local variable suffix of a provider: `wechat-pay` → `WECHAT_PAY`. */
const envSuffix = (provider: PaymentProviderId): string => provider.toUpperCase().replaceAll('-', '_');

/** Name of the local variable holding `provider`'s secret (`previous`: the rotation's old one). */
export const localWebhookSecretEnv = (provider: PaymentProviderId, previous = false): string =>
  `WANDIAN_PAYMENT_WEBHOOK_SECRET_${envSuffix(provider)}${previous ? '_PREVIOUS' : ''}`;

type Env = Record<string, string | undefined>;

/** True inside AWS Lambda (the same test as faultCrashPoint in src/config.ts). */
const inLambda = (env: Env): boolean => Boolean(env.AWS_EXECUTION_ENV);

/** The local secrets of `provider` from the environment ([current, previous?]); empty when none is set. */
export function localWebhookSecrets(provider: PaymentProviderId, env: Env = process.env): string[] {
  const current = env[localWebhookSecretEnv(provider)] || env.WANDIAN_PAYMENT_WEBHOOK_SECRET;
  if (!current) return [];
  const previous = env[localWebhookSecretEnv(provider, true)] || env.WANDIAN_PAYMENT_WEBHOOK_SECRET_PREVIOUS;
  return previous && previous !== current ? [current, previous] : [current];
}

/**
 * Throws when this process cannot resolve a secret for every provider: inside Lambda, a provider whose
 * ARN variable is missing (a deployment mistake: fail at cold start, not on the first callback).
 */
export function assertWebhookSecretsConfigured(env: Env = process.env): void {
  if (!inLambda(env)) return;
  const missing = paymentProviders.filter((p) => !env[webhookSecretEnv(p)]).map(webhookSecretEnv);
  if (missing.length > 0) throw new Error(`Webhook secret ARN missing: ${missing.join(', ')}`);
}

/**
 * The secrets that may have signed a callback from `provider`: `[current]` or `[current, previous]`
 * (non-empty strings). Throws when none is configured (→ 500: the provider retries, nothing is changed).
 */
export async function webhookSecrets(
  provider: PaymentProviderId,
  env: Env = process.env,
  fetch: SecretFetcher = secretsManagerFetcher,
): Promise<string[]> {
  if (!inLambda(env)) {
    const local = localWebhookSecrets(provider, env);
    if (local.length > 0) return local;
  }
  const arn = env[webhookSecretEnv(provider)];
  if (!arn) throw new Error(`No webhook secret for ${provider}: ${webhookSecretEnv(provider)} is not set`);
  const [current, previous] = await Promise.all([fetch(arn, 'AWSCURRENT'), fetch(arn, 'AWSPREVIOUS')]);
  if (!current) throw new Error(`Webhook secret ${arn} has no AWSCURRENT value`);
  return previous && previous !== current ? [current, previous] : [current];
}

/**
 * Previous versions are read through their own provider instance: Powertools caches by secret name (and
 * transform) only, not by the SDK's VersionStage, so one cache would hand out AWSCURRENT for AWSPREVIOUS.
 */
let previousProvider: SecretsProvider | undefined;
/** ARNs without an AWSPREVIOUS version, remembered like a cached value (ms timestamp of expiry). */
const noPrevious = new Map<string, number>();

/** Reads a secret version from Secrets Manager through Powertools Parameters (cached {@link WEBHOOK_SECRET_MAX_AGE_SECONDS}). */
export const secretsManagerFetcher: SecretFetcher = async (arn, stage) => {
  const options = { maxAge: WEBHOOK_SECRET_MAX_AGE_SECONDS, sdkOptions: { VersionStage: stage } };
  if (stage === 'AWSCURRENT') return asText(await getSecret(arn, options));
  if ((noPrevious.get(arn) ?? 0) > Date.now()) return undefined;
  previousProvider ??= new SecretsProvider();
  try {
    return asText(await previousProvider.get(arn, options));
  } catch (e) {
    // No AWSPREVIOUS yet (never rotated): Secrets Manager answers ResourceNotFoundException.
    const cause = e instanceof GetParameterError ? (e.cause as Error | undefined) : undefined;
    if (cause?.name !== 'ResourceNotFoundException') throw e;
    noPrevious.set(arn, Date.now() + WEBHOOK_SECRET_MAX_AGE_SECONDS * 1000);
    return undefined;
  }
};

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value || undefined;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8') || undefined;
  return undefined;
}
