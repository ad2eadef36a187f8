/**
 * Coupon definitions and their redemption counters (item scope 'COUPON'); per-customer counters under
 * 'CUSTOMER#<id>'; and the index of automatic promotions (one item, key AUTOMATIC_INDEX_KEY, whose
 * string set `codes` lists every coupon stored with `automatic: true`).
 */
import { BatchGetCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import type { AuditOf } from '../domain/audit.ts';
import type { Coupon } from '../domain/types.ts';
import { auditPut } from './audit-store.ts';
import { CHANGED, untilUnchanged, writeUnlessChanged, type TransactItem } from './optimistic.ts';

export const COUPON_SCOPE = 'COUPON';
export const customerScope = (customerId: string) => `CUSTOMER#${customerId}`;
/** '*' cannot start a coupon code (ID_PATTERN), so the index never collides with a coupon. */
export const AUTOMATIC_INDEX_KEY = { code: '*', scope: 'AUTOMATIC' } as const;

const DEFINITION_FIELDS = [
  'type',
  'amountOff',
  'currency',
  'percentOff',
  'maxDiscount',
  'sku',
  'quantity',
  'minSubtotal',
  'stackable',
  'maxRedemptions',
  'perCustomerLimit',
  'validFrom',
  'validTo',
  'automatic',
  'storeIds',
  'region',
  'exclusiveGroup',
  'priority',
  'maxOrderDiscount',
] as const;

/** What an operator defines of a coupon (audited): everything but the `redemptions` counter that orders move. */
export type CouponDefinition = Omit<Coupon, 'redemptions'>;

/** The definition of `coupon` (drops `redemptions`). */
export function definitionOf(coupon: Coupon): CouponDefinition {
  const { redemptions: _redemptions, ...definition } = coupon;
  return definition;
}

/** BatchGetItem takes at most 100 keys per call. */
const BATCH = 100;

export class CouponStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * Creates or replaces a coupon's definition, keeping its redemption counter and bumping its
   * `version` (compiled rules are cached per version), and adds it to / removes it from the
   * automatic-promotions index, all in one transaction. Returns the stored coupon.
   * `opts.check` runs on the current coupon before each attempt (e.g. the caller's scope over its region)
   * and may throw. With `opts.audit`, the record of the exact definition before (undefined for a new
   * coupon) and after is appended in the same transaction: the write is conditioned on the `version` read
   * (every definition change bumps it). The audited states leave out `redemptions`, a counter that orders
   * move, not the operator. Throws CONCURRENT_UPDATE (409) when the coupon kept changing.
   */
  put(
    coupon: Omit<Coupon, 'redemptions' | 'version'>,
    opts: { audit?: AuditOf<CouponDefinition>; check?: (current: Coupon | undefined) => Promise<void> | void } = {},
  ): Promise<Coupon> {
    const table = tableName('coupons');
    const key = { code: coupon.code, scope: COUPON_SCOPE };
    return untilUnchanged(`Coupon ${coupon.code}`, async () => {
      const current = await this.get(coupon.code);
      await opts.check?.(current);
      const set: string[] = [
        'updatedAt = :updatedAt',
        'redemptions = if_not_exists(redemptions, :zero)',
        '#version = if_not_exists(#version, :zero) + :one',
      ];
      const remove: string[] = [];
      const names: Record<string, string> = { '#code': 'code', '#version': 'version' };
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
      // Condition: the definition is still the version we read (or the coupon still does not exist).
      let condition = 'attribute_not_exists(#code)';
      if (current?.version === undefined && current) condition = 'attribute_exists(#code) AND attribute_not_exists(#version)';
      else if (current) {
        condition = 'attribute_exists(#code) AND #version = :seenVersion';
        values[':seenVersion'] = current.version;
      }
      const after: Coupon = {
        ...definitionOf({ ...coupon, version: (current?.version ?? 0) + 1 } as Coupon),
        redemptions: current?.redemptions ?? 0,
      };
      const items: TransactItem[] = [
        {
          Update: {
            TableName: table,
            Key: key,
            ConditionExpression: condition,
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
      ];
      if (opts.audit) items.push(auditPut(opts.audit(current && definitionOf(current), definitionOf(after))));
      if (!(await writeUnlessChanged(this.doc, items))) return CHANGED;
      return (await this.get(coupon.code)) ?? after;
    });
  }

  /** One coupon (strongly consistent read), or undefined. */
  async get(code: string): Promise<Coupon | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: tableName('coupons'), Key: { code, scope: COUPON_SCOPE }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { scope: _scope, ...coupon } = out.Item as Coupon & { scope: string };
    return coupon;
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
