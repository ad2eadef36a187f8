/**
 * GET /v1/reports/coupons?code=&from=&to= → 200 `{rows:[{hour, redemptions, discount}]}`: redemptions of
 * one coupon code per UTC hour (hours whose start lies in [from, to), ISO-8601 UTC), discount in minor
 * units; redemptions later released by a cancellation still count. Errors: 400 VALIDATION_FAILED
 * (parameters), 400 INVALID_RANGE (from/to missing or malformed, to <= from, more than 31 days).
 */
import { authorize, outOfScope } from '../commons/auth.ts';
import { coupons } from '../commons/stores.ts';
import { httpHandler, json } from '../commons/http.ts';
import { doc } from '../commons/clients.ts';
import { parseWith } from '../../src/domain/schemas.ts';
import { couponKeys, couponQuerySchema, hourRange, hourStart, sumBy } from '../../src/domain/reports.ts';
import { ReportStore } from '../../src/store/report-store.ts';

const reports = new ReportStore(doc);

export const handler = httpHandler(async (event) => {
  const q = parseWith(couponQuerySchema, event.queryStringParameters ?? {});
  // A coupon's figures belong to its scope: a region's coupon to that region's manager; chain-wide ones to chain admins.
  const [coupon] = (await coupons.getMany([q.code])).values();
  await authorize(event, { kind: 'region', region: coupon?.region }, outOfScope);
  const { fromHour, toHour } = hourRange(q.from, q.to, 'utc');
  const items = await reports.rows(couponKeys(q.code), 'UTC#', fromHour, toHour);
  const rows = sumBy(items, (r) => r.hour as string, ['redemptions', 'discount']).map(({ key, ...c }) => ({
    hour: hourStart(key, 'utc'),
    ...c,
  }));
  return json(200, { rows });
});
