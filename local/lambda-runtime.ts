/**
 * Runs the unchanged Lambda handler modules like the Node.js Lambda runtime does: calls `handler(event, context)`
 * of `<root>/<entry>` with a Lambda-like context. Two isolation modes:
 *
 * - `worker` (`npm run local -- --isolation worker`): each function runs in its own isolates, worker threads with
 *   tsx loaded, created on demand, kept warm and reused, up to `maxIsolatesPerFunction` concurrent ones
 *   (further calls queue), like Lambda execution environments. Each isolate has its own module state and its
 *   own `env`: the process environment without any resource variable, plus what lib/function-environment.ts
 *   builds from the function's spec (the same builder the CDK stack uses), so a table the spec does not
 *   declare has no variable there. A timed-out isolate is terminated (Lambda discards the sandbox).
 * - `process` (the default): handlers are `import()`ed into this process and share its environment
 *   and module state (a test can spy on a module, or change a setting between calls).
 *
 * In both modes, a function whose spec declares `tables` gets the IAM-like guard of local/access-guard.ts:
 * an SDK call its deployed role would not allow fails with AccessDeniedException (after `configure()`).
 *
 * Also in both modes, Lambda's concurrency limits: a function with `reservedConcurrency` runs at most that many
 * invocations at once, the others share the account's unreserved pool (`accountConcurrency` minus every
 * reservation, as in AWS); an invocation beyond its limit is refused at once with LambdaThrottledError
 * (`TooManyRequestsException`, as the Lambda Invoke API names it) before any handler code runs. The timeout is
 * the deployed one (lib/function-environment.ts functionTimeoutSeconds) and counts from when the handler
 * starts: waiting for a free local isolate (worker mode) or for the cold start does not count, as in AWS where
 * the invocation's clock starts when its sandbox runs it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Worker } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import {
  DEFAULT_MEMORY_MB,
  functionEnvironment,
  functionTimeoutSeconds,
  resourceEnvironmentNames,
  type ResolvedResources,
} from '../lib/function-environment.ts';
import { functions as wiredFunctions, type FunctionId, type FunctionSpec } from '../lib/wiring.ts';
import { accessPolicy, installAccessGuard, type AccessPolicy, type AccessSpec } from './access-guard.ts';
import type { InitMessage, InvokeMessage, ResultMessage, SerializedError, WorkerData } from './lambda-worker.ts';
import { serializePolicy } from './lambda-worker.ts';
import { inFunction } from './metering.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const LOCAL_ACCOUNT = '000000000000';
export const DEFAULT_REGION = 'us-east-1';
/** Isolates per function at most in `worker` mode (further concurrent calls queue), unless `reservedConcurrency` is lower. */
export const DEFAULT_MAX_ISOLATES_PER_FUNCTION = 4;

/**
 * What the runtime needs of a function: the wiring's FunctionSpec, or a test fixture's. A spec that declares
 * `tables` gets its environment and rights from them (and its other capabilities); one without is a fixture
 * with the whole process environment and no access checks.
 */
export type LocalFunctionSpec = Pick<FunctionSpec, 'entry' | 'timeoutSeconds' | 'memoryMb'> &
  Partial<Pick<FunctionSpec, 'reservedConcurrency'>> &
  Partial<AccessSpec>;

/** The physical resources of the running system, from which each function's environment and rights are built. */
export interface LocalResources extends ResolvedResources {
  account?: string;
  region?: string;
}

export type IsolationMode = 'worker' | 'process';
type Handler = (event: unknown, context: Context) => unknown;

/** `wandian-local-<id>`: the local physical function name. */
export const localFunctionName = (id: string): string => `wandian-local-${id}`;

/** `arn:aws:lambda:<region>:000000000000:function:wandian-local-<id>`. */
export const localFunctionArn = (id: string, region = process.env.AWS_REGION ?? DEFAULT_REGION): string =>
  `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${localFunctionName(id)}`;

