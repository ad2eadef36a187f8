/**
 * Sends a low-stock alert to people: to the SNS topic named by ALERT_TOPIC_ARN when deployed; locally
 * (no topic) as one WARN log line, which `npm run local` prints on its output.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { alertTopicArn } from '../../src/config.ts';
import type { LowStockAlert } from '../../src/store/alert-store.ts';
import { logger } from './powertools.ts';

let sns: SNSClient | undefined;

/** `LOW STOCK store s1 sku tea: 3 available <= threshold 4 (at 2026-11-23T08:00:00.000Z)`. */
export const alertLine = (a: LowStockAlert): string =>
  `LOW STOCK store ${a.storeId} sku ${a.sku}: ${a.available} available <= threshold ${a.lowStockThreshold} (at ${a.at})`;

/**
 * Publishes `alert` (SNS when a topic is configured, else a WARN log line). Throws on failure, so the
 * event is retried (the alert store keeps one record per event, so a retry publishes at most again).
 */
export async function notifyLowStock(alert: LowStockAlert): Promise<void> {
  const topicArn = alertTopicArn();
  if (!topicArn) {
    logger.warn(alertLine(alert), { alert });
    return;
  }
  sns ??= new SNSClient({});
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: `wandian low stock: ${alert.storeId}/${alert.sku}`.slice(0, 100),
      Message: JSON.stringify({ text: alertLine(alert), alert }),
      MessageAttributes: { storeId: { DataType: 'String', StringValue: alert.storeId } },
    }),
  );
}
