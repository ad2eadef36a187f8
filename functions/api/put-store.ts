/**
 * PUT /v1/stores/{storeId} — body `{name, region, timezone}` → 200 the store.
 * Errors: 400 VALIDATION_FAILED / MALFORMED_JSON.
 */
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { masterData } from '../commons/stores.ts';
import { storeBodySchema } from '../../src/domain/schemas.ts';

export const handler = httpHandler(async (event) => {
  const storeId = pathId(event, 'storeId');
  const body = jsonBody(event, storeBodySchema);
  const store = { storeId, ...body, updatedAt: new Date().toISOString() };
  await masterData.putStore(store);
  return json(200, store);
});
