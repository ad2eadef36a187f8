/**
 * EventBridge event-pattern conformance: every case of the shared corpus (results recorded against real AWS),
 * plus the rule shapes wandian itself uses.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesEventPattern, parseEventPattern } from '../../local/event-pattern.ts';

interface Case {
  name: string;
  pattern: object | string;
  event: object;
  expected: 'match' | 'no-match' | 'invalid-pattern';
  aws_error?: { code: string; message: string };
  event_json?: string;
}

// The corpus lives beside the repository root: <repoRoot>/../shared/conformance/eventbridge-patterns/. In a
// git worktree the main checkout's root counts too (its .git is the worktree's common dir).
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORPUS = ['shared', 'conformance', 'eventbridge-patterns', 'cases.json'];
const mainRoot = (): string | undefined => {
  try {
    return dirname(resolve(repoRoot, execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd: repoRoot, encoding: 'utf8' }).trim()));
  } catch {
    return undefined;
  }
};
const corpusPath =
  [repoRoot, mainRoot()].map((root) => root && resolve(root, '..', ...CORPUS)).find((p) => p && existsSync(p)) ??
  resolve(repoRoot, '..', ...CORPUS);
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

/**
 * Array consistency: fields named inside an array of objects must match within ONE element of that array,
 * `exists: false` included. Our own cases; the source is aws/event-ruler (the library behind EventBridge
 * rules): ACMachineTest.testACWithExistFalseRule (case "exists: false sees only the element ...") and its
 * finders (StructuredFinder.handleAbsence / NameState.getNameTransitions: an absent field is one with no value
 * consistent with the array elements bound by the keys walked so far, keys in sorted order).
 */
describe('array consistency (event-ruler)', () => {
  const matches = (pattern: object, event: object): boolean => matchesEventPattern(parseEventPattern(pattern), event);

  it('matches several fields of an array of objects within one element only', () => {
    const pattern = { detail: { items: { sku: ['a'], qty: [1] } } };
    expect(
      matches(pattern, {
        detail: {
          items: [
            { sku: 'a', qty: 2 },
            { sku: 'b', qty: 1 },
          ],
        },
      }),
    ).toBe(false);
    expect(
      matches(pattern, {
        detail: {
          items: [
            { sku: 'b', qty: 2 },
            { sku: 'a', qty: 1 },
          ],
        },
      }),
    ).toBe(true);
  });

  it('keeps nested arrays consistent at every level', () => {
    const pattern = { detail: { orders: { lines: { sku: ['a'], qty: [2] } } } };
    const split = { detail: { orders: [{ lines: [{ sku: 'a', qty: 1 }] }, { lines: [{ sku: 'b', qty: 2 }] }] } };
    const together = {
      detail: {
        orders: [
          { lines: [{ sku: 'b', qty: 1 }] },
          {
            lines: [
              { sku: 'x', qty: 9 },
              { sku: 'a', qty: 2 },
            ],
          },
        ],
      },
    };
    expect(matches(pattern, split)).toBe(false);
    expect(matches(pattern, together)).toBe(true);
  });

  it('lets fields of different arrays match in any elements', () => {
    const pattern = { detail: { a: { x: ['1'] }, b: { y: ['2'] } } };
    expect(matches(pattern, { detail: { a: [{ x: '0' }, { x: '1' }], b: [{ y: '2' }, { y: '0' }] } })).toBe(true);
  });

  it('exists: false sees only the element the other fields matched in (testACWithExistFalseRule)', () => {
    const rule = (leaf: string) => ({
      requestContext: {
        taskInstances: {
          taskInstanceState: ['ACTIVE'],
          provider: { id: ['XXXXXXXXXXXX'] },
          resources: { additionalContext: { capabilityInterfaces: { [leaf]: [{ exists: false }] } } },
        },
      },
    });
    const task = (state: string, id: string, interfaceName?: string) => ({
      taskInstanceId: 'id1',
      taskInstanceState: state,
      provider: { id, type: 'XXXXXXXX' },
      resources: [
        {
          legacyFocusCategory: 'XXXXXFocus',
          ...(interfaceName ? { additionalContext: { capabilityInterfaces: [{ interfaceName }] } } : {}),
        },
      ],
    });
    // event1: the ACTIVE task has no interfaceName; only the other task has one.
    const event1 = {
      requestContext: { taskInstances: [task('ACTIVE', 'XXXXXXXXXXXX'), task('InACTIVE', 'SomeRandom', 'Dummy.DummyDumDum')] },
    };
    // event2: both tasks have one.
    const event2 = {
      requestContext: { taskInstances: [task('ACTIVE', 'XXXXXXXXXXXX', 'XXXX.X'), task('InACTIVE', 'SomeRandom', 'XXXX.X')] },
    };
    expect(matches(rule('interfaceName'), event1)).toBe(true);
    expect(matches(rule('abc'), event1)).toBe(true);
    expect(matches(rule('interfaceName'), event2)).toBe(false);
    expect(matches(rule('abc'), event2)).toBe(true);
  });

  it('exists: false after the key that binds the element: judged within that element', () => {
    // "sku" sorts before "voucher": the line is chosen first, then the voucher must be absent from that line.
    const pattern = { detail: { lines: { sku: ['a'], voucher: [{ exists: false }] } } };
    expect(matches(pattern, { detail: { lines: [{ sku: 'a' }, { sku: 'b', voucher: 'v' }] } })).toBe(true);
    expect(matches(pattern, { detail: { lines: [{ sku: 'a', voucher: 'v' }, { sku: 'b' }] } })).toBe(false);
    expect(matches(pattern, { detail: { lines: [{ sku: 'a', voucher: 'v' }, { sku: 'a' }] } })).toBe(true);
    expect(matches(pattern, { detail: { lines: [{ sku: 'b' }] } })).toBe(false);
  });

  it('exists: false on a key that sorts before the binding key sees every element, as event-ruler walks keys in order', () => {
    // "gift" sorts before "sku": when event-ruler checks the absence no element is bound yet, so a gift in
    // any line counts as present (StructuredFinder.handleAbsence runs with the constraints bound so far).
    const pattern = { detail: { lines: { gift: [{ exists: false }], sku: ['a'] } } };
    expect(matches(pattern, { detail: { lines: [{ sku: 'a' }, { sku: 'b', gift: true }] } })).toBe(false);
    expect(matches(pattern, { detail: { lines: [{ sku: 'a' }, { sku: 'b' }] } })).toBe(true);
  });

  it('exists: false or a value, per element', () => {
    const pattern = { detail: { lines: { sku: ['a'], tag: [{ exists: false }, 'x'] } } };
    expect(
      matches(pattern, {
        detail: {
          lines: [
            { sku: 'b', tag: 'y' },
            { sku: 'a', tag: 'x' },
          ],
        },
      }),
    ).toBe(true);
    expect(matches(pattern, { detail: { lines: [{ sku: 'a', tag: 'y' }, { sku: 'b' }] } })).toBe(false);
    expect(matches(pattern, { detail: { lines: [{ sku: 'b', tag: 'y' }, { sku: 'a' }] } })).toBe(true);
  });

  it('stays fast when several large arrays cannot be made consistent', () => {
    const n = 200;
    const pattern = { detail: { a: { k: ['1'], v: ['no'] }, b: { k: ['1'] }, c: { k: ['1'] } } };
    const many = Array.from({ length: n }, () => ({ k: '1', v: 'yes' }));
    const started = performance.now();
    expect(matches(pattern, { detail: { a: many, b: many.map(({ k }) => ({ k })), c: many.map(({ k }) => ({ k })) } })).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
