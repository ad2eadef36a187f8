/**
 * POST /v1/customers/{customerId}/wallet/topups (customer, contract v1.1 "Wallet top-ups are payments") —
 * header `Idempotency-Key`; body `{amount (minor units, >= 1), currency, paymentMethod: WECHAT_PAY | ALIPAY |
 * CARD}` → 201 `{topupId, customerId, status: "PENDING", amount, currency, paymentMethod, createdAt,
 * updatedAt}` + Location. Nothing moves yet: the balance is credited only when the provider's signed webhook
 * confirms the payment (functions/api/payment-webhook.ts), exactly once. topupId is derived from (token sub,
 * Idempotency-Key) (src/domain/topup.ts topupIdFor). Same key + same body → the same response.
 * Errors: 400 VALIDATION_FAILED, MALFORMED_JSON, IDEMPOTENCY_KEY_REQUIRED; 404 WALLET_NOT_FOUND (another
 * customer's path: as if it did not exist); 409 IDEMPOTENCY_KEY_IN_PROGRESS; 422 CURRENCY_MISMATCH (the wallet
 * holds another currency), WALLET_LIMIT_EXCEEDED (it could never be credited), IDEMPOTENCY_KEY_REUSED. Both
 * wallet checks are re-checked when the payment arrives (a top-up the wallet cannot take then is refunded).
 */
import { authorize, walletNotFound } from '../commons/auth.ts';
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { idempotentByHeader } from '../commons/idempotency.ts';
import { principalRateLimit } from '../commons/rate-limit.ts';
import { topups, wallets } from '../commons/stores.ts';
import { topupView } from '../commons/views.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { walletTopupBodySchema } from '../../src/domain/schemas.ts';
import { topupIdFor, type Topup } from '../../src/domain/topup.ts';
import { MAX_WALLET_BALANCE } from '../../src/store/wallet-store.ts';
import { TopupConflictError } from '../../src/store/topup-store.ts';

export const handler = httpHandler(
  async (event) => {
    const customerId = pathId(event, 'customerId');
    const caller = await authorize(event, { kind: 'customer', customerId }, walletNotFound(customerId));
    const body = jsonBody(event, walletTopupBodySchema);
    const wallet = await wallets.get(customerId);
    if (wallet && wallet.currency !== body.currency) {
      throw new DomainError('CURRENCY_MISMATCH', `The wallet holds ${wallet.currency}, the top-up is in ${body.currency}`, {
        walletCurrency: wallet.currency,
      });
    }
    if ((wallet?.balance ?? 0) + body.amount > MAX_WALLET_BALANCE) {
      throw new DomainError('WALLET_LIMIT_EXCEEDED', `A wallet holds at most ${MAX_WALLET_BALANCE} minor units`, {
        balance: wallet?.balance ?? 0,
        maxBalance: MAX_WALLET_BALANCE,
      });
    }
    const now = new Date().toISOString();
    const topup: Topup = {
      topupId: topupIdFor(caller.principal.sub, event.headers['idempotency-key']!),
      customerId,
      amount: body.amount,
      currency: body.currency,
      paymentMethod: body.paymentMethod,
      status: 'PENDING',
      createdAt: now,
      updatedAt: now,
    };
    let created: Topup;
    try {
      created = await topups.create(topup);
    } catch (e) {
      if (e instanceof TopupConflictError)
        throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key opened a top-up with another body');
      throw e;
    }
    return json(201, topupView(created), { location: `/v1/customers/${customerId}/wallet/topups/${created.topupId}` });
  },
  principalRateLimit(),
  ...idempotentByHeader('walletTopup'),
);
