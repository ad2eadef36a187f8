/**
 * publishEvents (src/events/publisher.ts) with a fake EventBridge client: chunks of at most 10 entries
 * (the PutEvents limit), the bus, source and detail-type from the catalog, the event time from occurredAt, and
 * a thrown error when any entry failed (so the saga step is retried; consumers drop repeats by eventId).
 */
import type { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventSources } from '../../lib/wiring.ts';
import type { DomainEvent } from '../../src/events/catalog.ts';
import { publishEvents } from '../../src/events/publisher.ts';

function fakeClient(failOnCall?: number) {
  const calls: PutEventsCommand['input'][] = [];
  const client = {
    async send(command: PutEventsCommand) {
      calls.push(command.input);
      const n = command.input.Entries!.length;
      if (calls.length === failOnCall) {
        return {
          FailedEntryCount: 1,
          Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }, ...Array(n - 1).fill({ EventId: 'e' })],
        };
      }
      return { FailedEntryCount: 0, Entries: Array(n).fill({ EventId: 'e' }) };
    },
  } as unknown as EventBridgeClient;
  return { client, calls };
}

const placed = (i: number) =>
  ({
    type: 'OrderPlaced',
    detail: { eventId: `evt-${i}`, occurredAt: '2026-12-02T10:00:00.000Z', orderId: `ord_${i}` },
  }) as unknown as DomainEvent;

describe('publishEvents', () => {
  const bus = process.env.EVENT_BUS_NAME;
  beforeEach(() => {
    process.env.EVENT_BUS_NAME = 'test-bus';
  });
  afterEach(() => {
    if (bus === undefined) delete process.env.EVENT_BUS_NAME;
    else process.env.EVENT_BUS_NAME = bus;
  });

  it('sends 23 events as PutEvents calls of 10, 10 and 3 entries, each with the bus, source, type, detail and time', async () => {
    const { client, calls } = fakeClient();
    await publishEvents(
      client,
      Array.from({ length: 23 }, (_, i) => placed(i)),
    );
    expect(calls.map((c) => c.Entries!.length)).toEqual([10, 10, 3]);
    expect(calls[0]!.Entries![0]).toEqual({
      EventBusName: 'test-bus',
      Source: eventSources.orders,
      DetailType: 'OrderPlaced',
      Detail: JSON.stringify(placed(0).detail),
      Time: new Date('2026-12-02T10:00:00.000Z'),
    });
  });

  it('throws naming the failed entries when PutEvents reports a failure, after sending the earlier chunks', async () => {
    const { client, calls } = fakeClient(2);
    await expect(
      publishEvents(
        client,
        Array.from({ length: 15 }, (_, i) => placed(i)),
      ),
    ).rejects.toThrow(/PutEvents failed for 1 entries: InternalFailure: try again/);
    expect(calls).toHaveLength(2);
  });

  it('makes no call for no events', async () => {
    const { client, calls } = fakeClient();
    await publishEvents(client, []);
    expect(calls).toHaveLength(0);
  });
});
