/**
 * Master data for the order path, cached per container (per Lambda execution environment) for a few seconds:
 * stores, catalog items and the automatic promotions, the three reads create-order made before its write.
 * At 1,000 orders/s on one container's share that is a handful of reads per TTL instead of three per order.
 *
 * What a stale entry (at most `ttlSeconds` old) can cause: an order priced with a price, a store setting or an
 * automatic promotion's definition replaced in the last TTL (a new automatic promotion applies, a removed one
 * stops applying, up to TTL later). What it cannot: oversell or over-redeem. Stock and every coupon limit
 * (maxRedemptions, perCustomerLimit, the coupon still existing) are conditions of the order transaction, read
 * by DynamoDB at write time; a promotion's validity window is checked against the order's own clock. Misses
 * are not cached: a store or SKU created a moment ago is found at once.
 */
import type { CatalogItem, Coupon, Store } from '../domain/types.ts';

/** What the cache reads through to (MasterDataStore and CouponStore). */
export interface MasterDataSource {
  getStore(storeId: string): Promise<Store | undefined>;
  getCatalogItems(skus: string[]): Promise<Map<string, CatalogItem>>;
  automatic(): Promise<Coupon[]>;
}

interface Entry<T> {
  value: T;
  /** Epoch ms after which the entry is read again. */
  until: number;
}

/** Entries kept per map at most (a container serves a bounded set of stores and SKUs; this only caps a flood). */
const MAX_ENTRIES = 10_000;

export class MasterDataCache {
  private readonly stores = new Map<string, Entry<Store>>();
  private readonly items = new Map<string, Entry<CatalogItem>>();
  private promotions: Entry<Promise<Coupon[]>> | undefined;

  /**
   * `ttlSeconds()` is read on each lookup (0 = no caching); `now` in epoch ms (injected for tests).
   */
  constructor(
    private readonly source: MasterDataSource,
    private readonly ttlSeconds: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The store (cached up to the TTL), or undefined (not cached). */
  async store(storeId: string): Promise<Store | undefined> {
    const hit = this.fresh(this.stores.get(storeId));
    if (hit) return hit;
    const store = await this.source.getStore(storeId);
    if (store) this.put(this.stores, storeId, store);
    return store;
  }

  /** Catalog items for `skus` (each cached up to the TTL; only the missing ones are read, in one batch). */
  async catalogItems(skus: string[]): Promise<Map<string, CatalogItem>> {
    const found = new Map<string, CatalogItem>();
    const missing: string[] = [];
    for (const sku of new Set(skus)) {
      const hit = this.fresh(this.items.get(sku));
      if (hit) found.set(sku, hit);
      else missing.push(sku);
    }
    if (missing.length > 0) {
      for (const [sku, item] of await this.source.getCatalogItems(missing)) {
        found.set(sku, item);
        this.put(this.items, sku, item);
      }
    }
    return found;
  }

  /** Every automatic promotion (the list cached up to the TTL; concurrent misses share one read). */
  automatic(): Promise<Coupon[]> {
    const hit = this.fresh(this.promotions);
    if (hit) return hit;
    const read = this.source.automatic();
    const ttl = this.ttlSeconds();
    if (ttl > 0) {
      this.promotions = { value: read, until: this.now() + ttl * 1000 };
      read.catch(() => (this.promotions = undefined)); // a failed read is not cached
    }
    return read;
  }

  private fresh<T>(entry: Entry<T> | undefined): T | undefined {
    return entry && entry.until > this.now() ? entry.value : undefined;
  }

  private put<T>(map: Map<string, Entry<T>>, key: string, value: T): void {
    const ttl = this.ttlSeconds();
    if (ttl <= 0) return;
    if (map.size >= MAX_ENTRIES && !map.has(key)) map.clear();
    map.set(key, { value, until: this.now() + ttl * 1000 });
  }
}
