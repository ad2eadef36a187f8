/** Payment providers that call the webhook (path segment of POST /v1/payments/webhook/{provider}; PRODUCT.md v1.1). */
export const paymentProviders = ['wechat-pay', 'alipay', 'card'] as const;
export type PaymentProviderId = (typeof paymentProviders)[number];

/** Environment variable carrying the ARN of `provider`'s webhook secret (deployed), e.g. PAYMENT_WEBHOOK_SECRET_ARN_WECHAT_PAY. */
export const webhookSecretEnv = (provider: PaymentProviderId): string => `PAYMENT_WEBHOOK_SECRET_ARN_${provider.toUpperCase().replaceAll('-', '_')}`;
