/**
 * The wiring's `pipes` (EventBridge Pipes in AWS) run locally over DynamoDB Local's Streams API: the same
 * entry (lib/wiring.ts) gives the source table, the filter patterns, the enrichment function and the target.
 * Every pipe reads on its own, with its own position per shard (as each pipe is its own stream consumer in AWS).
 * Per shard, in order: GetRecords (polled every `pollMs`, at once again while records keep coming; child
 * shards after their parent is read to its end), the records matching a filter pattern (local/event-pattern.ts,
 * as Pipes filters) are handed to the enrichment through the local Lambda runtime (so it is counted like any
 * invocation), and its entries go to the target: an event-bus target puts them on the local bus in PutEvents
 * batches of 10 (source, detail-type and time from the target's dynamic paths, the detail from its input
 * template); a function target is invoked once with the whole array (REQUEST_RESPONSE, as Pipes hands a Lambda
 * target a batch), and its error fails the batch.
 *
 * At least once, like the pipe: a shard's position (the last sequence number handled) is checkpointed only
 * after the target has the batch: the function target returned, or the bus delivered every event of the batch
 * to its targets (the local bus is in memory, unlike
 * EventBridge whose acceptance is durable), durably in `checkpointFile` when the data is persisted; a
 * restart resumes after it, so a crash between delivery and checkpoint delivers those events again (consumers
 * dedupe on detail.eventId). A failing batch is retried `maximumRetryAttempts` times with backoff, then one
 * record at a time (what AUTOMATIC_BISECT converges to); a record that still fails is dead-lettered (kept,
 * reported) and the shard moves on.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetRecordsCommandOutput,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { PipeEventBusTarget, PipeSpec, TableId } from '../lib/wiring.ts';
import { crashPoint } from '../src/faults.ts';
import { meter } from './metering.ts';
import { matchesEventPattern, parseEventPattern, type CompiledPattern } from './event-pattern.ts';
import type { PutEventsEntry } from './event-bus.ts';
import type { LambdaRuntime } from './lambda-runtime.ts';

/** Polling period of an idle shard, in ms (WANDIAN_LOCAL_STREAM_POLL_MS overrides). */
export const DEFAULT_STREAM_POLL_MS = 50;
/** How often the shard list is read again (DynamoDB closes and splits shards over time), in ms. */
const SHARD_REFRESH_MS = 1_000;
const PUT_EVENTS_MAX = 10;

export interface StreamRunnerOptions {
  runtime: LambdaRuntime;
  /**
   * The local bus's PutEvents; a failed entry counts as a failed batch. `onSettled` is called once the targets
   * of the accepted entries ran (or gave up): the local bus keeps nothing across a crash, so a batch is only
   * checkpointed then (in AWS, EventBridge's acceptance is already durable).
   */
  putEvents: (
    entries: PutEventsEntry[],
    onSettled: () => void,
  ) => { FailedEntryCount: number; Entries: Array<{ ErrorCode?: string; ErrorMessage?: string }> };
  busName: string;
  /** Pipe id → spec (lib/wiring.ts `pipes`). */
  pipes: Readonly<Record<string, PipeSpec>>;
  tableNames: Readonly<Record<TableId, string>>;
  dynamoEndpoint: string;
  region: string;
  /** Where shard checkpoints are kept across restarts (JSON); undefined = in memory (in-memory data, nothing to resume). */
  checkpointFile?: string;
  pollMs?: number;
  /** First retry delay of a failing batch (ms), doubled per attempt. Default 200. */
  retryBaseMs?: number;
  log: (line: string, error?: unknown) => void;
}

export interface PipeDeadLetter {
  pipe: string;
  shardId: string;
  sequenceNumber: string;
  error: string;
}

export interface StreamRunnerStats {
  /** Stream records read (before filtering). */
  records: number;
  /** Records that passed a filter and went to the enrichment. */
  matched: number;
  /** Events put on the bus (event-bus targets) or handed to a function target. */
  events: number;
  retried: number;
  deadLettered: number;
}

export interface StreamRunner {
  /**
   * Resolves once every change written before the call has been read and its events put on the bus (a whole
   * poll pass begun after the call found nothing new on any shard); at once when stopped.
   */
  drained(): Promise<void>;
  stats(): StreamRunnerStats;
  readonly deadLetters: PipeDeadLetter[];
  /** Stops polling after the batch in hand is delivered and checkpointed; idempotent. */
  stop(): Promise<void>;
}

