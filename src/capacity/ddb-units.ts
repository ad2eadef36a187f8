/**
 * DynamoDB item sizes and capacity units by the AWS rules (pure; used by the local metering in
 * local/metering.ts and unit-tested against the documented examples).
 *
 * Sources (read 2026-12-02):
 * - Item sizes: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 *   (string = UTF-8 bytes; number ≈ 1 byte per two significant digits + 1; binary = raw bytes; null/bool = 1;
 *   List/Map = 3 bytes overhead + nested sizes + 1 byte per element; every attribute also counts its name).
 * - Units: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 *   (write = ceil(size / 1 KB), transactional ×2; read = ceil(size / 4 KB), eventually consistent ×0.5,
 *   transactional ×2; Query/Scan: the summed size of the items evaluated, rounded up once; a write also costs
 *   on every GSI the item enters, leaves or changes in).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Bytes of a DynamoDB number: 1 byte per two significant digits (leading/trailing zeroes trimmed) + 1. */
export function numberSize(n: string): number {
  const digits = n.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** Bytes of one attribute value (without its name). */
export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS !== undefined) return v.SS.reduce((n, s) => n + utf8(s), 0);
  if (v.NS !== undefined) return v.NS.reduce((n, s) => n + numberSize(s), 0);
  if (v.BS !== undefined) return v.BS.reduce((n, b) => n + b.length, 0);
  if (v.L !== undefined) return 3 + v.L.reduce((n, e) => n + valueSize(e) + 1, 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + utf8(k) + valueSize(e) + 1, 0);
  return 0;
}

/** Bytes of an item: Σ (attribute name bytes + value bytes). 0 for no item. */
export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += utf8(k) + valueSize(v);
  return n;
}

/** Write units of one item write of `bytes`: ceil(bytes / 1 KB), at least 1; ×2 in a transaction. */
export const writeUnits = (bytes: number, transactional = false): number => Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);

/** Read units of reading `bytes` (one item, or a Query/Scan page summed): ceil(bytes / 4 KB), at least 1; ×0.5 eventually consistent, ×2 transactional. */
export const readUnits = (bytes: number, mode: 'strong' | 'eventual' | 'transactional'): number =>
  Math.max(1, Math.ceil(bytes / 4096)) * (mode === 'eventual' ? 0.5 : mode === 'transactional' ? 2 : 1);

/** Key schema and indexes of a table, as DescribeTable reports them (names only). */
export interface TableShape {
  keys: string[];
  indexes: Array<{ name: string; keys: string[]; projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; include?: string[] }>;
}

/** The part of `item` an index stores (undefined when the item lacks one of the index keys: a sparse index skips it). */
export function indexProjection(item: Item | undefined, index: TableShape['indexes'][number], tableKeys: string[]): Item | undefined {
  if (!item || index.keys.some((k) => item[k] === undefined)) return undefined;
  if (index.projection === 'ALL') return item;
  const names = new Set([...tableKeys, ...index.keys, ...(index.projection === 'INCLUDE' ? (index.include ?? []) : [])]);
  return Object.fromEntries(Object.entries(item).filter(([k]) => names.has(k)));
}

const same = (a: Item | undefined, b: Item | undefined) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
const sorted = (i: Item | undefined) => i && Object.fromEntries(Object.entries(i).sort(([x], [y]) => (x < y ? -1 : 1)));

/**
 * Write units a table write costs on each GSI, from the item before and after: entering = a put of the new
 * projection, leaving = a delete of the old, an index key change = delete + put, a changed projection = a put,
 * nothing projected changed = 0. Index writes are standard writes (not doubled inside a transaction).
 */
export function indexWriteUnits(before: Item | undefined, after: Item | undefined, shape: TableShape): Record<string, number> {
  const out: Record<string, number> = {};
  for (const index of shape.indexes) {
    const a = indexProjection(before, index, shape.keys);
    const b = indexProjection(after, index, shape.keys);
    let units = 0;
    if (a && !b) units = writeUnits(itemSize(a));
    else if (!a && b) units = writeUnits(itemSize(b));
    else if (a && b) {
      const keyChanged = index.keys.some((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      if (keyChanged) units = writeUnits(itemSize(a)) + writeUnits(itemSize(b));
      else if (!same(a, b)) units = writeUnits(itemSize(b));
    }
    if (units) out[index.name] = units;
  }
  return out;
}

/**
 * Units of one item write from the stored item before and after and, for a Put, the item sent: the larger of
 * before / after / sent (a failed conditional write still pays for the item it was checked against; a missing
 * item 1 unit).
 */
export function itemWriteUnits(before: Item | undefined, after: Item | undefined, transactional: boolean, sent?: Item): number {
  return writeUnits(Math.max(itemSize(before), itemSize(after), itemSize(sent)), transactional);
}
