/**
 * DynamoDB item sizes and capacity units (src/capacity/ddb-units.ts) against the AWS documentation:
 * item sizes (CapacityUnitCalculations.html) and the unit examples of the pricing page ("a strongly
 * consistent read of an 8 KB item would require two RCUs, an eventually consistent read of an 8 KB item one
 * RCU, a transactional read of an 8 KB item four RCUs; a standard write of a 1 KB item one WCU, of a 3 KB item
 * three WCUs, a transactional write of a 3 KB item six WCUs").
 */
import { describe, expect, it } from 'vitest';
import {
  indexWriteUnits,
  itemSize,
  itemWriteUnits,
  numberSize,
  readUnits,
  writeUnits,
  type TableShape,
} from '../../src/capacity/ddb-units.ts';

describe('item size rules', () => {
  it('counts attribute names and UTF-8 string bytes', () => {
    expect(itemSize({ id: { S: 'abc' } })).toBe(2 + 3);
    expect(itemSize({ név: { S: 'ü' } })).toBe(4 + 2); // é and ü are 2 bytes each in UTF-8
  });

  it('sizes numbers at 1 byte per two significant digits + 1, leading and trailing zeroes trimmed', () => {
    expect(numberSize('1')).toBe(2);
    expect(numberSize('12')).toBe(2);
    expect(numberSize('123')).toBe(3);
    expect(numberSize('1000000')).toBe(2); // one significant digit
    expect(numberSize('-0.00123')).toBe(3);
    expect(itemSize({ qty: { N: '1234' } })).toBe(3 + 3);
  });

  it('sizes binary by raw bytes, null and booleans at 1 byte', () => {
    expect(itemSize({ b: { B: new Uint8Array(10) }, n: { NULL: true }, t: { BOOL: false } })).toBe(1 + 10 + 1 + 1 + 1 + 1);
  });

  it('adds 3 bytes per List or Map and 1 byte per element', () => {
    expect(itemSize({ l: { L: [] } })).toBe(1 + 3);
    expect(itemSize({ m: { M: {} } })).toBe(1 + 3);
    expect(itemSize({ l: { L: [{ S: 'ab' }, { N: '1' }] } })).toBe(1 + 3 + (2 + 1) + (2 + 1));
    expect(itemSize({ m: { M: { k: { S: 'v' } } } })).toBe(1 + 3 + (1 + 1 + 1));
  });

  it('sums set members', () => {
    expect(itemSize({ s: { SS: ['a', 'bc'] } })).toBe(1 + 3);
    expect(itemSize({ s: { NS: ['1', '22'] } })).toBe(1 + 4);
  });
});

describe('capacity units', () => {
  const KB = 1024;
  it('reads: 8 KB strongly consistent 2, eventually consistent 1, transactional 4; a missing item still 1 (0.5)', () => {
    expect(readUnits(8 * KB, 'strong')).toBe(2);
    expect(readUnits(8 * KB, 'eventual')).toBe(1);
    expect(readUnits(8 * KB, 'transactional')).toBe(4);
    expect(readUnits(0, 'strong')).toBe(1);
    expect(readUnits(0, 'eventual')).toBe(0.5);
    expect(readUnits(5 * KB, 'eventual')).toBe(1);
  });

  it('writes: 1 KB 1, 3 KB 3, transactional 3 KB 6; 1.5 KB 2', () => {
    expect(writeUnits(1 * KB)).toBe(1);
    expect(writeUnits(3 * KB)).toBe(3);
    expect(writeUnits(3 * KB, true)).toBe(6);
    expect(writeUnits(1.5 * KB)).toBe(2);
    expect(writeUnits(0)).toBe(1);
  });

  it('a write costs the larger of the item before, after and sent', () => {
    const small = { id: { S: 'x' } };
    const big = { id: { S: 'x' }, pad: { S: 'a'.repeat(2000) } };
    expect(itemWriteUnits(big, small, false)).toBe(2); // shrinking update / delete of a big item
    expect(itemWriteUnits(undefined, undefined, false, big)).toBe(2); // failed conditional put of a big item
    expect(itemWriteUnits(small, small, true)).toBe(2);
  });
});

describe('GSI write units', () => {
  const shape: TableShape = {
    keys: ['orderId'],
    indexes: [{ name: 'open', keys: ['openShard', 'expiresAt'], projection: 'INCLUDE', include: ['status'] }],
  };
  const base = { orderId: { S: 'o1' }, note: { S: 'x' } };
  const open = { ...base, openShard: { S: 'OPEN#1' }, expiresAt: { S: '2026-12-02T00:00:00Z' }, status: { S: 'PENDING' } };

  it('charges an item entering or leaving a sparse index once, nothing when it stays out', () => {
    expect(indexWriteUnits(undefined, open, shape)).toEqual({ open: 1 });
    expect(indexWriteUnits(open, base, shape)).toEqual({ open: 1 });
    expect(indexWriteUnits(base, { ...base, note: { S: 'y' } }, shape)).toEqual({});
  });

  it('charges a projected change once, an index key change twice (delete + put), a non-projected change nothing', () => {
    expect(indexWriteUnits(open, { ...open, status: { S: 'NEEDS_ATTENTION' } }, shape)).toEqual({ open: 1 });
    expect(indexWriteUnits(open, { ...open, expiresAt: { S: '2026-12-03T00:00:00Z' } }, shape)).toEqual({ open: 2 });
    expect(indexWriteUnits(open, { ...open, note: { S: 'changed' } }, shape)).toEqual({});
  });
});
