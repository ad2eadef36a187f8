/**
 * Powertools Idempotency keyed by the `Idempotency-Key` header AND the caller, with payload validation on
 * the parsed body: same caller + same key + same body → the stored response; same key + other body → 422
 * IDEMPOTENCY_KEY_REUSED (PRODUCT.md invariant 6). Records live in the idempotency table for
 * WANDIAN_IDEMPOTENCY_TTL_SECONDS (default 24 h).
 *
 * Every `idempotentByHeader(...)` call gets its OWN persistence layer: Powertools configures a layer once,
 * with the first IdempotencyConfig it sees, and ignores later ones. A module-level layer shared by every
 * handler in one process (the local runtime runs them all in one) let whichever handler ran first fix the
 * key rule for the others: one customer's top-up was answered with another customer's wallet.
 */
import type { MiddlewareObj } from '@middy/core';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import { dynamo } from './clients.ts';
import { idempotencyTtlSeconds, tableName } from '../../src/config.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { requestJson, type HttpEvent, type HttpResponse } from './http.ts';

/**
 * Who the key belongs to, as JMESPath into the API Gateway (payload 2.0) event: the authenticated principal,
 * the token's `sub` as put there by the HTTP JWT authorizer (every idempotent route is JWT-protected and the
 * route guard refuses a request without claims before this runs; PRODUCT.md "Identity and access").
 */
export const PRINCIPAL_JMESPATH = 'requestContext.authorizer.jwt.claims.sub';

/** Rejects a request without a usable Idempotency-Key, or with a body unsafe to hash, before any work. */
const requireKey: MiddlewareObj<HttpEvent, HttpResponse> = {
  before: async (request) => {
    const key = request.event.headers?.['idempotency-key'];
    if (!key || key.length > 128 || !/^[\x21-\x7e]+$/.test(key)) {
      throw new DomainError('IDEMPOTENCY_KEY_REQUIRED', 'Send an Idempotency-Key header of 1-128 visible ASCII characters');
    }
    // Powertools parses and hashes the body recursively: refuse non-JSON (415/400), oversize (413) and
    // over-deep (400) bodies here, with the cheap checks of requestJson, not as a 500 from inside the hashing.
    requestJson(request.event);
  },
};

/**
 * The middlewares (key check, then Powertools idempotency) for an idempotent route keyed by
 * `eventKeyJmesPath` (JMESPath into the API Gateway event), records prefixed `keyPrefix`, with a
 * persistence layer of their own (see the module comment). Exported for tests that prove two handlers
 * with different key rules stay apart; handlers use `idempotentByHeader`.
 */
export function idempotencyMiddlewares(keyPrefix: string, eventKeyJmesPath: string): MiddlewareObj<HttpEvent, HttpResponse>[] {
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: tableName('idempotency'), awsSdkV3Client: dynamo });
  const config = new IdempotencyConfig({
    eventKeyJmesPath,
    payloadValidationJmesPath: 'powertools_json(body)',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: idempotencyTtlSeconds(),
  });
  return [requireKey, makeHandlerIdempotent({ persistenceStore, config, keyPrefix }) as MiddlewareObj<HttpEvent, HttpResponse>];
}

/**
 * Middlewares for an idempotent POST: the key is `[Idempotency-Key header, principal]`, the principal being
 * the token's `sub` (PRINCIPAL_JMESPATH), so two callers who send the same header value never share a
 * record; `keyPrefix` scopes keys per operation (e.g. 'createOrder'). Errors thrown before the handler:
 * 400 IDEMPOTENCY_KEY_REQUIRED and requestJson's 415/413/400.
 */
export function idempotentByHeader(keyPrefix: string): MiddlewareObj<HttpEvent, HttpResponse>[] {
  return idempotencyMiddlewares(keyPrefix, `[headers."idempotency-key", ${PRINCIPAL_JMESPATH}]`);
}
