/**
 * Wallet top-ups (table `topups`) and their settlement by the payment webhook (PRODUCT.md "Wallet top-ups
 * are payments"). Every settlement is ONE TransactWriteItems with the payments record of that paymentId
 * (condition attribute_not_exists(paymentId)), so each paymentId is applied at most once and a top-up moves
 * PENDING → SUCCEEDED | FAILED at most once:
 *
 * - SUCCEEDED, matching amount, currency and provider: top-up PENDING→SUCCEEDED (condition: PENDING, amount
 *   and currency equal) + wallet credit (created in the currency if absent; condition: same currency and the
 *   balance stays <= MAX_WALLET_BALANCE) + payments record APPLIED.
 * - SUCCEEDED that the wallet cannot take (another currency by now, or over the limit): top-up FAILED
 *   (CURRENCY_MISMATCH | WALLET_LIMIT_EXCEEDED) + payments record REFUNDED; the caller refunds.
 * - SUCCEEDED for another amount, currency or provider: never credited; top-up FAILED (PAYMENT_MISMATCH) +
 *   payments record REJECTED; the caller refunds the captured money (it cannot be kept).
 * - FAILED: top-up FAILED (PAYMENT_FAILED) + payments record APPLIED.
 * - Anything for a top-up that is already final: a repeat of a recorded paymentId is DUPLICATE (or the
 *   disposition it got); a new SUCCEEDED payment is late or double money: payments record REFUNDED, refunded
 *   once per paymentId; a new FAILED one is IGNORED.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PaymentStore, type PaymentItem } from './payment-store.ts';
import { tableName } from '../config.ts';
import type { Topup, TopupFailureReason } from '../domain/topup.ts';
import { providerOfMethod } from '../domain/topup.ts';
import { MAX_WALLET_BALANCE } from './wallet-store.ts';
import { transactWrite } from './transact.ts';
import { cancellationReasons, cancelledByConditionsOnly, isConditionalCheckFailed } from './dynamo-errors.ts';
import type { PaymentProviderId } from '../payments/webhook-secret-env.ts';

/** A verified provider callback naming a top-up; money in minor units, times ISO-8601 UTC. */
export interface TopupCallback {
  paymentId: string;
  topupId: string;
  provider: PaymentProviderId;
  status: 'SUCCEEDED' | 'FAILED';
  amount: number;
  currency: string;
  occurredAt: string;
}

/** What the webhook answers (`disposition`) and whether the caller must refund this payment now. */
export interface TopupSettlement {
  disposition: 'APPLIED' | 'DUPLICATE' | 'REFUNDED' | 'REJECTED' | 'IGNORED';
  /** True exactly once per paymentId whose captured money is given back (REFUNDED or a SUCCEEDED REJECTED). */
  refund: boolean;
  topup: Topup;
}

/** A top-up with this id exists already with another amount, currency or payment method. */
export class TopupConflictError extends Error {
  override name = 'TopupConflict';
}

/** Attempts of the settle loop (each re-reads after a lost race); more means the items keep changing. */
const SETTLE_ATTEMPTS = 4;

export class TopupStore {
  private readonly payments: PaymentStore;

  constructor(private readonly doc: DynamoDBDocumentClient) {
    this.payments = new PaymentStore(doc);
  }

