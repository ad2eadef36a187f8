/**
 * Audit glue for operator handlers: the {@link AuditOf} a store method calls with the exact before/after of
 * the change it writes, so the record (actor, role, request id from the verified caller and the API request)
 * lands in the same transaction (src/store/audit-store.ts).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { auditRecord, type AuditOf, type AuditRecord } from '../../src/domain/audit.ts';
import { auditActor, type Caller } from './auth.ts';

/**
 * The audit of one operator write by `caller` in `event`: `change` says what (action, target, the store it
 * belongs to), `at` (ISO-8601 UTC) when; before/after come from the store at write time (null when absent).
 */
export function auditAs<T>(
  event: Pick<APIGatewayProxyEventV2, 'requestContext'>,
  caller: Caller,
  change: Pick<AuditRecord, 'action' | 'target' | 'storeId'>,
  at: string,
): AuditOf<T> {
  const actor = auditActor(event, caller);
  return (before, after) => auditRecord(actor, { ...change, before: before ?? null, after }, at);
}
