/**
 * EventBridge consumer (rule placedToLowStockCheck): for each line of an OrderPlaced, flags stock
 * that is at or below its lowStockThreshold and emits InventoryLow once per crossing (the flag is a
 * conditional write, so duplicate deliveries emit nothing); clears the flag of stock back above it.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { EventBridgeEvent } from 'aws-lambda';
import { eventBridge } from '../commons/clients.ts';
import { inventory } from '../commons/stores.ts';
import { logger } from '../commons/powertools.ts';
import { isLowStock } from '../../src/domain/inventory.ts';
import { domainEvent, type DomainEvent } from '../../src/events/catalog.ts';
import { publishEvents } from '../../src/events/publisher.ts';

interface PlacedDetail {
  storeId: string;
  region: string;
  items: { sku: string; quantity: number }[];
  /** Lines plus FREE_ITEM gifts (absent in events from before it was added). */
  reserved?: { sku: string; quantity: number }[];
}

export const handler = middy<EventBridgeEvent<'OrderPlaced', PlacedDetail>, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const { storeId, region } = event.detail;
    // Gifts move stock too: check every reserved SKU, not only the priced lines.
    const items = event.detail.reserved ?? event.detail.items;
    const alerts: DomainEvent[] = [];
    await Promise.all(
      items.map(async ({ sku }) => {
        const level = await inventory.get(storeId, sku, true);
        if (!level) return;
        if (!isLowStock(level.available, level.lowStockThreshold)) {
          if (level.lowStockSince) await inventory.clearLowStockFlag(storeId, sku);
          return;
        }
        const flagged = await inventory.flagLowStock(storeId, sku, new Date().toISOString());
        if (!flagged?.lowStockSince) return;
        alerts.push(
          domainEvent('InventoryLow', {
            schemaVersion: 1,
            eventId: `InventoryLow:${storeId}:${sku}:${flagged.lowStockSince}`,
            occurredAt: flagged.lowStockSince,
            storeId,
            region,
            sku,
            available: flagged.available,
            lowStockThreshold: flagged.lowStockThreshold,
          }),
        );
      }),
    );
    if (alerts.length > 0) await publishEvents(eventBridge, alerts);
  });
