/**
 * A store's IANA time zone for reporting consumers, cached per container for 5 minutes (a zone rarely
 * changes; one GetItem per store per 5 minutes instead of one per event). Unknown store → `UTC` (logged).
 */
import { masterData } from './stores.ts';
import { logger } from './powertools.ts';

const TTL_MS = 5 * 60 * 1000;
const cache = new Map<string, { timeZone: string; until: number }>();

/** The store's time zone (e.g. `Asia/Tokyo`), or `UTC` when the store does not exist. */
export async function storeTimeZone(storeId: string, now = Date.now()): Promise<string> {
  const hit = cache.get(storeId);
  if (hit && hit.until > now) return hit.timeZone;
  const store = await masterData.getStore(storeId);
  if (!store) logger.warn('Store not found; counting its local hours in UTC', { storeId });
  const timeZone = store?.timezone ?? 'UTC';
  cache.set(storeId, { timeZone, until: now + TTL_MS });
  return timeZone;
}
