/**
 * HTTP plumbing for API handlers: middy with Powertools Logger and Tracer (the correlation id is the API
 * request id until the handler names the order it serves: correlateWith, powertools.ts), JSON responses, and the one mapping from errors to application/problem+json (RFC 9457) with a
 * stable `code` (codes: src/domain/errors.ts, from shared/brief/PRODUCT.md).
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { DomainError, errorCatalog, isDomainError } from '../../src/domain/errors.ts';
import { idSchema, parseJsonBody, parseWith } from '../../src/domain/schemas.ts';
import type { z } from 'zod';
import { logger, tracer } from './powertools.ts';
import { routeGuard } from './auth.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A JSON response; `body` is serialized as-is. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** problem+json document for a DomainError: {type, title, status, code, detail, ...extra}; headers: the error's own (e.g. Retry-After), then `headers`. */
export function problem(error: DomainError, headers: Record<string, string> = {}): HttpResponse {
  const { title } = errorCatalog[error.code];
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/problem+json', ...error.headers, ...headers },
    body: JSON.stringify({
      type: `https://wandian.dev/problems/${error.code.toLowerCase().replaceAll('_', '-')}`,
      title,
      status: error.status,
      code: error.code,
      detail: error.detail,
      ...error.extra,
    }),
  };
}

/** Maps any thrown value to a response; only unexpected errors become 500 (and are logged). */
export function toResponse(error: unknown): HttpResponse {
  if (isDomainError(error)) return problem(error);
  if (error instanceof IdempotencyValidationError) {
    return problem(new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body.'));
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return problem(
      new DomainError('IDEMPOTENCY_KEY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry shortly.'),
      { 'retry-after': '1' },
    );
  }
  logger.error('Unhandled error', { error: error as Error });
  return {
    statusCode: 500,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({
      type: 'about:blank',
      title: 'Internal error',
      status: 500,
      code: 'INTERNAL_ERROR',
      detail: 'Unexpected error; it was logged.',
    }),
  };
}

/**
 * Turns errors thrown by the middlewares it wraps (route guard, idempotency, header checks) into
 * problem+json, and writes one INFO line per request with its status. It sits inside the logger's
 * middleware, so that line (and an unexpected error's) still carries the correlation id the handler set:
 * the line that ties a request to an order's flow in the logs.
 */
/** The handler's own answer per request, kept for problemOnErrorAndLog (middy clears `response` on an error in `after`). */
const handlerAnswers = new WeakMap<object, HttpResponse>();

/** Innermost middleware: its `after` runs first, before the idempotency layer stores the answer. */
const rememberAnswer: MiddlewareObj<HttpEvent, HttpResponse> = {
  after: async (request) => {
    if (request.response) handlerAnswers.set(request, request.response);
  },
};

const problemOnErrorAndLog: MiddlewareObj<HttpEvent, HttpResponse> = {
  after: async (request) => {
    logger.info('request handled', { route: request.event.routeKey, statusCode: request.response?.statusCode });
  },
  onError: async (request) => {
    const answered = handlerAnswers.get(request);
    if (answered && answered.statusCode < 300 && request.error instanceof IdempotencyPersistenceLayerError) {
      // The handler succeeded (e.g. an order was committed) and only storing its answer for replays failed:
      // answering 500 would tell the client "error" about an order that exists. Powertools has deleted (or left
      // to expire) the record, so a retry with the same key runs again and finds the order.
      logger.error('Idempotency record not completed after success; answering the success', { error: request.error });
      request.response = answered;
      logger.info('request handled', { route: request.event.routeKey, statusCode: answered.statusCode });
      return;
    }
    request.response = toResponse(request.error);
    logger.info('request handled', { route: request.event.routeKey, statusCode: request.response.statusCode });
  },
};

/**
 * Wraps a thin handler `(event, context) => HttpResponse`. The route's owner (lib/wiring.ts `auth`) is checked
 * first: 401 UNAUTHENTICATED / 403 FORBIDDEN before anything else runs. DomainErrors thrown inside become
 * problem responses *returned* by the handler, so the idempotency layer stores them like any result — except
 * transient ones (5xx, e.g. 503 SERVICE_OVERLOADED when shedding): those are thrown on, so Powertools deletes
 * the record and a retry with the same key runs the request again instead of replaying the refusal.
 * `extra` middlewares (e.g. idempotency) run inside logging and error mapping.
 */
export function httpHandler(
  fn: (event: HttpEvent, context: Context) => Promise<HttpResponse>,
  ...extra: MiddlewareObj<HttpEvent, HttpResponse>[]
) {
  const handler = middy<HttpEvent, HttpResponse>()
    // Responses carry customer data: kept out of the trace metadata.
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    // resetKeys: an order's correlation id and keys must not leak into the container's next request.
    .use(injectLambdaContext(logger, { correlationIdPath: 'requestContext.requestId', resetKeys: true }))
    .use(problemOnErrorAndLog)
    // Who may call: checked before any other middleware (rate limits, idempotency) does work or writes.
    .use(routeGuard as unknown as MiddlewareObj<HttpEvent, HttpResponse>);
  for (const m of extra) handler.use(m);
  handler.use(rememberAnswer);
  return handler.handler(async (event, context) => {
    try {
      return await fn(event, context);
    } catch (error) {
      if (isDomainError(error) && error.status < 500) return problem(error);
      throw error;
    }
  });
}

/** A validated id from the path (charset and length checked before any lookup: PRODUCT.md). */
export function pathId(event: HttpEvent, name: string): string {
  const raw = event.pathParameters?.[name];
  const result = idSchema.safeParse(raw);
  if (!result.success) {
    throw new DomainError('VALIDATION_FAILED', `Path parameter ${name} is invalid`, {
      errors: [{ path: `path.${name}`, message: 'must be 1-64 characters of A-Z a-z 0-9 _ . : - starting with a letter or digit' }],
    });
  }
  return result.data;
}

/** JSON media types: `application/json` or `application/<x>+json`, parameters (`; charset=utf-8`) allowed. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * The request body parsed as JSON, still unvalidated; cheap checks first, so it is safe to call before
 * anything that hashes or walks the payload (the idempotency middleware does). A request WITH a body must
 * declare a JSON Content-Type (contract v1.1, issue 7). Throws DomainError UNSUPPORTED_MEDIA_TYPE (415:
 * body without a JSON Content-Type), PAYLOAD_TOO_LARGE (413: over 64 KiB), VALIDATION_FAILED (400: nested
 * deeper than MAX_JSON_DEPTH = 32) or MALFORMED_JSON (400: missing, blank, not UTF-8, not JSON) — see
 * parseJsonBody. Never echoes the parser's message or the sent Content-Type.
 */
export function requestJson(event: HttpEvent): unknown {
  if (event.body !== undefined && event.body !== null && event.body !== '') {
    const contentType = event.headers?.['content-type'];
    if (!contentType || !JSON_MEDIA_TYPE.test(contentType)) {
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON with Content-Type: application/json');
    }
  }
  return parseJsonBody(event.body, event.isBase64Encoded);
}

/** The JSON body validated against `schema`: requestJson's errors, then VALIDATION_FAILED (400) with `errors`. */
export function jsonBody<S extends z.ZodType>(event: HttpEvent, schema: S): z.infer<S> {
  return parseWith(schema, requestJson(event));
}

/** The raw request body as sent (for signatures). */
export function rawBody(event: HttpEvent): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}
