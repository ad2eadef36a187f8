/**
 * The whole of wandian on this machine: DynamoDB Local, the tables, the Step Functions + EventBridge
 * emulator, the ASL state machines, the event bus, the HTTP API, the live-status WebSocket (`/ws`, with its
 * management API emulator) and the local ops dashboard (`/dashboard`), all wired from lib/wiring.ts.
 * Handlers run unchanged; they find everything through the environment this module sets (the variables
 * the CDK stack sets when deployed, plus the SDK's AWS_ENDPOINT_URL_* service endpoints).
 * Handlers run in per-function worker isolates, each with the environment lib/function-environment.ts builds
 * from its spec, or (`isolation: 'process'`, the default here) in this process, whose environment then holds
 * every function's variables; either way an SDK call the function's deployed role would not allow fails with
 * AccessDeniedException (local/access-guard.ts). The resource variables are also set in this process (tests read them).
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  EVENT_BUS_ENV,
  functions as wiredFunctions,
  pipes as wiredPipes,
  type PipeSpec,
  routes as wiredRoutes,
  rules as wiredRules,
  schedules as wiredSchedules,
  stateMachines as wiredStateMachines,
  webSocketRoutes as wiredWebSocketRoutes,
  WEBSOCKET_ENDPOINT_ENV,
  JWT_AUDIENCE_ENV,
  JWT_ISSUER_ENV,
} from '../lib/wiring.ts';
import { createLocalIdentity, LOCAL_AUDIENCE, type LocalIdentity } from './identity.ts';
import { LOCAL_WEBHOOK_SECRET_DEFAULT } from '../src/config.ts';
import { startAwsEmulator, type AwsEmulator } from './aws-emulator.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts';
import { LocalEventBus, type EventBusOptions, type EventBusStats } from './event-bus.ts';
import { startHttpApi, type HttpApi, type LocalRoute } from './http-api.ts';
import {
  createLambdaRuntime,
  DEFAULT_REGION,
  wiredRuntime,
  type FunctionStats,
  type IsolationMode,
  type LocalLambdaRuntime,
  type LocalFunctionSpec,
} from './lambda-runtime.ts';
import { LocalStepFunctions, type ExecutionStatus, type LocalStateMachineSpec, type StepFunctionsOptions } from './step-functions.ts';
import { createTables, tableEnvironment } from './tables.ts';
import { startStreamRunner, type StreamRunner } from './stream-runner.ts';
import { DEFAULT_LOCAL_SCHEDULE_SECONDS, startScheduler } from './scheduler.ts';
import { COMPENSATION_FUNCTIONS, OpsDashboard } from './ops-dashboard.ts';
import { startLocalWebSocket, type LocalWebSocket } from './websocket.ts';
import { enableMetering } from './metering.ts';

export const TABLE_PREFIX = 'wandian-local-';
export const LOCAL_BUS_NAME = 'wandian-local';

export interface LocalSystemOptions {
  /** HTTP API port; default `PORT` or 3000; 0 = a free port. */
  port?: number;
  /** Directory for DynamoDB Local's data (kept across runs); false/undefined = in memory. */
  persist?: string | false;
  /**
   * Counting instrumentation for the cost model (local/metering.ts): default WANDIAN_METERING=1. Counts only
   * `process` isolation; once on, it stays on in this process (`meter.enabled = false` turns it off).
   */
  metering?: boolean;
  /** No log lines on stderr (handler crashes, dead letters). */
  quiet?: boolean;
  busOptions?: Omit<EventBusOptions, 'runtime' | 'rules' | 'busName' | 'region'>;
  sfnOptions?: Omit<StepFunctionsOptions, 'runtime' | 'stateMachines' | 'root' | 'region'>;
  /**
   * Period of the wiring `schedules` (e.g. the reconciler) locally, in seconds; default
   * WANDIAN_LOCAL_SCHEDULE_SECONDS or 5; 0 = schedules off.
   */
  scheduleSeconds?: number;
  /**
   * How handlers run (local/lambda-runtime.ts): `worker` = each function in its own warm isolates with its own
   * environment; `process` = all in this process. Default WANDIAN_LOCAL_ISOLATION, else `process`.
   */
  isolation?: IsolationMode;
  /** `worker` mode: concurrent isolates per function at most (default 4). */
  maxIsolatesPerFunction?: number;
  /** `worker` mode: invocations one isolate runs at once (default 1, like Lambda). */
  invocationsPerIsolate?: number;
  /**
   * Reserved concurrency per function id over the wiring's (e.g. `{ createOrder: 4 }` to see load shedding):
   * invocations beyond it are throttled before any handler code runs (local/lambda-runtime.ts).
   */
  reservedConcurrency?: Record<string, number>;
  /** The account's Lambda concurrency quota (default 1,000, Lambda's default). */
  accountConcurrency?: number;
  /** Test fixtures in place of lib/wiring.ts parts (tables always come from the wiring). */
  wiring?: {
    functions?: Record<string, LocalFunctionSpec>;
    routes?: readonly LocalRoute[];
    stateMachines?: Record<string, LocalStateMachineSpec>;
    rules?: EventBusOptions['rules'];
    /** Schedule id → target function id; default lib/wiring.ts `schedules` (none if fixture `functions` lack the targets). */
    schedules?: Readonly<Record<string, { target: string }>>;
    /** Pipe id → spec; default lib/wiring.ts `pipes` (none if fixture `functions` lack their enrichments). */
    pipes?: Readonly<Record<string, PipeSpec>>;
    /** WebSocket route key → function id; default lib/wiring.ts `webSocketRoutes` (none if fixture `functions` lack them). */
    webSocketRoutes?: Readonly<Record<string, string>>;
    /** Base directory of function entries and ASL files; default the repository root. */
    root?: string;
  };
}

