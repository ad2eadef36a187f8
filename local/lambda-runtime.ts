/**
 * Runs the unchanged Lambda handler modules in this process: `import()`s `<repo root>/<entry>` on first use
 * and calls its `handler(event, context)` with a Lambda-like context, like the Node.js Lambda runtime does.
 * Environment (table names, endpoints...) must be set before the first invocation: handlers build their
 * SDK clients at import time.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { functions as wiredFunctions, type FunctionId, type FunctionSpec } from '../lib/wiring.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const LOCAL_ACCOUNT = '000000000000';
export const DEFAULT_REGION = 'us-east-1';
const DEFAULT_TIMEOUT_SECONDS = 10;
const DEFAULT_MEMORY_MB = 128;

/** What the runtime needs of a function: the wiring's FunctionSpec, or a test fixture's. */
export type LocalFunctionSpec = Pick<FunctionSpec, 'entry' | 'timeoutSeconds' | 'memoryMb'>;
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

export interface InvokeOptions {
  /** Overrides the spec's timeout for this call (seconds). */
  timeoutSeconds?: number;
}

export interface FunctionStats {
  invocations: number;
  errors: number;
}

export interface LambdaRuntime {
  /**
   * Invokes function `id` with `event`; resolves with the handler's result, rejects with what it threw
   * (unchanged, so `error.name` is the error type), or with LambdaTimeoutError after `timeoutSeconds`
   * (default: the spec's, else 10 s). Throws for an unknown id or a module without a `handler` export.
   */
  invoke(id: string, event: unknown, opts?: InvokeOptions): Promise<unknown>;
  /** Whether `id` is a known function. */
  has(id: string): boolean;
  /** Invocations and errors (throws and timeouts) per function id, since start. */
  stats(): Record<string, FunctionStats>;
}

/**
 * A runtime over a function map (default: lib/wiring.ts `functions`; tests pass fixtures). Entries are
 * paths relative to `root` (default: the repository root).
 */
export function createLambdaRuntime(
  opts: { functions?: Record<string, LocalFunctionSpec>; root?: string } = {},
): LambdaRuntime {
  const specs: Record<string, LocalFunctionSpec> = opts.functions ?? wiredFunctions;
  const root = opts.root ?? REPO_ROOT;
  const modules = new Map<string, Promise<Handler>>();
  const counters: Record<string, FunctionStats> = {};

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

  const invoke = async (id: string, event: unknown, invokeOpts: InvokeOptions = {}): Promise<unknown> => {
    const spec = specs[id];
    if (!spec) throw new Error(`Unknown function ${id}`);
    const stats = (counters[id] ??= { invocations: 0, errors: 0 });
    stats.invocations++;
    const timeoutMs = (invokeOpts.timeoutSeconds ?? spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    const deadline = Date.now() + timeoutMs;
    const name = localFunctionName(id);
    const requestId = randomUUID();
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
      const handler = await load(id);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new LambdaTimeoutError(`${requestId} Task timed out after ${timeoutMs / 1000} seconds`)),
          Math.max(0, deadline - Date.now()),
        );
      });
      return await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
    } catch (error) {
      stats.errors++;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  return { invoke, has: (id) => id in specs, stats: () => structuredClone(counters) };
}

let wired: LambdaRuntime | undefined;

/** The process-wide runtime over lib/wiring.ts `functions` (created on first use). */
export function wiredRuntime(): LambdaRuntime {
  return (wired ??= createLambdaRuntime());
}

/** Invokes a wired function (lib/wiring.ts) through `wiredRuntime()`; results and errors as LambdaRuntime.invoke. */
export function invokeFunction(id: FunctionId, event: unknown, opts?: InvokeOptions): Promise<unknown> {
  return wiredRuntime().invoke(id, event, opts);
}
