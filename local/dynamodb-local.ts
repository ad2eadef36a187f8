/**
 * DynamoDB Local for local runs and tests: fetched once into `.cache/dynamodb-local/` (no npm dependency)
 * and started with the machine's Java, bound to 127.0.0.1 only.
 *
 * DynamoDB Local 1.25.1 ships in the npm package amplify-dynamodb-simulator@2.9.30 (`package/emulator`).
 * Only that tarball is fetched (`npm pack`, ~56 MB, checked against a pinned sha512); depending on the
 * package would pull ~280 packages. DynamoDB Local has no host flag and listens on all interfaces, so a
 * tiny launcher class (compiled with `javac` on first use, cached next to the jar) sets the Jetty
 * connector's host to 127.0.0.1 before the server starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

const PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
/** `npm view amplify-dynamodb-simulator@2.9.30 dist.integrity` */
const PACKAGE_INTEGRITY = 'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';
const DDB_LOCAL_VERSION = '1.25.1';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE_ROOT = join(REPO_ROOT, '.cache', 'dynamodb-local');
const EMULATOR_DIR = join(CACHE_ROOT, PACKAGE.replace('@', '-'));

const LOOPBACK = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const PORT_LINE = /^WANDIAN_DDB_LOCAL_PORT=(\d+)$/m;

/**
 * Starts DynamoDB Local bound to 127.0.0.1. Usage: `WandianLoopbackLauncher <port> <DynamoDB Local args>`;
 * port 0 lets the kernel pick one. Prints `WANDIAN_DDB_LOCAL_PORT=<port>` once listening. Exits when its
 * stdin closes (the parent died) and stops the server cleanly on SIGTERM.
 */
const LAUNCHER_CLASS = 'WandianLoopbackLauncher';
const LAUNCHER_SOURCE = `
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public final class ${LAUNCHER_CLASS} {
  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      e.printStackTrace(); // Jetty threads may already run: exit explicitly
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));
    // DynamoDBProxyServer builds new Server(port), i.e. one ServerConnector on all interfaces.
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    Connector[] connectors = jetty.getConnectors();
    if (connectors.length != 1 || !(connectors[0] instanceof ServerConnector)) {
      throw new IllegalStateException("unexpected Jetty connectors: " + Arrays.toString(connectors));
    }
    ServerConnector connector = (ServerConnector) connectors[0];
    connector.setHost("${LOOPBACK}");
    connector.setPort(port);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try { proxy.stop(); } catch (Exception e) { /* exiting anyway */ }
    }));
    Thread parentWatch = new Thread(() -> {
      try { while (System.in.read() != -1) { } } catch (Exception e) { /* treat as closed */ }
      System.exit(0);
    });
    parentWatch.setDaemon(true);
    parentWatch.start();
    proxy.start(); // throws, or on a SocketException prints it and stops Jetty
    if (!jetty.isStarted()) System.exit(1);
    System.out.println("WANDIAN_DDB_LOCAL_PORT=" + connector.getLocalPort());
    proxy.join();
  }
}
`;

/** Runs a command; resolves with its stdout, rejects with its stderr if it exits non-zero. */
function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${err}`))));
  });
}

async function sha512Integrity(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

/** Renames a fully prepared temp dir into place; if a concurrent caller got there first, keeps theirs. */
async function publish(tmpDir: string, target: string): Promise<void> {
  try {
    await rename(tmpDir, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(target)) throw e;
  }
}

/**
 * Returns the directory holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib` (DynamoDB Local 1.25.1).
 * The first call downloads amplify-dynamodb-simulator@2.9.30 with `npm pack` (~56 MB from the npm
 * registry), verifies its sha512 and extracts only `package/emulator` into `.cache/dynamodb-local/`;
 * later calls return the cache at once. Safe under concurrent callers and crashes (extract to a temp dir,
 * then one atomic rename). Throws if npm or tar fail or the tarball's checksum does not match.
 */
