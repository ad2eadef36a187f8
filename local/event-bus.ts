/**
 * The local EventBridge bus. PutEvents entries become EventBridge events, are matched against every rule's
 * `eventPattern` (lib/wiring.ts, as deployed) and delivered to the rule's target function asynchronously,
 * after PutEvents has answered, at least once: like a Lambda async invocation, a failed delivery is tried
 * again with exponential backoff (3 attempts by default) and then dead-lettered (counted, kept, reported).
 * A rule whose wiring entry has `queue` delivers to a local SQS queue instead (local/queue.ts), which hands
 * the target batches of events the way the deployed event source mapping does.
 * Test switches: `duplicate` delivers every event twice (same id), `reorder` shuffles the deliveries
 * queued within a short window.
 */
import { randomUUID } from 'node:crypto';
import { rules as wiredRules, type QueueSpec, type RuleSpec } from '../lib/wiring.ts';
import { AwsError, type Operations } from './aws-emulator.ts';
import { matchesEventPattern, parseEventPattern, type CompiledPattern } from './event-pattern.ts';
import { DEFAULT_REGION, LOCAL_ACCOUNT, type LambdaRuntime } from './lambda-runtime.ts';
import { meter } from './metering.ts';
import { LocalQueue, type LocalQueueStats } from './queue.ts';

/** The envelope EventBridge hands to targets. */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO-8601 UTC without milliseconds, e.g. `2026-11-23T15:00:00Z`. */
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** A PutEvents request entry, as the SDK sends it (Time in epoch seconds). */
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number;
  Resources?: string[];
}

export interface DeadLetter {
  rule: string;
  target: string;
  event: EventBridgeEvent;
  error: string;
  attempts: number;
}

/** Delivery faults for tests: `duplicate` delivers everything twice, `reorder` shuffles within the window. */
export interface DeliveryFaults {
  duplicate?: boolean;
  reorder?: boolean;
}

export interface EventBusOptions extends DeliveryFaults {
  runtime: LambdaRuntime;
  /** Default: lib/wiring.ts `rules`; tests pass fixtures. */
  rules?: Record<string, { eventPattern: RuleSpec['eventPattern'] | Record<string, unknown>; target: string; queue?: QueueSpec }>;
  /** Queued targets: delay before a failed message is received again (AWS: the visibility timeout). Default 200 ms. */
  queueRedeliveryDelayMs?: number;
  /** Default `wandian-local`. */
  busName?: string;
  region?: string;
  /** Window (ms) in which `reorder` shuffles deliveries. Default 50. */
  reorderWindowMs?: number;
  /** Attempts per delivery before it is dead-lettered. Default 3 (Lambda async invocation). */
  maxAttempts?: number;
  /** First retry delay (ms), doubled per attempt. Default 200. */
  retryBaseMs?: number;
  /** Sees every accepted event (any bus) with the rules it matched; must not throw. */
  onEvent?: (event: EventBridgeEvent, info: { busName: string; rules: string[] }) => void;
  /** Sees every delivery given up after `maxAttempts`. */
  onDeadLetter?: (dead: DeadLetter) => void;
}

export interface EventBusStats {
  published: number;
  delivered: number;
  retried: number;
  deadLettered: number;
}

interface Delivery {
  rule: string;
  target: string;
  /** Called once when this delivery is done: delivered, dead-lettered or dropped at stop. */
  settle?: () => void;
  event: EventBridgeEvent;
  attempt: number;
}

const MAX_ENTRIES = 10;

/** Local EventBridge: PutEvents in, asynchronous at-least-once deliveries to rule targets out. */
export class LocalEventBus {
  readonly busName: string;
  readonly deadLetters: DeadLetter[] = [];
  private readonly counters: EventBusStats = { published: 0, delivered: 0, retried: 0, deadLettered: 0 };
  private readonly rules: Array<{ name: string; pattern: CompiledPattern; target: string; queue?: LocalQueue }>;
  private faults: DeliveryFaults;
  private window: Delivery[] = [];
  private windowTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  /** Settle callbacks of deliveries in progress (called for the dropped ones at stop). */
  private readonly settlers = new Set<() => void>();
  private upstream: (() => Promise<void>) | undefined;

