/**
 * Staff assignments (`PUT /v1/staff/{sub}`): which stores a storeStaff member or machine client, and which
 * sales region a regionManager, act for. Read by the authorization policy (src/auth/policy.ts).
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import type { Assignment } from '../auth/policy.ts';

/** A stored assignment: the principal's `sub` with its stores and/or region, and when it last changed (ISO-8601 UTC). */
export interface StaffAssignment extends Assignment {
  sub: string;
  updatedAt: string;
}

export class StaffStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /** The assignment of `sub`, or undefined (then the principal acts for no store and no region). */
  async get(sub: string): Promise<StaffAssignment | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('staff'), Key: { sub } }));
    return out.Item as StaffAssignment | undefined;
  }
}