export interface LocalSystemStats {
  functions: Record<string, FunctionStats>;
  bus: EventBusStats;
  executions: Partial<Record<ExecutionStatus, number>>;
}

export interface LocalSystem {
  /** `http://127.0.0.1:<port>` of the HTTP API. */
  url: string;
  port: number;
  dynamoEndpoint: string;
  /** Serves Step Functions and EventBridge (AWS_ENDPOINT_URL_SFN / _EVENTBRIDGE). */
  awsEndpoint: string;
  region: string;
  runtime: LocalLambdaRuntime;
  stepFunctions: LocalStepFunctions;
  bus: LocalEventBus;
  /** The wiring's pipes over DynamoDB Local's streams (the outbox: order changes → events on the bus; the status fan-out). */
  streams: StreamRunner | undefined;
  http: HttpApi;
  /** The live-status WebSocket at `ws://127.0.0.1:<port>/ws` (undefined without WebSocket routes). */
  webSocket: LocalWebSocket | undefined;
  /** The ops dashboard's figures (served at `/dashboard`). */
  dashboard: OpsDashboard;
  /** The local OpenID issuer (`/local/idp`, `POST /local/token`); the API accepts only its tokens. */
  identity: LocalIdentity;
  /** Invocations per function, bus counters, executions per status. */
  stats(): LocalSystemStats;
  /** Stops the API, the bus, the executions, the emulator and DynamoDB Local (waits for its exit); idempotent. */
  stop(): Promise<void>;
}

/** Sets `process.env[name]` (deleting it for undefined); returns a function restoring the previous value. */
function setEnv(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(values);
  return () => apply(previous);
}

/**
 * Starts everything and sets the handlers' environment (before any handler is imported). Rejects, after
 * stopping whatever had started, if DynamoDB Local, a table, an ASL file, a rule pattern or the port fails.
 */
