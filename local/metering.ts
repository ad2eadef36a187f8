/**
 * Counting instrumentation of the local runtime, for the cost and capacity model (`npm run cost`,
 * scripts/cost.ts, src/capacity/model.ts). Off unless enabled (`WANDIAN_METERING=1` or the local system's
 * `metering` option): every hook first reads `meter.enabled`, so benches pay one boolean test.
 *
 * API (any part of the local runtime may count; names are dotted, values add up):
 * - `meter.add(name, n = 1)`: e.g. `meter.add('pipes.requests.<pipe>')`, `meter.add('sqs.requests', 2)`;
 * - `meter.snapshot()` / `meter.reset()`; `meter.items()`: write units per stored item (hot-spot analysis);
 * - `inFunction(id, memoryMb, fn)`: runs a handler call as one counted invocation (the Lambda runtime does this).
 *
 * Counter names written by the hooks (documented in docs/capacity.md):
 * `lambda.invocations.<fn>`, `lambda.ms.<fn>`, `lambda.gbSeconds.<fn>` (billed ms rounded up to 1 ms × memory; the
 * handler call's wall time, module import excluded, the metering's own reads subtracted);
 * `sfn.starts.<machine>`, `sfn.transitions.<machine>` (StateEntered + StateRetried, as STANDARD bills),
 * `sfn.express.requests.<machine>`, `sfn.express.gbSeconds.<machine>` (100 ms increments × 64 MB);
 * `events.putEventsCalls`, `events.entries`, `events.chunks` (64 KB), `events.targetInvocations.<rule>`;
 * `apigw.http.requests`, `apigw.ws.messages`, `apigw.ws.connectionMinutes`;
 * `dynamodb.calls.<table>.<Operation>`, `dynamodb.wcu.<table>`, `dynamodb.wcu.<table>/index/<name>`,
 * `dynamodb.wcuByFunction.<fn>.<table>.<Operation>` (where the write units go), `dynamodb.rcu.<table>[/index/<name>]`, `dynamodb.reported.<table>` (what DynamoDB Local's
 * ReturnConsumedCapacity said, a cross-check), `dynamodb.writtenBytes.<table>`, `dynamodb.writtenItems.<table>`;
 * `sdk.calls.<Service>.<Operation>` for every other SDK call a handler makes; `pipes.requests.<pipe>` (records past
 * the filter, local/stream-runner.ts) and `sqs.requests` (SendMessage, receive + delete per batch, local/queue.ts).
 *
 * DynamoDB counting: a wrapper on the SDK's shared `Client.prototype.send` (as local/access-guard.ts does) sees
 * each call a handler makes (only inside `inFunction`, so table creation and test seeding are not counted).
 * Write sizes come from the stored item: the item is read before and after the write with a separate,
 * uncounted client (strongly consistent GetItem, outside the handler's async context), and the write costs
 * the larger of before / after / the item sent (AWS's rule for Put and Update; a failed conditional write
 * pays the same); GSI writes follow from the before/after projections (src/capacity/ddb-units.ts). Reads
 * are sized from the items returned (a ProjectionExpression Get is re-read whole; a filtered Query/Scan is
 * scaled by ScannedCount / Count). The before/after reads make the counts exact for sequential flows; under
 * concurrent writes to one item they may see a neighbour's write (sizes differ by bytes, not units).
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { sdkOperation } from './access-guard.ts';
import { indexWriteUnits, itemSize, itemWriteUnits, readUnits, writeUnits, type Item, type TableShape } from '../src/capacity/ddb-units.ts';

const counters = new Map<string, number>();
const itemWcu = new Map<string, number>();

/** The counters registry (process-wide; `worker` isolation is not metered). */
export const meter = {
  enabled: process.env.WANDIAN_METERING === '1',
  add(name: string, n = 1): void {
    if (!meter.enabled || !n) return;
    counters.set(name, (counters.get(name) ?? 0) + n);
  },
  /** Every counter now, sorted by name. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...counters].sort(([a], [b]) => (a < b ? -1 : 1)));
  },
  /** Write units per stored item, key `<table>|<key JSON>`. */
  items(): Record<string, number> {
    return Object.fromEntries(itemWcu);
  },
  reset(): void {
    counters.clear();
    itemWcu.clear();
  },
  /**
   * Functions not counted per order: scheduled jobs (the expiry sweeper, the reconciler) run per period, not per
   * order, and locally far more often than deployed. What they start (a compensation segment) is still counted.
   */
  unmetered: new Set<string>(),
};

/** The invocation running: its function id and the ms its metering spent on uncounted reads (not billed). */
interface Invocation {
  id: string;
  overheadMs: number;
}
const currentFunction = new AsyncLocalStorage<Invocation>();

/**
 * Runs `fn` (a handler call) as one invocation of function `id` with `memoryMb`: its SDK calls are counted, and
 * the invocation with its duration (the metering's own reads subtracted). A plain call when metering is off.
 */
