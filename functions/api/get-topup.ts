/**
 * GET /v1/customers/{customerId}/wallet/topups/{topupId} (the customer; chainAdmin may read any) → 200
 * `{topupId, customerId, status: PENDING | SUCCEEDED | FAILED, amount (minor units), currency, paymentMethod,
 * createdAt, updatedAt, failureReason?}` (contract v1.1, PRODUCT.md "Wallet top-ups are payments").
 * Errors: 400 VALIDATION_FAILED (ids); 404 TOPUP_NOT_FOUND (unknown, another customer's, or not a top-up of
 * the path's customer: never an existence leak).
 */
import { authorize } from '../commons/auth.ts';
import { httpHandler, json, pathId } from '../commons/http.ts';
import { topups } from '../commons/stores.ts';
import { topupView } from '../commons/views.ts';
import { DomainError } from '../../src/domain/errors.ts';

export const handler = httpHandler(async (event) => {
  const customerId = pathId(event, 'customerId');
  const topupId = pathId(event, 'topupId');
  const notFound = () => new DomainError('TOPUP_NOT_FOUND', `Top-up ${topupId} does not exist`, { topupId });
  await authorize(event, { kind: 'customer', customerId }, notFound);
  const topup = await topups.get(topupId);
  if (!topup || topup.customerId !== customerId) throw notFound();
  return json(200, topupView(topup));
});
