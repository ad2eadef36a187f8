/**
 * Stores and catalog master data (PUT semantics of API contract v1: the body replaces the item). Operator
 * PUTs are audited: the replacement is conditioned on the item being exactly as read, and the audit record
 * is appended in the same transaction (src/store/optimistic.ts, audit-store.ts).
 */
import { BatchGetCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import type { AuditOf } from '../domain/audit.ts';
import type { CatalogItem, Store } from '../domain/types.ts';
import { putUnlessChanged, untilUnchanged } from './optimistic.ts';

/** Options of an operator replacement: `audit` records the exact before/after; `check` may refuse (throw) given the current item. */
export interface ReplaceOptions<T> {
  audit?: AuditOf<T>;
  check?: (current: T | undefined) => Promise<void> | void;
}

export class MasterDataStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * Creates or replaces a store (audited when `opts.audit` is given; `opts.check` runs on the current store
   * before each attempt, e.g. the caller's scope over its current region). Returns the stored store.
   * Throws what `check` throws; CONCURRENT_UPDATE (409) when the store kept changing between read and write.
   */
  putStore(store: Store, opts: ReplaceOptions<Store> = {}): Promise<Store> {
    return this.replace('stores', ['storeId'], store, () => this.getStore(store.storeId, true), opts, `Store ${store.storeId}`);
  }

  /** The store, or undefined (`consistent` for a strongly consistent read). */
  async getStore(storeId: string, consistent = false): Promise<Store | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('stores'), Key: { storeId }, ConsistentRead: consistent }));
    return out.Item as Store | undefined;
  }

  /** Creates or replaces a catalog item (audited when `opts.audit` is given). Throws CONCURRENT_UPDATE (409) as {@link putStore}. */
  putCatalogItem(item: CatalogItem, opts: ReplaceOptions<CatalogItem> = {}): Promise<CatalogItem> {
    return this.replace('catalog', ['sku'], item, () => this.getCatalogItem(item.sku), opts, `SKU ${item.sku}`);
  }

  /** One catalog item (strongly consistent), or undefined. */
  async getCatalogItem(sku: string): Promise<CatalogItem | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('catalog'), Key: { sku }, ConsistentRead: true }));
    return out.Item as CatalogItem | undefined;
  }

  /** Catalog items for the given SKUs (missing SKUs are simply absent from the map). At most 100 SKUs. */
  async getCatalogItems(skus: string[]): Promise<Map<string, CatalogItem>> {
    const found = new Map<string, CatalogItem>();
    let keys: Record<string, unknown>[] | undefined = [...new Set(skus)].map((sku) => ({ sku }));
    // BatchGet may return UnprocessedKeys under load: loop until done.
    for (let attempt = 0; keys && keys.length > 0 && attempt < 8; attempt++) {
      const table = tableName('catalog');
      const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }));
      for (const item of (out.Responses?.[table] ?? []) as CatalogItem[]) found.set(item.sku, item);
      keys = out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined;
      if (keys?.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
    return found;
  }

  /** Read → check → Put conditioned on "unchanged since read" (+ the audit Put), until it sticks. */
  private replace<T extends object>(
    table: 'stores' | 'catalog',
    keys: readonly string[],
    item: T,
    read: () => Promise<T | undefined>,
    opts: ReplaceOptions<T>,
    what: string,
  ): Promise<T> {
    return untilUnchanged(what, async () => {
      const current = await read();
      await opts.check?.(current);
      return putUnlessChanged(this.doc, tableName(table), current, item, keys, opts.audit);
    });
  }
}
