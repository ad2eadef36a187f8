/**
 * PUT /v1/coupons/{code} — coupon or promotion definition (AMOUNT_OFF | PERCENT_OFF | FREE_ITEM,
 * conditions, limits, validity, and the promotions-engine fields `automatic`, `storeIds`, `region`,
 * `exclusiveGroup`, `priority`, `maxOrderDiscount`; PRODUCT.md API v1, src/domain/schemas.ts) → 200 the
 * coupon with its `redemptions` counter (kept across updates) and its definition `version` (bumped by
 * every PUT). `automatic: true` makes it apply to every eligible order without a code.
 * Who: chainAdmin; a regionManager for a coupon scoped to their region (body and, if it exists, stored).
 * Audited ('coupon.put', the definition before/after) in the same transaction as the write.
 * Errors: 400 VALIDATION_FAILED / MALFORMED_JSON; 403 FORBIDDEN; 409 CONCURRENT_UPDATE.
 */
import { authorize } from '../commons/auth.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { coupons } from '../commons/stores.ts';
import { couponBodySchema } from '../../src/domain/schemas.ts';
import { auditAs } from '../commons/audit.ts';

export const handler = httpHandler(async (event) => {
  const code = pathId(event, 'code');
  const body = jsonBody(event, couponBodySchema);
  // A regionManager defines only coupons scoped to their region, and cannot take over another's.
  const forbidden = () => new DomainError('FORBIDDEN', "This coupon is outside the caller's scope", { code });
  const caller = await authorize(event, { kind: 'region', region: body.region }, forbidden);
  const now = new Date().toISOString();
  const saved = await coupons.put(
    { ...body, code, updatedAt: now },
    {
      // Checked against the coupon as it is when written (the write is conditioned on its version).
      check: async (existing) => {
        if (existing && existing.region !== body.region) await authorize(event, { kind: 'region', region: existing.region }, forbidden);
      },
      audit: auditAs(event, caller, { action: 'coupon.put', target: { type: 'coupon', id: code } }, now),
    },
  );
  return json(200, saved);
});
