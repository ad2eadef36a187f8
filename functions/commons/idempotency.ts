/**
 * Powertools Idempotency keyed by the `Idempotency-Key` header, with payload validation on the
 * parsed body: same key + same body → the stored response; same key + other body → 422
 * IDEMPOTENCY_KEY_REUSED (PRODUCT.md invariant 6). Records live in the idempotency table for
 * WANDIAN_IDEMPOTENCY_TTL_SECONDS (default 24 h).
 */
import type { MiddlewareObj } from '@middy/core';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import { dynamo } from './clients.ts';
import { idempotencyTtlSeconds, tableName } from '../../src/config.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { parseJsonBody } from '../../src/domain/schemas.ts';
import type { HttpEvent, HttpResponse } from './http.ts';

let persistenceStore: DynamoDBPersistenceLayer | undefined;

/** Rejects a request without a usable Idempotency-Key before any work (400 IDEMPOTENCY_KEY_REQUIRED). */
const requireKey: MiddlewareObj<HttpEvent, HttpResponse> = {
  before: async (request) => {
    const key = request.event.headers?.['idempotency-key'];
    if (!key || key.length > 128 || !/^[\x21-\x7e]+$/.test(key)) {
      throw new DomainError('IDEMPOTENCY_KEY_REQUIRED', 'Send an Idempotency-Key header of 1-128 visible ASCII characters');
    }
    // The payload hash parses the body: reject non-JSON here as 400, not as a hashing failure.
    parseJsonBody(request.event.body, request.event.isBase64Encoded);
  },
};

/**
 * Middlewares for an idempotent POST; `keyPrefix` scopes keys per operation (e.g. 'createOrder') and
 * `customerPath` (JMESPath into the API Gateway event) per customer.
 */
export function idempotentByHeader(keyPrefix: string, customerPath: string): MiddlewareObj<HttpEvent, HttpResponse>[] {
  persistenceStore ??= new DynamoDBPersistenceLayer({ tableName: tableName('idempotency'), awsSdkV3Client: dynamo });
  const config = new IdempotencyConfig({
    // Keys are scoped by customer: two customers who happen to send the same key never share a record.
    eventKeyJmesPath: `[headers."idempotency-key", ${customerPath}]`,
    payloadValidationJmesPath: 'powertools_json(body)',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: idempotencyTtlSeconds(),
  });
  return [requireKey, makeHandlerIdempotent({ persistenceStore, config, keyPrefix }) as MiddlewareObj<HttpEvent, HttpResponse>];
}
