/**
 * PUT /v1/stores/{storeId}/inventory/{sku} — body `{available, lowStockThreshold}` (units) sets or
 * restocks; `stocked` moves by the same delta (invariant 1). → 200 `{available, reserved, sold, lowStockThreshold}`.
 * Audited ('inventory.put', the exact level before/after) in the same transaction as the write.
 * Errors: 400 VALIDATION_FAILED; 403 FORBIDDEN; 404 STORE_NOT_FOUND, SKU_NOT_FOUND; 409 CONCURRENT_UPDATE.
 */
import { authorize } from '../commons/auth.ts';
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { inventory, masterData } from '../commons/stores.ts';
import { inventoryViolations } from '../../src/domain/inventory.ts';
import { inventoryBodySchema } from '../../src/domain/schemas.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { inventoryView } from '../commons/views.ts';
import { auditAs } from '../commons/audit.ts';
import type { InventoryLevel } from '../../src/domain/types.ts';

export const handler = httpHandler(async (event) => {
  const storeId = pathId(event, 'storeId');
  const sku = pathId(event, 'sku');
  // One read of the store serves both the policy (its sales region) and the existence check below.
  const [store, catalog] = await Promise.all([masterData.getStore(storeId), masterData.getCatalogItems([sku])]);
  const caller = await authorize(
    event,
    { kind: 'store', storeId, region: store?.region },
    () => new DomainError('STORE_NOT_FOUND', `Store ${storeId} does not exist`, { storeId }),
  );
  const body = jsonBody(event, inventoryBodySchema);
  if (!store) throw new DomainError('STORE_NOT_FOUND', `Store ${storeId} does not exist`, { storeId });
  if (!catalog.has(sku)) throw new DomainError('SKU_NOT_FOUND', `SKU ${sku} is not in the catalog`, { sku });
  const now = new Date().toISOString();
  const audit = auditAs<InventoryLevel>(
    event,
    caller,
    { action: 'inventory.put', target: { type: 'inventory', id: `${storeId}/${sku}` }, storeId },
    now,
  );
  const level = await inventory.setLevel(storeId, sku, body.available, body.lowStockThreshold, now, audit);
  const violations = inventoryViolations(level);
  if (violations.length > 0) throw new Error(`Inventory invariant broken for ${storeId}/${sku}: ${violations.join('; ')}`);
  return json(200, inventoryView(level));
});
