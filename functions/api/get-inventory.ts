/**
 * GET /v1/stores/{storeId}/inventory/{sku} → 200 `{available, reserved, sold, lowStockThreshold, shards}` (units;
 * totals over the hot-stock shards, strongly consistent).
 * Errors: 400 VALIDATION_FAILED (ids); 404 INVENTORY_NOT_FOUND.
 */
import { authorize, storeTarget } from '../commons/auth.ts';
import { httpHandler, json, pathId } from '../commons/http.ts';
import { inventory } from '../commons/stores.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { inventoryView } from '../commons/views.ts';

export const handler = httpHandler(async (event) => {
  const storeId = pathId(event, 'storeId');
  const sku = pathId(event, 'sku');
  await authorize(
    event,
    await storeTarget(storeId),
    () => new DomainError('STORE_NOT_FOUND', `Store ${storeId} does not exist`, { storeId }),
  );
  const level = await inventory.getTotal(storeId, sku);
  if (!level) throw new DomainError('INVENTORY_NOT_FOUND', `Store ${storeId} has no inventory for ${sku}`, { storeId, sku });
  return json(200, inventoryView(level));
});
