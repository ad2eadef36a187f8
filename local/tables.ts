/**
 * Creates the tables of lib/wiring.ts in DynamoDB Local (or any DynamoDB endpoint) and maps them to the
 * environment variables the functions read.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { tables, type TableId, type TableSpec } from '../lib/wiring.ts';

/**
 * The CreateTable request for one wiring table: string (S) keys, HASH then optional RANGE, on-demand
 * billing. Pure: `id` names the logical table, `spec` is its wiring entry, `name` the physical name.
 * TTL is not part of CreateTable; `createTables` enables it with UpdateTimeToLive.
 */
export function createTableInput(id: TableId, spec: TableSpec, name: string): CreateTableCommandInput {
  const keys: KeySchemaElement[] = [{ AttributeName: spec.partitionKey, KeyType: 'HASH' }];
  if (spec.sortKey) keys.push({ AttributeName: spec.sortKey, KeyType: 'RANGE' });
  return {
    TableName: name,
    KeySchema: keys,
    AttributeDefinitions: keys.map((k) => ({ AttributeName: k.AttributeName, AttributeType: 'S' })),
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** Creates one table unless it exists (then checks its keys match), waits for ACTIVE, enables TTL. */
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
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: name });
  if (!spec.ttlAttribute) return;
  const { TimeToLiveDescription: ttl } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
  if (ttl?.TimeToLiveStatus === 'ENABLED' && ttl.AttributeName === spec.ttlAttribute) return;
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true } }),
  );
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
