/**
 * Staff assignments (`PUT /v1/staff/{sub}`): which stores a storeStaff member or machine client, and which
 * sales region a regionManager, act for. Read by the authorization policy (src/auth/policy.ts).
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import type { Assignment } from '../auth/policy.ts';
import type { AuditOf } from '../domain/audit.ts';
import { putUnlessChanged, untilUnchanged } from './optimistic.ts';

/** A stored assignment: the principal's `sub` with its stores and/or region, and when it last changed (ISO-8601 UTC). */
export interface StaffAssignment extends Assignment {
  sub: string;
  updatedAt: string;
}

export class StaffStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /** The assignment of `sub`, or undefined (then the principal acts for no store and no region). */
  async get(sub: string, consistent = false): Promise<StaffAssignment | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('staff'), Key: { sub }, ConsistentRead: consistent }));
    return out.Item as StaffAssignment | undefined;
  }

  /**
   * Creates or replaces the assignment of `assignment.sub` (PUT semantics: stores and region are exactly
   * the given ones). With `audit`, the record of the exact assignment before (undefined when new) and after
   * is appended in the same transaction, which is conditioned on the assignment being unchanged since read.
   * Returns the stored assignment. Throws CONCURRENT_UPDATE (409) when it kept changing. Callers' caches
   * (functions/commons/auth.ts, ASSIGNMENT_CACHE_MS) pick the change up within their lifetime.
   */
  put(assignment: StaffAssignment, audit?: AuditOf<StaffAssignment>): Promise<StaffAssignment> {
    return untilUnchanged(`Staff assignment ${assignment.sub}`, async () => {
      const current = await this.get(assignment.sub, true);
      return putUnlessChanged(this.doc, tableName('staff'), current, assignment, ['sub'], audit);
    });
  }
}
