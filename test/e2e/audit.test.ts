/**
 * Staff assignments and the audit log end to end on the local runtime (contract v1.1 "Identity and access":
 * PUT /v1/staff/{sub}, GET /v1/audit; issue 7 item 8): every operator write leaves exactly one record with
 * the actor, the role acted under, the exact before/after and the API request id; a refused write leaves
 * none; an assignment scopes a storeStaff token; GET /v1/audit filters, pages and is for chain admins only.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ApiResponse } from '../../local/api-client.ts';
import { AUTO_ADMIN_SUB } from '../../local/api-client.ts';
import type { LocalSystem } from '../../local/system.ts';
import { startTestSystem } from '../helpers/local-system.ts';

let system: LocalSystem;
let api: ApiClient;
const SECRET = 'audit-webhook-secret';
const uid = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;
const startedAt = new Date(Date.now() - 1000).toISOString();

/** Every record (all pages) of GET /v1/audit with `params`, from the start of this file's run. */
async function auditRecords(params: Record<string, string> = {}): Promise<any[]> {
  const out: any[] = [];
  let nextToken: string | null = null;
  do {
    const qs: string = new URLSearchParams({ from: startedAt, limit: '100', ...params, ...(nextToken ? { nextToken } : {}) }).toString();
    const res = await api.get(`/v1/audit?${qs}`);
    expect(res.status).toBe(200);
    out.push(...res.body.records);
    nextToken = res.body.nextToken;
  } while (nextToken);
  return out;
}
const recordsFor = async (targetId: string, params: Record<string, string> = {}) =>
  (await auditRecords(params)).filter((r) => r.target.id === targetId);
const requestIdOf = (res: ApiResponse) => res.headers.get('apigw-requestid');

async function seedStore(region = 'east') {
  const storeId = uid('store');
  const sku = uid('sku');
  expect((await api.put(`/v1/stores/${storeId}`, { name: 'Audit store', region, timezone: 'Asia/Shanghai' })).status).toBe(200);
  expect((await api.put(`/v1/catalog/${sku}`, { name: 'Tea', unitPrice: 500, currency: 'CNY', category: 'drinks' })).status).toBe(200);
  expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 10, lowStockThreshold: 0 })).status).toBe(200);
  return { storeId, sku };
}

