/**
 * The counting instrumentation (local/metering.ts) against a flow whose counts are known: a handler with one
 * PutItem of a ~1.5 KB item (2 WCU), one TransactWriteItems of two small items (4 WCU) and one eventually
 * consistent GetItem of a ~5 KB item (1 RCU); a 3-state STANDARD state machine (3 transitions); one event
 * matching two rules (2 target invocations). Seeding from the test is not counted (outside any handler).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { meter } from '../../local/metering.ts';
import { startLocalSystem, type LocalSystem } from '../../local/system.ts';

const FIX = 'test/fixtures/metering';
let system: LocalSystem;

beforeAll(async () => {
  system = await startLocalSystem({
    port: 0,
    quiet: true,
    metering: true,
    scheduleSeconds: 0,
    wiring: {
      functions: { writer: { entry: `${FIX}/writer.ts`, memoryMb: 1024 }, noop: { entry: `${FIX}/noop.ts` } },
      routes: [],
      stateMachines: {
        threeStates: { file: `${FIX}/three-states.asl.json`, type: 'STANDARD', functionSubstitutions: { NoopFunctionArn: 'noop' } },
      },
      rules: {
        first: { eventPattern: { source: ['test.metering'] }, target: 'noop' },
        second: { eventPattern: { 'detail-type': ['Counted'] }, target: 'noop' },
        other: { eventPattern: { 'detail-type': ['NotThis'] }, target: 'noop' },
      },
      webSocketRoutes: {},
    },
  });
});

afterAll(async () => {
  await system?.stop();
  meter.enabled = false;
  meter.reset();
});

it('counts write and read units, transitions, invocations and target invocations by the AWS rules', async () => {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: system.dynamoEndpoint }));
  const bigId = randomUUID();
  await doc.send(new PutCommand({ TableName: process.env.TABLE_ORDERS, Item: { orderId: bigId, pad: 'b'.repeat(5000) } }));
  meter.reset();

  const result = await system.runtime.invoke('writer', { id: randomUUID(), bigId });
  expect(result).toEqual({ ok: true, bigBytes: 5000 });
  const run = system.stepFunctions.startExecution({ stateMachineArn: system.stepFunctions.arns.threeStates, input: '{}' });
  expect((await system.stepFunctions.waitForExecution(run.executionArn)).status).toBe('SUCCEEDED');
  system.bus.putEvents([{ Source: 'test.metering', DetailType: 'Counted', Detail: '{"n":1}', EventBusName: system.bus.busName }]);
  await system.bus.idle();
  await new Promise((r) => setTimeout(r, 50)); // the execution's event log drains after its result

  const c = meter.snapshot();
  const orders = process.env.TABLE_ORDERS!;
  const payments = process.env.TABLE_PAYMENTS!;
  expect(c[`dynamodb.wcu.${orders}`]).toBe(2);
  expect(c[`dynamodb.wcu.${payments}`]).toBe(4);
  expect(c[`dynamodb.rcu.${orders}`]).toBe(1);
  expect(c[`dynamodb.wcu.${orders}/index/openOrders`]).toBeUndefined(); // the item has no openShard: not in the sparse index
  expect(c[`dynamodb.calls.${orders}.PutItem`]).toBe(1);
  expect(c[`dynamodb.calls.*.TransactWriteItems`]).toBe(1);
  expect(c[`dynamodb.calls.${orders}.GetItem`]).toBe(1);
  expect(c['sfn.starts.threeStates']).toBe(1);
  expect(c['sfn.transitions.threeStates']).toBe(3);
  expect(c['events.putEventsCalls']).toBe(1);
  expect(c['events.targetInvocations.first']).toBe(1);
  expect(c['events.targetInvocations.second']).toBe(1);
  expect(c['events.targetInvocations.other']).toBeUndefined();
  expect(c['lambda.invocations.writer']).toBe(1);
  expect(c['lambda.invocations.noop']).toBe(3); // the Task + the two rule targets
  expect(c['lambda.gbSeconds.writer']).toBeCloseTo(c['lambda.ms.writer']! / 1000, 1); // 1024 MB
});