interface ShardState {
  shardId: string;
  parentShardId?: string;
  iterator?: string;
  /** Read to its end (closed shard, no further iterator). */
  done: boolean;
  /** Last sequence number read (a fresh iterator in this process starts after it, not after the older checkpoint). */
  lastRead?: string;
  /** Checkpoint writes in stream order, each after its batch's deliveries settled. */
  checkpoints: Promise<void>;
}

interface PipeState {
  id: string;
  spec: PipeSpec;
  filters: CompiledPattern[];
  streamArn: string;
  shards: Map<string, ShardState>;
  shardsReadAt: number;
}

/** A record as Lambda and Pipes hand it over (JSON; ApproximateCreationDateTime in epoch seconds). */
function pipeRecord(r: StreamRecord, streamArn: string): Record<string, unknown> {
  const { ApproximateCreationDateTime, ...dynamodb } = r.dynamodb ?? {};
  const record = {
    ...r,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) } : {}),
      ...dynamodb,
    },
  };
  return JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
}

/** Reads a Pipes dynamic path (`$.a.b`) in `entry`; the whole value must be the path (as Pipes requires). */
function atPath(entry: unknown, path: string): unknown {
  if (!path.startsWith('$.')) return path; // a static value
  return path
    .slice(2)
    .split('.')
    .reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), entry);
}

/** The event-bus entry of one enrichment entry, per the pipe's target (input template `<$.path>` = that value as the detail). */
function busEntry(target: PipeEventBusTarget, entry: unknown, busName: string): PutEventsEntry {
  const template = /^<(\$\.[\w.-]+)>$/.exec(target.inputTemplate);
  if (!template) throw new Error(`Local pipes support input templates of the form <$.path>, not ${target.inputTemplate}`);
  const time = atPath(entry, target.time);
  return {
    EventBusName: busName,
    Source: String(atPath(entry, target.source)),
    DetailType: String(atPath(entry, target.detailType)),
    Detail: JSON.stringify(atPath(entry, template[1]!)),
    ...(typeof time === 'string' ? { Time: Date.parse(time) / 1000 } : {}),
  };
}