/** Error an invocation rejects with when the handler outlives its timeout (as Lambda reports it). */
export class LambdaTimeoutError extends Error {
  override name = 'Sandbox.Timedout';
}

/**
 * Error an invocation rejects with, before any handler code ran, when the function is at its concurrency limit:
 * what Lambda's Invoke API answers (HTTP 429 TooManyRequestsException with `Reason` and `retryAfterSeconds`).
 */
export class LambdaThrottledError extends Error {
  override name = 'TooManyRequestsException';
  readonly statusCode = 429;
  constructor(
    message: string,
    readonly Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' | 'ConcurrentInvocationLimitExceeded',
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** Lambda's default account concurrency quota per region (Lambda quotas: "Concurrent executions", 1,000). */
export const DEFAULT_ACCOUNT_CONCURRENCY = 1_000;

/**
 * `reservedConcurrency` overrides from `WANDIAN_LOCAL_RESERVED_CONCURRENCY` (`id=n,id=n`, e.g. `createOrder=4`):
 * to see shedding on a laptop without editing the wiring. Ignores malformed entries.
 */
export function reservedConcurrencyFromEnv(value = process.env.WANDIAN_LOCAL_RESERVED_CONCURRENCY): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (value ?? '').split(',')) {
    const [id, n] = part.split('=').map((x) => x.trim());
    if (id && n && /^\d+$/.test(n)) out[id] = Number(n);
  }
  return out;
}

export interface InvokeOptions {
  /** Overrides the spec's timeout for this call (seconds). */
  timeoutSeconds?: number;
}

export interface FunctionStats {
  invocations: number;
  errors: number;
  /** Invocations refused by a concurrency limit (counted in neither `invocations` nor `errors`, as in CloudWatch). */
  throttles?: number;
}

export interface LambdaRuntime {
  /**
   * Invokes function `id` with `event`; resolves with the handler's result, rejects with what it threw
   * (with the same `name`, so `error.name` is the error type), or with LambdaTimeoutError after `timeoutSeconds`
   * (default: the deployed timeout, functionTimeoutSeconds), or at once with LambdaThrottledError when the function
   * is at its concurrency limit (no handler code ran). Throws for an unknown id or a module without a `handler` export.
   */
  invoke(id: string, event: unknown, opts?: InvokeOptions): Promise<unknown>;
  /** Whether `id` is a known function. */
  has(id: string): boolean;
  /** Invocations and errors (throws, timeouts and throttles) per function id, since start. */
  stats(): Record<string, FunctionStats>;
}

/** The runtime `createLambdaRuntime` makes: a LambdaRuntime (all the dispatchers use) that also manages isolates. */
export interface LocalLambdaRuntime extends LambdaRuntime {
  /** The isolation mode. */
  readonly isolation: IsolationMode;
  /**
   * Sets the physical resources (table names, state machine ARNs, bus...) from which each function's
   * environment and rights are built; isolates started before are discarded. Until then, nothing is checked.
   */
  configure(resources: LocalResources): void;
  /** Live isolates per function id (`worker` mode; empty in `process` mode). */
  isolates(): Record<string, { busy: number; idle: number }>;
  /** Terminates every isolate (they are started again on demand); idempotent. */
  close(): Promise<void>;
  /** The timeout `id` runs with, in seconds: its deployed timeout (functionTimeoutSeconds). */
  timeoutSecondsOf(id: string): number;
  /** The concurrency limit `id` runs under: its reserved concurrency, else the unreserved pool's size. */
  concurrencyLimitOf(id: string): number;
}

