/**
 * EventBridge consumer (rule inventoryLowToAlert): InventoryLow → a stored low-stock alert (once per
 * eventId, listed by GET /v1/alerts) and a notification (SNS topic when deployed, a WARN log line
 * locally). A redelivery re-sends only an alert whose first notification failed (at-least-once sending).
 * Throws (→ retry, then dead-letter queue) on a malformed detail or a failed notification.
 */
import { doc } from '../commons/clients.ts';
import { eventConsumer } from '../commons/event-consumer.ts';
import { logger } from '../commons/powertools.ts';
import { notifyLowStock } from '../commons/alert-notifier.ts';
import { AlertStore } from '../../src/store/alert-store.ts';
import { rules } from '../../lib/wiring.ts';

const alerts = new AlertStore(doc);

export const handler = eventConsumer(rules.inventoryLowToAlert.detailTypes, async ({ detail: d }) => {
  const alert = {
    storeId: d.storeId,
    sku: d.sku,
    available: d.available,
    lowStockThreshold: d.lowStockThreshold,
    at: d.occurredAt,
    eventId: d.eventId,
  };
  const { created, stored } = await alerts.recordOnce(alert, new Date());
  if (!created && stored.notifiedAt) {
    logger.info('Duplicate delivery ignored', { eventId: d.eventId });
    return;
  }
  await notifyLowStock(alert);
  await alerts.markNotified(alert, new Date());
});
