/**
 * Coupon definitions and their redemption counters (item scope 'COUPON'); per-customer counters under
 * 'CUSTOMER#<id>'; and the index of automatic promotions (one item, key AUTOMATIC_INDEX_KEY, whose
 * string set `codes` lists every coupon stored with `automatic: true`).
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from './batch-get.ts';
import { tableName } from '../config.ts';
import type { AuditOf } from '../domain/audit.ts';
import type { Coupon } from '../domain/types.ts';
import { auditPut } from './audit-store.ts';
import { CHANGED, untilUnchanged, writeUnlessChanged, type TransactItem } from './optimistic.ts';
import { planSliceLimits } from '../domain/inventory.ts';

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
  'counterShards',
] as const;

/** Scope of a chain-wide promotion's counter slice k > 0 (key `{code: '<code>#<k>', scope: SLICE_SCOPE}`); slice 0 is the coupon item. */
export const SLICE_SCOPE = 'SLICE';

/** The key of counter slice `slice` of coupon `code` (src/domain/inventory.ts planSliceLimits). */
export function sliceKey(code: string, slice: number): { code: string; scope: string } {
  return slice === 0 ? { code, scope: COUPON_SCOPE } : { code: `${code}#${slice}`, scope: SLICE_SCOPE };
}

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
   *
   * Counter slices (`counterShards` K > 1, or a coupon sliced before): every slice 0..H-1 (H = the most slices
   * ever) gets `sliceLimit` from planSliceLimits over the redemptions read, in the same transaction, each
   * conditioned on its counter not having grown since (releases may lower it), so the total never passes
   * `maxRedemptions`. Without `maxRedemptions` the slices only count (no `sliceLimit`).
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
      const sliceItems: TransactItem[] = [];
      const k = Math.max(1, coupon.counterShards ?? 1);
      const h = Math.max(k, current?.counterHighWater ?? 1);
      if (h > 1) {
        const redeemed = [current?.redemptions ?? 0, ...(await this.sliceCounters(coupon.code, h))];
        const limits = coupon.maxRedemptions !== undefined ? planSliceLimits(coupon.maxRedemptions, k, redeemed) : undefined;
        set.push('counterHighWater = :sliceH');
        values[':sliceH'] = h;
        if (limits) {
          set.push('sliceLimit = :slice0');
          values[':slice0'] = limits[0];
        } else remove.push('sliceLimit');
        if (current) {
          condition += ' AND (attribute_not_exists(redemptions) OR redemptions <= :seen0)';
          values[':seen0'] = redeemed[0];
        }
        for (let slice = 1; slice < h; slice++) {
          sliceItems.push({
            Update: {
              TableName: table,
              Key: sliceKey(coupon.code, slice),
              // Condition: no redemption on this slice since it was read (a release may have lowered it).
              ConditionExpression: 'attribute_not_exists(redemptions) OR redemptions <= :seen',
              UpdateExpression: `SET redemptions = if_not_exists(redemptions, :zero), sliceOf = :code, updatedAt = :now${limits ? ', sliceLimit = :limit' : ''}${limits ? '' : ' REMOVE sliceLimit'}`,
              ExpressionAttributeValues: {
                ':seen': redeemed[slice] ?? 0,
                ':zero': 0,
                ':code': coupon.code,
                ':now': coupon.updatedAt,
                ...(limits ? { ':limit': limits[slice] } : {}),
              },
            },
          });
        }
      }
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
      items.push(...sliceItems);
      if (!(await writeUnlessChanged(this.doc, items, true))) return CHANGED;
      return (await this.get(coupon.code)) ?? after;
    });
  }

  /** Redemptions of counter slices 1..h-1 of `code` (strongly consistent; absent slices count 0), index 0 = slice 1. */
  async sliceCounters(code: string, h: number): Promise<number[]> {
    const keys = Array.from({ length: h - 1 }, (_, i) => sliceKey(code, i + 1));
    const items = await batchGetAll(this.doc, tableName('coupons'), keys, true);
    const found = new Map(items.map((item) => [String(item.code), Number(item.redemptions ?? 0)]));
    return Array.from({ length: h - 1 }, (_, i) => found.get(sliceKey(code, i + 1).code) ?? 0);
  }

  /**
   * The counter slices 0..k-1 of `code` that are used up (redemptions >= sliceLimit), by one strongly consistent
   * BatchGet. An order that found a slice full reads this instead of trying slices blindly: with a few
   * redemptions left over many slices, most slices have a share of 0 (planSliceLimits).
   */
  async fullSlices(code: string, k: number): Promise<Set<number>> {
    const keys = Array.from({ length: k }, (_, slice) => sliceKey(code, slice));
    const full = new Set<number>();
    for (const item of await batchGetAll(this.doc, tableName('coupons'), keys, true)) {
      const slice = item.scope === SLICE_SCOPE ? Number(String(item.code).slice(code.length + 1)) : 0;
      if (item.sliceLimit !== undefined && Number(item.redemptions ?? 0) >= Number(item.sliceLimit)) full.add(slice);
    }
    return full;
  }

  /** Total redemptions of a coupon: its own counter plus every counter slice's (strongly consistent). */
  async totalRedemptions(code: string): Promise<number> {
    const coupon = await this.get(code);
    if (!coupon) return 0;
    const h = coupon.counterHighWater ?? 1;
    return coupon.redemptions + (h > 1 ? (await this.sliceCounters(code, h)).reduce((a, b) => a + b, 0) : 0);
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
    const keys = codes.map((code) => ({ code, scope: COUPON_SCOPE }));
    const items = await batchGetAll<Coupon & { scope?: string }>(this.doc, tableName('coupons'), keys);
    return items.map(({ scope: _scope, ...coupon }) => coupon);
  }
}