  /** The top-up, or undefined (strongly consistent). */
  async get(topupId: string): Promise<Topup | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('topups'), Key: { topupId }, ConsistentRead: true }));
    return out.Item as Topup | undefined;
  }

  /**
   * Writes a new PENDING top-up (condition attribute_not_exists(topupId)). When one with this id exists
   * (the same request retried after its idempotency record expired) returns that one if it is the same
   * request, else throws TopupConflictError.
   */
  async create(topup: Topup): Promise<Topup> {
    try {
      await this.doc.send(
        new PutCommand({ TableName: tableName('topups'), Item: topup, ConditionExpression: 'attribute_not_exists(topupId)' }),
      );
      return topup;
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      const existing = (await this.get(topup.topupId))!;
      const same =
        existing.customerId === topup.customerId &&
        existing.amount === topup.amount &&
        existing.currency === topup.currency &&
        existing.paymentMethod === topup.paymentMethod;
      if (!same) throw new TopupConflictError(`Top-up ${topup.topupId} exists with another amount, currency or payment method`);
      return existing;
    }
  }

  /**
   * Applies a verified callback to `topup` (see the module comment), exactly once per paymentId under
   * duplicate and concurrent deliveries. Throws only on I/O errors or when the items keep changing under
   * it (then the provider retries and the next delivery settles it).
   */
  async settle(topup: Topup, cb: TopupCallback, now: string): Promise<TopupSettlement> {
    const record = {
      paymentId: cb.paymentId,
      topupId: cb.topupId,
      customerId: topup.customerId,
      provider: cb.provider,
      status: cb.status,
      amount: cb.amount,
      currency: cb.currency,
      occurredAt: cb.occurredAt,
      receivedAt: now,
    };
    let current = topup;
    for (let attempt = 1; attempt <= SETTLE_ATTEMPTS; attempt++) {
      if (current.status === 'PENDING') {
        const matches =
          cb.amount === current.amount && cb.currency === current.currency && cb.provider === providerOfMethod(current.paymentMethod);
        let outcome: 'WRITTEN' | 'WALLET_REFUSED' | 'LOST';
        if (cb.status === 'FAILED') {
          outcome = await this.finish(current, 'PAYMENT_FAILED', { ...record, disposition: 'APPLIED' }, now);
          if (outcome === 'WRITTEN') return { disposition: 'APPLIED', refund: false, topup: (await this.get(topup.topupId))! };
        } else if (!matches) {
          outcome = await this.finish(current, 'PAYMENT_MISMATCH', { ...record, disposition: 'REJECTED' }, now);
          if (outcome === 'WRITTEN') return { disposition: 'REJECTED', refund: true, topup: (await this.get(topup.topupId))! };
        } else {
          outcome = await this.credit(current, { ...record, disposition: 'APPLIED' }, now);
          if (outcome === 'WRITTEN') return { disposition: 'APPLIED', refund: false, topup: (await this.get(topup.topupId))! };
          if (outcome === 'WALLET_REFUSED') {
            const reason = await this.walletRefusal(current);
            outcome = await this.finish(current, reason, { ...record, disposition: 'REFUNDED' }, now);
            if (outcome === 'WRITTEN') return { disposition: 'REFUNDED', refund: true, topup: (await this.get(topup.topupId))! };
          }
        }
        // Lost a race: another delivery settled the top-up or recorded this paymentId first. Look again.
        current = (await this.get(topup.topupId))!;
        if (current.status === 'PENDING' && !(await this.payment(cb.paymentId))) continue;
      }
      const seen = await this.payment(cb.paymentId);
      if (seen) return { disposition: seen.disposition === 'APPLIED' ? 'DUPLICATE' : seen.disposition, refund: false, topup: current };
      if (cb.status !== 'SUCCEEDED') return { disposition: 'IGNORED', refund: false, topup: current };
      // Money for a top-up that is already final (double or late payment): give it back, once per paymentId.
      const written = await this.payments.recordOnce({ ...record, disposition: 'REFUNDED' } as PaymentItem);
      if (written) return { disposition: 'REFUNDED', refund: true, topup: current };
      // Recorded by a concurrent delivery of the same paymentId in the meantime: its answer stands.
    }
    throw new Error(`Top-up ${topup.topupId} kept changing while settling payment ${cb.paymentId}`);
  }

  /** The payments record of `paymentId` (its disposition), or undefined. */
  private async payment(paymentId: string): Promise<{ disposition: TopupSettlement['disposition'] } | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('payments'), Key: { paymentId }, ConsistentRead: true }));
    return out.Item as { disposition: TopupSettlement['disposition'] } | undefined;
  }

  /** The top-up's condition to leave PENDING: still PENDING and still the same money. */
  private pendingUpdate(topup: Topup, set: string, values: Record<string, unknown>) {
    return {
      Update: {
        TableName: tableName('topups'),
        Key: { topupId: topup.topupId },
        ConditionExpression: '#status = :pending AND amount = :topupAmount AND currency = :topupCurrency',
        UpdateExpression: set,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'PENDING', ':topupAmount': topup.amount, ':topupCurrency': topup.currency, ...values },
      },
    };
  }

  /** SUCCEEDED + wallet credit + payments record, one transaction. WALLET_REFUSED: only the wallet's condition failed. */
  private async credit(topup: Topup, payment: Record<string, unknown>, now: string): Promise<'WRITTEN' | 'WALLET_REFUSED' | 'LOST'> {
    return this.transact([
      this.pendingUpdate(topup, 'SET #status = :succeeded, paymentId = :paymentId, updatedAt = :now', {
        ':succeeded': 'SUCCEEDED',
        ':paymentId': payment.paymentId,
        ':now': now,
      }),
      {
        Update: {
          TableName: tableName('wallets'),
          Key: { customerId: topup.customerId },
          // One currency per wallet; the balance stays within MAX_WALLET_BALANCE.
          ConditionExpression: 'attribute_not_exists(customerId) OR (currency = :currency AND balance <= :room)',
          UpdateExpression:
            'SET balance = if_not_exists(balance, :zero) + :amount, currency = if_not_exists(currency, :currency), createdAt = if_not_exists(createdAt, :now), updatedAt = :now',
          ExpressionAttributeValues: {
            ':amount': topup.amount,
            ':currency': topup.currency,
            ':room': MAX_WALLET_BALANCE - topup.amount,
            ':zero': 0,
            ':now': now,
          },
        },
      },
      this.paymentPut(payment),
    ]);
  }

  /** FAILED with `reason` + payments record, one transaction. */
  private async finish(
    topup: Topup,
    reason: TopupFailureReason,
    payment: Record<string, unknown>,
    now: string,
  ): Promise<'WRITTEN' | 'LOST'> {
    const outcome = await this.transact([
      this.pendingUpdate(topup, 'SET #status = :failed, paymentId = :paymentId, failureReason = :reason, updatedAt = :now', {
        ':failed': 'FAILED',
        ':paymentId': payment.paymentId,
        ':reason': reason,
        ':now': now,
      }),
      this.paymentPut(payment),
    ]);
    return outcome === 'WRITTEN' ? 'WRITTEN' : 'LOST';
  }

  private paymentPut(item: Record<string, unknown>) {
    return { Put: { TableName: tableName('payments'), Item: item, ConditionExpression: 'attribute_not_exists(paymentId)' } };
  }

  /** Runs a settlement transaction: WRITTEN, WALLET_REFUSED (only item 1, the wallet, refused), or LOST (another condition). */
  private async transact(items: object[]): Promise<'WRITTEN' | 'WALLET_REFUSED' | 'LOST'> {
    try {
      await transactWrite(this.doc, { TransactItems: items as never });
      return 'WRITTEN';
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (!reasons || !cancelledByConditionsOnly(reasons)) throw e;
      const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
      return items.length === 3 && failed.length === 1 && failed[0] === 1 ? 'WALLET_REFUSED' : 'LOST';
    }
  }

  /** Why the wallet refused `topup`'s money: another currency, or the balance would pass the limit. */
  private async walletRefusal(topup: Topup): Promise<TopupFailureReason> {
    const out = await this.doc.send(
      new GetCommand({ TableName: tableName('wallets'), Key: { customerId: topup.customerId }, ConsistentRead: true }),
    );
    return out.Item && out.Item.currency !== topup.currency ? 'CURRENCY_MISMATCH' : 'WALLET_LIMIT_EXCEEDED';
  }
}
