/**
 * Stores and catalog: plain last-writer-wins master data (PUT semantics of API contract v1).
 */
import { BatchGetCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import type { CatalogItem, Store } from '../domain/types.ts';

export class MasterDataStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /** Creates or replaces a store. */
  async putStore(store: Store): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: tableName('stores'), Item: store }));
  }

  /** The store, or undefined. */
  async getStore(storeId: string): Promise<Store | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('stores'), Key: { storeId } }));
    return out.Item as Store | undefined;
  }

  /** Creates or replaces a catalog item. */
  async putCatalogItem(item: CatalogItem): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: tableName('catalog'), Item: item }));
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
}
