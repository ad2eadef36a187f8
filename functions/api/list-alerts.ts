/**
 * GET /v1/alerts[?storeId=] → 200 `{alerts:[{storeId, sku, available, lowStockThreshold, at}]}`
 * (PRODUCT.md): the newest 100 low-stock alerts of the store (or of every store), newest first; stock in
 * units, `at` ISO-8601 UTC (when the crossing was detected). Alerts are kept 30 days.
 * Errors: 400 VALIDATION_FAILED (bad storeId, unknown parameter).
 */
import { authorize, outOfScope, storeTarget } from '../commons/auth.ts';
import { httpHandler, json } from '../commons/http.ts';
import { doc } from '../commons/clients.ts';
import { parseWith } from '../../src/domain/schemas.ts';
import { alertsQuerySchema } from '../../src/domain/reports.ts';
import { AlertStore } from '../../src/store/alert-store.ts';

const alerts = new AlertStore(doc);
const LIMIT = 100;

export const handler = httpHandler(async (event) => {
  const q = parseWith(alertsQuerySchema, event.queryStringParameters ?? {});
  // Without a storeId the list is chain-wide: chain admins only.
  await authorize(event, q.storeId ? await storeTarget(q.storeId) : { kind: 'region', region: undefined }, outOfScope);
  const list = await alerts.list(q.storeId, LIMIT);
  return json(200, {
    alerts: list.map(({ storeId, sku, available, lowStockThreshold, at }) => ({ storeId, sku, available, lowStockThreshold, at })),
  });
});
