/**
 * Runs `local/main.ts --port 0` (the whole local system, as `npm run local` does) as a CHILD process on
 * the same Node binary as the caller (`process.execPath --import tsx`), waits for its `ready` line and
 * reads the API URL and the DynamoDB Local endpoint from it. Used by `npm run demo` and `npm run bench`.
 * The child's stderr (handler logs) goes to a log file, not to the terminal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What the child's `stopped` line reports (local/system.ts LocalSystemStats), when it printed one. */
export interface ChildStats {
  functions: Record<string, { invocations: number; errors: number }>;
  bus: Record<string, number>;
  executions: Record<string, number>;
}

/** How the child ended. `dynamoGone`: DynamoDB Local's port refused a connection after the exit. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stats?: ChildStats;
  /** ms from SIGTERM to exit. */
  stopMs: number;
  dynamoGone: boolean;
}

/** A running local system in a child process. */
export interface LocalChild {
  /** API base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** DynamoDB Local endpoint from the ready line (undefined if the line did not name one). */
  dynamoEndpoint?: string;
  pid: number;
  /** File receiving the child's stderr. */
  logPath: string;
  /** ms from spawn to the ready line. */
  startMs: number;
  /** Counts of child stderr lines: Powertools log levels (`WARN`, `ERROR`, ...) and `local` (runtime lines). */
  logCounts(): Record<string, number>;
  /**
   * The reconciler's logged summaries (functions/jobs/reconcile.ts logs `reconciled` with `{summary}`; at
   * WARN when it acted, at INFO otherwise, which the local default log level WARN drops): how many were
   * seen and their counts added up per key.
   */
  reconcilerLogs(): { runs: number; totals: Record<string, number> };
  /** SIGTERM, wait up to `graceMs` (then SIGKILL), and check that DynamoDB Local is gone. Idempotent. */
  stop(graceMs?: number): Promise<ChildExit>;
}

/** True when nothing accepts TCP connections at `endpoint` (`http://host:port`) any more. */
export function portClosed(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/**
 * Starts the child with `env` added to this process's environment. Resolves once it printed `ready`;
 * rejects (after killing it) when it exits first or `readyTimeoutMs` passes (default 120 s: the first run
 * may still fetch DynamoDB Local). The child is also sent SIGTERM if this process exits first.
 */
export async function startLocalChild(
  opts: { env?: Record<string, string>; readyTimeoutMs?: number; logName?: string } = {},
): Promise<LocalChild> {
  const started = Date.now();
  const logPath = join(tmpdir(), `${opts.logName ?? 'wandian-local'}-${process.pid}.log`);
  const log = createWriteStream(logPath);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);

  const counts: Record<string, number> = {};
  const reconciled = { runs: 0, totals: {} as Record<string, number> };
  let stopLine: string | undefined;
  const tail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    log.write(`${line}\n`);
    tail.push(line);
    if (tail.length > 20) tail.shift();
    const level = /^\{"level":"(\w+)"/.exec(line)?.[1];
    if (level) counts[level] = (counts[level] ?? 0) + 1;
    if (level && line.includes('"message":"reconciled"')) {
      try {
        const summary = (JSON.parse(line) as { summary?: Record<string, number> }).summary ?? {};
        reconciled.runs++;
        for (const [k, v] of Object.entries(summary)) if (typeof v === 'number') reconciled.totals[k] = (reconciled.totals[k] ?? 0) + v;
      } catch {
        /* not one JSON line: ignore */
      }
    } else if (line.startsWith('wandian local: stopped')) stopLine = line;
    else if (line.startsWith('wandian local:')) counts.local = (counts.local ?? 0) + 1;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve({ code, signal });
    }),
  );

  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`local system not ready after ${opts.readyTimeoutMs ?? 120_000} ms (log: ${logPath})`));
    }, opts.readyTimeoutMs ?? 120_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`[stdout] ${line}\n`);
      if (/\bready\b/.test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`local system exited before ready (code ${code}, signal ${signal}):\n  ${tail.join('\n  ')}`));
    });
  });
  const url = /https?:\/\/[^\s,)]+/.exec(ready)?.[0];
  if (!url) {
    child.kill('SIGTERM');
    throw new Error(`ready line has no URL: ${ready}`);
  }
  const dynamoEndpoint = /DynamoDB Local (https?:\/\/[^\s,)]+)/.exec(ready)?.[1];

  let stopping: Promise<ChildExit> | undefined;
  return {
    url,
    dynamoEndpoint,
    pid: child.pid!,
    logPath,
    startMs: Date.now() - started,
    logCounts: () => ({ ...counts }),
    reconcilerLogs: () => ({ runs: reconciled.runs, totals: { ...reconciled.totals } }),
    stop: (graceMs = 20_000) =>
      (stopping ??= (async () => {
        const t0 = Date.now();
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const { code, signal } = await exited;
        clearTimeout(timer);
        const stopMs = Date.now() - t0;
        await new Promise<void>((r) => log.end(r));
        let stats: ChildStats | undefined;
        const json = stopLine ? /;\s*(\{.*\})\s*$/.exec(stopLine)?.[1] : undefined;
        if (json) {
          try {
            stats = JSON.parse(json) as ChildStats;
          } catch {
            /* not parseable: leave undefined */
          }
        }
        const dynamoGone = dynamoEndpoint ? await portClosed(dynamoEndpoint) : true;
        return { code, signal, stats, stopMs, dynamoGone };
      })()),
  };
}
