/**
 * GET /v1/audit query rules (src/domain/audit-query.ts): range defaults and limits, limit bounds, the
 * nextToken round trip and its refusal when edited or reused for another query, and splitting a range
 * into the UTC day partitions newest first. Specification: PRODUCT.md "Identity and access" (GET /v1/audit).
 */
import { describe, expect, it } from 'vitest';
import { auditDays, decodeNextToken, encodeNextToken, parseAuditQuery } from '../../src/domain/audit-query.ts';
import { unchangedCondition } from '../../src/store/optimistic.ts';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'none';
};

describe('parseAuditQuery', () => {
  it('defaults to the last 24 h and 50 records', () => {
    expect(parseAuditQuery({}, NOW)).toEqual({ from: '2026-11-22T10:00:00.000Z', to: '2026-11-23T10:00:00.000Z', limit: 50 });
  });

  it('takes filters, a lone from (until now) and a lone to (24 h before it), normalized', () => {
    expect(parseAuditQuery({ actor: 'u-1', storeId: 'S1', from: '2026-11-20T00:00Z', limit: '3' }, NOW)).toEqual({
      from: '2026-11-20T00:00:00.000Z',
      to: '2026-11-23T10:00:00.000Z',
      actor: 'u-1',
      storeId: 'S1',
      limit: 3,
    });
    expect(parseAuditQuery({ to: '2026-11-21T00:00:00Z' }, NOW)).toMatchObject({
      from: '2026-11-20T00:00:00.000Z',
      to: '2026-11-21T00:00:00.000Z',
    });
  });

  it.each([
    [{ from: '2026-11-23T10:00:00Z', to: '2026-11-23T10:00:00Z' }],
    [{ from: '2026-11-23T11:00:00Z', to: '2026-11-23T10:00:00Z' }],
    [{ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:01Z' }],
    [{ from: '2026-11-23T10:00:00+08:00' }],
    [{ from: '2026-02-30T00:00:00Z' }],
    [{ to: 'yesterday' }],
  ])('refuses the range %j with INVALID_RANGE', (params) => {
    expect(code(() => parseAuditQuery(params, NOW))).toBe('INVALID_RANGE');
  });

  it('accepts exactly 31 days', () => {
    expect(parseAuditQuery({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, NOW).to).toBe('2026-11-01T00:00:00.000Z');
  });

  it.each([
    [{ limit: '0' }],
    [{ limit: '101' }],
    [{ limit: '2.5' }],
    [{ limit: 'x' }],
    [{ actor: 'a b' }],
    [{ storeId: '../x' }],
    [{ region: 'east' }],
  ])('refuses %j with VALIDATION_FAILED', (params) => {
    expect(code(() => parseAuditQuery(params, NOW))).toBe('VALIDATION_FAILED');
  });
});

describe('nextToken', () => {
  const q = { from: '2026-11-22T10:00:00.000Z', to: '2026-11-23T10:00:00.000Z', actor: 'u-1' };
  const before = '2026-11-23T09:00:00.000Z#req-1#store.put';

  it("round-trips the query and cursor, and a later page keeps the first page's range", () => {
    const token = encodeNextToken(q, before);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeNextToken(token)).toEqual({ q, before });
    // An hour later, the default range would have moved: the token's range holds.
    expect(parseAuditQuery({ actor: 'u-1', nextToken: token, limit: '10' }, new Date('2026-11-23T11:00:00Z'))).toEqual({
      ...q,
      limit: 10,
      before,
    });
    expect(parseAuditQuery({ actor: 'u-1', from: '2026-11-22T10:00:00Z', nextToken: token }, NOW)).toMatchObject({ before });
  });

  it('refuses an edited token, garbage, and a token reused with other filters', () => {
    const token = encodeNextToken(q, before);
    const body = JSON.parse(Buffer.from(token, 'base64url').toString());
    const edited = Buffer.from(JSON.stringify({ ...body, before: '2026-11-23T08:00:00.000Z#req-0#store.put' })).toString('base64url');
    const widened = Buffer.from(JSON.stringify({ ...body, q: { ...body.q, from: '2026-10-01T00:00:00.000Z' } })).toString('base64url');
    for (const bad of [edited, widened, 'abc', `${token.slice(0, -2)}`, `${token}!`, Buffer.from('{"v":1}').toString('base64url')]) {
      expect(code(() => parseAuditQuery({ actor: 'u-1', nextToken: bad }, NOW))).toBe('VALIDATION_FAILED');
    }
    expect(code(() => parseAuditQuery({ nextToken: token }, NOW))).toBe('VALIDATION_FAILED');
    expect(code(() => parseAuditQuery({ actor: 'u-2', nextToken: token }, NOW))).toBe('VALIDATION_FAILED');
    expect(code(() => parseAuditQuery({ actor: 'u-1', to: '2026-11-23T09:00:00Z', nextToken: token }, NOW))).toBe('VALIDATION_FAILED');
  });
});

describe('auditDays', () => {
  it('lists the UTC days of [from, upper) newest first', () => {
    expect(auditDays('2026-11-20T23:59:59.999Z', '2026-11-23T00:00:00.001Z')).toEqual([
      '2026-11-23',
      '2026-11-22',
      '2026-11-21',
      '2026-11-20',
    ]);
    expect(auditDays('2026-11-22T10:00:00.000Z', '2026-11-23T10:00:00.000Z')).toEqual(['2026-11-23', '2026-11-22']);
  });

  it("leaves out the day `to` starts when it is exactly midnight, but keeps a cursor's day", () => {
    expect(auditDays('2026-11-21T00:00:00.000Z', '2026-11-23T00:00:00.000Z')).toEqual(['2026-11-22', '2026-11-21']);
    expect(auditDays('2026-11-21T00:00:00.000Z', '2026-11-23T00:00:00.000Z#r#store.put')).toEqual([
      '2026-11-23',
      '2026-11-22',
      '2026-11-21',
    ]);
  });

  it('covers a month across a month boundary', () => {
    const days = auditDays('2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z');
    expect(days).toHaveLength(31);
    expect([days[0], days.at(-1)]).toEqual(['2026-10-31', '2026-10-01']);
  });
});

describe('unchangedCondition', () => {
  it('requires a new item to be absent', () => {
    expect(unchangedCondition(undefined, ['storeId'])).toEqual({
      expression: 'attribute_not_exists(#u0)',
      names: { '#u0': 'storeId' },
      values: {},
    });
  });

  it('requires every read attribute unchanged and optional ones still absent', () => {
    const c = unchangedCondition({ storeId: 'S1', sku: 'A', available: 3, version: 2 }, ['storeId', 'sku'], ['lowStockSince']);
    expect(c.expression).toBe('attribute_exists(#u3) AND #u0 = :u0 AND #u1 = :u1 AND attribute_not_exists(#u2)');
    expect(c.names).toEqual({ '#u0': 'available', '#u1': 'version', '#u2': 'lowStockSince', '#u3': 'storeId' });
    expect(c.values).toEqual({ ':u0': 3, ':u1': 2 });
  });
});
