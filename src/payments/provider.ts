/**
 * Payment providers sit behind one interface (WeChat Pay, Alipay, cards). The default is a
 * sandbox that succeeds deterministically and keeps no state, so saga retries are harmless:
 * every call is idempotent by the ids it derives from the order.
 */
import type { Order } from '../domain/types.ts';

export interface PaymentProvider {
  /** Opens a payment intent for `order.pricing.total` minor units; returns the provider's intent id. */
  createIntent(order: Order): Promise<{ intentId: string }>;
  /** Voids the open intent of an unpaid order (no money moved yet). */
  voidIntent(order: Order): Promise<void>;
  /** Refunds a captured payment in full; idempotent per paymentId. Returns the refund id. */
  refund(paymentId: string, amount: number, currency: string): Promise<{ refundId: string }>;
}

/** Sandbox provider: no network, deterministic ids. */
export const sandboxProvider: PaymentProvider = {
  async createIntent(order) {
    return { intentId: `pi_${order.orderId}` };
  },
  async voidIntent() {},
  async refund(paymentId) {
    return { refundId: `rf_${paymentId}` };
  },
};

/** The provider in use (one adapter today; selected here when real ones are added). */
export const paymentProvider = (): PaymentProvider => sandboxProvider;