export interface LambdaRuntimeOptions {
  /** Function map; default lib/wiring.ts `functions`. */
  functions?: Record<string, LocalFunctionSpec>;
  /** Base directory of the entries; default the repository root. */
  root?: string;
  /** Default `process` (or WANDIAN_LOCAL_ISOLATION). */
  isolation?: IsolationMode;
  /** `worker` mode: concurrent isolates per function at most (default WANDIAN_LOCAL_MAX_ISOLATES or 4, or the spec's reservedConcurrency if lower). */
  maxIsolatesPerFunction?: number;
  /**
   * `worker` mode: invocations one isolate runs at once (default WANDIAN_LOCAL_INVOCATIONS_PER_ISOLATE or 1, as a
   * Lambda execution environment). More
   * trades that fidelity for fewer cold starts and more throughput on a small machine (handlers are async).
   */
  invocationsPerIsolate?: number;
  /**
   * Reserved concurrency per function id, over the specs' `reservedConcurrency` (default: the specs', then
   * WANDIAN_LOCAL_RESERVED_CONCURRENCY, see reservedConcurrencyFromEnv).
   */
  reservedConcurrency?: Record<string, number>;
  /** The account's concurrency quota (default WANDIAN_LOCAL_ACCOUNT_CONCURRENCY or 1,000, Lambda's default). */
  accountConcurrency?: number;
}

/** Which calls run for which function (`process` mode): the guard reads the policy of the current invocation. */
const currentInvocation = new AsyncLocalStorage<AccessPolicy | undefined>();

/** Rebuilds a thrown Error from its serialized form (worker mode), keeping name, message, stack and properties. */
function rebuildError(e: SerializedError): Error {
  const error = Object.assign(new Error(e.message), e.props);
  Object.defineProperty(error, 'name', { value: e.name, enumerable: false, writable: true, configurable: true });
  if (e.stack) error.stack = e.stack;
  return error;
}

interface Isolate {
  worker: Worker;
  pending: Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>;
  dead: boolean;
  /** Invocations it runs now (at most `invocationsPerIsolate`). */
  inflight: number;
  /** Settles once the handler module is imported (Lambda's init phase, not counted against the invocation's timeout). */
  ready: Promise<void>;
  /** Takes the isolate out of its pool for good, failing what it still runs with `error`. */
  discard(error: Error): void;
}

interface Pool {
  all: Set<Isolate>;
  waiting: Array<(isolate: Isolate) => void>;
}

/**
 * A runtime over a function map (default: lib/wiring.ts `functions`; tests pass fixtures). Entries are
 * paths relative to `root` (default: the repository root).
 */
