/**
 * A local SQS queue with a Lambda event source mapping in front of a function (a rule target with `queue` in
 * lib/wiring.ts). Messages are batched as the deployed mapping does: a batch is invoked as soon as
 * `batchSize` messages wait, or `maxBatchingWindowSeconds` after the first of them arrived. The function gets
 * an SQS event (`Records[]` with messageId, body, attributes.ApproximateReceiveCount...). Delivery is at least
 * once: messages named in the answer's `batchItemFailures` (ReportBatchItemFailures), or the whole batch when
 * the invocation throws or times out, are delivered again after `redeliveryDelayMs` (AWS: the visibility
 * timeout; shorter locally so tests need not wait a minute), and dead-lettered on their `maxReceiveCount`th
 * failed receive. Up to `maxConcurrency` batches run at once (the mapping's maximum concurrency).
 */
import { meter } from './metering.ts';
import { createHash, randomUUID } from 'node:crypto';
import type { QueueSpec } from '../lib/wiring.ts';
import type { LambdaRuntime } from './lambda-runtime.ts';
import { DEFAULT_REGION, LOCAL_ACCOUNT } from './lambda-runtime.ts';

export interface LocalQueueOptions extends QueueSpec {
  /** Queue name (its ARN is built from it). */
  name: string;
  /** Function the mapping invokes. */
  target: string;
  runtime: LambdaRuntime;
  region?: string;
  /** Delay before a failed message is received again. Default 200 ms. */
  redeliveryDelayMs?: number;
  /** Sees every message given up after `maxReceiveCount` receives; must not throw. */
  onDeadLetter?: (message: { body: string; receiveCount: number; error: string }) => void;
}

export interface LocalQueueStats {
  /** Messages sent to the queue. */
  sent: number;
  /** Invocations of the target (one per batch). */
  batches: number;
  /** Messages acknowledged (deleted). */
  deleted: number;
  /** Receives that failed (item failures and messages of failed invocations). */
  failedReceives: number;
  deadLettered: number;
}

interface Message {
  messageId: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  /** Called once the consumer took the message (deleted) or it was dead-lettered: its sender may move on. */
  settle?: () => void;
}

/** One queue + event source mapping. */
export class LocalQueue {
  readonly arn: string;
  private ready: Message[] = [];
  private windowTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private delayed = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private readonly counters: LocalQueueStats = { sent: 0, batches: 0, deleted: 0, failedReceives: 0, deadLettered: 0 };

  constructor(private readonly opts: LocalQueueOptions) {
    this.arn = `arn:aws:sqs:${opts.region ?? DEFAULT_REGION}:${LOCAL_ACCOUNT}:${opts.name}`;
  }

  /**
   * SendMessage: queues `body` (never fails while running; dropped after stop). `settle` is called once the
   * message was consumed or dead-lettered (never for a message dropped at stop).
   */
  send(body: string, settle?: () => void): void {
    meter.add('sqs.requests'); // the rule's SendMessage
    if (this.stopped) return;
    this.counters.sent++;
    this.push({ messageId: randomUUID(), body, sentAt: Date.now(), receiveCount: 0, settle });
  }

  private push(message: Message): void {
    this.ready.push(message);
    this.pump();
  }

  /** Starts batches while there is room: full batches at once, a partial one when its window has passed. */
  private pump(windowPassed = false): void {
    const max = this.opts.maxConcurrency;
    while (!this.stopped && this.inFlight < max && this.ready.length > 0 && (this.ready.length >= this.opts.batchSize || windowPassed)) {
      void this.invoke(this.ready.splice(0, this.opts.batchSize));
      windowPassed = this.ready.length > 0 && windowPassed;
    }
    if (this.ready.length > 0 && !this.windowTimer && !this.stopped) {
      this.windowTimer = setTimeout(() => {
        this.windowTimer = undefined;
        this.pump(true);
      }, this.opts.maxBatchingWindowSeconds * 1000);
    }
    this.settle();
  }

  private async invoke(batch: Message[]): Promise<void> {
    // The event source mapping's ReceiveMessage and DeleteMessageBatch for this batch (billed SQS requests).
    meter.add('sqs.requests', 2);
    this.inFlight++;
    this.counters.batches++;
    for (const m of batch) m.receiveCount++;
    let failed: Set<string>;
    let error = '';
    try {
      const result = (await this.opts.runtime.invoke(this.opts.target, this.sqsEvent(batch))) as
        | { batchItemFailures?: { itemIdentifier: string }[] }
        | undefined;
      failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      error = 'reported in batchItemFailures';
    } catch (e) {
      failed = new Set(batch.map((m) => m.messageId));
      error = String((e as Error)?.stack ?? e);
    }
    for (const m of batch) {
      if (!failed.has(m.messageId)) {
        this.counters.deleted++;
        m.settle?.();
        continue;
      }
      this.counters.failedReceives++;
      if (m.receiveCount >= this.opts.maxReceiveCount) {
        this.counters.deadLettered++;
        try {
          this.opts.onDeadLetter?.({ body: m.body, receiveCount: m.receiveCount, error });
        } catch {
          // observer bug: ignore
        }
        m.settle?.();
      } else if (!this.stopped) {
        this.delayed++;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.delayed--;
          this.push(m);
        }, this.opts.redeliveryDelayMs ?? 200);
        this.timers.add(timer);
      }
    }
    this.inFlight--;
    this.pump(this.ready.length > 0 && !this.windowTimer);
  }

  /** The event the SQS event source mapping hands the function. */
  private sqsEvent(batch: Message[]) {
    const region = this.opts.region ?? DEFAULT_REGION;
    return {
      Records: batch.map((m) => ({
        messageId: m.messageId,
        receiptHandle: `${m.messageId}#${m.receiveCount}`,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          SenderId: 'events.amazonaws.com',
          ApproximateFirstReceiveTimestamp: String(m.sentAt),
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(m.body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: this.arn,
        awsRegion: region,
      })),
    };
  }

  /** Whether nothing waits, runs or is due for redelivery. */
  isIdle(): boolean {
    return this.ready.length === 0 && this.inFlight === 0 && this.delayed === 0;
  }

  private settle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves once every message sent so far is deleted or dead-lettered (waits out the batching window). */
  idle(): Promise<void> {
    return this.isIdle() ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stats(): LocalQueueStats {
    return { ...this.counters };
  }

  /** Drops waiting and delayed messages, then waits for the running batches. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.delayed = 0;
    this.ready = [];
    this.settle();
    await this.idle();
  }
}
