/**
 * Event rules have one source: each rule's `detailTypes` (lib/wiring.ts) is the list its target's handler
 * declares through eventConsumer (functions/commons/event-consumer.ts) or, for a queued rule, queueConsumer
 * (functions/commons/queue-consumer.ts), and the deployed pattern is built from it. Also the wrappers'
 * contracts: declared types only, detail validated against the catalog, per-message failures for queues.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { eventTypeSources, functions, rules, type RuleId, type RuleSpec } from '../../lib/wiring.ts';
import { eventConsumer } from '../../functions/commons/event-consumer.ts';
import { queueConsumer } from '../../functions/commons/queue-consumer.ts';
import { eventDetailSchemas, eventSource, eventTypes } from '../../src/events/catalog.ts';

process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
const root = resolve(import.meta.dirname, '..', '..');
const ruleEntries = Object.entries(rules) as [RuleId, RuleSpec][];
const context = { functionName: 'test', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

describe('event rules: one typed source per consumer', () => {
  it.each(ruleEntries)("%s: the target's handler declares exactly the rule's detail-types", async (_id, rule) => {
    const mod = (await import(resolve(root, functions[rule.target].entry))) as { handler: { detailTypes?: readonly string[] } };
    expect(mod.handler.detailTypes).toEqual(rule.detailTypes);
  });

  it.each(ruleEntries)(
    '%s: the pattern is built from the detail-types (their sources, then the types, then any detail conditions)',
    (_id, rule) => {
      const { detail, ...byType } = rule.eventPattern;
      expect(byType).toStrictEqual({
        source: [...new Set(rule.detailTypes.map((t) => eventSource[t]))],
        'detail-type': [...rule.detailTypes],
      });
      // A detail condition only on fields some consumed type's schema declares (no pattern on an undocumented field).
      for (const field of Object.keys(detail ?? {}))
        expect(
          rule.detailTypes.some((t) => field in eventDetailSchemas[t].shape),
          field,
        ).toBe(true);
      expect(rule.detailTypes.length).toBeGreaterThan(0);
      expect(new Set(rule.detailTypes).size).toBe(rule.detailTypes.length);
      for (const t of rule.detailTypes) expect(eventTypes).toContain(t);
    },
  );

  it.each(ruleEntries)("%s: the handler is built with eventConsumer from the rule's own list, not middy by hand", (id, rule) => {
    const text = readFileSync(resolve(root, functions[rule.target].entry), 'utf8');
    expect(text).not.toMatch(/from '@middy\/core'/);
    expect(text).toMatch(rule.queue ? /\bqueueConsumer\(/ : /\beventConsumer\(/);
    expect(text).toContain(`rules.${id}.detailTypes`);
  });

  it.each(ruleEntries.filter(([, r]) => r.queue))(
    '%s: queue settings within the SQS event source limits and the freshness budget',
    (_id, rule) => {
      const q = rule.queue!;
      expect(q.batchSize).toBeGreaterThanOrEqual(1);
      expect(q.batchSize).toBeLessThanOrEqual(10_000);
      // Above 10 messages a batch needs a batching window; the window adds to report freshness (<= 3 s, PRODUCT.md).
      if (q.batchSize > 10) expect(q.maxBatchingWindowSeconds).toBeGreaterThan(0);
      expect(q.maxBatchingWindowSeconds).toBeLessThanOrEqual(1);
      expect(q.maxConcurrency).toBeGreaterThanOrEqual(2);
      expect(q.maxReceiveCount).toBeGreaterThanOrEqual(2);
    },
  );

  it('gives each consumer one rule', () => {
    const targets = ruleEntries.map(([, r]) => r.target);
    expect(new Set(targets).size).toBe(targets.length);
  });

  it('keeps the catalog and the wiring on the same sources', () => {
    expect(eventSource).toBe(eventTypeSources);
    expect(Object.keys(eventTypeSources).sort()).toEqual([...eventTypes].sort());
  });
});

describe('eventConsumer', () => {
  const detail = {
    eventId: 'o-1:OrderNeedsAttention',
    schemaVersion: 1,
    occurredAt: '2026-11-23T10:00:00.000Z',
    orderId: 'o-1',
    storeId: 's-1',
    region: 'east',
    customerId: 'c-1',
    error: 'boom',
  };
  const envelope = (detailType: string, d: unknown, source = 'wandian.orders') => ({
    version: '0',
    id: 'e-1',
    'detail-type': detailType,
    source,
    account: '000000000000',
    time: '2026-11-23T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: d,
  });
  const seen: unknown[] = [];
  const handler = eventConsumer(['OrderNeedsAttention'], ({ type, detail: d }) => {
    seen.push([type, d.error]);
    return d.orderId;
  });

  it('hands the consumer the validated detail and returns its result', async () => {
    expect(await handler(envelope('OrderNeedsAttention', { ...detail, extra: 1 }), context)).toBe('o-1');
    expect(seen).toEqual([['OrderNeedsAttention', 'boom']]);
    expect(handler.detailTypes).toEqual(['OrderNeedsAttention']);
  });

  it('throws on a detail that does not match its catalog schema (EventBridge retries, then dead-letters)', async () => {
    await expect(handler(envelope('OrderNeedsAttention', { orderId: 'o-1' }), context)).rejects.toBeInstanceOf(ZodError);
  });

  it('ignores detail-types it did not declare, and a declared type from another source', async () => {
    seen.length = 0;
    expect(await handler(envelope('OrderPaid', detail), context)).toBeUndefined();
    expect(await handler(envelope('OrderNeedsAttention', detail, 'someone.else'), context)).toBeUndefined();
    expect(seen).toEqual([]);
  });
});

describe('queueConsumer', () => {
  const detail = (orderId: string) => ({
    eventId: `${orderId}:OrderNeedsAttention`,
    schemaVersion: 1,
    occurredAt: '2026-11-23T10:00:00.000Z',
    orderId,
    storeId: 's-1',
    region: 'east',
    customerId: 'c-1',
    error: 'boom',
  });
  const record = (messageId: string, body: unknown) => ({
    messageId,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const envelope = (detailType: string, d: unknown, source = 'wandian.orders') => ({
    version: '0',
    id: 'e-1',
    'detail-type': detailType,
    source,
    detail: d,
  });
  const batches: string[][] = [];
  const handler = queueConsumer(['OrderNeedsAttention'], async (events) => {
    batches.push(events.map((e) => `${e.messageId}:${e.detail.orderId}`));
    return events.filter((e) => e.detail.orderId === 'o-fail').map((e) => e.messageId);
  });

  it('hands the consumer the valid events of the batch at once and reports per-message failures', async () => {
    const result = await handler(
      {
        Records: [
          record('m1', envelope('OrderNeedsAttention', detail('o-1'))),
          record('m2', 'not json'),
          record('m3', envelope('OrderNeedsAttention', { orderId: 'o-3' })),
          record('m4', envelope('OrderPaid', detail('o-4'))),
          record('m5', envelope('OrderNeedsAttention', detail('o-fail'))),
        ],
      } as never,
      context,
    );
    expect(batches).toEqual([['m1:o-1', 'm5:o-fail']]);
    // m2: not JSON, m3: detail off its schema (redelivered, then dead-lettered); m4: undeclared, acknowledged.
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m2', 'm3', 'm5']);
    expect(handler.detailTypes).toEqual(['OrderNeedsAttention']);
  });
});
