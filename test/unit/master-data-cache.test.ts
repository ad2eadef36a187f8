/** src/store/master-data-cache.ts: hits within the TTL, reads again after it, never caches a miss. */
import { describe, expect, it } from 'vitest';
import type { CatalogItem, Coupon, Store } from '../../src/domain/types.ts';
import { MasterDataCache, type MasterDataSource } from '../../src/store/master-data-cache.ts';

function source() {
  const reads = { stores: 0, skus: [] as string[][], automatic: 0 };
  const stores = new Map<string, Store>([['s1', { storeId: 's1', name: 'One' } as Store]]);
  const items = new Map<string, CatalogItem>([
    ['a', { sku: 'a', unitPrice: 100 } as CatalogItem],
    ['b', { sku: 'b', unitPrice: 200 } as CatalogItem],
  ]);
  const src: MasterDataSource = {
    getStore: async (id) => {
      reads.stores++;
      return stores.get(id);
    },
    getCatalogItems: async (skus) => {
      reads.skus.push(skus);
      return new Map(skus.flatMap((s) => (items.has(s) ? [[s, items.get(s)!] as const] : [])));
    },
    automatic: async () => {
      reads.automatic++;
      return [{ code: 'AUTO' } as Coupon];
    },
  };
  return { src, reads, stores, items };
}

describe('MasterDataCache', () => {
  it('serves stores, items and automatic promotions from memory within the TTL, and reads again after it', async () => {
    const { src, reads, items } = source();
    let now = 1_000_000;
    const cache = new MasterDataCache(
      src,
      () => 5,
      () => now,
    );
    await cache.store('s1');
    await cache.catalogItems(['a', 'b']);
    await cache.automatic();
    items.set('a', { sku: 'a', unitPrice: 150 } as CatalogItem);
    now += 4_999;
    expect((await cache.catalogItems(['a']))?.get('a')?.unitPrice).toBe(100); // stale within the TTL, by design
    await cache.store('s1');
    await cache.automatic();
    expect(reads).toMatchObject({ stores: 1, automatic: 1, skus: [['a', 'b']] });
    now += 2;
    expect((await cache.catalogItems(['a']))?.get('a')?.unitPrice).toBe(150);
    await cache.store('s1');
    await cache.automatic();
    expect(reads).toMatchObject({ stores: 2, automatic: 2, skus: [['a', 'b'], ['a']] });
  });

  it('reads only the SKUs it does not hold, and never caches a miss', async () => {
    const { src, reads, stores } = source();
    const cache = new MasterDataCache(src, () => 5);
    await cache.catalogItems(['a']);
    expect([...(await cache.catalogItems(['a', 'b', 'zz'])).keys()].sort()).toEqual(['a', 'b']);
    expect(reads.skus).toEqual([['a'], ['b', 'zz']]);
    expect(await cache.store('new')).toBeUndefined();
    stores.set('new', { storeId: 'new' } as Store);
    expect(await cache.store('new')).toMatchObject({ storeId: 'new' }); // created a moment ago: found at once
  });

  it('does not cache with a TTL of 0', async () => {
    const { src, reads } = source();
    const cache = new MasterDataCache(src, () => 0);
    await cache.store('s1');
    await cache.store('s1');
    await cache.automatic();
    await cache.automatic();
    expect(reads).toMatchObject({ stores: 2, automatic: 2 });
  });
});
