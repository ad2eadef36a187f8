/**
 * POST /v1/payments/webhook — provider callback `{paymentId, orderId, status, amount, currency,
 * occurredAt}` with `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` → 200 `{received, disposition}`
 * (duplicates too). The first callback for an order is recorded on it (invariant 4) and resumes the
 * saga; a repeat of it is a no-op; any other successful payment for an order that already has one, or
 * that is already closed, or that is paid from the wallet (BALANCE), is refunded once per paymentId
 * (late or double payment).
 * Errors: 401 INVALID_SIGNATURE; 400 VALIDATION_FAILED; 404 ORDER_NOT_FOUND.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { httpHandler, json, jsonBody, rawBody } from '../commons/http.ts';
import { doc, sfn } from '../commons/clients.ts';
import { orders } from '../commons/stores.ts';
import { logger } from '../commons/powertools.ts';
import { webhookSecret } from '../commons/secrets.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { paymentWebhookBodySchema } from '../../src/domain/schemas.ts';
import { verifySignature } from '../../src/payments/signature.ts';
import { paymentProvider } from '../../src/payments/provider.ts';
import { resumeSaga } from '../../src/saga/resume.ts';
import { tableName } from '../../src/config.ts';
import { isConditionalCheckFailed } from '../../src/store/dynamo-errors.ts';
import { crashPoint } from '../../src/faults.ts';

export const handler = httpHandler(async (event) => {
  if (!verifySignature(rawBody(event), event.headers?.['x-signature'], await webhookSecret())) {
    throw new DomainError('INVALID_SIGNATURE', 'X-Signature does not match the body');
  }
  const body = jsonBody(event, paymentWebhookBodySchema);
  logger.appendKeys({ orderId: body.orderId, paymentId: body.paymentId });
  const order = await orders.get(body.orderId);
  if (!order) throw new DomainError('ORDER_NOT_FOUND', `Order ${body.orderId} does not exist`, { orderId: body.orderId });

  const payment = { ...body, receivedAt: new Date().toISOString() };
  // A BALANCE order is paid from the wallet only: a provider payment for it is handled like a late one.
  const recorded = order.paymentMethod !== 'BALANCE' && await orders.recordPayment(order.orderId, { paymentId: body.paymentId, status: body.status, amount: body.amount, currency: body.currency, occurredAt: body.occurredAt, receivedAt: payment.receivedAt });
  if (recorded) {
    crashPoint('after-payment-recorded');
    await resumeSaga(sfn, recorded); // no token yet → AwaitPayment resumes when it stores one
    await savePayment({ ...payment, disposition: 'APPLIED' });
    return json(200, { received: true, disposition: 'APPLIED' });
  }
  const current = (await orders.get(order.orderId))!;
  if (current.payment?.paymentId === body.paymentId) {
    await resumeSaga(sfn, current); // a repeat: finish what the first delivery may not have
    return json(200, { received: true, disposition: 'DUPLICATE' });
  }
  if (body.status !== 'SUCCEEDED') return json(200, { received: true, disposition: 'IGNORED' });
  // Money arrived for an order that is paid already or closed: give it back, once per paymentId.
  if (await savePayment({ ...payment, disposition: 'REFUNDED' })) {
    await paymentProvider().refund({ orderId: current.orderId, customerId: current.customerId, paymentId: body.paymentId, amount: body.amount, currency: body.currency });
    logger.warn('Refunded a late or duplicate payment', { status: current.status });
  }
  return json(200, { received: true, disposition: 'REFUNDED' });
});

/** One record per paymentId; returns false when this paymentId was already recorded. */
async function savePayment(item: Record<string, unknown>): Promise<boolean> {
  try {
    await doc.send(new PutCommand({ TableName: tableName('payments'), Item: item, ConditionExpression: 'attribute_not_exists(paymentId)' }));
    return true;
  } catch (e) {
    if (isConditionalCheckFailed(e)) return false;
    throw e;
  }
}
