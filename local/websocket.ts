/**
 * The local WebSocket API: what API Gateway (WebSocket API) does in front of the live-status handlers.
 * `ws://127.0.0.1:<port>/ws?token=<access token>&orderId=...` upgrades on the local HTTP server (library
 * `ws`, `noServer`). First the REQUEST authorizer's job (lib/wiring.ts `webSocketAuthorizer`, identity
 * source `route.request.querystring.token`; contract v1.1): a missing token, or one `verifyToken` rejects
 * (the deployed authorizer's rules: issuer, audience, expiry, RS256), refuses the handshake with 401
 * UNAUTHENTICATED (problem+json, `WWW-Authenticate: Bearer`) and no `$connect` runs. A valid token's
 * authorizer context `{principalId: sub, sub, groups, scope}` (src/live/access.ts `authorizerContext`, what
 * functions/live/authorize.ts returns deployed) is `requestContext.authorizer` of `$connect` and of every
 * later route event of that connection. Then the `$connect` function of `routes` (lib/wiring.ts
 * `webSocketRoutes`) gets an API Gateway WebSocket event (`requestContext.routeKey`, `connectionId`,
 * `queryStringParameters` (with `token`, as API Gateway passes it), headers) and a non-2xx answer refuses
 * the handshake with that status and body; a closed socket invokes `$disconnect`. Client messages
 * are ignored (no `$default` route). The management API is emulated on its own loopback port:
 * `POST /@connections/{id}` sends the body as a text frame (200) or answers 410 GoneException for an
 * unknown connection, `GET` describes one, `DELETE` closes one. The push Lambda reaches it through
 * WEBSOCKET_MANAGEMENT_ENDPOINT, as it reaches the real one when deployed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { webSocketRoutes as wiredRoutes } from '../lib/wiring.ts';
import { authorizerContext } from '../src/live/access.ts';
import { LOCAL_ACCOUNT, type LambdaRuntime } from './lambda-runtime.ts';
import { meter } from './metering.ts';

/** Local stage name, as `requestContext.stage`. */
const STAGE = 'local';
const MAX_POST_BYTES = 128 * 1024; // API Gateway's WebSocket frame limit

export interface LocalWebSocketOptions {
  runtime: LambdaRuntime;
  /** Route key → function id; default lib/wiring.ts `webSocketRoutes`. */
  routes?: Readonly<Record<string, string>>;
  /** Upgrade path on the HTTP server; default `/ws`. */
  path?: string;
  log?: (line: string, error?: unknown) => void;
  /**
   * Verifies the `?token=` of a connect as the deployed REQUEST authorizer does (returns its claims, throws
   * when invalid). Without it every connect is refused with 401 (fail closed, like local/http-api.ts).
   */
  verifyToken?: (token: string | undefined) => Promise<Record<string, unknown>>;
}

/** What a Lambda REQUEST authorizer hands the routes of a connection: its `principalId` and its context (strings). */
export type WebSocketAuthorizer = Record<string, string> & { principalId: string };

export interface LocalWebSocket {
  /** `http://127.0.0.1:<port>` of the emulated management API (WEBSOCKET_MANAGEMENT_ENDPOINT). */
  managementEndpoint: string;
  /** Serves WebSocket upgrades on `path` of `server` (other upgrade paths get 404). */
  attach(server: Server): void;
  /** Connections open now. */
  openConnections(): number;
  /** Closes every socket (each gets its `$disconnect`), waits for those invocations, stops the management API; idempotent. */
  close(): Promise<void>;
}

/** An API Gateway-like connection id: 16 characters of base64, e.g. `L0SM9cOFvHcCIhw=`. */
const newConnectionId = (): string => randomBytes(11).toString('base64');

function clfTime(d: Date): string {
  const [, day, mon, year, time] = /^\w+, (\d+) (\w+) (\d+) (\S+)/.exec(d.toUTCString())!;
  return `${day!.padStart(2, '0')}/${mon}/${year}:${time} +0000`;
}

/**
 * The event API Gateway sends a WebSocket route integration; `$connect` also carries the handshake's headers
 * and query; `authorizer` (the REQUEST authorizer's principal and context) is on every route of the connection.
 */
