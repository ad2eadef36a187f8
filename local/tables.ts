/**
 * Creates the tables of lib/wiring.ts in DynamoDB Local (or any DynamoDB endpoint) and maps them to the
 * environment variables the functions read.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { tables, type IndexSpec, type TableId, type TableSpec } from '../lib/wiring.ts';

/** HASH then optional RANGE key schema for string keys. */
function keySchema(spec: { partitionKey: string; sortKey?: string }): KeySchemaElement[] {
  const keys: KeySchemaElement[] = [{ AttributeName: spec.partitionKey, KeyType: 'HASH' }];
  if (spec.sortKey) keys.push({ AttributeName: spec.sortKey, KeyType: 'RANGE' });
  return keys;
}

/** One wiring index as CreateTable / UpdateTable describe it: its keys and projection (INCLUDE, or KEYS_ONLY when empty). */
function indexInput(indexName: string, index: IndexSpec): GlobalSecondaryIndex {
  return {
    IndexName: indexName,
    KeySchema: keySchema(index),
    Projection: index.projection.length
      ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] }
      : { ProjectionType: 'KEYS_ONLY' },
  };
}

/**
 * The CreateTable request for one wiring table: string (S) keys, HASH then optional RANGE, on-demand
 * billing, and the spec's global secondary indexes (string keys, INCLUDE projection of the listed
 * attributes, or KEYS_ONLY) and its stream (`stream`: the view type). Pure: `id` names the logical table, `spec` is its wiring entry, `name` the
 * physical name. TTL is not part of CreateTable; `createTables` enables it with UpdateTimeToLive.
 */
export function createTableInput(_id: TableId, spec: TableSpec, name: string): CreateTableCommandInput {
  const keys = keySchema(spec);
  const indexes = Object.entries(spec.globalSecondaryIndexes ?? {}).map(([indexName, index]) => indexInput(indexName, index));
  const attributes = new Set([...keys, ...indexes.flatMap((i) => i.KeySchema!)].map((k) => k.AttributeName!));
  return {
    TableName: name,
    KeySchema: keys,
    AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    BillingMode: 'PAY_PER_REQUEST',
    ...(indexes.length ? { GlobalSecondaryIndexes: indexes } : {}),
    ...(spec.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: spec.stream } } : {}),
  };
}

/**
 * Creates one table unless it exists (then checks its keys match and adds wiring indexes and the stream it lacks, e.g.
 * `--persist` data from an older version), waits until it and its indexes are ACTIVE, enables TTL.
 */
async function ensureTable(client: DynamoDBClient, id: TableId, name: string): Promise<void> {
  const spec: TableSpec = tables[id];
  const input = createTableInput(id, spec, name);
  try {
    await client.send(new CreateTableCommand(input));
  } catch (e) {
    if ((e as Error).name !== 'ResourceInUseException') throw e;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const existing = JSON.stringify(Table?.KeySchema);
    if (existing !== JSON.stringify(input.KeySchema)) {
      throw new Error(`Table ${name} exists with key schema ${existing}, wiring expects ${JSON.stringify(input.KeySchema)}`);
    }
    const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    // `--persist` data from before the outbox: turn the table's stream on (its earlier changes are not replayed).
    if (input.StreamSpecification && Table?.StreamSpecification?.StreamEnabled !== true) {
      await client.send(new UpdateTableCommand({ TableName: name, StreamSpecification: input.StreamSpecification }));
    }
    for (const index of input.GlobalSecondaryIndexes ?? []) {
      if (present.has(index.IndexName)) continue;
      await client.send(
        new UpdateTableCommand({
          TableName: name,
          AttributeDefinitions: input.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: name });
  if (input.GlobalSecondaryIndexes) await waitForIndexes(client, name);
  if (!spec.ttlAttribute) return;
  const { TimeToLiveDescription: ttl } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
  if (ttl?.TimeToLiveStatus === 'ENABLED' && ttl.AttributeName === spec.ttlAttribute) return;
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true } }),
  );
}

/**
 * Polls DescribeTable until every index of table `name` is ACTIVE (an added index backfills first); throws after
 * 150 s. DynamoDB Local backfills in a background thread that a busy server (a whole test run on 2 cores) can starve
 * for over a minute, while alone it takes under a second.
 */
async function waitForIndexes(client: DynamoDBClient, name: string): Promise<void> {
  for (const deadline = Date.now() + 150_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if ((Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE')) return;
  }
  throw new Error(`Indexes of table ${name} not ACTIVE after 150 s`);
}

/**
 * Creates every table of `tables` (lib/wiring.ts) as `${prefix}${id}`, waits until each is ACTIVE and
 * enables TTL where the wiring sets `ttlAttribute`. Tables that already exist are kept (`--persist`
 * restarts), but must have the wiring's keys. Returns logical id → physical name. Throws on any
 * DynamoDB error other than "already exists".
 */
export async function createTables(client: DynamoDBClient, opts: { prefix: string }): Promise<Record<TableId, string>> {
  const ids = Object.keys(tables) as TableId[];
  const names = Object.fromEntries(ids.map((id) => [id, `${opts.prefix}${id}`])) as Record<TableId, string>;
  await Promise.all(ids.map((id) => ensureTable(client, id, names[id])));
  return names;
}

/** Environment for functions: `{ [tables[id].envVar]: physical name }`, e.g. `{ TABLE_ORDERS: 'dev-orders' }`. */
export function tableEnvironment(names: Record<TableId, string>): Record<string, string> {
  return Object.fromEntries((Object.keys(names) as TableId[]).map((id) => [tables[id].envVar, names[id]]));
}
