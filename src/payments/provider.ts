/**
 * Payment providers sit behind one interface: the external ones (WeChat Pay, Alipay, cards; they
 * confirm through the payment webhook) and the customer wallet (BALANCE; debited by the saga's
 * DebitWallet, no callback). The external default is a sandbox that succeeds deterministically and
 * keeps no state, so saga retries are harmless: every call is idempotent by the ids it derives from
 * the order.
 */
import type { Order } from '../domain/types.ts';

/** A captured payment to give back in full: amount in minor units of `currency`; for an order or a wallet top-up. */
export interface RefundRequest {
  orderId?: string;
  topupId?: string;
  customerId: string;
  paymentId: string;
  amount: number;
  currency: string;
}

export interface PaymentProvider {
  /** Opens a payment intent for `order.pricing.total` minor units; returns the provider's intent id. */
  createIntent(order: Order): Promise<{ intentId: string }>;
  /** Voids the open intent of an unpaid order (no money moved yet). */
  voidIntent(order: Order): Promise<void>;
  /** Refunds a captured payment in full; idempotent per paymentId. Returns the refund id. */
  refund(payment: RefundRequest): Promise<{ refundId: string }>;
}

/** Sandbox provider: no network, deterministic ids. */
export const sandboxProvider: PaymentProvider = {
  async createIntent(order) {
    return { intentId: `pi_${order.orderId}` };
  },
  async voidIntent() {},
  async refund({ paymentId }) {
    return { refundId: `rf_${paymentId}` };
  },
};

/** The external provider in use (one adapter today; selected here when real ones are added). */
export const paymentProvider = (): PaymentProvider => sandboxProvider;

/** What the wallet provider needs of the wallet store (src/store/wallet-store.ts). */
export interface WalletCredits {
  /** Gives the order's wallet debit back once; applied=false when already given back. */
  creditOrder(orderId: string, now: string): Promise<{ applied: boolean }>;
}

/**
 * The customer wallet as a provider. The intent is a formality (the debit itself is the saga's
 * DebitWallet, a conditional write); nothing to void before the debit; a refund credits the debit
 * back exactly once (the order's walletDebit flag), whichever saga step asks and however often.
 */
export const walletProvider = (wallets: WalletCredits): PaymentProvider => ({
  async createIntent(order) {
    return { intentId: `wallet_${order.orderId}` };
  },
  async voidIntent() {},
  async refund({ orderId }) {
    if (!orderId) throw new Error('The wallet refunds order debits only');
    await wallets.creditOrder(orderId, new Date().toISOString());
    return { refundId: `wrf_${orderId}` };
  },
});

/** The provider that holds `order`'s money: the wallet for BALANCE, the external provider otherwise. */
export const paymentProviderFor = (order: Pick<Order, 'paymentMethod'>, wallet: PaymentProvider): PaymentProvider =>
  order.paymentMethod === 'BALANCE' ? wallet : paymentProvider();
