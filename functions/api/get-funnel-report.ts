/**
 * GET /v1/reports/funnel?storeId=|region=&from=&to= → 200 `{placed, paid, conversion, timeToPaySeconds:
 * {p50, p95, buckets:[{le, count}]}}` for the orders PLACED in the UTC hours whose start lies in [from, to)
 * (a cohort: a later payment counts for its order's placed hour). pX is a bucket upper bound in seconds
 * ("X% paid within pX s"; null = none paid, or slower than the last bound); bounds in src/domain/reports.ts.
 * Errors: 400 VALIDATION_FAILED (parameters, both or neither of storeId/region), 400 INVALID_RANGE.
 */
import { authorize, outOfScope, scopeTarget } from '../commons/auth.ts';
import { httpHandler, json } from '../commons/http.ts';
import { doc } from '../commons/clients.ts';
import { parseWith } from '../../src/domain/schemas.ts';
import { funnelQuerySchema, funnelSummary, hourRange, readKeys, reportScope } from '../../src/domain/reports.ts';
import { ReportStore } from '../../src/store/report-store.ts';

const reports = new ReportStore(doc);

export const handler = httpHandler(async (event) => {
  const q = parseWith(funnelQuerySchema, event.queryStringParameters ?? {});
  const scope = reportScope(q);
  await authorize(event, await scopeTarget(scope), outOfScope);
  const { fromHour, toHour } = hourRange(q.from, q.to, 'utc');
  return json(200, funnelSummary(await reports.rows(readKeys('FUNNEL', scope), 'UTC#', fromHour, toHour)));
});