export function inFunction<T>(id: string, memoryMb: number, fn: () => Promise<T>): Promise<T> {
  if (!meter.enabled) return fn();
  if (meter.unmetered.has(id)) return currentFunction.exit(fn);
  const invocation: Invocation = { id, overheadMs: 0 };
  const started = performance.now();
  return currentFunction
    .run(invocation, fn)
    .finally(() => meterInvocation(id, performance.now() - started - invocation.overheadMs, memoryMb));
}

/** Counts one Lambda invocation of `id` lasting `ms` with `memoryMb` (billed per 1 ms). */
export function meterInvocation(id: string, ms: number, memoryMb: number): void {
  if (!meter.enabled) return;
  meter.add(`lambda.invocations.${id}`);
  const billed = Math.max(1, Math.ceil(ms));
  meter.add(`lambda.ms.${id}`, billed);
  meter.add(`lambda.gbSeconds.${id}`, (billed / 1000) * (memoryMb / 1024));
}

/** Counts the end of an EXPRESS execution of `durationMs` (billed in 100 ms increments at 64 MB). */
export function meterExpressExecution(machine: string, durationMs: number): void {
  meter.add(`sfn.express.requests.${machine}`);
  meter.add(`sfn.express.gbSeconds.${machine}`, (Math.max(1, Math.ceil(durationMs / 100)) / 10) * (64 / 1024));
}

/** Turns metering on and installs the SDK hook (once). Call outside any handler (the raw client's context). */
export function enableMetering(): void {
  meter.enabled = true;
  installSdkHook();
}

// ---- DynamoDB -----------------------------------------------------------------------------------------

let raw: DynamoDBClient | undefined;
let rootScope: AsyncResource | undefined;
const shapes = new Map<string, Promise<TableShape>>();

/** Runs an uncounted DynamoDB call outside any handler context (no metering, no access guard). */
const uncounted = <T>(fn: (client: DynamoDBClient) => Promise<T>): Promise<T> => {
  raw ??= new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB });
  const client = raw;
  return rootScope!.runInAsyncScope(() => fn(client));
};

function shapeOf(table: string): Promise<TableShape> {
  let shape = shapes.get(table);
  if (!shape) {
    shape = uncounted((c) => c.send(new DescribeTableCommand({ TableName: table }))).then(({ Table }) => ({
      keys: (Table?.KeySchema ?? []).map((k) => k.AttributeName!),
      indexes: (Table?.GlobalSecondaryIndexes ?? []).map((i) => ({
        name: i.IndexName!,
        keys: (i.KeySchema ?? []).map((k) => k.AttributeName!),
        projection: (i.Projection?.ProjectionType ?? 'ALL') as 'ALL' | 'KEYS_ONLY' | 'INCLUDE',
        include: i.Projection?.NonKeyAttributes,
      })),
    }));
    shape.catch(() => shapes.delete(table));
    shapes.set(table, shape);
  }
  return shape;
}

const getStored = (table: string, key: Item): Promise<Item | undefined> =>
  uncounted((c) => c.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).then((o) => o.Item);

/** Operations that take ReturnConsumedCapacity (the cross-check figure). */
const CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
  'Query',
  'Scan',
]);

interface PlannedWrite {
  table: string;
  key: Item;
  sent?: Item;
  transactional: boolean;
  conditionCheck?: boolean;
  before?: Item;
}

const keyOf = (item: Item, shape: TableShape): Item => Object.fromEntries(shape.keys.map((k) => [k, item[k]!]));

function installSdkHook(): void {
  if (rootScope) return;
  rootScope = new AsyncResource('wandian-metering');
  const require = createRequire(import.meta.url);
  const { Client } = require('@smithy/core/client') as { Client: { prototype: { send: (...args: any[]) => any } } };
  const send = Client.prototype.send;
  Client.prototype.send = function meteredSend(this: { config?: { serviceId?: string } }, command: any, ...rest: any[]) {
    const invocation = meter.enabled ? currentFunction.getStore() : undefined;
    if (!invocation || rest.some((r) => typeof r === 'function')) return send.call(this, command, ...rest);
    const service = this.config?.serviceId ?? '';
    const operation = sdkOperation(command, service);
    if (service !== 'DynamoDB') {
      meter.add(`sdk.calls.${service}.${operation}`);
      return send.call(this, command, ...rest);
    }
    const isDocument = 'inputKeyNodes' in command;
    return meterDynamo(operation, command, isDocument, invocation, () => send.call(this, command, ...rest));
  };
}

