/**
 * Sends a low-stock alert to people: to the SNS topic named by ALERT_TOPIC_ARN when deployed; locally
 * (no topic) as one WARN log line, which `npm run local` prints on its output. Deployed without the topic,
 * importing this module throws (src/config.ts alertTopicArn), so the function fails at cold start instead
 * of turning alerts into log lines nobody reads.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { alertTopicArn } from '../../src/config.ts';
import type { LowStockAlert } from '../../src/store/alert-store.ts';
import { logger, tracer } from './powertools.ts';

// Read at init: a deployed function without its topic fails here, before any event is consumed.
const topicArn = alertTopicArn();
let sns: SNSClient | undefined;

/** `LOW STOCK store s1 sku tea: 3 available <= threshold 4 (at 2026-11-23T08:00:00.000Z)`. */
export const alertLine = (a: LowStockAlert): string =>
  `LOW STOCK store ${a.storeId} sku ${a.sku}: ${a.available} available <= threshold ${a.lowStockThreshold} (at ${a.at})`;

/**
 * Publishes `alert` (SNS when a topic is configured, else a WARN log line). Throws on failure, so the
 * event is retried (the alert store keeps one record per event, so a retry publishes at most again).
 */
export async function notifyLowStock(alert: LowStockAlert): Promise<void> {
  if (!topicArn) {
    logger.warn(alertLine(alert), { alert });
    return;
  }
  sns ??= tracer.captureAWSv3Client(new SNSClient({}));
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: `wandian low stock: ${alert.storeId}/${alert.sku}`.slice(0, 100),
      Message: JSON.stringify({ text: alertLine(alert), alert }),
      MessageAttributes: { storeId: { DataType: 'String', StringValue: alert.storeId } },
    }),
  );
}
