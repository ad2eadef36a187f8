/**
 * Customer wallets (paymentMethod BALANCE): one item per customer `{customerId, balance, currency}`,
 * balance in integer minor units of the wallet's one currency. An order's debit and its credit back
 * are each one transaction with the order's `walletDebit` flag (absent → DEBITED → CREDITED), so a
 * wallet is debited at most once per order, credited back at most once, and never goes below zero.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { transactWrite } from './transact.ts';
import { tableName } from '../config.ts';
import { DomainError } from '../domain/errors.ts';
import { MAX_MONEY } from '../domain/schemas.ts';
import type { Order, PaymentRecord } from '../domain/types.ts';
import type { AuditRecord } from '../domain/audit.ts';
import { auditPut } from './audit-store.ts';
import { cancellationReasons, cancelledByConditionsOnly, isConditionalCheckFailed } from './dynamo-errors.ts';
import { IllegalOrderStateError, OrderNotFoundError, WalletDeclinedError } from '../saga/errors.ts';

export interface Wallet {
  customerId: string;
  /** Minor units of `currency`; never below zero. */
  balance: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
}

/** Largest balance a top-up may reach, in minor units (10^12, as for any amount in a request). */
export const MAX_WALLET_BALANCE = MAX_MONEY;

/** Reads (and conditional writes) an adjustment tries before answering CONCURRENT_UPDATE. */
export const ADJUST_ATTEMPTS = 5;

/** The payment id a wallet debit is recorded under on the order (one per order). */
export const walletPaymentId = (orderId: string): string => `wallet_${orderId}`;

