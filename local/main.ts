/**
 * `npm run local`: starts the whole system on this machine (see local/system.ts) and prints one line
 * containing `ready` with the API URL, then one with the ops dashboard and WebSocket URLs. Flags: `--port N`
 * (default PORT or 3000), `--persist [dir]` (keep DynamoDB data in dir, default `.local-data/`; without it
 * data lives in memory), `--isolation worker|process` (default WANDIAN_LOCAL_ISOLATION, else `process`: all
 * handlers in this process; `worker`: each function in its own warm isolates with its own environment, like Lambda),
 * `--quiet`.
 * SIGINT/SIGTERM stop everything and exit 0; a startup failure prints one line and exits 1.
 */
import { parseArgs } from 'node:util';
import type { IsolationMode } from './lambda-runtime.ts';
import { startLocalSystem, type LocalSystem } from './system.ts';

const USAGE = 'usage: npm run local -- [--port N] [--persist [dir]] [--isolation worker|process] [--quiet]';

function parseFlags(argv: string[]): { port?: number; persist: string | false; quiet: boolean; isolation: IsolationMode } {
  // `--persist` takes an optional value: a following non-flag argument is its directory.
  const args = argv.flatMap((a, i) =>
    a === '--persist' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) ? ['--persist=.local-data/'] : [a],
  );
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      persist: { type: 'string' },
      isolation: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536))
    throw new Error(`--port must be 0-65535, got ${values.port}`);
  // `worker` runs each function in its own warm isolates with its own environment, like Lambda (local/lambda-runtime.ts);
  // `process` (default) is faster on a small machine: measured on 2 shared cores, worker isolates cost about half the
  // create-order throughput (per-isolate heaps, JIT and cold starts), so they are the fidelity check, not the default.
  const isolation = values.isolation ?? process.env.WANDIAN_LOCAL_ISOLATION ?? 'process';
  if (isolation !== 'worker' && isolation !== 'process') throw new Error(`--isolation must be worker or process, got ${isolation}`);
  return { port, persist: values.persist ?? false, quiet: values.quiet ?? false, isolation };
}

async function main(): Promise<void> {
  // A handler's stray promise must not take the whole local system down (Lambda would fail one invocation).
  process.on('unhandledRejection', (reason) => console.error('wandian local: unhandled rejection', reason));

  let system: LocalSystem | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    try {
      const stats = system?.stats();
      await system?.stop();
      console.error(`wandian local: stopped (${signal}); ${JSON.stringify(stats)}`);
      process.exit(0);
    } catch (error) {
      console.error(`wandian local: stop failed: ${(error as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (error) {
    console.error(`wandian local: ${(error as Error).message} (${USAGE})`);
    process.exit(1);
  }
  try {
    system = await startLocalSystem(flags);
  } catch (error) {
    console.error(`wandian local: failed to start: ${String((error as Error)?.message ?? error).split('\n')[0]}`);
    process.exit(1);
  }
  if (stopping) return; // a signal arrived during startup
  console.log(`wandian local ready at ${system.url} (DynamoDB Local ${system.dynamoEndpoint}, AWS emulator ${system.awsEndpoint})`);
  console.log(
    `ops dashboard ${system.url}/dashboard; live order status ws://127.0.0.1:${system.port}/ws?token=<access token>&orderId=<id> (or customerId=, storeId=)`,
  );
}

void main();
