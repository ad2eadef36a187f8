/**
 * PUT /v1/staff/{sub} (chainAdmin) — body `{stores?: [storeId] (≤ 500, unique), region?}` (at least one) sets
 * which stores a storeStaff member or machine client, and which sales region a regionManager, act for
 * (replacing the previous assignment) → 200 `{sub, stores, region?, updatedAt}`. Audited ('staff.put',
 * before/after the assignment) in the same transaction. Callers' cached assignments change within
 * ASSIGNMENT_CACHE_MS (functions/commons/auth.ts).
 * Errors: 400 VALIDATION_FAILED / MALFORMED_JSON; 401; 403 FORBIDDEN; 409 CONCURRENT_UPDATE.
 */
import { callerOf } from '../commons/auth.ts';
import { auditAs } from '../commons/audit.ts';
import { httpHandler, json, jsonBody, pathId } from '../commons/http.ts';
import { staff } from '../commons/stores.ts';
import { staffBodySchema } from '../../src/domain/schemas.ts';

export const handler = httpHandler(async (event) => {
  const sub = pathId(event, 'sub');
  const body = jsonBody(event, staffBodySchema);
  const caller = callerOf(event);
  const now = new Date().toISOString();
  const assignment = { sub, stores: body.stores ?? [], ...(body.region !== undefined ? { region: body.region } : {}), updatedAt: now };
  const saved = await staff.put(assignment, auditAs(event, caller, { action: 'staff.put', target: { type: 'staff', id: sub } }, now));
  return json(200, saved);
});
