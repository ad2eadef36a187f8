/**
 * The local HTTP API: what API Gateway (HTTP API, payload format 2.0) does in front of the handlers.
 * Matches method + path against `routes` (lib/wiring.ts), builds an `APIGatewayProxyEventV2`, invokes the
 * route's function through the local Lambda runtime and writes its `{statusCode, headers, body, cookies}`.
 * Unknown routes answer 404 and handler crashes 500, both as application/problem+json; `GET /health` 200.
 * An invocation the Lambda runtime throttles (the function at its concurrency limit: no handler code ran, so
 * nothing was written) is answered 503 SERVICE_OVERLOADED with Retry-After, as the contract wants. Deployed,
 * API Gateway answers a throttled Lambda 500 `{"message":"Internal Server Error"}` (HTTP APIs cannot remap it):
 * the wiring sizes each such route's gateway burst within the function's reserved concurrency, so the gateway
 * sheds first, with 429 (README "Overload and retries").
 * Local-only pages (the ops dashboard) are served by `localHandler` before any route is matched.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { routes as wiredRoutes, type RouteSpec } from '../lib/wiring.ts';
import { LOCAL_ACCOUNT, type LambdaRuntime } from './lambda-runtime.ts';
import { RouteThrottle, writeThrottled } from './route-throttle.ts';
import { meter } from './metering.ts';

/**
 * A route: the wiring's RouteSpec, or a test fixture's (any function id). Only fixtures may omit `auth`
 * (the wiring's type requires it); such a route is served without a token check.
 */
export type LocalRoute = Pick<RouteSpec, 'method' | 'path'> &
  Partial<Pick<RouteSpec, 'auth' | 'throttle' | 'principalLimit'>> & { function: string };

export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpApi {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The node:http server (e.g. to attach a WebSocket upgrade handler). */
  server: Server;
  /** Stops listening and closes every connection; idempotent. */
  close(): Promise<void>;
}

/**
 * The route for `method` + `path` (path without query string) and its URL-decoded path parameters, or
 * undefined. When several match, the most specific wins (literal segments before `{param}` ones, left to
 * right), as in API Gateway.
 */
export function matchRoute(
  routes: readonly LocalRoute[],
  method: string,
  path: string,
): { route: LocalRoute; pathParameters: Record<string, string> } | undefined {
  const segments = path.split('/');
  let best: { route: LocalRoute; pathParameters: Record<string, string>; score: string } | undefined;
  for (const route of routes) {
    const parts = route.path.split('/');
    if (route.method !== method || parts.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    let score = '';
    const ok = parts.every((part, i) => {
      const param = /^\{(\w+)\}$/.exec(part)?.[1];
      score += param ? '0' : '1';
      if (!param) return part === segments[i];
      try {
        pathParameters[param] = decodeURIComponent(segments[i]!);
      } catch {
        return false; // malformed %-encoding
      }
      return segments[i] !== '';
    });
    if (ok && (!best || score > best.score)) best = { route, pathParameters, score };
  }
  return best && { route: best.route, pathParameters: best.pathParameters };
}

/** `dd/MMM/yyyy:HH:mm:ss +0000`, API Gateway's requestContext.time. */
function clfTime(d: Date): string {
  const [, day, mon, year, time] = /^\w+, (\d+) (\w+) (\d+) (\S+)/.exec(d.toUTCString())!;
  return `${day!.padStart(2, '0')}/${mon}/${year}:${time} +0000`;
}

/**
 * The payload-2.0 event API Gateway would send for this request: lower-cased headers (repeats joined with
 * commas, cookies moved to `cookies`), query parameters (repeats joined with commas), URL-decoded path
 * parameters, body as UTF-8 text (`isBase64Encoded: false`).
 */
export function toApiGatewayEvent(
  req: IncomingMessage,
  url: URL,
  route: LocalRoute,
  pathParameters: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEventV2 {
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name !== 'cookie' && value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const host = headers.host ?? '127.0.0.1';
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(req.headers.cookie ? { cookies: req.headers.cookie.split(/;\s*/) } : {}),
    headers,
    ...(url.search.length > 1 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0]!,
      http: {
        method: route.method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: body.toString('utf8') } : {}),
    isBase64Encoded: false,
  };
}

