/**
 * PUT /v1/stores/{storeId}/inventory/{sku} — body `{available, lowStockThreshold, shards?}` (units) sets or
 * restocks; `stocked` moves by the same delta (invariant 1). → 200 `{available, reserved, sold,
 * lowStockThreshold, shards}` (totals over the shards). `shards` (1..64) makes the item hot: its stock is split
 * over that many shard items and rebalanced, while orders keep flowing (InventoryStore.setSharded). Audited
 * ('inventory.put') in the same transaction as the write: the exact level before/after when unsharded, the
 * totals read and written when sharded.
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
  const current = body.shards && body.shards > 1 ? undefined : await inventory.get(storeId, sku, true);
  const sharded = (body.shards ?? 1) > 1 || (current?.shardHighWater ?? 1) > 1 || (current?.shards ?? 1) > 1;
  const level = sharded
    ? await inventory.setSharded(storeId, sku, body, now, audit)
    : await inventory.setLevel(storeId, sku, body.available, body.lowStockThreshold, now, audit);
  const violations = inventoryViolations(level);
  if (violations.length > 0) throw new Error(`Inventory invariant broken for ${storeId}/${sku}: ${violations.join('; ')}`);
  return json(200, inventoryView(level));
});