/** Starts one poller per pipe; rejects if a source table has no stream. */
export async function startStreamRunner(opts: StreamRunnerOptions): Promise<StreamRunner> {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamo = new DynamoDBClient({ endpoint: opts.dynamoEndpoint, region: opts.region, credentials });
  const streams = new DynamoDBStreamsClient({ endpoint: opts.dynamoEndpoint, region: opts.region, credentials });
  const pollMs = opts.pollMs ?? Number(process.env.WANDIAN_LOCAL_STREAM_POLL_MS || DEFAULT_STREAM_POLL_MS);
  const counters: StreamRunnerStats = { records: 0, matched: 0, events: 0, retried: 0, deadLettered: 0 };
  const deadLetters: PipeDeadLetter[] = [];
  const checkpoints: Record<string, string> =
    opts.checkpointFile && existsSync(opts.checkpointFile) ? JSON.parse(readFileSync(opts.checkpointFile, 'utf8')) : {};
  const saveCheckpoint = (key: string, sequenceNumber: string) => {
    checkpoints[key] = sequenceNumber;
    if (!opts.checkpointFile) return;
    // Write then rename: a crash leaves the old file or the new one, never half of one.
    writeFileSync(`${opts.checkpointFile}.tmp`, JSON.stringify(checkpoints));
    renameSync(`${opts.checkpointFile}.tmp`, opts.checkpointFile);
  };

  const pipes: PipeState[] = [];
  try {
    for (const [id, spec] of Object.entries(opts.pipes)) {
      const table = opts.tableNames[spec.source.table];
      const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: table }));
      if (!Table?.LatestStreamArn) throw new Error(`Pipe ${id}: table ${table} has no stream (declare \`stream\` on it in lib/wiring.ts)`);
      pipes.push({
        id,
        spec,
        filters: spec.filters.map((f) => parseEventPattern(f)),
        streamArn: Table.LatestStreamArn,
        shards: new Map(),
        shardsReadAt: 0,
      });
    }
  } catch (e) {
    dynamo.destroy();
    streams.destroy();
    throw e;
  }
  dynamo.destroy();

  let stopped = false;
  let wake: (() => void) | undefined;
  /** Waits `ms`, or less if the runner stops meanwhile. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, ms);
    });
  let pass = 0;
  let waiters: Array<{ after: number; resolve: () => void }> = [];

  const refreshShards = async (p: PipeState) => {
    let ExclusiveStartShardId: string | undefined;
    const listed: Shard[] = [];
    do {
      const out = await streams.send(new DescribeStreamCommand({ StreamArn: p.streamArn, ExclusiveStartShardId }));
      listed.push(...(out.StreamDescription?.Shards ?? []));
      ExclusiveStartShardId = out.StreamDescription?.LastEvaluatedShardId;
    } while (ExclusiveStartShardId);
    for (const s of listed) {
      if (!s.ShardId || p.shards.has(s.ShardId)) continue;
      p.shards.set(s.ShardId, { shardId: s.ShardId, parentShardId: s.ParentShardId, done: false, checkpoints: Promise.resolve() });
    }
    p.shardsReadAt = Date.now();
  };

  /** A pipe's position in a shard: each pipe has its own (two pipes on one stream read it independently). */
  const checkpointKey = (p: PipeState, shard: ShardState) => `${p.id}@${p.streamArn}#${shard.shardId}`;

  const iteratorFor = async (p: PipeState, shard: ShardState): Promise<string | undefined> => {
    const after = shard.lastRead ?? checkpoints[checkpointKey(p, shard)];
    const request = after
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, SequenceNumber: after }
      : { ShardIteratorType: p.spec.source.startingPosition };
    try {
      return (await streams.send(new GetShardIteratorCommand({ StreamArn: p.streamArn, ShardId: shard.shardId, ...request })))
        .ShardIterator;
    } catch (e) {
      if (!after || (e as Error).name !== 'TrimmedDataAccessException') throw e;
      return (
        await streams.send(
          new GetShardIteratorCommand({ StreamArn: p.streamArn, ShardId: shard.shardId, ShardIteratorType: 'TRIM_HORIZON' }),
        )
      ).ShardIterator;
    }
  };

  /**
   * Enrichment + target for `records`; throws if the enrichment or a function target fails or the bus refuses an
   * entry. Resolves once a function target returned (settled at once) or the bus accepted them, with a promise
   * of their deliveries to the targets (wrapped: an async function would otherwise wait for it).
   */
  const deliver = async (p: PipeState, records: Record<string, unknown>[]): Promise<{ settled: Promise<unknown> }> => {
    const entries = await opts.runtime.invoke(p.spec.enrichment, records);
    const list = Array.isArray(entries) ? entries : entries && typeof entries === 'object' && Object.keys(entries).length ? [entries] : [];
    const target = p.spec.target;
    if (target.kind === 'function') {
      // Pipes skips the target when the enrichment answers nothing.
      if (list.length > 0) await opts.runtime.invoke(target.function, list);
      counters.events += list.length;
      return { settled: Promise.resolve() };
    }
    const busEntries = list.map((e) => busEntry(target, e, opts.busName));
    const delivered: Promise<void>[] = [];
    for (let i = 0; i < busEntries.length; i += PUT_EVENTS_MAX) {
      let settled!: () => void;
      delivered.push(new Promise<void>((resolve) => (settled = resolve)));
      const out = opts.putEvents(busEntries.slice(i, i + PUT_EVENTS_MAX), settled);
      if (out.FailedEntryCount > 0) {
        const failed = out.Entries.filter((e) => e.ErrorCode).map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
        throw new Error(`PutEvents refused ${out.FailedEntryCount} entries: ${failed.join('; ')}`);
      }
    }
    counters.events += busEntries.length;
    return { settled: Promise.all(delivered) };
  };

  /**
   * Puts a batch on the bus with retries, then record by record; dead-letters what keeps failing. Resolves with
   * the promises of the deliveries to the targets. Throws only once stopped.
   */
  const deliverBatch = async (p: PipeState, shard: ShardState, records: Record<string, unknown>[]): Promise<Promise<unknown>[]> => {
    const attempts = 1 + p.spec.source.maximumRetryAttempts;
    let failure: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (stopped) throw new Error('stream runner stopped'); // not checkpointed: delivered again after a restart
      try {
        return [(await deliver(p, records)).settled];
      } catch (error) {
        failure = error;
        if (attempt < attempts) {
          counters.retried++;
          await pause((opts.retryBaseMs ?? 200) * 2 ** Math.min(attempt - 1, 6));
        }
      }
    }
    if (records.length > 1) {
      // Isolate the failing record (what AUTOMATIC_BISECT converges to); the others go through.
      const settled: Promise<unknown>[] = [];
      for (const r of records) settled.push(...(await deliverBatch(p, shard, [r])));
      return settled;
    }
    const sequenceNumber = String((records[0]?.dynamodb as { SequenceNumber?: string } | undefined)?.SequenceNumber);
    const dead = { pipe: p.id, shardId: shard.shardId, sequenceNumber, error: String((failure as Error)?.stack ?? failure) };
    deadLetters.push(dead);
    counters.deadLettered++;
    opts.log(`pipe ${p.id}: record ${sequenceNumber} dead-lettered after ${attempts} attempts: ${dead.error}`);
    return [];
  };

  /** One GetRecords on the shard and the delivery of what it returned; returns how many records it read. */
  const pollShard = async (p: PipeState, shard: ShardState): Promise<number> => {
    shard.iterator ??= await iteratorFor(p, shard);
    if (!shard.iterator) {
      shard.done = true;
      return 0;
    }
    let out: GetRecordsCommandOutput;
    try {
      out = await streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: p.spec.source.batchSize }));
    } catch (e) {
      // DynamoDB Local answers TrimmedDataAccess for a TRIM_HORIZON iterator of a shard that has no record yet.
      if (!['ExpiredIteratorException', 'TrimmedDataAccessException'].includes((e as Error).name)) throw e;
      shard.iterator = undefined; // a fresh iterator from the checkpoint next pass
      return 0;
    }
    const records = out.Records ?? [];
    if (records.length > 0) {
      counters.records += records.length;
      const asPiped = records.map((r) => pipeRecord(r, p.streamArn));
      const matched = asPiped.filter((r) => p.filters.some((f) => matchesEventPattern(f, r)));
      counters.matched += matched.length;
      // Pipes bill each record that passed the filter (per 64 KB chunk; an order record is far smaller).
      meter.add(`pipes.requests.${p.id}`, matched.length);
      const settled = matched.length > 0 ? await deliverBatch(p, shard, matched) : [];
      const sequenceNumber = records.at(-1)!.dynamodb!.SequenceNumber!;
      shard.lastRead = sequenceNumber;
      // The next batch is read meanwhile; checkpoints follow in stream order, each once its batch reached the targets.
      shard.checkpoints = shard.checkpoints
        .then(() => Promise.all(settled))
        .then(() => {
          // The consumers have counted the batch, its checkpoint is not written: a restart delivers it again.
          if (matched.length > 0) crashPoint('after-pipe-delivery');
          saveCheckpoint(checkpointKey(p, shard), sequenceNumber);
        })
        .catch((error) => opts.log(`pipe ${p.id}: checkpoint of shard ${shard.shardId} failed`, error));
    }
    shard.iterator = out.NextShardIterator;
    if (!shard.iterator) shard.done = true;
    return records.length;
  };

  /** One poll of every shard of one pipe; returns how many records it read. */
  const pollPipe = async (p: PipeState): Promise<number> => {
    let read = 0;
    if (Date.now() - p.shardsReadAt >= SHARD_REFRESH_MS) await refreshShards(p);
    for (const shard of p.shards.values()) {
      if (stopped) return read;
      if (shard.done) continue;
      // A child shard waits until its parent is read to its end (order per item is kept across splits).
      const parent = shard.parentShardId ? p.shards.get(shard.parentShardId) : undefined;
      if (parent && !parent.done) continue;
      read += await pollShard(p, shard);
    }
    return read;
  };

  // The pipes poll side by side (in AWS each is its own consumer): the outbox never waits for the fan-out's target.
  const runPass = async (): Promise<number> => (await Promise.all(pipes.map(pollPipe))).reduce((a, b) => a + b, 0);

  const loop = (async () => {
    while (!stopped) {
      const current = ++pass;
      let read = 0;
      try {
        read = await runPass();
      } catch (error) {
        if (stopped) break;
        opts.log('stream poll failed', error);
        read = 1; // not a quiet pass
      }
      if (read === 0) {
        const ready = waiters.filter((w) => w.after <= current);
        waiters = waiters.filter((w) => w.after > current);
        for (const w of ready) w.resolve();
      }
      if (read === 0 && !stopped) await pause(pollMs);
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    drained: () => (stopped ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ after: pass + 1, resolve }))),
    stats: () => ({ ...counters }),
    deadLetters,
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        wake?.();
        await loop;
        // The bus is still running: the batches in hand reach their targets and are checkpointed.
        await Promise.all(pipes.flatMap((p) => [...p.shards.values()].map((s) => s.checkpoints)));
        for (const w of waiters) w.resolve();
        waiters = [];
        streams.destroy();
      })()),
  };
}
