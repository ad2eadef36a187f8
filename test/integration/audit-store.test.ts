/**
 * The audit log against DynamoDB Local: an audited write appends exactly one record in the same transaction
 * (exact before/after; nothing when the write is refused), a write whose item changed since it was read is
 * retried from a fresh read, and AuditStore.query reads day partitions or the byActor/byStore indexes newest
 * first, within [from, to), page by page. Specification: PRODUCT.md "Identity and access"; issue 7 item 8.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { freshTables } from '../helpers/dynamo.ts';
import { auditRecord, type AuditOf, type AuditRecord } from '../../src/domain/audit.ts';
import { AuditStore, auditPut } from '../../src/store/audit-store.ts';
import { StaffStore, type StaffAssignment } from '../../src/store/staff-store.ts';
import { MasterDataStore } from '../../src/store/master-data-store.ts';
import { InventoryStore } from '../../src/store/inventory-store.ts';
import { CouponStore } from '../../src/store/coupon-store.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { tableName } from '../../src/config.ts';
import type { Store } from '../../src/domain/types.ts';

let doc: DynamoDBDocumentClient;
let audit: AuditStore;
let seq = 0;

const auditOf =
  <T>(change: Pick<AuditRecord, 'action' | 'target' | 'storeId'>, at: string, actor = 'admin-1'): AuditOf<T> =>
  (before, after) =>
    auditRecord({ actor, role: 'chainAdmin', requestId: `req-${++seq}` }, { ...change, before: before ?? null, after }, at);

const allRecords = async () =>
  ((await doc.send(new ScanCommand({ TableName: tableName('audit') }))).Items ?? []) as (AuditRecord & { pk: string; sk: string })[];
const recordsOf = async (id: string) => (await allRecords()).filter((r) => r.target.id === id);

beforeAll(async () => {
  doc = (await freshTables()).doc;
  audit = new AuditStore(doc);
});

describe('audited writes', () => {
  it('StaffStore.put appends one record with the exact before/after, in the same transaction', async () => {
    const staff = new StaffStore(doc);
    const first: StaffAssignment = { sub: 'u-staff', stores: ['S1', 'S2'], updatedAt: '2026-11-23T08:00:00.000Z' };
    await staff.put(first, auditOf({ action: 'staff.put', target: { type: 'staff', id: 'u-staff' } }, first.updatedAt));
    const second: StaffAssignment = { sub: 'u-staff', stores: [], region: 'east', updatedAt: '2026-11-23T08:01:00.000Z' };
    await staff.put(second, auditOf({ action: 'staff.put', target: { type: 'staff', id: 'u-staff' } }, second.updatedAt));
    expect(await staff.get('u-staff', true)).toEqual(second);
    const records = (await recordsOf('u-staff')).sort((a, b) => a.at.localeCompare(b.at));
    expect(records.map((r) => [r.before, r.after])).toEqual([
      [null, first],
      [first, second],
    ]);
    expect(records[0]).toMatchObject({
      pk: 'AUDIT#2026-11-23',
      sk: records[0]!.auditId,
      actor: 'admin-1',
      role: 'chainAdmin',
      action: 'staff.put',
    });
  });

  it('retries from a fresh read when the item changed in between, so `before` is what was replaced', async () => {
    const master = new MasterDataStore(doc);
    const v1: Store = { storeId: 'S-race', name: 'One', region: 'east', timezone: 'Asia/Shanghai', updatedAt: '2026-11-23T08:00:00.000Z' };
    await master.putStore(v1);
    const sneaky: Store = { ...v1, name: 'Sneaky' }; // same updatedAt: only a full comparison notices
    let checks = 0;
    const v2: Store = { ...v1, name: 'Two', updatedAt: '2026-11-23T08:02:00.000Z' };
    await master.putStore(v2, {
      check: async () => {
        if (checks++ === 0) await doc.send(new PutCommand({ TableName: tableName('stores'), Item: sneaky }));
      },
      audit: auditOf({ action: 'store.put', target: { type: 'store', id: 'S-race' }, storeId: 'S-race' }, v2.updatedAt),
    });
    expect(checks).toBe(2);
    const [record, ...more] = await recordsOf('S-race');
    expect(more).toEqual([]);
    expect(record).toMatchObject({ before: sneaky, after: v2, storeId: 'S-race' });
  });

  it('answers CONCURRENT_UPDATE after 5 lost races and writes nothing', async () => {
    const master = new MasterDataStore(doc);
    const base: Store = { storeId: 'S-hot', name: 'Hot', region: 'east', timezone: 'Asia/Shanghai', updatedAt: '2026-11-23T08:00:00.000Z' };
    await master.putStore(base);
    let n = 0;
    const attempt = master.putStore(
      { ...base, name: 'Mine' },
      {
        check: async () =>
          void (await doc.send(new PutCommand({ TableName: tableName('stores'), Item: { ...base, name: `Other ${++n}` } }))),
        audit: auditOf({ action: 'store.put', target: { type: 'store', id: 'S-hot' } }, '2026-11-23T08:03:00.000Z'),
      },
    );
    await expect(attempt).rejects.toMatchObject({ code: 'CONCURRENT_UPDATE' });
    expect(n).toBe(5);
    expect(await recordsOf('S-hot')).toEqual([]);
  });

  it('writes neither the change nor the record when the check refuses, or the record id already exists', async () => {
    const master = new MasterDataStore(doc);
    const store: Store = {
      storeId: 'S-refused',
      name: 'R',
      region: 'east',
      timezone: 'Asia/Shanghai',
      updatedAt: '2026-11-23T08:00:00.000Z',
    };
    await expect(
      master.putStore(store, {
        check: () => {
          throw new DomainError('FORBIDDEN', 'no');
        },
      }),
    ).rejects.toBeInstanceOf(DomainError);
    const fixed = auditRecord(
      { actor: 'a', role: 'chainAdmin', requestId: 'dup' },
      { action: 'store.put', target: { type: 'store', id: 'S-refused' }, before: null, after: null },
      store.updatedAt,
    );
    await doc.send(new PutCommand(auditPut(fixed).Put));
    await expect(master.putStore(store, { audit: () => fixed })).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(await master.getStore('S-refused', true)).toBeUndefined();
    expect(await recordsOf('S-refused')).toHaveLength(1);
  });

  it('InventoryStore.setLevel records the exact level before and after; CouponStore.put the definition without the counter', async () => {
    const inventory = new InventoryStore(doc);
    const at = '2026-11-23T08:05:00.000Z';
    const target = { action: 'inventory.put' as const, target: { type: 'inventory' as const, id: 'S9/tea' }, storeId: 'S9' };
    const first = await inventory.setLevel('S9', 'tea', 10, 2, at, auditOf(target, at));
    const second = await inventory.setLevel('S9', 'tea', 4, 2, at, auditOf(target, at));
    expect(second).toMatchObject({ available: 4, stocked: 4, version: 2 });
    const records = (await recordsOf('S9/tea')).sort(
      (a, b) => (a.after as { version: number }).version - (b.after as { version: number }).version,
    );
    expect(records.map((r) => [r.before, r.after])).toEqual([
      [null, first],
      [first, second],
    ]);
    expect(await inventory.get('S9', 'tea', true)).toEqual(second);

    const coupons = new CouponStore(doc);
    const saved = await coupons.put(
      { code: 'AUD10', type: 'AMOUNT_OFF', amountOff: 100, stackable: true, updatedAt: at },
      { audit: auditOf({ action: 'coupon.put', target: { type: 'coupon', id: 'AUD10' } }, at) },
    );
    expect(saved).toMatchObject({ version: 1, redemptions: 0 });
    const [record] = await recordsOf('AUD10');
    expect(record).toMatchObject({
      before: null,
      after: { code: 'AUD10', type: 'AMOUNT_OFF', amountOff: 100, stackable: true, updatedAt: at, version: 1 },
    });
    expect(record!.after).not.toHaveProperty('redemptions');
    const later = '2026-11-23T08:06:00.000Z';
    const updated = await coupons.put(
      { code: 'AUD10', type: 'PERCENT_OFF', percentOff: 5, stackable: false, updatedAt: later },
      { audit: auditOf({ action: 'coupon.put', target: { type: 'coupon', id: 'AUD10' } }, later) },
    );
    expect(updated).toEqual({
      code: 'AUD10',
      type: 'PERCENT_OFF',
      percentOff: 5,
      stackable: false,
      updatedAt: later,
      version: 2,
      redemptions: 0,
    });
    const records2 = (await recordsOf('AUD10')).sort((a, b) => a.at.localeCompare(b.at));
    expect(records2.map((r) => [r.before, r.after])).toEqual([
      [null, record!.after],
      [record!.after, { code: 'AUD10', type: 'PERCENT_OFF', percentOff: 5, stackable: false, updatedAt: later, version: 2 }],
    ]);
  });
});

describe('AuditStore.query', () => {
  // 30 records over three days, alternating actors and stores (and some chain-level ones without a store).
  const day = (d: number, h: number) => `2026-12-0${d}T${String(h).padStart(2, '0')}:00:00.000Z`;
  const seeded: AuditRecord[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 30; i++) {
      const at = day(1 + Math.floor(i / 10), 2 * (i % 10));
      const storeId = i % 3 === 0 ? undefined : i % 3 === 1 ? 'QS1' : 'QS2';
      const record = auditRecord(
        { actor: i % 2 ? 'q-odd' : 'q-even', role: 'chainAdmin', requestId: `q-${i}` },
        {
          action: storeId ? 'store.put' : 'catalog.put',
          target: { type: storeId ? 'store' : 'sku', id: storeId ?? `sku-${i}` },
          ...(storeId ? { storeId } : {}),
          before: null,
          after: { i },
        },
        at,
      );
      seeded.push(record);
      await doc.send(new PutCommand(auditPut(record).Put));
    }
  });
  const newestFirst = (rs: AuditRecord[]) => [...rs].sort((a, b) => b.auditId.localeCompare(a.auditId));
  const range = { from: day(1, 0), to: day(4, 0) };

  async function allPages(q: Parameters<AuditStore['query']>[0]) {
    const pages: AuditRecord[][] = [];
    let before: string | undefined;
    do {
      const page = await audit.query({ ...q, before });
      pages.push(page.records);
      before = page.last;
    } while (before);
    return pages;
  }

  it('reads the day partitions newest first, page by page, without gaps or repeats', async () => {
    const pages = await allPages({ ...range, limit: 12 });
    expect(pages.map((p) => p.length)).toEqual([12, 12, 6]);
    expect(pages.flat()).toEqual(newestFirst(seeded));
  });

  it('keeps from inclusive and to exclusive', async () => {
    const page = await audit.query({ from: day(2, 0), to: day(2, 4), limit: 100 });
    expect(page.records.map((r) => r.at)).toEqual([day(2, 2), day(2, 0)]);
    expect(page.last).toBeUndefined();
  });

  it('filters by actor (byActor), by store (byStore) and by both', async () => {
    expect((await allPages({ ...range, actor: 'q-odd', limit: 4 })).flat()).toEqual(newestFirst(seeded.filter((r) => r.actor === 'q-odd')));
    expect((await allPages({ ...range, storeId: 'QS1', limit: 3 })).flat()).toEqual(newestFirst(seeded.filter((r) => r.storeId === 'QS1')));
    const both = await allPages({ ...range, storeId: 'QS2', actor: 'q-even', limit: 2 });
    expect(both.flat()).toEqual(newestFirst(seeded.filter((r) => r.storeId === 'QS2' && r.actor === 'q-even')));
    expect(both.flat().length).toBe(5);
    expect((await audit.query({ ...range, storeId: 'nope', limit: 5 })).records).toEqual([]);
  });
});