export function createLambdaRuntime(opts: LambdaRuntimeOptions = {}): LocalLambdaRuntime {
  const specs: Record<string, LocalFunctionSpec> = opts.functions ?? wiredFunctions;
  const root = opts.root ?? REPO_ROOT;
  const isolation: IsolationMode = opts.isolation ?? (process.env.WANDIAN_LOCAL_ISOLATION === 'worker' ? 'worker' : 'process');
  const modules = new Map<string, Promise<Handler>>();
  const counters: Record<string, FunctionStats> = {};
  const pools = new Map<string, Pool>();
  let resources: LocalResources | undefined;
  const policies = new Map<string, AccessPolicy | undefined>();

  // Lambda's concurrency model: reserved functions have their own limit; the rest share what is left of the account's.
  const reservedOverrides = { ...reservedConcurrencyFromEnv(), ...opts.reservedConcurrency };
  const reservedOf = (id: string): number | undefined => reservedOverrides[id] ?? specs[id]?.reservedConcurrency;
  const accountConcurrency =
    opts.accountConcurrency ?? (Number(process.env.WANDIAN_LOCAL_ACCOUNT_CONCURRENCY) || DEFAULT_ACCOUNT_CONCURRENCY);
  const unreservedPool = Math.max(1, accountConcurrency - Object.keys(specs).reduce((sum, id) => sum + (reservedOf(id) ?? 0), 0));
  const running = new Map<string, number>();
  let runningUnreserved = 0;
  /** Takes a concurrency slot for `id`, or throws LambdaThrottledError; returns the function that gives it back. */
  const admit = (id: string): (() => void) => {
    const reserved = reservedOf(id);
    const now = running.get(id) ?? 0;
    if (reserved !== undefined) {
      if (now >= reserved) {
        throw new LambdaThrottledError(
          `Rate Exceeded: ${localFunctionName(id)} is at its reserved concurrency (${reserved})`,
          'ReservedFunctionConcurrentInvocationLimitExceeded',
        );
      }
    } else if (runningUnreserved >= unreservedPool) {
      throw new LambdaThrottledError(
        `Rate Exceeded: the account's unreserved concurrency (${unreservedPool}) is in use`,
        'ConcurrentInvocationLimitExceeded',
      );
    }
    running.set(id, now + 1);
    if (reserved === undefined) runningUnreserved++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      running.set(id, (running.get(id) ?? 1) - 1);
      if (reserved === undefined) runningUnreserved--;
    };
  };

  const policyOf = (id: string): AccessPolicy | undefined => {
    if (policies.has(id)) return policies.get(id);
    const spec = specs[id];
    const policy =
      spec?.tables && resources
        ? accessPolicy(id, spec as AccessSpec, {
            tableNames: resources.tableNames,
            stateMachineArns: resources.stateMachineArns,
            account: resources.account ?? LOCAL_ACCOUNT,
            region: resources.region ?? process.env.AWS_REGION ?? DEFAULT_REGION,
          })
        : undefined;
    policies.set(id, policy);
    return policy;
  };
  if (isolation === 'process') installAccessGuard(() => currentInvocation.getStore());

  /** The isolate's environment: this process's without resource variables, plus the function's own. */
  const environmentOf = (id: string): Record<string, string> => {
    const spec = specs[id]!;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    if (!spec.tables || !resources) return env; // a fixture without declared tables sees everything
    for (const name of resourceEnvironmentNames()) delete env[name];
    return { ...env, ...functionEnvironment(id, spec as AccessSpec, resources) };
  };

  const load = (id: string): Promise<Handler> => {
    let loaded = modules.get(id);
    if (!loaded) {
      const spec = specs[id];
      if (!spec) return Promise.reject(new Error(`Unknown function ${id}`));
      loaded = import(pathToFileURL(join(root, spec.entry)).href).then((mod: { handler?: unknown }) => {
        if (typeof mod.handler !== 'function') throw new Error(`${spec.entry} has no exported handler`);
        return mod.handler as Handler;
      });
      loaded.catch(() => modules.delete(id)); // retry the import next time (e.g. after a syntax fix)
      modules.set(id, loaded);
    }
    return loaded;
  };

  const perIsolate = Math.max(1, opts.invocationsPerIsolate ?? (Number(process.env.WANDIAN_LOCAL_INVOCATIONS_PER_ISOLATE) || 1));
  const occupy = (isolate: Isolate): Isolate => {
    if (isolate.inflight++ === 0) isolate.worker.ref();
    return isolate;
  };
  const maxIsolates = (id: string) =>
    Math.max(
      1,
      Math.min(
        opts.maxIsolatesPerFunction ?? (Number(process.env.WANDIAN_LOCAL_MAX_ISOLATES) || DEFAULT_MAX_ISOLATES_PER_FUNCTION),
        reservedOf(id) ?? Infinity,
      ),
    );

  const poolOf = (id: string): Pool => {
    let pool = pools.get(id);
    if (!pool) pools.set(id, (pool = { all: new Set(), waiting: [] }));
    return pool;
  };

  const spawn = (id: string, pool: Pool): Isolate => {
    const spec = specs[id]!;
    const policy = policyOf(id);
    const data: WorkerData = {
      functionId: id,
      functionName: localFunctionName(id),
      functionArn: localFunctionArn(id),
      memoryMb: spec.memoryMb ?? DEFAULT_MEMORY_MB,
      entryPath: join(root, spec.entry),
      policy: policy ? serializePolicy(policy) : null,
    };
    const worker = new Worker(new URL('./lambda-worker.ts', import.meta.url), {
      execArgv: ['--import', 'tsx'],
      env: environmentOf(id),
      workerData: data,
      name: localFunctionName(id),
      resourceLimits: { maxOldGenerationSizeMb: data.memoryMb },
    });
    let initialized!: { resolve: () => void; reject: (e: unknown) => void };
    const ready = new Promise<void>((resolve, reject) => (initialized = { resolve, reject }));
    ready.catch(() => {}); // observed by the invocation that awaits it
    const isolate: Isolate = { worker, pending: new Map(), dead: false, inflight: 0, ready, discard: (error) => discard(error) };
    const discard = (error: Error) => {
      if (isolate.dead) return;
      isolate.dead = true;
      pool.all.delete(isolate);
      initialized.reject(error);
      for (const p of isolate.pending.values()) p.reject(error);
      isolate.pending.clear();
      // A waiting call may now start an isolate of its own.
      const next = pool.waiting.shift();
      if (next) next(occupy(spawn(id, pool)));
    };
    worker.on('message', (msg: ResultMessage | InitMessage) => {
      if ('init' in msg) {
        if (msg.init === 'ok') return initialized.resolve();
        const error = rebuildError(msg.error);
        initialized.reject(error);
        discard(error); // like a failed Lambda init: the next invocation starts a fresh isolate
        return void worker.terminate();
      }
      const p = isolate.pending.get(msg.requestId);
      if (!p) return;
      isolate.pending.delete(msg.requestId);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(rebuildError(msg.error));
    });
    worker.on('error', (error) =>
      discard(
        Object.assign(new Error(`${localFunctionName(id)}: isolate crashed: ${error.message}`), {
          name: 'Runtime.ExitError',
          cause: error,
        }),
      ),
    );
    worker.on('exit', (code) =>
      discard(Object.assign(new Error(`${localFunctionName(id)}: isolate exited (${code})`), { name: 'Runtime.ExitError' })),
    );
    worker.unref(); // an idle isolate does not keep the process alive
    pool.all.add(isolate);
    return isolate;
  };

  const acquire = (id: string): Promise<Isolate> => {
    const pool = poolOf(id);
    let best: Isolate | undefined;
    for (const i of pool.all) if (i.inflight < perIsolate && (!best || i.inflight < best.inflight)) best = i;
    if (best) return Promise.resolve(occupy(best));
    if (pool.all.size < maxIsolates(id)) return Promise.resolve(occupy(spawn(id, pool)));
    return new Promise((resolve) => pool.waiting.push(resolve));
  };

  const release = (id: string, isolate: Isolate) => {
    if (isolate.dead) return;
    const pool = poolOf(id);
    const next = pool.waiting.shift();
    if (next) return next(isolate); // the waiting call takes over this slot
    if (--isolate.inflight === 0) isolate.worker.unref(); // an idle isolate does not keep the process alive
  };

  const invokeInWorker = async (id: string, event: unknown, requestId: string, timeoutMs: number): Promise<unknown> => {
    const isolate = await acquire(id);
    let timer: NodeJS.Timeout | undefined;
    try {
      await isolate.ready; // the init phase (cold start) has its own budget in Lambda, not the invocation's
      const deadline = Date.now() + timeoutMs;
      const result = new Promise<unknown>((resolve, reject) => isolate.pending.set(requestId, { resolve, reject }));
      isolate.worker.postMessage({ requestId, event, deadline } satisfies InvokeMessage);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            const error = new LambdaTimeoutError(`${requestId} Task timed out after ${timeoutMs / 1000} seconds`);
            reject(error);
            isolate.pending.delete(requestId);
            // Like Lambda, the timed-out sandbox is not reused (other calls it ran, if it runs several, fail with it).
            isolate.discard(
              Object.assign(new Error(`${localFunctionName(id)}: isolate discarded after a timeout`), { name: 'Runtime.ExitError' }),
            );
            void isolate.worker.terminate();
          },
          Math.max(0, deadline - Date.now()),
        );
      });
      return await Promise.race([result, timeout]);
    } finally {
      clearTimeout(timer);
      isolate.pending.delete(requestId);
      release(id, isolate);
    }
  };

  const invoke = async (id: string, event: unknown, invokeOpts: InvokeOptions = {}): Promise<unknown> => {
    const spec = specs[id];
    if (!spec) throw new Error(`Unknown function ${id}`);
    const stats = (counters[id] ??= { invocations: 0, errors: 0 });
    let release: () => void;
    try {
      release = admit(id);
    } catch (error) {
      stats.throttles = (stats.throttles ?? 0) + 1;
      throw error;
    }
    stats.invocations++;
    const timeoutMs = (invokeOpts.timeoutSeconds ?? functionTimeoutSeconds(spec)) * 1000;
    const requestId = randomUUID();
    try {
      if (isolation === 'worker') return await invokeInWorker(id, event, requestId, timeoutMs);
      return await invokeInProcess(id, spec, event, requestId, timeoutMs);
    } catch (error) {
      stats.errors++;
      throw error;
    } finally {
      // A timed-out handler may still run on in `process` mode, but Lambda has discarded its sandbox: the slot is free.
      release();
    }
  };

  const invokeInProcess = async (
    id: string,
    spec: LocalFunctionSpec,
    event: unknown,
    requestId: string,
    timeoutMs: number,
  ): Promise<unknown> => {
    const name = localFunctionName(id);
    // The first call imports the module (Lambda's init phase, not counted against the invocation's timeout).
    const handler = await load(id);
    const deadline = Date.now() + timeoutMs;
    const fail = () => {
      throw new Error('context.done/fail/succeed are not supported; return a value or a Promise');
    };
    const context: Context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: localFunctionArn(id),
      memoryLimitInMB: String(spec.memoryMb ?? DEFAULT_MEMORY_MB),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: fail,
      fail,
      succeed: fail,
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new LambdaTimeoutError(`${requestId} Task timed out after ${timeoutMs / 1000} seconds`)),
          Math.max(0, deadline - Date.now()),
        );
      });
      const policy = policyOf(id);
      return await Promise.race([
        currentInvocation.run(policy, () =>
          inFunction(id, spec.memoryMb ?? DEFAULT_MEMORY_MB, () => Promise.resolve().then(() => handler(event, context))),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  const close = async () => {
    const all = [...pools.values()].flatMap((p) => [...p.all]);
    pools.clear();
    await Promise.all(all.map((i) => i.worker.terminate()));
  };

  return {
    invoke,
    has: (id) => id in specs,
    stats: () => structuredClone(counters),
    isolation,
    configure: (r) => {
      resources = r;
      policies.clear();
      void close();
    },
    isolates: () =>
      Object.fromEntries(
        [...pools].map(([id, p]) => [
          id,
          { busy: [...p.all].filter((i) => i.inflight > 0).length, idle: [...p.all].filter((i) => i.inflight === 0).length },
        ]),
      ),
    close,
    timeoutSecondsOf: (id) => {
      const spec = specs[id];
      if (!spec) throw new Error(`Unknown function ${id}`);
      return functionTimeoutSeconds(spec);
    },
    concurrencyLimitOf: (id) => reservedOf(id) ?? unreservedPool,
  };
}

let wired: LocalLambdaRuntime | undefined;

/** The process-wide runtime over lib/wiring.ts `functions` (created on first use). */
export function wiredRuntime(): LocalLambdaRuntime {
  return (wired ??= createLambdaRuntime());
}

/** Invokes a wired function (lib/wiring.ts) through `wiredRuntime()`; results and errors as LambdaRuntime.invoke. */
export function invokeFunction(id: FunctionId, event: unknown, opts?: InvokeOptions): Promise<unknown> {
  return wiredRuntime().invoke(id, event, opts);
}