async function meterDynamo(
  operation: string,
  command: any,
  isDocument: boolean,
  invocation: Invocation,
  call: () => Promise<any>,
): Promise<any> {
  // The metering's own reads are not the handler's time: measured and subtracted from the invocation's duration.
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      invocation.overheadMs += performance.now() - t0;
    }
  };
  const input = command.input ?? {};
  const av = (v: unknown): Item | undefined =>
    v === undefined
      ? undefined
      : isDocument
        ? (marshall(v, { removeUndefinedValues: true, convertClassInstanceToMap: true }) as Item)
        : (v as Item);
  const tableOf = (t: unknown, index?: unknown) => (index ? `${String(t)}/index/${String(index)}` : String(t));
  meter.add(`dynamodb.calls.${tableOf(input.TableName ?? '*')}.${operation}`);

  // Writes: plan the items, read them before.
  const writes: PlannedWrite[] = [];
  if (operation === 'PutItem') writes.push({ table: input.TableName, key: {}, sent: av(input.Item), transactional: false });
  if (operation === 'UpdateItem' || operation === 'DeleteItem')
    writes.push({ table: input.TableName, key: av(input.Key)!, transactional: false });
  if (operation === 'BatchWriteItem') {
    for (const [table, requests] of Object.entries(input.RequestItems ?? {}) as [string, any[]][]) {
      for (const r of requests) {
        if (r.PutRequest) writes.push({ table, key: {}, sent: av(r.PutRequest.Item), transactional: false });
        if (r.DeleteRequest) writes.push({ table, key: av(r.DeleteRequest.Key)!, transactional: false });
      }
    }
  }
  if (operation === 'TransactWriteItems') {
    for (const t of input.TransactItems ?? []) {
      if (t.Put) writes.push({ table: t.Put.TableName, key: {}, sent: av(t.Put.Item), transactional: true });
      for (const kind of ['Update', 'Delete', 'ConditionCheck'] as const) {
        if (t[kind])
          writes.push({ table: t[kind].TableName, key: av(t[kind].Key)!, transactional: true, conditionCheck: kind === 'ConditionCheck' });
      }
    }
  }
  await timed(async () => {
    for (const w of writes) {
      if (w.sent) w.key = keyOf(w.sent, await shapeOf(w.table));
      w.before = await getStored(w.table, w.key);
    }
  });
  if (CAPACITY_OPERATIONS.has(operation)) input.ReturnConsumedCapacity ??= 'INDEXES';

  let output: any;
  let failure: unknown;
  try {
    output = await call();
  } catch (error) {
    failure = error;
  }
  if ((failure as Error | undefined)?.name === 'AccessDeniedException') throw failure;

  const afters = await timed(() => Promise.all(writes.map((w) => (w.conditionCheck ? w.before : getStored(w.table, w.key)))));
  for (const [n, w] of writes.entries()) {
    const shape = await shapeOf(w.table);
    const after = afters[n];
    const units = w.conditionCheck ? writeUnits(itemSize(w.before), true) : itemWriteUnits(w.before, after, w.transactional, w.sent);
    meter.add(`dynamodb.wcu.${w.table}`, units);
    meter.add(`dynamodb.wcuByFunction.${invocation.id}.${w.table}.${operation}`, units);
    const itemKey = `${w.table}|${JSON.stringify(unmarshall(w.key))}`;
    itemWcu.set(itemKey, (itemWcu.get(itemKey) ?? 0) + units);
    if (!w.conditionCheck && !failure) {
      meter.add(`dynamodb.writtenBytes.${w.table}`, itemSize(after ?? w.sent));
      meter.add(`dynamodb.writtenItems.${w.table}`);
      for (const [index, u] of Object.entries(indexWriteUnits(w.before, after, shape)))
        meter.add(`dynamodb.wcu.${w.table}/index/${index}`, u);
    }
  }

  // Reads.
  const consistency = (c: unknown) => (c ? 'strong' : 'eventual') as 'strong' | 'eventual';
  if (operation === 'GetItem') {
    let item = av(output?.Item);
    if (item && input.ProjectionExpression) item = await timed(() => getStored(input.TableName, av(input.Key)!));
    meter.add(`dynamodb.rcu.${input.TableName}`, readUnits(itemSize(item), consistency(input.ConsistentRead)));
  }
  if (operation === 'BatchGetItem') {
    for (const [table, items] of Object.entries(output?.Responses ?? {}) as [string, unknown[]][]) {
      const mode = consistency(input.RequestItems?.[table]?.ConsistentRead);
      for (const i of items) meter.add(`dynamodb.rcu.${table}`, readUnits(itemSize(av(i)), mode));
    }
  }
  if (operation === 'TransactGetItems') {
    (input.TransactItems ?? []).forEach((t: any, n: number) => {
      meter.add(`dynamodb.rcu.${t.Get?.TableName}`, readUnits(itemSize(av(output?.Responses?.[n]?.Item)), 'transactional'));
    });
  }
  if (operation === 'Query' || operation === 'Scan') {
    const items: unknown[] = output?.Items ?? [];
    let bytes = items.reduce<number>((n, i) => n + itemSize(av(i)), 0);
    const count = output?.Count ?? items.length;
    const scanned = output?.ScannedCount ?? count;
    if (scanned > count) bytes = count > 0 ? (bytes * scanned) / count : scanned * 100; // filtered out: evaluated all the same
    meter.add(`dynamodb.rcu.${tableOf(input.TableName, input.IndexName)}`, readUnits(bytes, consistency(input.ConsistentRead)));
  }

  for (const c of [output?.ConsumedCapacity ?? []].flat() as Array<{ TableName?: string; CapacityUnits?: number }>) {
    meter.add(`dynamodb.reported.${c.TableName}`, c.CapacityUnits ?? 0);
  }
  if (failure) throw failure;
  return output;
}
