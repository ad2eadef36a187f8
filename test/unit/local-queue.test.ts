/**
 * The local SQS queue + event source mapping (local/queue.ts): batches by size or window, SQS-shaped events,
 * at-least-once redelivery of reported item failures and of failed invocations, dead-lettering on the
 * last receive, and `idle()` once everything is deleted or dead-lettered. A fake runtime stands in for Lambda.
 */
import { describe, expect, it } from 'vitest';
import type { LambdaRuntime } from '../../local/lambda-runtime.ts';
import { LocalQueue } from '../../local/queue.ts';

type SqsEvent = { Records: { messageId: string; body: string; attributes: { ApproximateReceiveCount: string }; eventSource: string }[] };

function fakeRuntime(answer: (event: SqsEvent) => unknown): LambdaRuntime & { batches: SqsEvent[] } {
  const batches: SqsEvent[] = [];
  return {
    batches,
    has: () => true,
    stats: () => ({}),
    invoke: async (_id, event) => {
      batches.push(event as SqsEvent);
      return answer(event as SqsEvent);
    },
  };
}

const spec = { batchSize: 3, maxBatchingWindowSeconds: 0.05, maxReceiveCount: 3, visibilityTimeoutSeconds: 60, maxConcurrency: 2 };

describe('LocalQueue', () => {
  it('invokes full batches at once and the rest when the window ends, as SQS events', async () => {
    const runtime = fakeRuntime(() => ({ batchItemFailures: [] }));
    const queue = new LocalQueue({ ...spec, name: 'q', target: 'fn', runtime });
    for (const body of ['a', 'b', 'c', 'd']) queue.send(body);
    await queue.idle();
    expect(runtime.batches.map((b) => b.Records.map((r) => r.body))).toEqual([['a', 'b', 'c'], ['d']]);
    expect(runtime.batches[0]!.Records[0]).toMatchObject({ eventSource: 'aws:sqs', attributes: { ApproximateReceiveCount: '1' } });
    expect(queue.stats()).toMatchObject({ sent: 4, batches: 2, deleted: 4, failedReceives: 0, deadLettered: 0 });
  });

  it('redelivers the reported item failures until they succeed, and dead-letters one that never does', async () => {
    const seen = new Map<string, number>();
    const dead: string[] = [];
    const runtime = fakeRuntime((event) => ({
      batchItemFailures: event.Records.filter((r) => {
        seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
        return r.body === 'poison' || (r.body === 'flaky' && seen.get(r.body)! < 2);
      }).map((r) => ({ itemIdentifier: r.messageId })),
    }));
    const queue = new LocalQueue({
      ...spec,
      name: 'q',
      target: 'fn',
      runtime,
      redeliveryDelayMs: 5,
      onDeadLetter: (m) => dead.push(m.body),
    });
    for (const body of ['ok', 'flaky', 'poison']) queue.send(body);
    await queue.idle();
    expect(Object.fromEntries(seen)).toEqual({ ok: 1, flaky: 2, poison: 3 });
    expect(dead).toEqual(['poison']);
    expect(queue.stats()).toMatchObject({ deleted: 2, failedReceives: 4, deadLettered: 1 });
  });

  it('redelivers the whole batch when the invocation throws', async () => {
    let calls = 0;
    const runtime = fakeRuntime(() => {
      if (++calls === 1) throw new Error('timed out');
      return {};
    });
    const queue = new LocalQueue({ ...spec, name: 'q', target: 'fn', runtime, redeliveryDelayMs: 5 });
    queue.send('a');
    queue.send('b');
    await queue.idle();
    expect(runtime.batches.map((b) => b.Records.map((r) => [r.body, r.attributes.ApproximateReceiveCount]))).toEqual([
      [
        ['a', '1'],
        ['b', '1'],
      ],
      [
        ['a', '2'],
        ['b', '2'],
      ],
    ]);
  });
});
