/**
 * Bootstrap of one local Lambda isolate (a worker thread started by local/lambda-runtime.ts with tsx loaded
 * and the function's own `env`): installs the function's IAM-like access guard (local/access-guard.ts),
 * imports the handler module once (its own module graph: SDK clients, caches and loggers are this isolate's),
 * then serves invocations one at a time, like a Lambda execution environment: `{ requestId, event, deadline }`
 * in, `{ requestId, ok, value | error }` out. Errors cross the thread boundary as name, message, stack and
 * their JSON-safe own properties, so the caller rethrows an Error with the same `name` (ASL Retry/Catch match it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { installAccessGuard, type AccessPolicy } from './access-guard.ts';

/** What the runtime hands a new isolate. */
export interface WorkerData {
  functionId: string;
  functionName: string;
  functionArn: string;
  memoryMb: number;
  /** Absolute path of the handler module. */
  entryPath: string;
  /** The function's rights (Maps and Sets as arrays), or null for a fixture without declared tables (unchecked). */
  policy: SerializedPolicy | null;
}

export type SerializedPolicy = Omit<AccessPolicy, 'dynamodb' | 'starts' | 'describes'> & {
  dynamodb: Array<[string, string[]]>;
  starts: string[];
  describes: string[];
};

export interface InvokeMessage {
  requestId: string;
  event: unknown;
  /** Epoch ms at which the invocation times out. */
  deadline: number;
}

export type ResultMessage = { requestId: string; ok: true; value: unknown } | { requestId: string; ok: false; error: SerializedError };

/** Posted once after the handler module is imported (or failed to be). */
export type InitMessage = { init: 'ok' } | { init: 'failed'; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  props: Record<string, unknown>;
}

export const serializePolicy = (p: AccessPolicy): SerializedPolicy => ({
  ...p,
  dynamodb: [...p.dynamodb].map(([k, v]) => [k, [...v]]),
  starts: [...p.starts],
  describes: [...p.describes],
});

const deserializePolicy = (p: SerializedPolicy): AccessPolicy => ({
  ...p,
  dynamodb: new Map(p.dynamodb.map(([k, v]) => [k, new Set(v)])),
  starts: new Set(p.starts),
  describes: new Set(p.describes),
});

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), props: { thrown: safe(error) } };
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) if (key !== 'name' && key !== 'message' && key !== 'stack') props[key] = safe((error as any)[key]);
  return { name: error.name, message: error.message, stack: error.stack, props };
}

function safe(value: unknown): unknown {
  try {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}

if (parentPort) {
  const data = workerData as WorkerData;
  const port = parentPort;
  const policy = data.policy ? deserializePolicy(data.policy) : undefined;
  if (policy) installAccessGuard(() => policy);
  type Handler = (event: unknown, context: Context) => unknown;
  let handler: Promise<Handler> | undefined;
  const load = () =>
    (handler ??= import(pathToFileURL(data.entryPath).href).then((mod: { handler?: unknown }) => {
      if (typeof mod.handler !== 'function') throw new Error(`${data.entryPath} has no exported handler`);
      return mod.handler as Handler;
    }));
  // Init phase: import the handler module now, like Lambda does before the first invocation.
  load().then(
    () => port.postMessage({ init: 'ok' } satisfies InitMessage),
    (error) => port.postMessage({ init: 'failed', error: serializeError(error) } satisfies InitMessage),
  );
  const fail = () => {
    throw new Error('context.done/fail/succeed are not supported; return a value or a Promise');
  };
  port.on('message', async (msg: InvokeMessage) => {
    const context: Context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: data.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: data.functionArn,
      memoryLimitInMB: String(data.memoryMb),
      awsRequestId: msg.requestId,
      logGroupName: `/aws/lambda/${data.functionName}`,
      logStreamName: `local/[$LATEST]${msg.requestId.replaceAll('-', '')}`,
      getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
      done: fail,
      fail,
      succeed: fail,
    };
    let reply: ResultMessage;
    try {
      const fn = await load().catch((e) => {
        handler = undefined; // retry the import next time
        throw e;
      });
      reply = { requestId: msg.requestId, ok: true, value: await fn(msg.event, context) };
    } catch (error) {
      reply = { requestId: msg.requestId, ok: false, error: serializeError(error) };
    }
    try {
      port.postMessage(reply);
    } catch (error) {
      port.postMessage({ requestId: msg.requestId, ok: false, error: serializeError(error) } satisfies ResultMessage);
    }
  });
}