async function paidOrder(storeId: string, sku: string) {
  const created = await api.createOrder({ storeId, customerId: uid('cust'), items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' });
  expect(created.status).toBe(201);
  await api.pay(created.body);
  await api.waitForStatus(created.body.orderId, ['PAID']);
  return created.body as { orderId: string; customerId: string };
}

beforeAll(async () => {
  ({ system, api } = await startTestSystem(SECRET));
});

afterAll(async () => {
  await system?.stop();
});

describe('audit of operator writes', () => {
  it('records store, catalog, inventory, coupon and staff writes once each, with actor, role, request id and exact before/after', async () => {
    const storeId = uid('store');
    const created = await api.put(`/v1/stores/${storeId}`, { name: 'First', region: 'east', timezone: 'Asia/Shanghai' });
    const renamed = await api.put(`/v1/stores/${storeId}`, { name: 'Second', region: 'east', timezone: 'Asia/Shanghai' });
    expect([created.status, renamed.status]).toEqual([200, 200]);
    const storeRecords = await recordsFor(storeId, { storeId });
    expect(storeRecords).toHaveLength(2);
    expect(storeRecords[0]).toMatchObject({
      action: 'store.put',
      actor: AUTO_ADMIN_SUB,
      role: 'chainAdmin',
      storeId,
      requestId: requestIdOf(renamed),
      target: { type: 'store', id: storeId },
      before: created.body,
      after: renamed.body,
    });
    expect(storeRecords[1]).toMatchObject({ requestId: requestIdOf(created), before: null, after: created.body });

    const sku = uid('sku');
    const item = await api.put(`/v1/catalog/${sku}`, { name: 'Tea', unitPrice: 500, currency: 'CNY', category: 'drinks' });
    expect(await recordsFor(sku, { actor: AUTO_ADMIN_SUB })).toEqual([
      expect.objectContaining({ action: 'catalog.put', role: 'chainAdmin', before: null, after: item.body, requestId: requestIdOf(item) }),
    ]);

    const first = await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 10, lowStockThreshold: 2 });
    const second = await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 4, lowStockThreshold: 1 });
    expect([first.status, second.status]).toEqual([200, 200]);
    const levels = await recordsFor(`${storeId}/${sku}`, { storeId });
    expect(levels.map((r) => [r.action, r.before, r.after])).toEqual([
      [
        'inventory.put',
        expect.objectContaining({ available: 10, stocked: 10, lowStockThreshold: 2, version: 1 }),
        expect.objectContaining({ available: 4, stocked: 4, lowStockThreshold: 1, version: 2 }),
      ],
      ['inventory.put', null, expect.objectContaining({ available: 10, reserved: 0, sold: 0, stocked: 10, version: 1 })],
    ]);

    const code = uid('CPN');
    const coupon = await api.put(`/v1/coupons/${code}`, { type: 'AMOUNT_OFF', amountOff: 100, region: 'east' });
    expect(coupon.status).toBe(200);
    const changed = await api.put(`/v1/coupons/${code}`, { type: 'PERCENT_OFF', percentOff: 5, region: 'east' });
    expect(changed.body).toMatchObject({ version: 2, redemptions: 0 });
    const definition = ({ redemptions: _r, ...d }: Record<string, unknown>) => d;
    expect((await recordsFor(code)).map((r) => [r.action, r.requestId, r.before, r.after])).toEqual([
      ['coupon.put', requestIdOf(changed), definition(coupon.body), definition(changed.body)],
      ['coupon.put', requestIdOf(coupon), null, definition(coupon.body)],
    ]);

    const sub = uid('staff');
    const assigned = await api.put(`/v1/staff/${sub}`, { stores: [storeId] });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toEqual({ sub, stores: [storeId], updatedAt: expect.any(String) });
    const reassigned = await api.put(`/v1/staff/${sub}`, { region: 'east' });
    expect(reassigned.body).toEqual({ sub, stores: [], region: 'east', updatedAt: expect.any(String) });
    expect((await recordsFor(sub)).map((r) => [r.action, r.before, r.after])).toEqual([
      ['staff.put', assigned.body, reassigned.body],
      ['staff.put', null, assigned.body],
    ]);
  });

  it('records a fulfilment by store staff and a refund an operator requested, once each', async () => {
    const { storeId, sku } = await seedStore();
    const staffSub = uid('staff');
    expect((await api.put(`/v1/staff/${staffSub}`, { stores: [storeId] })).status).toBe(200);
    const staff = await api.asUser(staffSub, ['storeStaff']);

    const toFulfil = await paidOrder(storeId, sku);
    const fulfilled = await staff.request('POST', `/v1/orders/${toFulfil.orderId}/fulfil`);
    expect(fulfilled.status).toBe(200);
    expect((await staff.request('POST', `/v1/orders/${toFulfil.orderId}/fulfil`)).status).toBe(409);
    expect(await recordsFor(toFulfil.orderId, { actor: staffSub })).toEqual([
      expect.objectContaining({
        action: 'order.fulfil',
        actor: staffSub,
        role: 'storeStaff',
        storeId,
        requestId: requestIdOf(fulfilled),
        before: { status: 'PAID' },
        after: { status: 'FULFILLED', fulfilledAt: expect.any(String) },
      }),
    ]);

    const toRefund = await paidOrder(storeId, sku);
    const refund = await api.cancel(toRefund.orderId);
    expect(refund.status).toBe(202);
    expect((await api.cancel(toRefund.orderId)).status).toBe(202); // a repeat changes nothing
    await api.waitForStatus(toRefund.orderId, ['REFUNDED']);
    expect(await recordsFor(toRefund.orderId)).toEqual([
      expect.objectContaining({
        action: 'order.refund',
        actor: AUTO_ADMIN_SUB,
        role: 'chainAdmin',
        storeId,
        requestId: requestIdOf(refund),
        before: { status: 'PAID' },
        after: { status: 'PAID', refundRequestedAt: expect.any(String) },
      }),
    ]);

    // The order's own customer asking for a refund is not an operator write.
    const own = await paidOrder(storeId, sku);
    const customer = await api.asUser(own.customerId, ['customer']);
    expect((await customer.cancel(own.orderId)).status).toBe(202);
    await api.waitForStatus(own.orderId, ['REFUNDED']);
    expect(await recordsFor(own.orderId)).toEqual([]);
  });

  it('leaves no record for a refused write (403, 400, 404, 409)', async () => {
    const { storeId, sku } = await seedStore('east');
    const manager = await api.asUser(uid('manager'), ['regionManager']); // no assignment: no region
    const customer = await api.asUser(uid('cust'), ['customer']);
    const badStore = uid('store');
    expect((await manager.put(`/v1/stores/${badStore}`, { name: 'X', region: 'west', timezone: 'Asia/Shanghai' })).status).toBe(403);
    expect((await customer.put(`/v1/stores/${badStore}`, { name: 'X', region: 'west', timezone: 'Asia/Shanghai' })).status).toBe(403);
    expect((await api.put(`/v1/stores/${badStore}`, { name: 'X', region: 'West!', timezone: 'Asia/Shanghai' })).status).toBe(400);
    expect((await manager.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 1, lowStockThreshold: 0 })).status).toBe(403);
    expect((await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: -1, lowStockThreshold: 0 })).status).toBe(400);
    const missingSku = uid('sku');
    expect((await api.put(`/v1/stores/${storeId}/inventory/${missingSku}`, { available: 1, lowStockThreshold: 0 })).status).toBe(404);
    const staffSub = uid('staff');
    expect((await api.put(`/v1/staff/${staffSub}`, {})).status).toBe(400);
    expect((await api.put(`/v1/staff/${staffSub}`, { stores: ['a', 'a'] })).status).toBe(400);
    expect((await manager.put(`/v1/staff/${staffSub}`, { stores: [storeId] })).status).toBe(403);
    const badCoupon = uid('CPN');
    expect((await manager.put(`/v1/coupons/${badCoupon}`, { type: 'AMOUNT_OFF', amountOff: 100, region: 'east' })).status).toBe(403);
    const unpaid = await api.createOrder({ storeId, customerId: uid('cust'), items: [{ sku, quantity: 1 }], paymentMethod: 'CARD' });
    expect((await api.request('POST', `/v1/orders/${unpaid.body.orderId}/fulfil`)).status).toBe(409);

    const all = await auditRecords();
    for (const id of [badStore, `${storeId}/${missingSku}`, staffSub, badCoupon, unpaid.body.orderId])
      expect(all.filter((r) => r.target.id === id)).toEqual([]);
    expect((await recordsFor(`${storeId}/${sku}`)).length).toBe(1); // only the seeding write
  });
});

