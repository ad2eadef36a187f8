/**
 * EventBridge event-pattern conformance: every case of the shared corpus (results recorded against real AWS),
 * plus the rule shapes wandian itself uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  InvalidEventPatternError,
  matchesEventPattern,
  parseEventPattern,
} from '../../local/event-pattern.ts';

interface Case {
  name: string;
  pattern: object | string;
  event: object;
  expected: 'match' | 'no-match' | 'invalid-pattern';
  aws_error?: { code: string; message: string };
  event_json?: string;
}

// The corpus lives beside the repository root: <repoRoot>/../shared/conformance/eventbridge-patterns/.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpusPath = resolve(repoRoot, '..', 'shared', 'conformance', 'eventbridge-patterns', 'cases.json');
const corpus: Case[] = existsSync(corpusPath) ? (JSON.parse(readFileSync(corpusPath, 'utf8')) as Case[]) : [];

describe('EventBridge pattern conformance corpus', () => {
  it('is present', () => {
    expect(existsSync(corpusPath), `conformance corpus missing: expected it at ${corpusPath}`).toBe(true);
    expect(corpus.length).toBeGreaterThan(0);
  });

  it.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    if (c.expected === 'invalid-pattern') {
      let error: unknown;
      try {
        parseEventPattern(c.pattern);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidEventPatternError);
      expect((error as Error).name).toBe('InvalidEventPatternException');
      if (c.aws_error) expect((error as Error).message).toBe(c.aws_error.message);
      return;
    }
    const compiled = parseEventPattern(c.pattern);
    expect(matchesEventPattern(compiled, c.event_json ?? c.event)).toBe(c.expected === 'match');
  });
});

describe('wandian rule shapes', () => {
  const envelope = {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    account: '000000000000',
    time: '2025-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
  };
  const event = (source: string, detailType: string, detail: object = {}): object => ({
    ...envelope,
    source,
    'detail-type': detailType,
    detail,
  });

  const paidOrCancelled = parseEventPattern({
    source: ['wandian.orders'],
    'detail-type': ['OrderPaid', 'OrderCancelled'],
  });

  it('matches each listed detail-type from the orders source', () => {
    expect(matchesEventPattern(paidOrCancelled, event('wandian.orders', 'OrderPaid', { orderId: 'o-1' }))).toBe(true);
    expect(matchesEventPattern(paidOrCancelled, event('wandian.orders', 'OrderCancelled'))).toBe(true);
  });

  it('rejects other detail-types and other sources', () => {
    expect(matchesEventPattern(paidOrCancelled, event('wandian.orders', 'OrderCreated'))).toBe(false);
    expect(matchesEventPattern(paidOrCancelled, event('wandian.inventory', 'OrderPaid'))).toBe(false);
    expect(matchesEventPattern(paidOrCancelled, event('wandian.orders', 'orderpaid'))).toBe(false);
  });

  it('accepts the event as JSON text', () => {
    const text = JSON.stringify(event('wandian.orders', 'OrderPaid'));
    expect(matchesEventPattern(paidOrCancelled, text)).toBe(true);
  });

  it('filters on detail content (store prefix, amount range, missing coupon)', () => {
    const pattern = parseEventPattern(
      JSON.stringify({
        source: ['wandian.orders'],
        'detail-type': ['OrderPaid'],
        detail: {
          storeId: [{ prefix: 'store-0' }],
          total: [{ numeric: ['>=', 100, '<', 10000] }],
          couponCode: [{ exists: false }],
        },
      }),
    );
    const paid = (detail: object): boolean => matchesEventPattern(pattern, event('wandian.orders', 'OrderPaid', detail));
    expect(paid({ storeId: 'store-0042', total: 250.5 })).toBe(true);
    expect(paid({ storeId: 'store-1042', total: 250.5 })).toBe(false);
    expect(paid({ storeId: 'store-0042', total: 99.99 })).toBe(false);
    expect(paid({ storeId: 'store-0042', total: 250.5, couponCode: 'SPRING' })).toBe(false);
  });

  it('matches order lines item by item (array consistency)', () => {
    const pattern = parseEventPattern({ detail: { lines: { sku: ['SKU-1'], quantity: [{ numeric: ['>', 5] }] } } });
    const lines = (...l: object[]): object => event('wandian.orders', 'OrderPaid', { lines: l });
    expect(matchesEventPattern(pattern, lines({ sku: 'SKU-2', quantity: 1 }, { sku: 'SKU-1', quantity: 9 }))).toBe(true);
    expect(matchesEventPattern(pattern, lines({ sku: 'SKU-1', quantity: 1 }, { sku: 'SKU-2', quantity: 9 }))).toBe(false);
  });

  it('rejects patterns AWS rejects', () => {
    expect(() => parseEventPattern({ source: 'wandian.orders' })).toThrow(InvalidEventPatternError);
    expect(() => parseEventPattern({ source: [] })).toThrow('Empty arrays are not allowed');
    expect(() => parseEventPattern('{"source": ["wandian.orders"]')).toThrow(InvalidEventPatternError);
    expect(() => parseEventPattern({ detail: { total: [{ numeric: ['>', 1e10] }] } })).toThrow(
      'Value must be between -5.0E9 and 5.0E9, inclusive',
    );
    expect(() => parseEventPattern({ $or: [{ source: ['a'] }] })).toThrow('at least 2 Objects');
  });
});
