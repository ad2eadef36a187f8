/**
 * GET /v1/audit (chainAdmin) — query `actor`, `storeId`, `from`, `to` (ISO-8601 UTC; from inclusive, to
 * exclusive; default the last 24 h; at most 31 days), `limit` (1..100, default 50), `nextToken` → 200
 * `{records: [{auditId, at, actor, role, requestId, action, target, storeId?, before, after}], nextToken}`
 * newest first; `nextToken` is null on the last page. Source: the audit table (src/store/audit-store.ts).
 * Errors: 400 VALIDATION_FAILED (unknown parameter, bad filter or limit, bad or foreign nextToken),
 * 400 INVALID_RANGE; 401; 403 FORBIDDEN (not a chainAdmin).
 */
import { callerOf } from '../commons/auth.ts';
import { httpHandler, json } from '../commons/http.ts';
import { doc } from '../commons/clients.ts';
import { encodeNextToken, parseAuditQuery } from '../../src/domain/audit-query.ts';
import { AuditStore } from '../../src/store/audit-store.ts';

const audit = new AuditStore(doc);

export const handler = httpHandler(async (event) => {
  callerOf(event);
  const query = parseAuditQuery(event.queryStringParameters ?? {}, new Date());
  const page = await audit.query(query);
  return json(200, { records: page.records, nextToken: page.last ? encodeNextToken(query, page.last) : null });
});