describe('staff assignments', () => {
  it('let a storeStaff token read the inventory of its stores and not of another (403)', async () => {
    const mine = await seedStore();
    const other = await seedStore();
    const sub = uid('staff');
    // Assigned before this sub's first call: nothing stale in the per-container assignment cache.
    expect((await api.put(`/v1/staff/${sub}`, { stores: [mine.storeId] })).status).toBe(200);
    const staff = await api.asUser(sub, ['storeStaff']);
    const own = await staff.get(`/v1/stores/${mine.storeId}/inventory/${mine.sku}`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ available: 10 });
    const foreign = await staff.get(`/v1/stores/${other.storeId}/inventory/${other.sku}`);
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('FORBIDDEN');
    await expect(
      (await api.asUser(uid('staff'), ['storeStaff'])).get(`/v1/stores/${mine.storeId}/inventory/${mine.sku}`),
    ).resolves.toMatchObject({ status: 403 });
  });

  it('are for chain admins only', async () => {
    const manager = await api.asUser(uid('manager'), ['regionManager']);
    expect((await manager.put(`/v1/staff/${uid('staff')}`, { region: 'east' })).status).toBe(403);
  });
});

describe('GET /v1/audit', () => {
  it('filters by actor and store and pages with nextToken (3 pages), newest first', async () => {
    const adminSub = uid('admin');
    const admin = await api.asUser(adminSub, ['chainAdmin']);
    const storeId = uid('store');
    const writes: ApiResponse[] = [await admin.put(`/v1/stores/${storeId}`, { name: 'Paged', region: 'east', timezone: 'Asia/Shanghai' })];
    // Refused (unknown SKU): not audited, so not in the pages below.
    expect((await admin.put(`/v1/stores/${storeId}/inventory/${uid('sku')}`, { available: 1, lowStockThreshold: 0 })).status).toBe(404);
    for (let i = 0; i < 4; i++) {
      const sku = uid('sku');
      writes.push(await admin.put(`/v1/catalog/${sku}`, { name: 'P', unitPrice: 1, currency: 'CNY', category: 'c' }));
      writes.push(await admin.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: i, lowStockThreshold: 0 }));
    }
    expect(writes.every((w) => w.status === 200)).toBe(true);
    const expected = writes.map(requestIdOf).reverse();

    const pages: any[] = [];
    let nextToken: string | null = null;
    do {
      const qs: string = new URLSearchParams({ actor: adminSub, limit: '4', ...(nextToken ? { nextToken } : {}) }).toString();
      const res = await api.get(`/v1/audit?${qs}`);
      expect(res.status).toBe(200);
      pages.push(res.body.records);
      nextToken = res.body.nextToken;
    } while (nextToken && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([4, 4, 1]);
    expect(pages.flat().map((r) => r.requestId)).toEqual(expected);
    expect(pages.flat().every((r) => r.actor === adminSub)).toBe(true);

    const inStore = await auditRecords({ storeId, actor: adminSub });
    expect(inStore.map((r) => r.requestId)).toEqual(
      writes
        .filter((_, i) => i === 0 || i % 2 === 0)
        .map(requestIdOf)
        .reverse(),
    );
    expect(inStore.every((r) => r.storeId === storeId)).toBe(true);
    const all = await auditRecords();
    expect(all.map((r) => r.at)).toEqual([...all.map((r) => r.at)].sort().reverse());
  });

  it('refuses a tampered or foreign nextToken, a bad range or limit with 400', async () => {
    const adminSub = uid('admin');
    const admin = await api.asUser(adminSub, ['chainAdmin']);
    for (let i = 0; i < 3; i++)
      expect((await admin.put(`/v1/catalog/${uid('sku')}`, { name: 'T', unitPrice: 1, currency: 'CNY', category: 'c' })).status).toBe(200);
    const first = await api.get(`/v1/audit?actor=${adminSub}&limit=1`);
    const token: string = first.body.nextToken;
    expect(token).toEqual(expect.any(String));
    expect((await api.get(`/v1/audit?actor=${adminSub}&limit=1&nextToken=${token}`)).status).toBe(200);
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString());
    const tampered = Buffer.from(JSON.stringify({ ...decoded, before: `${decoded.before.slice(0, 20)}9.999Z#x#catalog.put` })).toString(
      'base64url',
    );
    for (const [qs, code] of [
      [`actor=${adminSub}&nextToken=${tampered}`, 'VALIDATION_FAILED'],
      [`actor=${adminSub}&nextToken=${token.slice(3)}`, 'VALIDATION_FAILED'],
      [`nextToken=${token}`, 'VALIDATION_FAILED'],
      ['limit=0', 'VALIDATION_FAILED'],
      ['limit=101', 'VALIDATION_FAILED'],
      ['from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'INVALID_RANGE'],
      ['from=yesterday', 'INVALID_RANGE'],
    ] as const) {
      const res = await api.get(`/v1/audit?${qs}`);
      expect([res.status, res.body.code, qs]).toEqual([400, code, qs]);
    }
  });

  it('is for chain admins only (403)', async () => {
    for (const groups of [['storeStaff'], ['regionManager'], ['customer']] as const) {
      const client = await api.asUser(uid('u'), [...groups]);
      const res = await client.get('/v1/audit');
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
    }
    expect((await api.anonymous().get('/v1/audit')).status).toBe(401);
  });
});
