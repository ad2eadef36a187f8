/** Coupon definitions and their redemption counters (item scope 'COUPON'); per-customer counters under 'CUSTOMER#<id>'. */
import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import type { Coupon } from '../domain/types.ts';

export const COUPON_SCOPE = 'COUPON';
export const customerScope = (customerId: string) => `CUSTOMER#${customerId}`;

const DEFINITION_FIELDS = [
  'type', 'amountOff', 'currency', 'percentOff', 'maxDiscount', 'sku', 'quantity', 'minSubtotal',
  'stackable', 'maxRedemptions', 'perCustomerLimit', 'validFrom', 'validTo',
] as const;

export class CouponStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /** Creates or replaces a coupon's definition, keeping its redemption counter. */
  async put(coupon: Omit<Coupon, 'redemptions'>): Promise<Coupon> {
    const set: string[] = ['updatedAt = :updatedAt', 'redemptions = if_not_exists(redemptions, :zero)'];
    const remove: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':updatedAt': coupon.updatedAt, ':zero': 0 };
    for (const field of DEFINITION_FIELDS) {
      names[`#${field}`] = field;
      const value = coupon[field];
      if (value === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: tableName('coupons'),
        Key: { code: coupon.code, scope: COUPON_SCOPE },
        UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    const { scope: _scope, ...saved } = out.Attributes as Coupon & { scope: string };
    return saved;
  }

  /** Coupons by code (absent codes are absent from the map). */
  async getMany(codes: string[]): Promise<Map<string, Coupon>> {
    const found = new Map<string, Coupon>();
    if (codes.length === 0) return found;
    const table = tableName('coupons');
    const out = await this.doc.send(
      new BatchGetCommand({ RequestItems: { [table]: { Keys: [...new Set(codes)].map((code) => ({ code, scope: COUPON_SCOPE })) } } }),
    );
    for (const item of (out.Responses?.[table] ?? []) as (Coupon & { scope?: string })[]) {
      const { scope: _scope, ...coupon } = item;
      found.set(coupon.code, coupon);
    }
    return found;
  }
}
