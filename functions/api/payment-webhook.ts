/**
 * POST /v1/payments/webhook/{provider} (contract v1.1; PRODUCT.md "Webhook signature", "Wallet top-ups are
 * payments") — `provider` one of wechat-pay, alipay, card; no token, signature only: header
 * `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with that provider's secret
 * (current or, during a rotation, previous; functions/commons/secrets.ts; rules in src/payments/signature.ts).
 * Body `{paymentId, orderId | topupId (exactly one), status: SUCCEEDED | FAILED, amount (minor units),
 * currency, occurredAt}` → 200 `{received, disposition}` (duplicates too).
 *
 * Orders: the first callback for an order CLAIMS the unpaid order with one conditional write (src/domain/order-claim.ts;
 * invariant 4) and starts the next Saga segment (APPLIED: confirmPayment, or compensateOrder for a failed payment): a payment answered APPLIED always ends PAID. A repeat of it is
 * DUPLICATE; any other successful payment for an order that already has one, that an expiry or cancel claimed
 * first, that is already closed, or that is paid from the wallet (BALANCE), is REFUNDED once per paymentId (late
 * or double payment, never applied); another FAILED one is IGNORED. A payment after expiresAt but before the
 * expiry's claim is honoured (the stock is still reserved for it).
 * Top-ups: settled in one transaction with the payments record (src/store/topup-store.ts): APPLIED (credited
 * once / FAILED once), DUPLICATE, REFUNDED (double or late money, or money the wallet cannot take: refunded
 * once per paymentId), REJECTED (amount, currency or provider differ from the top-up: never credited, the
 * top-up ends FAILED with PAYMENT_MISMATCH and the captured money is refunded), IGNORED.
 *
 * Errors: 404 ROUTE_NOT_FOUND (unknown provider: checked first, no secret exists for it); 401
 * INVALID_SIGNATURE (missing, malformed or wrong), STALE_SIGNATURE (genuine but `t` more than 300 s from now:
 * a replay); 400 VALIDATION_FAILED, MALFORMED_JSON; 404 ORDER_NOT_FOUND, TOPUP_NOT_FOUND. A refused callback
 * changes nothing.
 */
import { httpHandler, json, jsonBody, rawBody } from '../commons/http.ts';
import { sfn } from '../commons/clients.ts';
import { orders, payments, topups } from '../commons/stores.ts';
import { correlateWith, logger } from '../commons/powertools.ts';
import { assertWebhookSecretsConfigured, webhookSecrets } from '../commons/secrets.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { paymentWebhookBodySchema, type PaymentWebhookBody } from '../../src/domain/schemas.ts';
import { verify } from '../../src/payments/signature.ts';
import { paymentProviders, type PaymentProviderId } from '../../src/payments/webhook-secret-env.ts';
import { paymentProvider, type RefundRequest } from '../../src/payments/provider.ts';
import { settleOrderCallback } from '../../src/payments/order-callback.ts';
import type { Order } from '../../src/domain/types.ts';
import { advanceOrder } from '../../src/saga/segments.ts';

// Deployed without a secret ARN per provider: fail at cold start, not on the first callback.
assertWebhookSecretsConfigured();

const isProvider = (p: string | undefined): p is PaymentProviderId => (paymentProviders as readonly string[]).includes(p ?? '');

export const handler = httpHandler(async (event) => {
  const provider = event.pathParameters?.provider;
  if (!isProvider(provider))
    throw new DomainError('ROUTE_NOT_FOUND', `No payment provider ${String(provider).slice(0, 64)}; one of ${paymentProviders.join(', ')}`);
  const verdict = verify(event.headers?.['x-signature'], rawBody(event), await webhookSecrets(provider), Math.floor(Date.now() / 1000));
  if (verdict === 'INVALID')
    throw new DomainError('INVALID_SIGNATURE', `X-Signature is missing or does not match the body for ${provider}`);
  if (verdict === 'STALE') throw new DomainError('STALE_SIGNATURE', 'X-Signature timestamp t is more than 300 s away from now');
  const body = jsonBody(event, paymentWebhookBodySchema);
  logger.appendKeys({ provider, paymentId: body.paymentId, ...(body.topupId ? { topupId: body.topupId } : {}) });
  // An order's callback joins that order's correlation id (its saga goes on from here).
  if (!body.topupId) correlateWith(body.orderId!);
  return body.topupId ? topupCallback(provider, body, body.topupId) : orderCallback(provider, body, body.orderId!);
});

/** A callback confirming (or failing) a wallet top-up. */
async function topupCallback(provider: PaymentProviderId, body: PaymentWebhookBody, topupId: string) {
  const topup = await topups.get(topupId);
  if (!topup) throw new DomainError('TOPUP_NOT_FOUND', `Top-up ${topupId} does not exist`, { topupId });
  const result = await topups.settle(topup, { ...body, topupId, provider }, new Date().toISOString());
  if (result.refund) {
    await paymentProvider().refund({
      topupId,
      customerId: topup.customerId,
      paymentId: body.paymentId,
      amount: body.amount,
      currency: body.currency,
    });
    logger.warn('Refunded a top-up payment', { disposition: result.disposition, topupStatus: result.topup.status });
  }
  return json(200, { received: true, disposition: result.disposition });
}

/** A callback paying an order (contract v1 semantics; rules in src/payments/order-callback.ts). */
async function orderCallback(provider: PaymentProviderId, body: PaymentWebhookBody, orderId: string) {
  const deps = {
    orders,
    payments,
    advance: (order: Order) => advanceOrder(sfn, order),
    refund: (r: RefundRequest) => paymentProvider().refund(r),
  };
  const { paymentId, status, amount, currency, occurredAt } = body;
  const result = await settleOrderCallback(
    deps,
    { provider, paymentId, orderId, status, amount, currency, occurredAt },
    new Date().toISOString(),
  );
  if (result.refundedFor) logger.warn('Refunded a late or duplicate payment', { status: result.refundedFor });
  return json(200, { received: true, disposition: result.disposition });
}
