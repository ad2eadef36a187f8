/**
 * Low-stock detection, called by the order-status fan-out (functions/events/order-status-fan-out.ts, pipe
 * orderStatusFanOut) for every OrderPlaced: for each line, flags stock
 * that is at or below its lowStockThreshold and emits InventoryLow once per crossing (the flag is a
 * conditional write, so duplicate deliveries emit nothing); clears the flag of stock back above it.
 * Hot stock: judged on the TOTAL over the shards; a sharded item whose active shards are uneven (one empty
 * while the total could give each a unit) is rebalanced here, off the request path.
 * Returns the InventoryLow events it put on the bus (rule inventoryLowToAlert stores and sends them). Throws
 * when a read or write fails (the batch is retried; the flag makes the retry emit nothing twice).
 */
import { eventBridge } from '../commons/clients.ts';
import { inventory } from '../commons/stores.ts';
import { isLowStock } from '../../src/domain/inventory.ts';
import { domainEvent, type DomainEvent, type EventDetail } from '../../src/events/catalog.ts';
import { publishEvents } from '../../src/events/publisher.ts';

/** Checks the stock of every SKU the placed order reserved; publishes and returns the InventoryLow events it raised. */
export async function detectLowStock(detail: EventDetail<'OrderPlaced'>): Promise<DomainEvent[]> {
  const { storeId, region, orderId } = detail;
  // Gifts move stock too: check every reserved SKU, not only the priced lines (`reserved` is absent in
  // events from before it was added).
  const items = detail.reserved ?? detail.items;
  const alerts: DomainEvent[] = [];
  await Promise.all(
    items.map(async ({ sku }) => {
      // Unsharded: one consistent GetItem as before; sharded: eventually consistent (H x 0.5 RCU instead of H x 1),
      // since the flag is set once per crossing and a second's lag only delays the alert.
      const head0 = await inventory.get(storeId, sku, true);
      const shards = (head0?.shardHighWater ?? 1) > 1 ? await inventory.readShards(storeId, sku, false) : [head0];
      const head = shards[0];
      if (!head) return;
      const sharded = shards.length > 1;
      const available = shards.reduce((sum, s) => sum + (s?.available ?? 0), 0);
      const active = shards.slice(0, head.shards ?? 1);
      if (sharded && available >= active.length && active.some((s) => !s || s.available === 0)) {
        await inventory.rebalance(storeId, sku, new Date().toISOString());
      }
      if (!isLowStock(available, head.lowStockThreshold)) {
        if (head.lowStockSince) await inventory.clearLowStockFlag(storeId, sku, sharded);
        return;
      }
      const flagged = await inventory.flagLowStock(storeId, sku, new Date().toISOString(), sharded);
      if (!flagged?.lowStockSince) return;
      alerts.push(
        domainEvent('InventoryLow', {
          schemaVersion: 1,
          eventId: `InventoryLow:${storeId}:${sku}:${flagged.lowStockSince}`,
          occurredAt: flagged.lowStockSince,
          storeId,
          region,
          sku,
          available,
          lowStockThreshold: flagged.lowStockThreshold,
          // Carries the order's correlation id on to the alert consumer.
          orderId,
        }),
      );
    }),
  );
  if (alerts.length > 0) await publishEvents(eventBridge, alerts);
  return alerts;
}
