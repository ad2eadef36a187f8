/**
 * GET /v1/reports/sales?storeId=|region=&from=&to=[&timezone=utc|store] → 200 `{rows:[{hour, orders,
 * units, revenue, discount, cancelled, refunded}]}` (PRODUCT.md): one row per hour with activity, in hour
 * order, for the hours whose start lies in [from, to); money in minor units. `hour` is ISO-8601 UTC
 * (`2026-11-23T08:00:00Z`); with `timezone=store` rows are store wall-clock hours (`2026-11-23T17:00:00`,
 * no offset; a region adds up its stores' local hours) and from/to are wall-clock times too. Store hours are
 * derived from the UTC-hour rows (each keyed by the local hour its sales fell in; src/domain/reports.ts).
 * Errors: 400 VALIDATION_FAILED (unknown parameter, bad id, both or neither of storeId/region),
 * 400 INVALID_RANGE (from/to missing or malformed, to <= from, more than 31 days).
 */
import { authorize, outOfScope, scopeTarget } from '../commons/auth.ts';
import { httpHandler, json } from '../commons/http.ts';
import { doc } from '../commons/clients.ts';
import { parseWith } from '../../src/domain/schemas.ts';
import { hourRange, readKeys, reportScope, salesQuerySchema, salesReportRows, utcHoursCovering } from '../../src/domain/reports.ts';
import { ReportStore } from '../../src/store/report-store.ts';

const reports = new ReportStore(doc);

export const handler = httpHandler(async (event) => {
  const q = parseWith(salesQuerySchema, event.queryStringParameters ?? {});
  const scope = reportScope(q);
  await authorize(event, await scopeTarget(scope), outOfScope);
  const clock = q.timezone === 'store' ? 'local' : 'utc';
  const range = hourRange(q.from, q.to, clock);
  const utc = clock === 'utc' ? range : utcHoursCovering(range);
  const keys = readKeys('SALES', scope);
  const [items, legacy] = await Promise.all([
    reports.rows(keys, 'UTC#', utc.fromHour, utc.toHour),
    // Rows counted before local hours were derived: a `LOCAL#<hour>` twin of each `UTC#<hour>` row (which has
    // no localHour, so the store clock skips it). Usually empty; keeps older store-hour reports whole.
    clock === 'local' ? reports.rows(keys, 'LOCAL#', range.fromHour, range.toHour) : [],
  ]);
  return json(200, { rows: salesReportRows([...items, ...legacy.map((r) => ({ ...r, localHour: r.hour }))], clock, range) });
});