  /** Compiles every rule pattern; throws InvalidEventPatternError for one AWS would reject, or for an unknown target. */
  constructor(private readonly opts: EventBusOptions) {
    this.busName = opts.busName ?? 'wandian-local';
    this.faults = { duplicate: opts.duplicate, reorder: opts.reorder };
    this.rules = Object.entries(opts.rules ?? wiredRules).map(([name, rule]) => {
      if (!opts.runtime.has(rule.target)) throw new Error(`Rule ${name}: unknown target function ${rule.target}`);
      const queue = rule.queue ? this.queueFor(name, rule.target, rule.queue) : undefined;
      return { name, pattern: parseEventPattern(rule.eventPattern), target: rule.target, queue };
    });
  }

  /** The local queue + event source mapping of a queued rule; its dead letters join the bus's. */
  private queueFor(rule: string, target: string, spec: QueueSpec): LocalQueue {
    return new LocalQueue({
      ...spec,
      name: `wandian-local-${rule}`,
      target,
      runtime: this.opts.runtime,
      region: this.opts.region,
      redeliveryDelayMs: this.opts.queueRedeliveryDelayMs,
      onDeadLetter: ({ body, receiveCount, error }) =>
        this.deadLetter({ rule, target, event: JSON.parse(body) as EventBridgeEvent, error, attempts: receiveCount }),
    });
  }

  /** Turns the test faults on or off for events published from now on. */
  setFaults(faults: DeliveryFaults): void {
    this.faults = { ...faults };
  }

  /** AWS JSON operations for the emulator (`AWSEvents.PutEvents`). */
  operations(): Operations {
    return { 'AWSEvents.PutEvents': (r: { Entries?: PutEventsEntry[] }) => this.putEvents(r.Entries ?? []) };
  }

