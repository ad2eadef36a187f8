/**
 * POST /v1/customers/{customerId}/wallet/topups — header `Idempotency-Key`; body `{amount (minor units,
 * >= 1), currency}` → 201 `{customerId, balance, currency, updatedAt}`. Creates the wallet in `currency`
 * on the first top-up; a wallet holds one currency. Same key + same body → the same response (the
 * money is added once).
 * Errors: 400 VALIDATION_FAILED, MALFORMED_JSON, IDEMPOTENCY_KEY_REQUIRED; 409 IDEMPOTENCY_KEY_IN_PROGRESS;
 * 422 CURRENCY_MISMATCH (the wallet holds another currency), WALLET_LIMIT_EXCEEDED, IDEMPOTENCY_KEY_REUSED.
 */
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { idempotentByHeader } from '../commons/idempotency.ts';
import { principalRateLimit } from '../commons/rate-limit.ts';
import { wallets } from '../commons/stores.ts';
import { walletView } from '../commons/views.ts';
import { walletTopupBodySchema } from '../../src/domain/schemas.ts';

export const handler = httpHandler(async (event) => {
  const customerId = pathId(event, 'customerId');
  const body = jsonBody(event, walletTopupBodySchema);
  const wallet = await wallets.topUp(customerId, body.amount, body.currency, new Date().toISOString());
  return json(201, walletView(wallet));
}, principalRateLimit(), ...idempotentByHeader('walletTopup'));