export class WalletStore {
  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /** The customer's wallet, or undefined. */
  async get(customerId: string): Promise<Wallet | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('wallets'), Key: { customerId }, ConsistentRead: true }));
    return out.Item as Wallet | undefined;
  }

  /**
   * Adds `amount` minor units, creating the wallet in `currency` on the first top-up. Returns the
   * wallet after it. Throws DomainError CURRENCY_MISMATCH (the wallet holds another currency) or
   * WALLET_LIMIT_EXCEEDED (balance would pass MAX_WALLET_BALANCE); nothing is written then.
   */
  async topUp(customerId: string, amount: number, currency: string, now: string): Promise<Wallet> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: tableName('wallets'),
          Key: { customerId },
          // One currency per wallet; the balance stays within MAX_WALLET_BALANCE (safe integer arithmetic).
          ConditionExpression: 'attribute_not_exists(customerId) OR (currency = :currency AND balance <= :room)',
          UpdateExpression:
            'SET balance = if_not_exists(balance, :zero) + :amount, currency = if_not_exists(currency, :currency), createdAt = if_not_exists(createdAt, :now), updatedAt = :now',
          ExpressionAttributeValues: {
            ':amount': amount,
            ':currency': currency,
            ':room': MAX_WALLET_BALANCE - amount,
            ':zero': 0,
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return out.Attributes as Wallet;
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      const existing = (await this.get(customerId))!;
      if (existing.currency !== currency) {
        throw new DomainError('CURRENCY_MISMATCH', `The wallet holds ${existing.currency}, the top-up is in ${currency}`, {
          walletCurrency: existing.currency,
        });
      }
      throw new DomainError('WALLET_LIMIT_EXCEEDED', `A wallet holds at most ${MAX_WALLET_BALANCE} minor units`, {
        balance: existing.balance,
        maxBalance: MAX_WALLET_BALANCE,
      });
    }
  }

  /**
   * An operator adjustment (chainAdmin, PRODUCT.md v1.1): adds the signed `amount` (minor units, != 0) to the
   * wallet, creating it in `currency` when a positive adjustment meets no wallet. The write is conditioned on
   * the balance read just before (optimistic concurrency, {@link ADJUST_ATTEMPTS} reads at most), so the
   * audit record `audit(before, after, now)` that goes into the SAME transaction states the exact balances.
   * Returns the wallet after it. Throws DomainError INSUFFICIENT_FUNDS (it would go below zero),
   * CURRENCY_MISMATCH, WALLET_LIMIT_EXCEEDED, or CONCURRENT_UPDATE (the balance kept changing); nothing is
   * written then, the audit record included.
   */
  async adjust(
    customerId: string,
    amount: number,
    currency: string,
    audit: (before: number, after: number, now: string) => AuditRecord,
  ): Promise<Wallet> {
    for (let attempt = 1; attempt <= ADJUST_ATTEMPTS; attempt++) {
      const wallet = await this.get(customerId);
      if (wallet && wallet.currency !== currency) {
        throw new DomainError('CURRENCY_MISMATCH', `The wallet holds ${wallet.currency}, the adjustment is in ${currency}`, {
          walletCurrency: wallet.currency,
        });
      }
      const before = wallet?.balance ?? 0;
      const after = before + amount;
      if (after < 0)
        throw new DomainError('INSUFFICIENT_FUNDS', `The wallet holds ${before} minor units; ${amount} would take it below zero`, {
          balance: before,
        });
      if (after > MAX_WALLET_BALANCE) {
        throw new DomainError('WALLET_LIMIT_EXCEEDED', `A wallet holds at most ${MAX_WALLET_BALANCE} minor units`, {
          balance: before,
          maxBalance: MAX_WALLET_BALANCE,
        });
      }
      const now = new Date().toISOString();
      const walletWrite = wallet
        ? {
            Update: {
              TableName: tableName('wallets'),
              Key: { customerId },
              // Exactly the balance read (so before/after in the audit are exact); never below zero.
              ConditionExpression: 'currency = :currency AND balance = :before',
              UpdateExpression: 'SET balance = :after, updatedAt = :now',
              ExpressionAttributeValues: { ':currency': currency, ':before': before, ':after': after, ':now': now },
            },
          }
        : {
            Put: {
              TableName: tableName('wallets'),
              Item: { customerId, balance: after, currency, createdAt: now, updatedAt: now },
              ConditionExpression: 'attribute_not_exists(customerId)',
            },
          };
      try {
        await transactWrite(this.doc, { TransactItems: [walletWrite, auditPut(audit(before, after, now))] });
        return { ...(wallet ?? { customerId, currency, createdAt: now }), balance: after, updatedAt: now };
      } catch (e) {
        const reasons = cancellationReasons(e);
        if (!reasons || !cancelledByConditionsOnly(reasons) || reasons[0]?.Code !== 'ConditionalCheckFailed') throw e;
        // The wallet changed since it was read (a debit, a top-up, another adjustment): read it again.
      }
    }
    throw new DomainError('CONCURRENT_UPDATE', `Wallet of ${customerId} kept changing; retry the adjustment`);
  }

  /**
   * Saga DebitWallet: takes `order.pricing.total` from the customer's wallet and records it as the
   * order's payment (paymentId `walletPaymentId(orderId)`, walletDebit DEBITED) in one transaction.
   * Returns the order after it, also when an earlier attempt (or a cancel, or another payment) got
   * there first: then nothing is written and the caller reads the order to decide.
   * Throws WalletDeclinedError when the wallet is missing, in another currency or short of the total.
   */
  async debitOrder(order: Order, now: string): Promise<Order> {
    const { total: amount, currency } = order.pricing;
    const payment: PaymentRecord = {
      paymentId: walletPaymentId(order.orderId),
      status: 'SUCCEEDED',
      amount,
      currency,
      occurredAt: now,
      receivedAt: now,
    };
    const items = [
      {
        Update: {
          TableName: tableName('orders'),
          Key: { orderId: order.orderId },
          // Invariant 4: one payment per order, only while it is unpaid, unclaimed (no cancel or expiry decided it:
          // src/domain/order-claim.ts) and not closed to payments; the debit claims the order for PAYMENT.
          ConditionExpression:
            '#status = :pending AND attribute_not_exists(#claim) AND attribute_not_exists(payment) AND attribute_not_exists(walletDebit) AND attribute_not_exists(paymentClosedAt)',
          UpdateExpression: 'SET payment = :payment, walletDebit = :debited, #claim = :claim, claimedAt = :now, updatedAt = :now',
          ExpressionAttributeNames: { '#status': 'status', '#claim': 'claim' },
          ExpressionAttributeValues: {
            ':pending': 'PENDING_PAYMENT',
            ':payment': payment,
            ':debited': 'DEBITED',
            ':claim': 'PAYMENT',
            ':now': now,
          },
        },
      },
      {
        Update: {
          TableName: tableName('wallets'),
          Key: { customerId: order.customerId },
          // The wallet never goes below zero and pays only in its own currency.
          ConditionExpression: 'currency = :currency AND balance >= :amount',
          UpdateExpression: 'SET balance = balance - :amount, updatedAt = :now',
          ExpressionAttributeValues: { ':currency': currency, ':amount': amount, ':now': now },
        },
      },
    ];
    try {
      await transactWrite(this.doc, { TransactItems: items });
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (!reasons || !cancelledByConditionsOnly(reasons)) throw e;
      if (reasons[0]?.Code !== 'ConditionalCheckFailed') {
        throw new WalletDeclinedError(`Wallet of ${order.customerId} cannot pay ${amount} ${currency}`);
      }
    }
    return this.mustGetOrder(order.orderId);
  }

  /**
   * Gives a wallet-paid order's money back to the wallet, once (walletDebit DEBITED → CREDITED in the
   * same transaction). Returns applied=false when it was already credited. Throws
   * IllegalOrderStateError when the order was never debited (nothing to give back).
   */
  async creditOrder(orderId: string, now: string): Promise<{ applied: boolean }> {
    const order = await this.mustGetOrder(orderId);
    if (order.walletDebit === 'CREDITED') return { applied: false };
    if (order.walletDebit !== 'DEBITED' || !order.payment) throw new IllegalOrderStateError(`Order ${orderId} was not paid from a wallet`);
    try {
      await transactWrite(this.doc, {
        TransactItems: [
          {
            Update: {
              TableName: tableName('orders'),
              Key: { orderId },
              // Money goes back at most once per order.
              ConditionExpression: 'walletDebit = :debited',
              UpdateExpression: 'SET walletDebit = :credited, updatedAt = :now',
              ExpressionAttributeValues: { ':debited': 'DEBITED', ':credited': 'CREDITED', ':now': now },
            },
          },
          {
            Update: {
              TableName: tableName('wallets'),
              Key: { customerId: order.customerId },
              // Only into the wallet the money came from (it exists: it was debited).
              ConditionExpression: 'currency = :currency',
              UpdateExpression: 'SET balance = balance + :amount, updatedAt = :now',
              ExpressionAttributeValues: { ':currency': order.payment.currency, ':amount': order.payment.amount, ':now': now },
            },
          },
        ],
      });
      return { applied: true };
    } catch (e) {
      const reasons = cancellationReasons(e);
      if (!reasons || !cancelledByConditionsOnly(reasons)) throw e;
      if (reasons[0]?.Code === 'ConditionalCheckFailed' && (await this.mustGetOrder(orderId)).walletDebit === 'CREDITED')
        return { applied: false };
      throw new IllegalOrderStateError(`Crediting order ${orderId} back refused: ${reasons.map((r, i) => `${i}:${r.Code}`).join(' ')}`);
    }
  }

  private async mustGetOrder(orderId: string): Promise<Order> {
    const out = await this.doc.send(new GetCommand({ TableName: tableName('orders'), Key: { orderId }, ConsistentRead: true }));
    if (!out.Item) throw new OrderNotFoundError(`Order ${orderId} not found`);
    return out.Item as Order;
  }
}
