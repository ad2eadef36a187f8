/**
 * The low-stock alert store against DynamoDB Local: one alert per InventoryLow event however often it is
 * delivered, listed newest first per store and chain-wide (GET /v1/alerts, PRODUCT.md), and a record of
 * whether it was sent so a redelivery re-sends only an unsent alert.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertStore, type LowStockAlert } from '../../src/store/alert-store.ts';
import { freshTables } from '../helpers/dynamo.ts';

let alerts: AlertStore;
const alert = (storeId: string, sku: string, at: string): LowStockAlert => ({
  storeId,
  sku,
  available: 1,
  lowStockThreshold: 2,
  at,
  eventId: `InventoryLow:${storeId}:${sku}:${at}`,
});
const now = new Date('2026-11-23T08:00:00Z');

beforeAll(async () => {
  alerts = new AlertStore((await freshTables()).doc);
});

describe('AlertStore', () => {
  it('stores an alert once; a redelivery gets the first record back, with whether it was sent', async () => {
    const a = alert('s1', 'tea', '2026-11-23T07:00:00.000Z');
    const first = await alerts.recordOnce(a, now);
    expect(first.created).toBe(true);
    const again = await alerts.recordOnce(a, new Date('2026-11-23T08:00:05Z'));
    expect(again).toMatchObject({ created: false, stored: { ...a, recordedAt: now.toISOString() } });
    expect(again.stored.notifiedAt).toBeUndefined();
    await alerts.markNotified(a, now);
    expect((await alerts.recordOnce(a, now)).stored.notifiedAt).toBe(now.toISOString());
    expect(await alerts.list('s1', 100)).toHaveLength(1);
  });

  it('lists newest first, per store and chain-wide, up to the limit', async () => {
    await alerts.recordOnce(alert('s2', 'bun', '2026-11-23T06:00:00.000Z'), now);
    await alerts.recordOnce(alert('s2', 'rice', '2026-11-23T07:30:00.000Z'), now);
    await alerts.recordOnce(alert('s3', 'tea', '2026-11-23T07:45:00.000Z'), now);
    expect((await alerts.list('s2', 100)).map((x) => x.sku)).toEqual(['rice', 'bun']);
    expect((await alerts.list(undefined, 100)).map((x) => `${x.storeId}/${x.sku}`)).toEqual(['s3/tea', 's2/rice', 's1/tea', 's2/bun']);
    expect(await alerts.list(undefined, 2)).toHaveLength(2);
    expect(await alerts.list('nobody', 100)).toEqual([]);
  });
});
