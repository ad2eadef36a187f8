/**
 * PUT /v1/stores/{storeId} — body `{name, region, timezone}` → 200 the store.
 * Who: chainAdmin; a regionManager for a store of their region (the body's region and, for an existing store,
 * its current one). Errors: 400 VALIDATION_FAILED / MALFORMED_JSON; 401; 403 FORBIDDEN.
 */
import { authorize } from '../commons/auth.ts';
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { masterData } from '../commons/stores.ts';
import { storeBodySchema } from '../../src/domain/schemas.ts';
import { DomainError } from '../../src/domain/errors.ts';

export const handler = httpHandler(async (event) => {
  const storeId = pathId(event, 'storeId');
  const body = jsonBody(event, storeBodySchema);
  // A regionManager may neither create a store outside their region nor move one out of it.
  const forbidden = () => new DomainError('FORBIDDEN', 'This store is outside the caller\'s scope', { storeId });
  await authorize(event, { kind: 'store', storeId, region: body.region }, forbidden);
  const existing = await masterData.getStore(storeId);
  if (existing && existing.region !== body.region) await authorize(event, { kind: 'store', storeId, region: existing.region }, forbidden);
  const store = { storeId, ...body, updatedAt: new Date().toISOString() };
  await masterData.putStore(store);
  return json(200, store);
});