export async function ensureDynamoDbLocal(): Promise<string> {
  if (existsSync(join(EMULATOR_DIR, 'DynamoDBLocal.jar'))) return EMULATOR_DIR;
  await mkdir(CACHE_ROOT, { recursive: true });
  const tmp = await mkdtemp(join(CACHE_ROOT, '.tmp-'));
  try {
    process.stderr.write(
      `wandian: downloading DynamoDB Local ${DDB_LOCAL_VERSION} (npm pack ${PACKAGE}, ~56 MB, once) into .cache/dynamodb-local/ for local runs and integration tests\n`,
    );
    await run('npm', ['pack', PACKAGE, '--pack-destination', tmp, '--silent'], tmp);
    const tarball = (await readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${PACKAGE} produced no tarball in ${tmp}`);
    const integrity = await sha512Integrity(join(tmp, tarball));
    if (integrity !== PACKAGE_INTEGRITY) {
      throw new Error(`${PACKAGE} checksum mismatch: expected ${PACKAGE_INTEGRITY}, got ${integrity}`);
    }
    await run('tar', ['-xzf', join(tmp, tarball), '-C', tmp, 'package/emulator']);
    const extracted = join(tmp, 'package', 'emulator');
    if (!existsSync(join(extracted, 'DynamoDBLocal.jar'))) throw new Error(`${PACKAGE} has no emulator/DynamoDBLocal.jar`);
    await publish(extracted, EMULATOR_DIR);
    return EMULATOR_DIR;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Compiles the launcher once per source version; returns the directory holding its class file. */
async function ensureLauncher(emulatorDir: string): Promise<string> {
  const digest = createHash('sha256').update(LAUNCHER_SOURCE).digest('hex').slice(0, 12);
  const dir = join(CACHE_ROOT, `launcher-${digest}`);
  if (existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  const tmp = await mkdtemp(join(CACHE_ROOT, '.tmp-'));
  try {
    const source = join(tmp, `${LAUNCHER_CLASS}.java`);
    await writeFile(source, LAUNCHER_SOURCE);
    const classpath = [join(emulatorDir, 'DynamoDBLocal.jar'), join(emulatorDir, 'DynamoDBLocal_lib', '*')].join(':');
    await run('javac', ['-nowarn', '-cp', classpath, '-d', tmp, source]);
    await publish(tmp, dir);
    return dir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local with the machine's `java`, listening on 127.0.0.1 only, telemetry off
 * (`DDB_LOCAL_TELEMETRY=0`) and `-sharedDb` (one database whatever the client's credentials/region).
 * - `port`: TCP port; 0 or undefined lets the kernel pick a free one.
 * - `dbPath`: directory for a persistent store (`-dbPath`); without it the data lives in memory.
 * Resolves once ListTables answers. Rejects after 30 s, or as soon as the process exits, with its stderr.
 * The child is killed when this process exits (and exits by itself if this process dies).
 */
export async function startDynamoDbLocal(opts: { port?: number; dbPath?: string } = {}): Promise<DynamoDbLocal> {
  const emulatorDir = await ensureDynamoDbLocal();
  const launcherDir = await ensureLauncher(emulatorDir);
  if (opts.dbPath) await mkdir(opts.dbPath, { recursive: true });
  const storage = opts.dbPath ? ['-dbPath', opts.dbPath] : ['-inMemory'];
  const args = [
    `-Djava.library.path=${join(emulatorDir, 'DynamoDBLocal_lib')}`,
    '-cp',
    [launcherDir, join(emulatorDir, 'DynamoDBLocal.jar')].join(':'),
    LAUNCHER_CLASS,
    String(opts.port ?? 0),
    ...storage,
    '-sharedDb',
  ];
  const child = spawn('java', args, {
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => process.off('exit', killOnExit));

  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-65_536)));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-65_536)));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    const port = await waitUntilReady(child, exited, () => stdout);
    return { endpoint: `http://${LOOPBACK}:${port}`, port, stop };
  } catch (e) {
    await stop();
    throw new Error(`DynamoDB Local did not start: ${(e as Error).message}\njava ${args.join(' ')}\nstderr:\n${stderr}`);
  }
}

/** Waits for the launcher's port line, then for a successful ListTables; returns the port. */
async function waitUntilReady(child: ChildProcess, exited: Promise<void>, stdout: () => string): Promise<number> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let died = false;
  let spawnError: Error | undefined;
  void exited.then(() => (died = true));
  child.once('error', (e) => (spawnError = e));
  const sleep = () => new Promise((r) => setTimeout(r, 100));

  let port: number | undefined;
  let client: DynamoDBClient | undefined;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      if (spawnError) throw spawnError;
      if (died) throw new Error(`process exited with ${child.exitCode ?? child.signalCode}`);
      port ??= Number(PORT_LINE.exec(stdout())?.[1]) || undefined;
      if (port !== undefined) {
        client ??= new DynamoDBClient({
          endpoint: `http://${LOOPBACK}:${port}`,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          maxAttempts: 1,
        });
        try {
          await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
          return port;
        } catch (e) {
          lastError = e;
        }
      }
      await sleep();
    }
    throw new Error(`no answer to ListTables within ${READY_TIMEOUT_MS / 1000} s (last error: ${String(lastError)})`);
  } finally {
    client?.destroy();
  }
}
