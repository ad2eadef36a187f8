/**
 * GET /v1/customers/{customerId}/wallet → 200 `{customerId, balance (minor units), currency, updatedAt}`.
 * Errors: 400 VALIDATION_FAILED (id); 404 WALLET_NOT_FOUND (never topped up).
 */
import { authorize, walletNotFound } from '../commons/auth.ts';
import { httpHandler, json, pathId } from '../commons/http.ts';
import { wallets } from '../commons/stores.ts';
import { walletView } from '../commons/views.ts';

export const handler = httpHandler(async (event) => {
  const customerId = pathId(event, 'customerId');
  const notFound = walletNotFound(customerId);
  await authorize(event, { kind: 'customer', customerId }, notFound);
  const wallet = await wallets.get(customerId);
  if (!wallet) throw notFound();
  return json(200, walletView(wallet));
});