export function toWebSocketEvent(
  routeKey: string,
  connectionId: string,
  connectedAt: number,
  handshake?: { req: IncomingMessage; url: URL },
  disconnect?: { statusCode: number; reason: string },
  authorizer?: WebSocketAuthorizer,
): Record<string, unknown> {
  const now = new Date();
  const eventType = routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
  const requestContext = {
    routeKey,
    eventType,
    extendedRequestId: randomUUID(),
    requestTime: clfTime(now),
    messageDirection: 'IN',
    stage: STAGE,
    connectedAt,
    requestTimeEpoch: now.getTime(),
    identity: {
      sourceIp: (handshake?.req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      userAgent: handshake?.req.headers['user-agent'] ?? '',
    },
    requestId: randomUUID(),
    domainName: handshake?.req.headers.host ?? '127.0.0.1',
    connectionId,
    apiId: 'local',
    accountId: LOCAL_ACCOUNT,
    ...(disconnect ? { disconnectStatusCode: disconnect.statusCode, disconnectReason: disconnect.reason } : {}),
    ...(authorizer ? { authorizer: { ...authorizer } } : {}),
  };
  if (!handshake) return { requestContext, isBase64Encoded: false };
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(handshake.req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(',');
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [key, value] of handshake.url.searchParams) {
    query[key] = value; // API Gateway keeps the last value
    (multiValueQuery[key] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    headers,
    multiValueHeaders,
    ...(hasQuery ? { queryStringParameters: query, multiValueQueryStringParameters: multiValueQuery } : {}),
    requestContext,
    isBase64Encoded: false,
  };
}

/** Answers a refused handshake with an HTTP response and closes the socket. */
function refuse(socket: Duplex, status: number, headers: Record<string, string>, body: string): void {
  if (socket.destroyed) return;
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`, 'connection: close', `content-length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers)) if (!/^(connection|content-length)$/i.test(name)) head.push(`${name}: ${value}`);
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** Status and body of a `$connect` result (a bare value or none means 200, as in API Gateway). */
function connectAnswer(result: unknown): { status: number; headers: Record<string, string>; body: string } {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) return { status: 200, headers: {}, body: '' };
  const r = result as { statusCode?: number; headers?: Record<string, string>; body?: string };
  return { status: r.statusCode ?? 200, headers: r.headers ?? {}, body: r.body ?? '' };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_POST_BYTES) chunks.push(chunk);
  }
  return size > MAX_POST_BYTES ? undefined : Buffer.concat(chunks);
}

/**
 * Starts the management API emulator on a free loopback port; call `attach(server)` once the HTTP API
 * listens. Throws if a route's function is unknown to the runtime.
 */
