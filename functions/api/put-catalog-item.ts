/**
 * PUT /v1/catalog/{sku} — body `{name, unitPrice (minor units), currency, category}` → 200 the item.
 * Errors: 400 VALIDATION_FAILED / MALFORMED_JSON.
 */
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { masterData } from '../commons/stores.ts';
import { catalogItemBodySchema } from '../../src/domain/schemas.ts';

export const handler = httpHandler(async (event) => {
  const sku = pathId(event, 'sku');
  const body = jsonBody(event, catalogItemBodySchema);
  const item = { sku, ...body, updatedAt: new Date().toISOString() };
  await masterData.putCatalogItem(item);
  return json(200, item);
});
