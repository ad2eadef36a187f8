/**
 * Audit records of operator writes (issue 7 item 8): who (the token's `sub` and the role they acted under),
 * what (action, target, before/after), which request, when. Pure: the stores append them in the same
 * transaction as the change they describe (src/store/audit-store.ts).
 */
import type { Role } from '../../lib/wiring.ts';

/** Operator actions that are audited. */
export type AuditAction =
  | 'store.put'
  | 'catalog.put'
  | 'inventory.put'
  | 'coupon.put'
  | 'staff.put'
  | 'order.fulfil'
  | 'order.refund'
  | 'wallet.adjust';

/** The acting operator and request (from the verified token and the API request id). */
export interface AuditActor {
  actor: string;
  role: Role | 'machine';
  requestId: string;
}

/** One audit record; `at` is ISO-8601 UTC; `storeId` is set when the target belongs to a store. */
export interface AuditRecord extends AuditActor {
  auditId: string;
  at: string;
  action: AuditAction;
  target: { type: 'store' | 'sku' | 'inventory' | 'coupon' | 'staff' | 'order' | 'wallet'; id: string };
  storeId?: string;
  before: unknown;
  after: unknown;
}

/**
 * Builds a record; `auditId` is `<at>#<requestId>` so a retried transaction of the same request writes the
 * same id (and the append-only condition refuses a second copy).
 */
export function auditRecord(
  actor: AuditActor,
  change: Pick<AuditRecord, 'action' | 'target' | 'storeId' | 'before' | 'after'>,
  at: string,
): AuditRecord {
  return {
    auditId: `${at}#${actor.requestId}#${change.action}`,
    at,
    ...actor,
    ...change,
    before: change.before ?? null,
    after: change.after ?? null,
  };
}

/**
 * How a store method audits an operator write: given the exact item before the change (undefined when it
 * creates the item) and after it, as written in the same transaction, the record to append. Handlers
 * build one with the actor, action and target (functions/commons/audit.ts); the store supplies the states.
 */
export type AuditOf<T> = (before: T | undefined, after: T) => AuditRecord;
