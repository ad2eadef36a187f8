/**
 * PUT /v1/stores/{storeId} — body `{name, region, timezone}` → 200 the store.
 * Who: chainAdmin; a regionManager for a store of their region (the body's region and, for an existing store,
 * its current one). Audited ('store.put', before/after the store) in the same transaction as the write.
 * Errors: 400 VALIDATION_FAILED / MALFORMED_JSON; 401; 403 FORBIDDEN; 409 CONCURRENT_UPDATE.
 */
import { authorize } from '../commons/auth.ts';
import { auditAs } from '../commons/audit.ts';
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { masterData } from '../commons/stores.ts';
import { storeBodySchema } from '../../src/domain/schemas.ts';
import { DomainError } from '../../src/domain/errors.ts';

export const handler = httpHandler(async (event) => {
  const storeId = pathId(event, 'storeId');
  const body = jsonBody(event, storeBodySchema);
  // A regionManager may neither create a store outside their region nor move one out of it.
  const forbidden = () => new DomainError('FORBIDDEN', "This store is outside the caller's scope", { storeId });
  const caller = await authorize(event, { kind: 'store', storeId, region: body.region }, forbidden);
  const now = new Date().toISOString();
  const store = await masterData.putStore(
    { storeId, ...body, updatedAt: now },
    {
      // Checked against the store as it is when written (the write is conditioned on it being unchanged).
      check: async (existing) => {
        if (existing && existing.region !== body.region)
          await authorize(event, { kind: 'store', storeId, region: existing.region }, forbidden);
      },
      audit: auditAs(event, caller, { action: 'store.put', target: { type: 'store', id: storeId }, storeId }, now),
    },
  );
  return json(200, store);
});
