/**
 * The local runtime (local/*.ts) as a specification: the HTTP API in front of handlers, Step Functions and
 * EventBridge reached through the real SDK v3 clients and the AWS_ENDPOINT_URL_* variables, the ASL runner's
 * task tokens, timeouts and error names, the bus's routing and delivery guarantees, and a clean stop.
 * Handlers, routes, the state machine and rules are small fixtures (test/fixtures/local-runtime/); the
 * deployed ASL and rule patterns are checked separately at the end.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  InvalidToken,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { functions as wiredFunctions } from '../../lib/wiring.ts';
import { LocalEventBus } from '../../local/event-bus.ts';
import type { LocalRoute } from '../../local/http-api.ts';
import { createLambdaRuntime } from '../../local/lambda-runtime.ts';
import { LocalStepFunctions } from '../../local/step-functions.ts';
import { startLocalSystem, type LocalSystem } from '../../local/system.ts';
import { callsOf, fixtureStore } from '../fixtures/local-runtime/store.ts';

const FIX = 'test/fixtures/local-runtime';
const functions = {
  echo: { entry: `${FIX}/recorder.ts`, timeoutSeconds: 7, memoryMb: 256 },
  special: { entry: `${FIX}/recorder.ts` },
  crash: { entry: `${FIX}/crash.ts` },
  prepare: { entry: `${FIX}/recorder.ts` },
  awaitPayment: { entry: `${FIX}/await-callback.ts` },
  onPaid: { entry: `${FIX}/recorder.ts` },
  onBigOrder: { entry: `${FIX}/recorder.ts` },
};
const routes: LocalRoute[] = [
  { method: 'GET', path: '/v1/orders/{orderId}', function: 'echo' },
  { method: 'GET', path: '/v1/orders/special', function: 'special' },
  { method: 'POST', path: '/v1/orders/{orderId}/cancel', function: 'echo' },
  { method: 'PUT', path: '/v1/stores/{storeId}/inventory/{sku}', function: 'echo' },
  { method: 'POST', path: '/crash', function: 'crash' },
];
const stateMachines = {
  paymentSaga: {
    file: `${FIX}/payment-saga.asl.json`,
    envVar: 'FIXTURE_PAYMENT_SAGA_ARN',
    functionSubstitutions: { PrepareFunctionArn: 'prepare', AwaitFunctionArn: 'awaitPayment' },
  },
};
const rules = {
  paidRule: { eventPattern: { source: ['test.orders'], 'detail-type': ['OrderPaid'] }, target: 'onPaid' },
  bigOrderRule: {
    eventPattern: { source: ['test.orders'], 'detail-type': ['OrderPlaced'], detail: { total: [{ numeric: ['>', 100] }] } },
    target: 'onBigOrder',
  },
};

let system: LocalSystem;
let sfn: SFNClient;
let events: EventBridgeClient;

const uid = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const json = async (res: Response): Promise<any> => res.json();

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  system = await startLocalSystem({
    port: 0,
    quiet: true,
    wiring: { functions, routes, stateMachines, rules },
    sfnOptions: { retryIntervalMs: 10 },
    busOptions: { retryBaseMs: 10 },
  });
  // No endpoint given: the clients find the emulator through AWS_ENDPOINT_URL_SFN / _EVENTBRIDGE alone.
  sfn = new SFNClient({});
  events = new EventBridgeClient({});
});

afterAll(async () => {
  sfn?.destroy();
  events?.destroy();
  await system?.stop();
});

describe('HTTP API', () => {
  it('answers GET /health with 200', async () => {
    const res = await fetch(`${system.url}/health`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: 'ok' });
  });

  it('routes by method and path, URL-decoding path parameters and preferring literal segments', async () => {
    const res = await fetch(`${system.url}/v1/stores/s%201/inventory/a%2Fb`, { method: 'PUT', body: '{}' });
    expect(res.status).toBe(200);
    const { event, context } = await json(res);
    expect(event.routeKey).toBe('PUT /v1/stores/{storeId}/inventory/{sku}');
    expect(event.pathParameters).toEqual({ storeId: 's 1', sku: 'a/b' });
    expect(context.functionName).toBe('wandian-local-echo');

    const special = await json(await fetch(`${system.url}/v1/orders/special`));
    expect(special.context.functionName).toBe('wandian-local-special');
    const param = await json(await fetch(`${system.url}/v1/orders/o-1`));
    expect(param.event.pathParameters).toEqual({ orderId: 'o-1' });
  });

  it('answers unknown paths and methods with 404 ROUTE_NOT_FOUND problem+json', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nope'],
      ['DELETE', '/v1/orders/o-1'],
      ['GET', '/v1/orders/o-1/cancel'],
    ] as const) {
      const res = await fetch(`${system.url}${path}`, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await json(res)).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND', title: expect.any(String), type: expect.any(String) });
    }
  });

  it('hands the handler an API Gateway HTTP API payload 2.0 event and a Lambda-like context', async () => {
    const res = await fetch(`${system.url}/v1/orders/o%2D7/cancel?reason=late&tag=a&tag=b`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Custom': 'Yes', cookie: 'a=1; b=2' },
      body: JSON.stringify({ note: '取消' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fixture')).toBe('echo');
    expect(res.headers.get('set-cookie')).toBe('session=abc; HttpOnly');
    const { event, context } = await json(res);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/orders/{orderId}/cancel',
      rawPath: '/v1/orders/o%2D7/cancel',
      rawQueryString: 'reason=late&tag=a&tag=b',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { reason: 'late', tag: 'a,b' },
      pathParameters: { orderId: 'o-7' },
      body: JSON.stringify({ note: '取消' }),
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        stage: '$default',
        routeKey: 'POST /v1/orders/{orderId}/cancel',
        http: { method: 'POST', path: '/v1/orders/o%2D7/cancel', sourceIp: '127.0.0.1', protocol: 'HTTP/1.1' },
      },
    });
    expect(event.headers).toMatchObject({ 'content-type': 'application/json', 'x-custom': 'Yes' });
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5_000);
    expect(context).toMatchObject({
      functionName: 'wandian-local-echo',
      invokedFunctionArn: `arn:aws:lambda:${system.region}:000000000000:function:wandian-local-echo`,
      memoryLimitInMB: '256',
    });
    expect(context.remainingMs).toBeGreaterThan(6_000);
    expect(context.remainingMs).toBeLessThanOrEqual(7_000);
  });

  it('omits body, query and path parameters when there are none', async () => {
    const { event } = await json(await fetch(`${system.url}/v1/orders/special`));
    expect(event).not.toHaveProperty('body');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event.rawQueryString).toBe('');
  });

  it('refuses bodies over 1 MiB with 413 and keeps serving', async () => {
    const res = await fetch(`${system.url}/v1/orders/o-1/cancel`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect((await fetch(`${system.url}/v1/orders/o-1/cancel`, { method: 'POST', body: 'x'.repeat(1024 * 1024) })).status).toBe(200);
  });

  it('turns a handler crash into 500 INTERNAL_ERROR problem+json and counts it', async () => {
    const res = await fetch(`${system.url}/crash`, { method: 'POST' });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await json(res)).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
    expect(system.stats().functions.crash).toEqual({ invocations: 1, errors: 1 });
  });
});

describe('Step Functions over the SDK', () => {
  const arn = () => process.env.FIXTURE_PAYMENT_SAGA_ARN!;
  const start = async (input: Record<string, unknown>, name?: string) =>
    (
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: arn(),
          name,
          input: JSON.stringify({ prepareFailures: 0, mode: 'wait', timeoutSeconds: 30, ...input }),
        }),
      )
    ).executionArn!;
  const finished = async (executionArn: string) => {
    await system.stepFunctions.waitForExecution(executionArn);
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { ...out, output: out.output ? JSON.parse(out.output) : undefined };
  };
  const tokenOf = (orderId: string) => waitFor(() => fixtureStore().tokens[orderId]);

  it('sets the state machine ARN variable from the spec and points the SDK at the emulator', () => {
    expect(arn()).toBe(`arn:aws:states:${system.region}:000000000000:stateMachine:wandian-local-paymentSaga`);
    expect(process.env.AWS_ENDPOINT_URL_SFN).toBe(system.awsEndpoint);
    expect(process.env.AWS_ENDPOINT_URL_EVENTBRIDGE).toBe(system.awsEndpoint);
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(system.dynamoEndpoint);
  });

  it('treats StartExecution with a running name and the same input as the same execution, other input as ExecutionAlreadyExists', async () => {
    const orderId = uid('o');
    const first = await start({ orderId }, orderId);
    expect(first).toBe(`arn:aws:states:${system.region}:000000000000:execution:wandian-local-paymentSaga:${orderId}`);
    expect(await start({ orderId }, orderId)).toBe(first);
    await expect(start({ orderId, mode: 'other' }, orderId)).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn().replace('paymentSaga', 'nope'), input: '{}' })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);

    await sfn.send(new SendTaskSuccessCommand({ taskToken: await tokenOf(orderId), output: '{}' }));
    expect((await finished(first)).status).toBe('SUCCEEDED');
    // A closed execution's name cannot be reused, whatever the input (AWS).
    await expect(start({ orderId }, orderId)).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('resumes a waitForTaskToken task with the output of SendTaskSuccess, after retrying a flaky task', async () => {
    const orderId = uid('o');
    const executionArn = await start({ orderId, prepareFailures: 2 });
    const token = await tokenOf(orderId);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ status: 'SUCCEEDED', amount: 1250 }) }));

    const done = await finished(executionArn);
    expect(done).toMatchObject({ status: 'SUCCEEDED', name: executionArn.split(':').pop(), stateMachineArn: arn() });
    expect(done.output).toMatchObject({ orderId, final: 'PAID', payment: { status: 'SUCCEEDED', amount: 1250 } });
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(done.startDate!.getTime());
    expect(callsOf('prepare').filter((e) => e.orderId === orderId)).toHaveLength(3); // 2 failures + 1 success
    // The payload carries exactly what the ASL's Parameters say (no local-only fields).
    expect(callsOf('awaitPayment').find((e) => e.orderId === orderId)).toEqual({ orderId, mode: 'wait', taskToken: token });

    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
  });

  it('fails the waiting task with the error name given to SendTaskFailure, which the ASL Catch matches', async () => {
    const orderId = uid('o');
    const executionArn = await start({ orderId });
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: await tokenOf(orderId), error: 'OrderCancelledByCustomer', cause: 'customer cancelled' }),
    );
    const done = await finished(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toMatchObject({ final: 'CANCELLED', error: { Error: 'OrderCancelledByCustomer', Cause: 'customer cancelled' } });
  });

  it('times the waiting task out with States.Timeout after TimeoutSecondsPath seconds', async () => {
    const orderId = uid('o');
    const started = Date.now();
    const executionArn = await start({ orderId, timeoutSeconds: 1 });
    const token = await tokenOf(orderId);
    const done = await finished(executionArn);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(done.output).toMatchObject({ final: 'EXPIRED', error: { Error: 'States.Timeout' } });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('accepts the callback sent by the awaiting function itself before it returns', async () => {
    const orderId = uid('o');
    const done = await finished(await start({ orderId, mode: 'callbackFirst' }));
    expect(done.output).toMatchObject({ final: 'PAID', payment: { early: true } });
  });

  it('reports a function error as Lambda does: error name = errorType, cause = JSON', async () => {
    const orderId = uid('o');
    const done = await finished(await start({ orderId, mode: 'crash' }));
    expect(done.output).toMatchObject({ final: 'PAYMENT_FAILED', error: { Error: 'PaymentProviderDown' } });
    expect(JSON.parse(done.output.error.Cause)).toMatchObject({ errorType: 'PaymentProviderDown', errorMessage: 'provider unreachable' });
  });
});

describe('EventBridge over the SDK', () => {
  const entry = (detailType: string, detail: Record<string, unknown>, source = 'test.orders') => ({
    Source: source,
    DetailType: detailType,
    Detail: JSON.stringify(detail),
    EventBusName: 'wandian-local',
  });
  const idsOf = (target: string) => callsOf(target).map((e) => e.id as string);

  it('routes each event only to the rules whose pattern matches, as an EventBridge envelope', async () => {
    const [paidBefore, bigBefore] = [idsOf('onPaid').length, idsOf('onBigOrder').length];
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          entry('OrderPaid', { orderId: 'o-1', total: 10 }),
          entry('OrderPlaced', { orderId: 'o-2', total: 150 }),
          entry('OrderPlaced', { orderId: 'o-3', total: 50 }),
          entry('OrderPaid', { orderId: 'o-4' }, 'someone.else'),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    const ids = out.Entries!.map((e) => e.EventId!);
    await system.bus.idle();

    expect(idsOf('onPaid').slice(paidBefore)).toEqual([ids[0]]);
    expect(idsOf('onBigOrder').slice(bigBefore)).toEqual([ids[1]]);
    expect(callsOf('onPaid').at(-1)).toEqual({
      version: '0',
      id: ids[0],
      'detail-type': 'OrderPaid',
      source: 'test.orders',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      region: system.region,
      resources: [],
      detail: { orderId: 'o-1', total: 10 },
    });
  });

  it('delivers after PutEvents has returned, not during it', async () => {
    const before = idsOf('onPaid').length;
    const out = system.bus.putEvents([entry('OrderPaid', { orderId: 'o-async' })]);
    expect(idsOf('onPaid')).toHaveLength(before);
    await system.bus.idle();
    expect(idsOf('onPaid').slice(before)).toEqual([out.Entries[0]!.EventId]);
  });

  it('rejects malformed entries one by one, as AWS does', async () => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          entry('OrderPaid', {}),
          { Source: 'test.orders', Detail: '{}', EventBusName: 'wandian-local' },
          { ...entry('OrderPaid', {}), Detail: '[1]' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries!.map((e) => e.ErrorCode)).toEqual([undefined, 'InvalidArgument', 'MalformedDetail']);
  });

  it('retries a failing delivery with backoff and dead-letters it after the last attempt', async () => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: [entry('OrderPaid', { orderId: 'o-retry', failTimes: 2 }), entry('OrderPaid', { orderId: 'o-dead', failTimes: 9 })],
      }),
    );
    const [retried, dead] = out.Entries!.map((e) => e.EventId!);
    const deadBefore = system.bus.stats().deadLettered;
    await system.bus.idle();
    expect(idsOf('onPaid').filter((id) => id === retried)).toHaveLength(3);
    expect(idsOf('onPaid').filter((id) => id === dead)).toHaveLength(3);
    expect(system.bus.stats().deadLettered).toBe(deadBefore + 1);
    expect(system.bus.deadLetters.at(-1)).toMatchObject({ rule: 'paidRule', target: 'onPaid', attempts: 3, event: { id: dead } });
  });

  it('delivers every event twice, in shuffled order, when the duplicate and reorder switches are on', async () => {
    system.bus.setFaults({ duplicate: true, reorder: true });
    try {
      const before = idsOf('onPaid').length;
      const out = await events.send(
        new PutEventsCommand({ Entries: Array.from({ length: 8 }, (_, i) => entry('OrderPaid', { orderId: `o-dup-${i}` })) }),
      );
      await system.bus.idle();
      const delivered = idsOf('onPaid').slice(before);
      const sent = out.Entries!.map((e) => e.EventId!);
      expect([...delivered].sort()).toEqual([...sent, ...sent].sort());
    } finally {
      system.bus.setFaults({});
    }
  });
});

describe('the deployed wiring', () => {
  // Every wired function is the recorder: the ASL and patterns are what is under test, not the handlers.
  const recorders = createLambdaRuntime({
    functions: Object.fromEntries(Object.keys(wiredFunctions).map((id) => [id, { entry: `${FIX}/recorder.ts` }])),
  });

  it('loads every saga ASL file and compiles every rule pattern', () => {
    const machines = new LocalStepFunctions({ runtime: recorders, region: 'us-east-1' });
    expect(Object.keys(machines.arns).sort()).toEqual(['compensateOrder', 'confirmPayment', 'placeOrder', 'refundSaga']);
    expect(() => new LocalEventBus({ runtime: recorders })).not.toThrow();
  });

  it('ends placeOrder for a card order once the intent is open: the payment wait is order state, not a task token', async () => {
    const machines = new LocalStepFunctions({ runtime: recorders, region: 'us-east-1', retryIntervalMs: 1 });
    const orderId = uid('order');
    const record = machines.startExecution({ stateMachineArn: machines.arns.placeOrder, input: JSON.stringify({ orderId }) });
    const done = await machines.waitForExecution(record.executionArn);
    expect(done.status).toBe('SUCCEEDED');
    const steps = fixtureStore()
      .calls.filter((c) => c.event?.orderId === orderId)
      .map((c) => c.fn.replace('wandian-local-', ''));
    expect(steps).toEqual(['createPaymentIntent']);
    await machines.stop();
  });

  it('runs every start of an EXPRESS state machine (no execution-name dedupe, as in AWS)', async () => {
    const machines = new LocalStepFunctions({ runtime: recorders, region: 'us-east-1', retryIntervalMs: 1 });
    const orderId = uid('order');
    const start = () =>
      machines.startExecution({ stateMachineArn: machines.arns.confirmPayment, name: orderId, input: JSON.stringify({ orderId }) });
    const [first, second] = [start(), start()];
    expect(first.executionArn).not.toBe(second.executionArn);
    expect(first.executionArn).toContain(':express:');
    for (const r of [first, second]) expect((await machines.waitForExecution(r.executionArn)).status).toBe('SUCCEEDED');
    expect(callsOf('commitReservation').filter((e) => e.orderId === orderId)).toHaveLength(2);
    await machines.stop();
  });
});

describe('stop', () => {
  it('closes the API and the emulator and leaves no DynamoDB Local (java) process behind', async () => {
    const javaChildren = () =>
      execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => /\bjava\b/.test(l));
    expect(javaChildren()).toHaveLength(1);
    await system.stop();
    await system.stop(); // idempotent
    expect(javaChildren()).toEqual([]);
    await expect(fetch(`${system.url}/health`)).rejects.toThrow();
    await expect(fetch(system.dynamoEndpoint)).rejects.toThrow();
    await expect(fetch(system.awsEndpoint, { method: 'POST' })).rejects.toThrow();
  });
});
