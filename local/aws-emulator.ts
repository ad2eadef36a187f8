/**
 * A loopback HTTP endpoint that speaks the AWS JSON protocol for the Step Functions and EventBridge
 * operations wandian uses, so handlers' SDK v3 clients reach the local saga runner and bus through
 * `AWS_ENDPOINT_URL_SFN` / `AWS_ENDPOINT_URL_EVENTBRIDGE` alone. Errors come back as AWS does
 * (status 400, `__type`), so the SDK raises its own exception classes (ExecutionAlreadyExists, ...).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An AWS service error; `type` becomes `__type` (and the SDK exception's `name`). */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** One emulated operation: the parsed JSON request in, the JSON response out (or an AwsError). */
export type Operation = (request: any) => unknown;

/** Operations by `X-Amz-Target`, e.g. `AWSStepFunctions.StartExecution`, `AWSEvents.PutEvents`. */
export type Operations = Record<string, Operation>;

export interface AwsEmulator {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** Stops listening and drops open connections; idempotent. */
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 1024 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) throw new AwsError('ValidationException', 'Request is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON');
  }
}

/**
 * Starts the emulator on 127.0.0.1:`port` (0 = a free port) serving `operations`. Unknown targets answer
 * 400 UnknownOperationException; non-AwsError throws answer 500 InternalFailure (and are passed to `onError`).
 */
export async function startAwsEmulator(
  operations: Operations,
  opts: { port?: number; onError?: (error: unknown) => void } = {},
): Promise<AwsEmulator> {
  const server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    // JSON 1.0 (Step Functions, DynamoDB) or 1.1 (EventBridge): answer in the protocol asked.
    const contentType = String(req.headers['content-type'] ?? 'application/x-amz-json-1.0');
    const reply = (status: number, body: unknown, errorType?: string) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': contentType,
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': crypto.randomUUID(),
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(text);
    };
    try {
      const operation = req.method === 'POST' ? operations[target] : undefined;
      if (!operation) throw new AwsError('UnknownOperationException', `Operation ${target || '(none)'} is not emulated locally`);
      reply(200, (await operation(await readJson(req))) ?? {});
    } catch (error) {
      if (error instanceof AwsError) {
        reply(error.status, { __type: error.type, message: error.message }, error.type);
      } else {
        opts.onError?.(error);
        reply(500, { __type: 'InternalFailure', message: String((error as Error)?.message ?? error) }, 'InternalFailure');
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
