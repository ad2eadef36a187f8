/**
 * Coupon definitions and their redemption counters (item scope 'COUPON'); per-customer counters under
 * 'CUSTOMER#<id>'; and the index of automatic promotions (one item, key AUTOMATIC_INDEX_KEY, whose
 * string set `codes` lists every coupon stored with `automatic: true`).
 */
import { BatchGetCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { transactWrite } from './transact.ts';
import { tableName } from '../config.ts';
import type { Coupon } from '../domain/types.ts';

export const COUPON_SCOPE = 'COUPON';
export const customerScope = (customerId: string) => `CUSTOMER#${customerId}`;
/** '*' cannot start a coupon code (ID_PATTERN), so the index never collides with a coupon. */
export const AUTOMATIC_INDEX_KEY = { code: '*', scope: 'AUTOMATIC' } as const;

const DEFINITION_FIELDS = [
  'type', 'amountOff', 'currency', 'percentOff', 'maxDiscount', 'sku', 'quantity', 'minSubtotal',
  'stackable', 'maxRedemptions', 'perCustomerLimit', 'validFrom', 'validTo',
  'automatic', 'storeIds', 'region', 'exclusiveGroup', 'priority', 'maxOrderDiscount',
] as const;

/** BatchGetItem takes at most 100 keys per call. */
const BATCH = 100;

export class CouponStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * Creates or replaces a coupon's definition, keeping its redemption counter and bumping its
   * `version` (compiled rules are cached per version), and adds it to / removes it from the
   * automatic-promotions index, all in one transaction. Returns the stored coupon.
   */
  async put(coupon: Omit<Coupon, 'redemptions' | 'version'>): Promise<Coupon> {
    const set: string[] = ['updatedAt = :updatedAt', 'redemptions = if_not_exists(redemptions, :zero)', 'version = if_not_exists(version, :zero) + :one'];
    const remove: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':updatedAt': coupon.updatedAt, ':zero': 0, ':one': 1 };
    for (const field of DEFINITION_FIELDS) {
      names[`#${field}`] = field;
      const value = coupon[field];
      if (value === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    const table = tableName('coupons');
    const key = { code: coupon.code, scope: COUPON_SCOPE };
    await transactWrite(this.doc, {
      TransactItems: [
        {
          // No condition: a PUT replaces the definition; counters are kept by if_not_exists.
          Update: {
            TableName: table,
            Key: key,
            UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        {
          // No condition: the index lists exactly the automatic coupons because it changes in the same transaction.
          Update: {
            TableName: table,
            Key: AUTOMATIC_INDEX_KEY,
            UpdateExpression: coupon.automatic === true ? 'ADD codes :code' : 'DELETE codes :code',
            ExpressionAttributeValues: { ':code': new Set([coupon.code]) },
          },
        },
      ],
    });
    const out = await this.doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    const { scope: _scope, ...saved } = out.Item as Coupon & { scope: string };
    return saved;
  }

  /** Coupons by code (absent codes are absent from the map). */
  async getMany(codes: string[]): Promise<Map<string, Coupon>> {
    const found = new Map<string, Coupon>();
    const unique = [...new Set(codes)];
    for (let i = 0; i < unique.length; i += BATCH) {
      for (const coupon of await this.batchGet(unique.slice(i, i + BATCH))) found.set(coupon.code, coupon);
    }
    return found;
  }

  /**
   * Every automatic promotion (coupons stored with `automatic: true`) with its redemption counter.
   * Eventually consistent reads (half the cost on the path of every order): a promotion PUT a moment
   * ago may be missed for about a second; limits stay exact because the order transaction enforces them.
   */
  async automatic(): Promise<Coupon[]> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('coupons'), Key: AUTOMATIC_INDEX_KEY }));
    const codes = [...((out.Item?.codes as Set<string> | undefined) ?? [])];
    return [...(await this.getMany(codes)).values()].filter((c) => c.automatic === true);
  }

  /** One BatchGetItem of ≤ 100 codes, repeated with backoff for UnprocessedKeys (DynamoDB may return some under load). */
  private async batchGet(codes: string[]): Promise<Coupon[]> {
    const table = tableName('coupons');
    const found: Coupon[] = [];
    let keys: Record<string, unknown>[] = codes.map((code) => ({ code, scope: COUPON_SCOPE }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }));
      for (const item of (out.Responses?.[table] ?? []) as (Coupon & { scope?: string })[]) {
        const { scope: _scope, ...coupon } = item;
        found.push(coupon);
      }
      keys = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
    }
    return found;
  }
}