export async function startLocalWebSocket(opts: LocalWebSocketOptions): Promise<LocalWebSocket> {
  const routes: Readonly<Record<string, string>> = opts.routes ?? wiredRoutes;
  for (const [routeKey, fnId] of Object.entries(routes)) {
    if (!opts.runtime.has(fnId)) throw new Error(`WebSocket route ${routeKey}: unknown function ${fnId}`);
  }
  const path = opts.path ?? '/ws';
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_POST_BYTES });
  const open = new Map<string, { ws: WebSocket; connectedAt: number; sourceIp: string; userAgent: string }>();
  /** Posts for connections whose `$connect` is still running: sent once the handshake completes. */
  const connecting = new Map<string, string[]>();
  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const invoke = async (routeKey: string, event: Record<string, unknown>): Promise<unknown> => {
    const fnId = routes[routeKey];
    return fnId ? opts.runtime.invoke(fnId, event) : undefined;
  };

  /** The REQUEST authorizer: the verified token's principal and context, or undefined (→ 401). */
  const authorize = async (url: URL): Promise<WebSocketAuthorizer | undefined> => {
    const token = url.searchParams.getAll('token').at(-1); // API Gateway keeps the last value
    if (!token || !opts.verifyToken) return undefined;
    const claims = await opts.verifyToken(token).catch(() => undefined);
    const context = claims && authorizerContext(claims);
    return context?.sub ? { principalId: context.sub, ...context } : undefined;
  };

  const handshake = async (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> => {
    const authorizer = await authorize(url);
    if (!authorizer) {
      const code = 'UNAUTHENTICATED';
      const body = JSON.stringify({
        type: `https://wandian.dev/problems/${code.toLowerCase()}`,
        title: 'A valid access token is required',
        status: 401,
        code,
        detail: 'Connect with ?token=<access token>',
      });
      refuse(socket, 401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer' }, body);
      return;
    }
    const connectionId = newConnectionId();
    const connectedAt = Date.now();
    connecting.set(connectionId, []);
    let answer: ReturnType<typeof connectAnswer>;
    try {
      answer = connectAnswer(
        await invoke('$connect', toWebSocketEvent('$connect', connectionId, connectedAt, { req, url }, undefined, authorizer)),
      );
    } catch (error) {
      opts.log?.(`$connect (${routes.$connect}) failed`, error);
      answer = { status: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal server error"}' };
    }
    const buffered = connecting.get(connectionId) ?? [];
    connecting.delete(connectionId);
    if (answer.status < 200 || answer.status > 299) {
      refuse(socket, answer.status, answer.headers, answer.body);
      return;
    }
    if (socket.destroyed) {
      track(
        invoke(
          '$disconnect',
          toWebSocketEvent('$disconnect', connectionId, connectedAt, undefined, { statusCode: 1006, reason: 'Going away' }, authorizer),
        ).catch(() => {}),
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      open.set(connectionId, {
        ws,
        connectedAt,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: req.headers['user-agent'] ?? '',
      });
      for (const message of buffered) ws.send(message);
      ws.on('error', () => ws.terminate());
      ws.on('close', (code, reason) => {
        open.delete(connectionId);
        meter.add('apigw.ws.connectionMinutes', (Date.now() - connectedAt) / 60_000);
        const event = toWebSocketEvent(
          '$disconnect',
          connectionId,
          connectedAt,
          undefined,
          { statusCode: code, reason: reason.toString('utf8') },
          authorizer,
        );
        track(invoke('$disconnect', event).catch((error) => opts.log?.(`$disconnect (${routes.$disconnect}) failed`, error)));
      });
    });
  };

  const management = createServer(async (req, res) => {
    const reply = (status: number, body?: unknown, errorType?: string) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': randomUUID(),
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(text);
    };
    const match = /^\/@connections\/([^/]+)$/.exec(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (!match) return reply(404, { message: 'Not Found' });
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[1]!);
    } catch {
      return reply(400, { message: 'Invalid connectionId' }, 'BadRequestException');
    }
    const connection = open.get(connectionId);
    const gone = () => reply(410, { message: `Connection ${connectionId} is gone` }, 'GoneException');
    if (req.method === 'POST') {
      const body = await readBody(req);
      if (!body) return reply(413, { message: 'Payload too large' }, 'PayloadTooLargeException');
      meter.add('apigw.ws.messages', Math.max(1, Math.ceil(body.length / 32_768))); // billed per 32 KB
      if (connection?.ws.readyState === WebSocket.OPEN) connection.ws.send(body.toString('utf8'));
      else if (connecting.has(connectionId)) connecting.get(connectionId)!.push(body.toString('utf8'));
      else return gone();
      return reply(200);
    }
    if (!connection) return gone();
    if (req.method === 'GET') {
      const at = new Date(connection.connectedAt).toISOString();
      return reply(200, {
        ConnectedAt: at,
        LastActiveAt: at,
        Identity: { SourceIp: connection.sourceIp, UserAgent: connection.userAgent },
      });
    }
    if (req.method === 'DELETE') {
      connection.ws.close(1000, 'Deleted by the management API');
      return reply(204);
    }
    return reply(405, { message: 'Method not allowed' });
  });
  await new Promise<void>((resolve, reject) => {
    management.once('error', reject);
    management.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = management.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    managementEndpoint: `http://127.0.0.1:${port}`,
    attach(server) {
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        socket.on('error', () => socket.destroy());
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        if (url.pathname !== path) {
          refuse(socket, 404, { 'content-type': 'application/json' }, JSON.stringify({ message: `No WebSocket route at ${url.pathname}` }));
          return;
        }
        track(handshake(req, socket, head, url));
      });
    },
    openConnections: () => open.size,
    close: () =>
      (closed ??= (async () => {
        const sockets = [...open.values()].map(({ ws }) => ws);
        const closing = sockets.map((ws) => new Promise((resolve) => ws.once('close', resolve)));
        for (const ws of sockets) ws.terminate();
        await Promise.all(closing); // each close queued its $disconnect
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        wss.close();
        await new Promise<void>((resolve) => {
          management.close(() => resolve());
          management.closeAllConnections();
        });
      })()),
  };
}
