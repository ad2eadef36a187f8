/**
 * GET /v1/reports/top-skus?storeId=|region=&from=&to=[&limit=10] → 200 `{skus:[{sku, units}]}`: units
 * PAID per SKU in the UTC hours whose start lies in [from, to), most units first (ties by SKU), at most
 * `limit` (1-100). Errors: 400 VALIDATION_FAILED (parameters, both or neither of storeId/region),
 * 400 INVALID_RANGE (from/to missing or malformed, to <= from, more than 31 days).
 */
import { authorize, outOfScope, scopeTarget } from '../commons/auth.ts';
import { httpHandler, json } from '../commons/http.ts';
import { doc } from '../commons/clients.ts';
import { parseWith } from '../../src/domain/schemas.ts';
import { hourRange, readKeys, reportScope, sumBy, topSkus, topSkusQuerySchema } from '../../src/domain/reports.ts';
import { ReportStore } from '../../src/store/report-store.ts';

const reports = new ReportStore(doc);

export const handler = httpHandler(async (event) => {
  const q = parseWith(topSkusQuerySchema, event.queryStringParameters ?? {});
  const scope = reportScope(q);
  await authorize(event, await scopeTarget(scope), outOfScope);
  const { fromHour, toHour } = hourRange(q.from, q.to, 'utc');
  const items = await reports.rows(readKeys('SKUS', scope), 'UTC#', fromHour, toHour);
  const perSku = sumBy(items, (r) => r.sku as string, ['units']).map(({ key, units }) => ({ sku: key, units }));
  return json(200, { skus: topSkus(perSku, q.limit) });
});
