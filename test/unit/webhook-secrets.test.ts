/**
 * Where webhook secrets come from (functions/commons/secrets.ts; PRODUCT.md "Webhook signature"): local
 * variables (global, per provider, _PREVIOUS) outside Lambda only; Secrets Manager AWSCURRENT + AWSPREVIOUS
 * by the per-provider ARN variable inside Lambda; a deployed function without an ARN fails fast.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  assertWebhookSecretsConfigured,
  localWebhookSecretEnv,
  webhookSecrets,
  type SecretFetcher,
} from '../../functions/commons/secrets.ts';
import { webhookSecretEnv } from '../../src/payments/webhook-secret-env.ts';

const noFetch: SecretFetcher = async () => {
  throw new Error('Secrets Manager must not be called');
};
const ARNS = {
  [webhookSecretEnv('wechat-pay')]: 'arn:wechat',
  [webhookSecretEnv('alipay')]: 'arn:alipay',
  [webhookSecretEnv('card')]: 'arn:card',
};

describe('local webhook secrets', () => {
  it('uses WANDIAN_PAYMENT_WEBHOOK_SECRET for every provider', async () => {
    const env = { WANDIAN_PAYMENT_WEBHOOK_SECRET: 's' };
    for (const p of ['wechat-pay', 'alipay', 'card'] as const) expect(await webhookSecrets(p, env, noFetch)).toEqual(['s']);
  });

  it('prefers a per-provider variable, and adds the previous secret during a rotation', async () => {
    expect(localWebhookSecretEnv('wechat-pay')).toBe('WANDIAN_PAYMENT_WEBHOOK_SECRET_WECHAT_PAY');
    const env = {
      WANDIAN_PAYMENT_WEBHOOK_SECRET: 'global',
      WANDIAN_PAYMENT_WEBHOOK_SECRET_ALIPAY: 'ali',
      WANDIAN_PAYMENT_WEBHOOK_SECRET_ALIPAY_PREVIOUS: 'ali-old',
      WANDIAN_PAYMENT_WEBHOOK_SECRET_PREVIOUS: 'global-old',
    };
    expect(await webhookSecrets('alipay', env, noFetch)).toEqual(['ali', 'ali-old']);
    expect(await webhookSecrets('card', env, noFetch)).toEqual(['global', 'global-old']);
  });

  it('throws when nothing is configured', async () => {
    await expect(webhookSecrets('card', {}, noFetch)).rejects.toThrow(/PAYMENT_WEBHOOK_SECRET_ARN_CARD/);
  });
});

describe('deployed webhook secrets (AWS_EXECUTION_ENV set)', () => {
  const lambda: Record<string, string | undefined> = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', ...ARNS };

  it("ignores the local variables and reads AWSCURRENT and AWSPREVIOUS of the provider's ARN", async () => {
    const fetch = vi.fn<SecretFetcher>(async (arn, stage) => `${arn}:${stage}`);
    const env = { ...lambda, WANDIAN_PAYMENT_WEBHOOK_SECRET: 'injected', WANDIAN_PAYMENT_WEBHOOK_SECRET_CARD: 'injected' };
    expect(await webhookSecrets('card', env, fetch)).toEqual(['arn:card:AWSCURRENT', 'arn:card:AWSPREVIOUS']);
    expect(fetch.mock.calls.map((c) => c.join(' ')).sort()).toEqual(['arn:card AWSCURRENT', 'arn:card AWSPREVIOUS']);
  });

  it('works with no previous version (never rotated)', async () => {
    const fetch: SecretFetcher = async (arn, stage) => (stage === 'AWSCURRENT' ? `${arn}-key` : undefined);
    expect(await webhookSecrets('wechat-pay', lambda, fetch)).toEqual(['arn:wechat-key']);
  });

  it('fails fast when a provider has no secret ARN, and only inside Lambda', async () => {
    const partial: Record<string, string | undefined> = { ...lambda, [webhookSecretEnv('alipay')]: undefined };
    expect(() => assertWebhookSecretsConfigured(partial)).toThrow(/PAYMENT_WEBHOOK_SECRET_ARN_ALIPAY/);
    expect(() => assertWebhookSecretsConfigured(lambda)).not.toThrow();
    expect(() => assertWebhookSecretsConfigured({ WANDIAN_PAYMENT_WEBHOOK_SECRET: 's' })).not.toThrow();
    await expect(webhookSecrets('alipay', { ...partial, WANDIAN_PAYMENT_WEBHOOK_SECRET: 's' }, noFetch)).rejects.toThrow(/ALIPAY/);
  });
});
