/**
 * Per-principal request counters in the rateLimits table (lib/wiring.ts): one item per
 * `<limitId>#<principal>#<epoch minute>` with `hits`, expiring (TTL `expiresAt`) a minute after its window.
 * One conditional UpdateItem per request: the increment and the limit check are one atomic write, so
 * concurrent requests from one principal can never pass the limit between a read and a write.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config.ts';
import { rateCounterKey, rateWindow, type RateDecision } from '../domain/rate-limit.ts';
import { isConditionalCheckFailed } from './dynamo-errors.ts';

/** What the rate-limit middleware needs from a store (a fake in unit tests). */
export interface RateLimitCounter {
  hit(limitId: string, principal: string, limitPerMinute: number, nowMs: number): Promise<RateDecision>;
}

export class RateLimitStore implements RateLimitCounter {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /**
   * Counts one request of `principal` against `limitId` in the minute containing `nowMs` (epoch ms) and
   * says whether it is within `limitPerMinute` requests. A refused request is not counted (the condition
   * fails before the ADD) and gets `retryAfterSeconds` = whole seconds until the window ends (>= 1).
   * Throws whatever DynamoDB throws other than the condition failure (callers answer 500: failing open
   * would silently drop the limit, failing closed would refuse every customer).
   */
  async hit(limitId: string, principal: string, limitPerMinute: number, nowMs: number): Promise<RateDecision> {
    const window = rateWindow(nowMs);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: tableName('rateLimits'),
          Key: { pk: rateCounterKey(limitId, principal, window.minute) },
          UpdateExpression: 'ADD hits :one SET expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
          ExpressionAttributeValues: { ':one': 1, ':limit': limitPerMinute, ':expiresAt': window.expiresAt },
        }),
      );
      return { allowed: true, retryAfterSeconds: 0 };
    } catch (e) {
      if (isConditionalCheckFailed(e)) return { allowed: false, retryAfterSeconds: window.retryAfterSeconds };
      throw e;
    }
  }
}
