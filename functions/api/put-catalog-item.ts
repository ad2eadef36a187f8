/**
 * PUT /v1/catalog/{sku} — body `{name, unitPrice (minor units), currency, category}` → 200 the item.
 * Who: chainAdmin (the route guard). Audited ('catalog.put', before/after the item) in the same transaction.
 * Errors: 400 VALIDATION_FAILED / MALFORMED_JSON; 401; 403; 409 CONCURRENT_UPDATE.
 */
import { callerOf } from '../commons/auth.ts';
import { auditAs } from '../commons/audit.ts';
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { masterData } from '../commons/stores.ts';
import { catalogItemBodySchema } from '../../src/domain/schemas.ts';

export const handler = httpHandler(async (event) => {
  const sku = pathId(event, 'sku');
  const body = jsonBody(event, catalogItemBodySchema);
  const caller = callerOf(event);
  const now = new Date().toISOString();
  const item = await masterData.putCatalogItem(
    { sku, ...body, updatedAt: now },
    { audit: auditAs(event, caller, { action: 'catalog.put', target: { type: 'sku', id: sku } }, now) },
  );
  return json(200, item);
});
