/**
 * Payment providers that call `POST /v1/payments/webhook/{provider}` (PRODUCT.md, contract v1.1) and the
 * environment variable through which a deployed function learns the ARN of that provider's webhook secret
 * (one Secrets Manager secret per provider, rotated; lib/constructs/security-construct.ts).
 */

/** Providers, as they appear in the webhook path. */
export const paymentProviders = ['wechat-pay', 'alipay', 'card'] as const;
export type PaymentProvider = (typeof paymentProviders)[number];

/** `wechat-pay` → `PAYMENT_WEBHOOK_SECRET_ARN_WECHAT_PAY`: the variable holding that provider's secret ARN. */
export function webhookSecretEnv(provider: PaymentProvider): string {
  return `PAYMENT_WEBHOOK_SECRET_ARN_${provider.toUpperCase().replace(/-/g, '_')}`;
}

/** True for a path segment that names a known provider. */
export const isPaymentProvider = (value: string): value is PaymentProvider => (paymentProviders as readonly string[]).includes(value);

/** Alias used by the webhook handler and clients (the name `PaymentProvider` is also the adapter interface in provider.ts). */
export type PaymentProviderId = PaymentProvider;
