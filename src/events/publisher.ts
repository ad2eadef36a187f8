/** Publishes domain events to the region's EventBridge bus (PutEvents, ≤10 entries per call). */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventBusName } from '../config.ts';
import { eventSource, type DomainEvent } from './catalog.ts';

/**
 * Sends the events; throws if any entry failed, so that a saga step is retried (consumers
 * deduplicate by detail.eventId, so a re-send is harmless).
 */
export async function publishEvents(client: EventBridgeClient, events: DomainEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 10) {
    const chunk = events.slice(i, i + 10);
    const out = await client.send(
      new PutEventsCommand({
        Entries: chunk.map((e) => ({
          EventBusName: eventBusName(),
          Source: eventSource[e.type],
          DetailType: e.type,
          Detail: JSON.stringify(e.detail),
          Time: new Date(e.detail.occurredAt),
        })),
      }),
    );
    if (out.FailedEntryCount) {
      const failed = out.Entries?.filter((x) => x.ErrorCode).map((x) => `${x.ErrorCode}: ${x.ErrorMessage}`);
      throw new Error(`PutEvents failed for ${out.FailedEntryCount} entries: ${failed?.join('; ')}`);
    }
  }
}
