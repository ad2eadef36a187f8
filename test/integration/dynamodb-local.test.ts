import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  TransactionCanceledException,
  ConditionalCheckFailedException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { tables, type TableId, type TableSpec } from '../../lib/wiring.ts';
import { createTableInput, createTables, tableEnvironment } from '../../local/tables.ts';
import { freshTables, type FreshTables } from '../helpers/dynamo.ts';

/** Resolves with 'connected' or the socket error code (e.g. ECONNREFUSED). */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3_000 });
    const settle = (result: string) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => settle('connected'));
    socket.once('timeout', () => settle('ETIMEDOUT'));
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Local addresses of LISTEN sockets on `port` from the Linux kernel tables, e.g. ['0100007F']. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A')
      .map((cols) => cols[1]!.split(':')[0]!),
  );
}

describe('DynamoDB Local', () => {
  let t: FreshTables;
  beforeAll(async () => {
    t = await freshTables();
  });

  it('has every wiring table with string keys, on-demand billing and TTL where the wiring sets it', async () => {
    for (const id of Object.keys(tables) as TableId[]) {
      const spec: TableSpec = tables[id];
      const { Table } = await t.client.send(new DescribeTableCommand({ TableName: t.names[id] }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      const expectedKeys = [{ AttributeName: spec.partitionKey, KeyType: 'HASH' }];
      if (spec.sortKey) expectedKeys.push({ AttributeName: spec.sortKey, KeyType: 'RANGE' });
      expect(Table?.KeySchema).toEqual(expectedKeys);
      expect(Table?.AttributeDefinitions).toEqual(
        expect.arrayContaining(expectedKeys.map((k) => ({ AttributeName: k.AttributeName, AttributeType: 'S' }))),
      );
      const { TimeToLiveDescription: ttl } = await t.client.send(new DescribeTimeToLiveCommand({ TableName: t.names[id] }));
      if (spec.ttlAttribute) expect(ttl).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: spec.ttlAttribute });
      else expect(ttl?.TimeToLiveStatus).toBe('DISABLED');
      expect(process.env[spec.envVar]).toBe(t.names[id]);
    }
  });

  it('has every wiring global secondary index with its string keys and projection', async () => {
    for (const id of Object.keys(tables) as TableId[]) {
      const spec: TableSpec = tables[id];
      const { Table } = await t.client.send(new DescribeTableCommand({ TableName: t.names[id] }));
      const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((i) => ({
        name: i.IndexName,
        keys: i.KeySchema,
        projection: i.Projection,
        status: i.IndexStatus,
      }));
      const expected = Object.entries(spec.globalSecondaryIndexes ?? {}).map(([name, index]) => ({
        name,
        keys: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' }] : []),
        ],
        projection: index.projection.length
          ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] }
          : { ProjectionType: 'KEYS_ONLY' },
        status: 'ACTIVE',
      }));
      expect(indexes, id).toEqual(expected);
    }
  });

  it('adds a wiring index that an existing table lacks (data persisted by an older version)', async () => {
    const prefix = `old-${Date.now()}-`;
    const spec: TableSpec = { ...tables.orders, globalSecondaryIndexes: undefined };
    await t.client.send(new CreateTableCommand(createTableInput('orders', spec, `${prefix}orders`)));
    await createTables(t.client, { prefix });
    const { Table } = await t.client.send(new DescribeTableCommand({ TableName: `${prefix}orders` }));
    expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus])).toEqual(
      Object.keys(tables.orders.globalSecondaryIndexes).map((name) => [name, 'ACTIVE']),
    );
    Object.assign(process.env, tableEnvironment(t.names)); // createTables does not touch the environment; keep the fixture's
    // Creates every wiring table (16, several with indexes) one after the other: slow on a loaded 2-core machine.
  }, 180_000);

  it('keeps existing tables when createTables runs again (restart with --persist)', async () => {
    const prefix = t.names.orders.slice(0, -'orders'.length);
    await t.doc.send(new PutCommand({ TableName: t.names.orders, Item: { orderId: 'o-1' } }));
    const again = await createTables(t.client, { prefix });
    expect(again).toEqual(t.names);
    const { Item } = await t.doc.send(new GetCommand({ TableName: t.names.orders, Key: { orderId: 'o-1' } }));
    expect(Item).toEqual({ orderId: 'o-1' });
    expect(tableEnvironment(again)).toMatchObject({ TABLE_ORDERS: t.names.orders });
  });

  it('refuses connections on non-loopback addresses of this machine', async () => {
    const port = Number(new URL(t.endpoint).port);
    expect(new URL(t.endpoint).hostname).toBe('127.0.0.1');
    expect(await tryConnect('127.0.0.1', port)).toBe('connected');

    let checks = 0;
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    for (const address of external) {
      expect({ address, result: await tryConnect(address, port) }).toEqual({ address, result: 'ECONNREFUSED' });
      checks++;
    }
    if (process.platform === 'linux') {
      // The kernel's socket table: the only listener on this port is 127.0.0.1, plain or IPv4-mapped
      // (Java opens IPv6 sockets); all interfaces would read 00000000 or 000…000.
      expect(listeningAddresses(port)).toEqual([expect.stringMatching(/^(0000000000000000FFFF0000)?0100007F$/)]);
      checks++;
    }
    expect(checks, 'no way to check the bind address on this machine').toBeGreaterThan(0);
  });

  it('rejects a conditional stock decrement with ConditionalCheckFailedException once stock runs out', async () => {
    const key = { storeId: 's-1', sku: 'sku-1' };
    await t.doc.send(new PutCommand({ TableName: t.names.inventory, Item: { ...key, available: 3, reserved: 0 } }));
    const reserve = (q: number) =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.names.inventory,
          Key: key,
          UpdateExpression: 'SET available = available - :q, reserved = reserved + :q',
          // Invariant: available never goes negative.
          ConditionExpression: 'available >= :q',
          ExpressionAttributeValues: { ':q': q },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    expect((await reserve(2)).Attributes).toMatchObject({ available: 1, reserved: 2 });
    const error = await reserve(2).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item).toMatchObject({ available: { N: '1' } });
  });

  it('cancels a TransactWriteItems with CancellationReasons and writes nothing', async () => {
    const a = { storeId: 's-2', sku: 'a' };
    const b = { storeId: 's-2', sku: 'b' };
    await t.doc.send(new PutCommand({ TableName: t.names.inventory, Item: { ...a, available: 5 } }));
    await t.doc.send(new PutCommand({ TableName: t.names.inventory, Item: { ...b, available: 0 } }));
    const take = (Key: Record<string, string>) => ({
      Update: {
        TableName: t.names.inventory,
        Key,
        UpdateExpression: 'SET available = available - :q',
        ConditionExpression: 'available >= :q',
        ExpressionAttributeValues: { ':q': 1 },
      },
    });
    const error = await t.doc.send(new TransactWriteCommand({ TransactItems: [take(a), take(b)] })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    const { Item } = await t.doc.send(new GetCommand({ TableName: t.names.inventory, Key: a, ConsistentRead: true }));
    expect(Item?.available).toBe(5);
  });
});
