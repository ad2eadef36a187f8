/**
 * POST /v1/customers/{customerId}/wallet/adjustments (chainAdmin only, by the route; contract v1.1) — body
 * `{amount (signed integer minor units, != 0), currency, reason (1-200 characters)}` → 200 the wallet
 * `{customerId, balance, currency, updatedAt}`. Money moves without a provider, so every adjustment is
 * audited IN THE SAME TRANSACTION (action `wallet.adjust`, target the wallet, before/after `{balance}`
 * exact: the write is conditioned on the balance read; src/store/wallet-store.ts `adjust`). A positive
 * adjustment of a customer with no wallet opens it in `currency`.
 * Errors: 400 VALIDATION_FAILED, MALFORMED_JSON; 401 UNAUTHENTICATED; 403 FORBIDDEN (not a chainAdmin);
 * 409 CONCURRENT_UPDATE (the balance kept changing; retry); 422 INSUFFICIENT_FUNDS (below zero),
 * CURRENCY_MISMATCH, WALLET_LIMIT_EXCEEDED. A refused adjustment writes nothing, no audit record either.
 * Header `Idempotency-Key` required (400 IDEMPOTENCY_KEY_REQUIRED): a retried adjustment is applied once.
 */
import { auditActor, authorize, walletNotFound } from '../commons/auth.ts';
import { idempotentByHeader } from '../commons/idempotency.ts';
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { wallets } from '../commons/stores.ts';
import { walletView } from '../commons/views.ts';
import { auditRecord } from '../../src/domain/audit.ts';
import { walletAdjustmentBodySchema } from '../../src/domain/schemas.ts';

export const handler = httpHandler(
  async (event) => {
    const customerId = pathId(event, 'customerId');
    const caller = await authorize(event, { kind: 'customer', customerId }, walletNotFound(customerId));
    const body = jsonBody(event, walletAdjustmentBodySchema);
    const actor = auditActor(event, caller);
    const wallet = await wallets.adjust(customerId, body.amount, body.currency, (before, after, now) =>
      auditRecord(
        actor,
        {
          action: 'wallet.adjust',
          target: { type: 'wallet', id: customerId },
          before: { balance: before },
          after: { balance: after, amount: body.amount, currency: body.currency, reason: body.reason },
        },
        now,
      ),
    );
    return json(200, walletView(wallet));
    // Money moves: a retried adjustment (same Idempotency-Key and body) is applied once.
  },
  ...idempotentByHeader('walletAdjustment'),
);