export async function startLocalSystem(opts: LocalSystemOptions = {}): Promise<LocalSystem> {
  const log = opts.quiet ? () => {} : (line: string, error?: unknown) => console.error(`wandian local: ${line}`, ...(error ? [error] : []));
  const region = process.env.AWS_REGION || DEFAULT_REGION;
  const restores = [
    setEnv({
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_SERVICE_NAME: process.env.POWERTOOLS_SERVICE_NAME ?? 'wandian',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // Tracing is off locally (no AWS_EXECUTION_ENV, functions/commons/powertools.ts). In its default automatic mode
      // the X-Ray SDK still enables, on import, a cls-hooked async hook that tracks every promise's destroy: ~15 % of
      // the local process's CPU in a profiled demo run. Manual mode creates no such hook; nothing local reads it.
      AWS_XRAY_MANUAL_MODE: process.env.AWS_XRAY_MANUAL_MODE ?? 'true',
      // EMF metric lines are for CloudWatch; locally the ops dashboard shows the figures.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
      POWERTOOLS_METRICS_NAMESPACE: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Wandian',
      WANDIAN_PAYMENT_WEBHOOK_SECRET: process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET ?? LOCAL_WEBHOOK_SECRET_DEFAULT,
    }),
  ];
  if (opts.metering ?? process.env.WANDIAN_METERING === '1') enableMetering();
  const stops: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const s of stops.reverse()) await s().catch((e) => log('stop failed', e));
      for (const restore of restores.reverse()) restore();
    })());

  try {
    const w = opts.wiring ?? {};
    const stateMachineSpecs: Record<string, LocalStateMachineSpec> = w.stateMachines ?? wiredStateMachines;
    const runtime =
      w.functions ||
      w.root ||
      opts.isolation ||
      opts.maxIsolatesPerFunction ||
      opts.invocationsPerIsolate ||
      opts.reservedConcurrency ||
      opts.accountConcurrency
        ? createLambdaRuntime({
            functions: w.functions ?? wiredFunctions,
            root: w.root,
            isolation: opts.isolation,
            maxIsolatesPerFunction: opts.maxIsolatesPerFunction,
            invocationsPerIsolate: opts.invocationsPerIsolate,
            reservedConcurrency: opts.reservedConcurrency,
            accountConcurrency: opts.accountConcurrency,
          })
        : wiredRuntime();
    // Built first: invalid ASL or rule patterns fail before DynamoDB Local starts.
    const stepFunctions = new LocalStepFunctions({ ...opts.sfnOptions, runtime, stateMachines: stateMachineSpecs, root: w.root, region });
    const dashboard = new OpsDashboard({
      compensationSteps: () => {
        const stats = runtime.stats();
        return COMPENSATION_FUNCTIONS.reduce((n, id) => n + (stats[id]?.invocations ?? 0), 0);
      },
    });
    const bus = new LocalEventBus({
      onDeadLetter: (d) =>
        log(`event ${d.event.id} (${d.event['detail-type']}) dead-lettered for rule ${d.rule} after ${d.attempts} attempts: ${d.error}`),
      ...opts.busOptions,
      onEvent: (event, info) => {
        dashboard.observe(event);
        opts.busOptions?.onEvent?.(event, info);
      },
      runtime,
      rules: w.rules ?? wiredRules,
      busName: LOCAL_BUS_NAME,
      region,
    });

    // Stopped in reverse order: API, executions, bus deliveries, emulator, DynamoDB Local.
    stops.push(() => runtime.close()); // isolates go last, once nothing dispatches to them any more
    const dynamo: DynamoDbLocal = await startDynamoDbLocal({ dbPath: opts.persist || undefined });
    stops.push(() => dynamo.stop());
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const tableNames = await createTables(client, { prefix: TABLE_PREFIX }).finally(() => client.destroy());

    const emulator: AwsEmulator = await startAwsEmulator(
      { ...stepFunctions.operations(), ...bus.operations() },
      { onError: (e) => log('emulator operation failed', e) },
    );
    stops.push(
      () => emulator.close(),
      () => bus.stop(),
      () => stepFunctions.stop(),
    );
    const wsRoutes = w.webSocketRoutes ?? (Object.values(wiredWebSocketRoutes).every((id) => runtime.has(id)) ? wiredWebSocketRoutes : {});
    // One issuer for the HTTP API and the WebSocket; `identity.verifier` follows its bind() to the API's URL.
    const identity = await createLocalIdentity();
    const verifyToken = (token: string | undefined) => identity.verifier.verify(token);
    const webSocket =
      Object.keys(wsRoutes).length > 0 ? await startLocalWebSocket({ runtime, routes: wsRoutes, log, verifyToken }) : undefined;

    restores.push(
      setEnv({
        ...tableEnvironment(tableNames),
        ...Object.fromEntries(
          Object.entries(stateMachineSpecs).flatMap(([id, spec]) => (spec.envVar ? [[spec.envVar, stepFunctions.arns[id]!]] : [])),
        ),
        [EVENT_BUS_ENV]: LOCAL_BUS_NAME,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_SFN: emulator.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: emulator.endpoint,
        [WEBSOCKET_ENDPOINT_ENV]: webSocket?.managementEndpoint,
      }),
    );

    // Each function's environment and rights, built from its spec (lib/function-environment.ts, local/access-guard.ts).
    runtime.configure({
      tableNames,
      stateMachineArns: stepFunctions.arns,
      busName: LOCAL_BUS_NAME,
      webSocketEndpoint: webSocket?.managementEndpoint,
      region,
    });

    // The wiring's pipes read the tables' streams: the outbox puts the events on the bus, the fan-out invokes its
    // function. Stopped before the bus.
    const pipeFunctions = (p: PipeSpec) => [p.enrichment, ...(p.target.kind === 'function' ? [p.target.function] : [])];
    const pipeSpecs = w.pipes ?? (Object.values(wiredPipes).every((p) => pipeFunctions(p).every((f) => runtime.has(f))) ? wiredPipes : {});
    const streams =
      Object.keys(pipeSpecs).length > 0
        ? await startStreamRunner({
            runtime,
            putEvents: (entries, onSettled) => bus.putEvents(entries, onSettled),
            busName: LOCAL_BUS_NAME,
            pipes: pipeSpecs,
            tableNames,
            dynamoEndpoint: dynamo.endpoint,
            region,
            checkpointFile: opts.persist ? join(opts.persist, 'stream-checkpoints.json') : undefined,
            log,
          })
        : undefined;
    if (streams) {
      stops.push(() => streams.stop());
      // "The bus is idle" includes the changes not yet read from the streams (tests wait on it).
      bus.setUpstream(() => streams.drained());
    }

    const http = await startHttpApi({
      runtime,
      routes: w.routes ?? wiredRoutes,
      port: opts.port ?? Number(process.env.PORT || 3000),
      log,
      localHandler: (req, res, url) => identity.handle(req, res, url) || dashboard.handle(req, res, url),
      verifyToken,
    });
    identity.bind(http.url);
    restores.push(setEnv({ [JWT_ISSUER_ENV]: identity.issuer, [JWT_AUDIENCE_ENV]: LOCAL_AUDIENCE.join(',') }));
    // Stops run in reverse: the WebSocket closes before the HTTP server (whose close waits for every
    // socket, upgraded ones included), and before the bus and DynamoDB (its $disconnect handlers still run).
    stops.push(() => http.close());
    if (webSocket) stops.push(() => webSocket.close());
    const schedules = w.schedules ?? (Object.values(wiredSchedules).every((s) => runtime.has(s.target)) ? wiredSchedules : {});
    const scheduleSeconds = opts.scheduleSeconds ?? Number(process.env.WANDIAN_LOCAL_SCHEDULE_SECONDS ?? DEFAULT_LOCAL_SCHEDULE_SECONDS);
    if (scheduleSeconds > 0 && Object.keys(schedules).length > 0) {
      const scheduler = startScheduler({ runtime, schedules, intervalSeconds: scheduleSeconds, log });
      stops.push(() => scheduler.stop()); // stopped first: no run starts while the rest shuts down
    }
    webSocket?.attach(http.server);

    return {
      url: http.url,
      port: http.port,
      dynamoEndpoint: dynamo.endpoint,
      awsEndpoint: emulator.endpoint,
      region,
      runtime,
      stepFunctions,
      bus,
      streams,
      http,
      webSocket,
      dashboard,
      identity,
      stats: () => {
        const executions: Partial<Record<ExecutionStatus, number>> = {};
        for (const e of stepFunctions.list()) executions[e.status] = (executions[e.status] ?? 0) + 1;
        return { functions: runtime.stats(), bus: bus.stats(), executions };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
