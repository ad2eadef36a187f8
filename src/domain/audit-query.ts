/**
 * GET /v1/audit query rules (pure): filters `actor`, `storeId`, the time range [from, to) (ISO-8601 UTC,
 * default the last 24 h, at most 31 days), `limit` (1..100, default 50) and the opaque `nextToken`, a
 * base64url JSON cursor bound to the query it came from. Records are read newest first; the cursor is the
 * sort key (`<at>#<requestId>#<action>`, unique) of the last record returned, an exclusive upper bound.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from './errors.ts';
import { idSchema, parseWith } from './schemas.ts';

/** Widest range one query may span (31 days, ms). */
export const AUDIT_MAX_RANGE_MS = 31 * 24 * 3600 * 1000;
/** Range when neither `from` nor `to` is given: the 24 h before now (ms). */
export const AUDIT_DEFAULT_RANGE_MS = 24 * 3600 * 1000;

/** A principal's `sub` (or machine client id) as an `actor` filter: 1..128 printable characters without spaces. */
const actorSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:@+=-]{0,127}$/, 'Must be a principal id (sub)');

/** The raw query string of GET /v1/audit (unknown parameters are refused). */
export const auditQueryParamsSchema = z.strictObject({
  actor: actorSchema.optional(),
  storeId: idSchema.optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  nextToken: z.string().min(1).max(2048).optional(),
});

/** A validated audit query: `from` inclusive, `to` exclusive (both normalized `toISOString()` form); `before` = cursor (exclusive). */
export interface AuditQuery {
  from: string;
  to: string;
  actor?: string;
  storeId?: string;
  limit: number;
  before?: string;
}

/** The part of a query a nextToken is bound to. */
type Bound = Pick<AuditQuery, 'from' | 'to' | 'actor' | 'storeId'>;

const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z$/;

/** `value` as epoch ms; INVALID_RANGE unless it is a real ISO-8601 UTC instant (2026-02-30 is refused). */
function instant(name: string, value: string): number {
  const ms = UTC_INSTANT.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 16) !== value.slice(0, 16)) {
    throw new DomainError('INVALID_RANGE', `${name} must be an ISO-8601 UTC time like 2026-11-23T08:00:00Z`, { parameter: name });
  }
  return ms;
}

/**
 * The range [from, to) of a query, normalized to `toISOString()` form: `to` defaults to `now`, `from` to 24 h
 * before `to` (so neither = the last 24 h; a lone `from` = since then). Throws INVALID_RANGE for a bad time,
 * to <= from, or more than 31 days.
 */
export function auditRange(from: string | undefined, to: string | undefined, now: Date): { from: string; to: string } {
  const t = to !== undefined ? instant('to', to) : now.getTime();
  const f = from !== undefined ? instant('from', from) : t - AUDIT_DEFAULT_RANGE_MS;
  if (t <= f) throw new DomainError('INVALID_RANGE', 'to must be after from (from inclusive, to exclusive)');
  if (t - f > AUDIT_MAX_RANGE_MS) throw new DomainError('INVALID_RANGE', 'The range may span at most 31 days', { maxDays: 31 });
  return { from: new Date(f).toISOString(), to: new Date(t).toISOString() };
}

const tokenSchema = z.strictObject({
  v: z.literal(1),
  q: z.strictObject({ from: z.string(), to: z.string(), actor: z.string().optional(), storeId: z.string().optional() }),
  before: z.string().min(25).max(400),
  c: z.string(),
});

/** Integrity check of a token body: detects an edited token (not a secret: the caller may read every record anyway). */
const checksum = (q: Bound, before: string) =>
  createHash('sha256')
    .update(JSON.stringify([1, q.from, q.to, q.actor ?? null, q.storeId ?? null, before]))
    .digest('base64url')
    .slice(0, 22);

/** The nextToken continuing `query` after the record whose sort key is `before`: base64url JSON. */
export function encodeNextToken(query: Bound, before: string): string {
  const q: Bound = {
    from: query.from,
    to: query.to,
    ...(query.actor ? { actor: query.actor } : {}),
    ...(query.storeId ? { storeId: query.storeId } : {}),
  };
  return Buffer.from(JSON.stringify({ v: 1, q, before, c: checksum(q, before) })).toString('base64url');
}

/** A token's bound query and cursor; VALIDATION_FAILED (400) for anything not made by {@link encodeNextToken}. */
export function decodeNextToken(token: string): { q: Bound; before: string } {
  const invalid = () =>
    new DomainError('VALIDATION_FAILED', 'nextToken is not valid', {
      errors: [{ path: 'nextToken', message: 'Not a token this API issued' }],
    });
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let parsed: z.infer<typeof tokenSchema>;
  try {
    parsed = tokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw invalid();
  }
  const { q, before, c } = parsed;
  if (c !== checksum(q, before) || !(before > q.from && before < q.to)) throw invalid();
  return { q, before };
}

/**
 * Validates GET /v1/audit's query string (`params`, as API Gateway passes it) at time `now`. With a
 * nextToken, the token's range and filters apply; explicit `actor`/`storeId`/`from`/`to` must equal them.
 * Throws VALIDATION_FAILED (unknown parameter, bad filter, limit outside 1..100, bad or foreign nextToken)
 * or INVALID_RANGE (bad time, to <= from, more than 31 days).
 */
export function parseAuditQuery(params: Record<string, string | undefined>, now: Date): AuditQuery {
  const p = parseWith(auditQueryParamsSchema, params);
  if (p.nextToken === undefined) {
    return {
      ...auditRange(p.from, p.to, now),
      limit: p.limit,
      ...(p.actor ? { actor: p.actor } : {}),
      ...(p.storeId ? { storeId: p.storeId } : {}),
    };
  }
  const { q, before } = decodeNextToken(p.nextToken);
  const differs =
    p.actor !== q.actor ||
    p.storeId !== q.storeId ||
    (p.from !== undefined && auditRange(p.from, q.to, now).from !== q.from) ||
    (p.to !== undefined && auditRange(q.from, p.to, now).to !== q.to);
  if (differs) {
    throw new DomainError('VALIDATION_FAILED', 'nextToken belongs to another query', {
      errors: [{ path: 'nextToken', message: 'Repeat the filters of the first page (or leave them out)' }],
    });
  }
  return { ...q, limit: p.limit, before };
}

/**
 * The UTC days (`yyyy-mm-dd`) whose records may fall in [from, upper), newest first: from the day of
 * `upper` (or the day before, when `upper` is exactly midnight) down to the day of `from`. `upper` is `to`
 * or a cursor (a sort key starting with its record's time); both ISO-8601 UTC.
 */
export function auditDays(from: string, upper: string): string[] {
  const first = Date.parse(from.slice(0, 10));
  let lastDay = upper.slice(0, 10);
  if (upper.length <= 24 && Date.parse(upper) === Date.parse(lastDay))
    lastDay = new Date(Date.parse(lastDay) - 1).toISOString().slice(0, 10);
  const days: string[] = [];
  for (let d = Date.parse(lastDay); d >= first; d -= 24 * 3600 * 1000) days.push(new Date(d).toISOString().slice(0, 10));
  return days;
}