function problem(
  res: ServerResponse,
  status: number,
  code: string,
  title: string,
  detail: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({
    type: `https://wandian.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title,
    status,
    code,
    detail,
  });
  res.writeHead(status, { ...headers, 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * What API Gateway's HTTP JWT authorizer hands the integration: `requestContext.authorizer.jwt` with every
 * claim as a string (arrays as `"[a b]"`) and the token's scopes.
 */
export function jwtAuthorizerContext(claims: Record<string, unknown>): {
  jwt: { claims: Record<string, string>; scopes: string[] | null };
} {
  const asString = (v: unknown) => (Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'string' ? v : JSON.stringify(v));
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  return {
    jwt: { claims: Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, asString(v)])), scopes: scopes.length ? scopes : null },
  };
}

/** The bearer token of an `Authorization` header, if any. */
const bearerToken = (header: string | undefined): string | undefined => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];

/**
 * `clientError` listener of the server. node:http answers a request it cannot parse itself, in plain
 * text; an oversized header block (HPE_HEADER_OVERFLOW: over node's 16 KiB default, `--max-http-header-size`)
 * is answered here 431 HEADERS_TOO_LARGE as application/problem+json like every other API error (issue 7).
 * Other parse errors get node's own answers (408 for a request timeout, else 400); nothing is written when
 * the socket is gone or a response on it has already started. The connection is closed in every case.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // node's default handler makes the same check: `_httpMessage` is the response in progress on this socket.
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (err.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy();
    return;
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const body = JSON.stringify({
      type: 'https://wandian.dev/problems/headers-too-large',
      title: 'Request header fields too large',
      status: 431,
      code: 'HEADERS_TOO_LARGE',
      detail: 'The request headers exceed the size limit',
    });
    socket.end(
      `HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    return;
  }
  socket.end(
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\n\r\n'
      : 'HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n',
  );
}

/** Writes a handler result the way API Gateway maps payload-2.0 responses (a bare value becomes a 200 JSON body). */
function writeResult(res: ServerResponse, result: unknown, requestId: string): void {
  const structured = typeof result === 'object' && result !== null && 'statusCode' in result;
  const r: APIGatewayProxyStructuredResultV2 = structured
    ? (result as APIGatewayProxyStructuredResultV2)
    : {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: typeof result === 'string' ? result : JSON.stringify(result ?? null),
      };
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
  const headers: Record<string, string | string[]> = { 'apigw-requestid': requestId };
  for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  headers['content-length'] = String(body.length);
  res.writeHead(r.statusCode ?? 200, headers);
  res.end(body);
}

/** Reads the whole request body; resolves undefined if it exceeded `MAX_BODY_BYTES` (the excess is drained). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

/**
 * Starts the API on 127.0.0.1:`port` (default 3000; 0 = a free port), keep-alive on. `log` receives one
 * line per handler crash (with the error). Rejects if the port cannot be bound (e.g. EADDRINUSE).
 */
export async function startHttpApi(opts: {
  runtime: LambdaRuntime;
  routes?: readonly LocalRoute[];
  port?: number;
  log?: (line: string, error?: unknown) => void;
  /** Serves local-only pages; returns true when it answered the request. */
  localHandler?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
  /**
   * Verifies a bearer token as the deployed JWT authorizer does (returns its claims, throws when invalid);
   * required by routes whose `auth.kind` is 'jwt'. Without it such routes answer 401.
   */
  verifyToken?: (token: string | undefined) => Promise<Record<string, unknown>>;
  /** Per-route token buckets (local/route-throttle.ts); default: a fresh one on the real clock. */
  throttle?: RouteThrottle;
}): Promise<HttpApi> {
  const routes = opts.routes ?? wiredRoutes;
  const throttle = opts.throttle ?? new RouteThrottle();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
      return;
    }
    if (opts.localHandler?.(req, res, url)) return;
    meter.add('apigw.http.requests');
    const match = matchRoute(routes, method, url.pathname);
    if (!match) {
      problem(res, 404, 'ROUTE_NOT_FOUND', 'Route not found', `No route for ${method} ${url.pathname}`);
      return;
    }
    const retryAfterSeconds = throttle.take(match.route);
    if (retryAfterSeconds > 0) return writeThrottled(res, retryAfterSeconds);
    let body: Buffer | undefined;
    try {
      body = await readBody(req);
    } catch {
      return; // the client went away
    }
    if (!body) {
      problem(res, 413, 'PAYLOAD_TOO_LARGE', 'Payload too large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
      return;
    }
    const event = toApiGatewayEvent(req, url, match.route, match.pathParameters, body);
    if (match.route.auth?.kind === 'jwt') {
      // The gateway's job: no handler runs for a missing or invalid token.
      const claims = await Promise.resolve(opts.verifyToken?.(bearerToken(req.headers.authorization))).catch(() => undefined);
      if (!claims) {
        problem(res, 401, 'UNAUTHENTICATED', 'A valid bearer token is required', 'Send Authorization: Bearer <access token>', {
          'www-authenticate': 'Bearer',
        });
        return;
      }
      (event.requestContext as { authorizer?: unknown }).authorizer = jwtAuthorizerContext(claims);
    }
    try {
      const result = await opts.runtime.invoke(match.route.function, event);
      writeResult(res, result, event.requestContext.requestId);
    } catch (error) {
      if ((error as Error).name === 'TooManyRequestsException') {
        const retryAfter = String(Math.max(1, Number((error as { retryAfterSeconds?: unknown }).retryAfterSeconds) || 1));
        problem(res, 503, 'SERVICE_OVERLOADED', 'Service overloaded', 'Too many requests are in progress; nothing was done. Retry later.', {
          'retry-after': retryAfter,
        });
        return;
      }
      opts.log?.(`${event.routeKey} (${match.route.function}) failed`, error);
      if (!res.headersSent) problem(res, 500, 'INTERNAL_ERROR', 'Internal error', 'Unexpected error; it was logged.');
      else res.destroy();
    }
  });
  server.on('clientError', clientError);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 3000, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
