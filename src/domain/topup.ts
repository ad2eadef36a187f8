/**
 * Wallet top-ups are payments (PRODUCT.md "Identity and access (contract v1.1)", "Wallet top-ups are
 * payments"): a customer opens a PENDING top-up, pays it with a provider, and the balance moves only when
 * that provider's signed webhook confirms it, exactly once. Pure: ids, the record shape, provider names.
 */
import { createHash } from 'node:crypto';
import type { PaymentProviderId } from '../payments/webhook-secret-env.ts';

/** Payment methods a top-up can use (BALANCE cannot fund the wallet itself). */
export type TopupPaymentMethod = 'WECHAT_PAY' | 'ALIPAY' | 'CARD';

/** PENDING until the provider's webhook says SUCCEEDED (wallet credited) or FAILED; both final. */
export type TopupStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';

/**
 * Why a top-up ended FAILED: the provider said FAILED (PAYMENT_FAILED); its payment did not match the
 * top-up's amount, currency or provider (PAYMENT_MISMATCH, refunded); or the wallet could not take the
 * money when it arrived (CURRENCY_MISMATCH, WALLET_LIMIT_EXCEEDED, refunded).
 */
export type TopupFailureReason = 'PAYMENT_FAILED' | 'PAYMENT_MISMATCH' | 'CURRENCY_MISMATCH' | 'WALLET_LIMIT_EXCEEDED';

/** A top-up (table `topups`, key topupId). Money in integer minor units of `currency`; times ISO-8601 UTC. */
export interface Topup {
  topupId: string;
  customerId: string;
  amount: number;
  currency: string;
  paymentMethod: TopupPaymentMethod;
  status: TopupStatus;
  createdAt: string;
  updatedAt: string;
  /** The provider payment that settled it (SUCCEEDED or FAILED). */
  paymentId?: string;
  failureReason?: TopupFailureReason;
}

/** The webhook provider (path segment) that confirms payments of `method`. */
export const providerOfMethod = (method: TopupPaymentMethod): PaymentProviderId =>
  (({ WECHAT_PAY: 'wechat-pay', ALIPAY: 'alipay', CARD: 'card' }) as const)[method];

/**
 * The topupId of a creation request: derived from the customer (token `sub`) and the Idempotency-Key, like
 * orderIdFor, so a retry that outlives the idempotency record finds the same top-up instead of opening a
 * second one. `top_` + 26 base64url characters (156 bits of SHA-256).
 */
export function topupIdFor(customerId: string, idempotencyKey: string): string {
  return `top_${createHash('sha256').update(`topup\n${customerId}\n${idempotencyKey}`).digest('base64url').slice(0, 26)}`;
}