  /**
   * PutEvents: validates each entry (failed ones get ErrorCode/ErrorMessage, as in AWS), wraps accepted ones
   * in envelopes and queues their deliveries. Throws AwsError ValidationException for 0 or more than 10
   * entries, ResourceNotFoundException for a bus other than this one or `default` (which has no rules).
   */
  putEvents(
    entries: PutEventsEntry[],
    /** Called once every delivery of the accepted entries is done (delivered, dead-lettered or dropped at stop). */
    onSettled?: () => void,
  ): {
    FailedEntryCount: number;
    Entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
  } {
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new AwsError('ValidationException', `Entries must hold 1 to ${MAX_ENTRIES} entries, got ${entries.length}`);
    }
    meter.add('events.putEventsCalls');
    const busNames = entries.map((e) => (e.EventBusName ?? 'default').replace(/^arn:aws:events:[^:]*:\d{12}:event-bus\//, ''));
    const unknown = busNames.find((name) => name !== this.busName && name !== 'default');
    if (unknown !== undefined) throw new AwsError('ResourceNotFoundException', `Event bus ${unknown} does not exist.`);
    // One count for the call itself, released after the loop: onSettled fires once, after the last delivery.
    let outstanding = 1;
    const settle = onSettled
      ? () => {
          if (--outstanding === 0) onSettled();
        }
      : undefined;
    const track = settle
      ? () => {
          outstanding++;
          let called = false;
          const done = () => {
            if (called) return;
            called = true;
            this.settlers.delete(done);
            settle();
          };
          this.settlers.add(done);
          return done;
        }
      : undefined;
    const results = entries.map((entry, i) => {
      const busName = busNames[i]!;
      for (const field of ['Source', 'DetailType', 'Detail'] as const) {
        if (!entry[field])
          return {
            ErrorCode: 'InvalidArgument',
            ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
          };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail!);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      const event: EventBridgeEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType!,
        source: entry.Source!,
        account: LOCAL_ACCOUNT,
        time: new Date(entry.Time !== undefined ? entry.Time * 1000 : Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.opts.region ?? process.env.AWS_REGION ?? DEFAULT_REGION,
        resources: entry.Resources ?? [],
        detail,
      };
      this.publish(event, busName, track);
      if (meter.enabled) {
        // Billed per 64 KB chunk of each entry (https://aws.amazon.com/eventbridge/pricing/).
        const bytes = Buffer.byteLength(entry.Detail!) + Buffer.byteLength(entry.DetailType!) + Buffer.byteLength(entry.Source!);
        meter.add('events.entries');
        meter.add('events.chunks', Math.ceil(bytes / 65_536));
      }
      return { EventId: event.id };
    });
    settle?.();
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private publish(event: EventBridgeEvent, busName: string, track?: () => () => void): void {
    this.counters.published++;
    const matched = busName === this.busName ? this.rules.filter((r) => matchesEventPattern(r.pattern, event)) : [];
    try {
      this.opts.onEvent?.(event, { busName, rules: matched.map((r) => r.name) });
    } catch {
      // an observer's bug must not fail PutEvents
    }
    if (this.stopped) return;
    for (const rule of matched) {
      for (let copy = 0; copy < (this.faults.duplicate ? 2 : 1); copy++) {
        this.enqueue({ rule: rule.name, target: rule.target, event, attempt: 1, settle: track?.() });
      }
    }
  }

  /** Queues a first attempt: shuffled within the reorder window, else on the next turn of the event loop. */
  private enqueue(delivery: Delivery): void {
    this.pending++;
    if (!this.faults.reorder) {
      this.later(0, () => this.deliver(delivery));
      return;
    }
    this.window.push(delivery);
    this.windowTimer ??= setTimeout(() => {
      const batch = this.window;
      [this.window, this.windowTimer] = [[], undefined];
      for (let i = batch.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [batch[i], batch[j]] = [batch[j]!, batch[i]!];
      }
      for (const d of batch) void this.deliver(d);
    }, this.opts.reorderWindowMs ?? 50);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private async deliver(d: Delivery): Promise<void> {
    meter.add(`events.targetInvocations.${d.rule}`);
    try {
      const queue = this.rules.find((r) => r.name === d.rule)?.queue;
      // A queued rule's target invocation is the SendMessage; the queue invokes the function later, in batches.
      // The local queue lives in memory, so an upstream (the local pipe) is settled only once the batch consumer
      // took the message (or dead-lettered it): a crash before that redelivers from the stream, as SQS would keep it.
      if (queue) queue.send(JSON.stringify(d.event), d.settle);
      else {
        await this.opts.runtime.invoke(d.target, d.event);
        d.settle?.();
      }
      this.counters.delivered++;
    } catch (error) {
      const maxAttempts = this.opts.maxAttempts ?? 3;
      if (d.attempt < maxAttempts && !this.stopped) {
        this.counters.retried++;
        this.pending++;
        this.later((this.opts.retryBaseMs ?? 200) * 2 ** (d.attempt - 1), () => void this.deliver({ ...d, attempt: d.attempt + 1 }));
      } else {
        this.deadLetter({
          rule: d.rule,
          target: d.target,
          event: d.event,
          error: String((error as Error)?.stack ?? error),
          attempts: d.attempt,
        });
        d.settle?.();
      }
    } finally {
      this.settleOne();
    }
  }

  private deadLetter(dead: DeadLetter): void {
    this.counters.deadLettered++;
    this.deadLetters.push(dead);
    try {
      this.opts.onDeadLetter?.(dead);
    } catch {
      // observer bug: ignore
    }
  }

  private settleOne(): void {
    if (--this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** What feeds this bus from elsewhere (the local pipes): {@link idle} first waits until it has nothing in hand. */
  setUpstream(drained: () => Promise<void>): void {
    this.upstream = drained;
  }

  /** Resolves once the upstream (if any) has put what it had, and no delivery is queued, running or waiting for a retry. */
  async idle(): Promise<void> {
    await this.upstream?.();
    const queues = this.queues();
    // Consumers may publish again (and a queue may be fed by a late delivery): settle until both are quiet.
    do {
      await this.settled();
      await Promise.all(queues.map((q) => q.idle()));
    } while (this.pending > 0 || !queues.every((q) => q.isIdle()));
  }

  private queues(): LocalQueue[] {
    return this.rules.flatMap((r) => (r.queue ? [r.queue] : []));
  }

  /** Per queued rule: messages sent, batches invoked, deleted, failed receives, dead-lettered. */
  queueStats(): Record<string, LocalQueueStats> {
    return Object.fromEntries(this.rules.flatMap((r) => (r.queue ? [[r.name, r.queue.stats()]] : [])));
  }

  /** Resolves once no delivery of what this bus accepted is queued, running or waiting for a retry (upstream aside). */
  settled(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Published / delivered / retried / dead-lettered counts since start. */
  stats(): EventBusStats {
    return { ...this.counters };
  }

  /** Drops queued deliveries and retries, then waits for the running ones. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.windowTimer);
    const dropped = this.timers.size + this.window.length;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    [this.window, this.windowTimer] = [[], undefined];
    for (let i = 0; i < dropped; i++) this.settleOne();
    await Promise.all(this.queues().map((q) => q.stop()));
    for (const done of [...this.settlers]) done();
    await this.settled();
  }
}
