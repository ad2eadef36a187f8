/**
 * The wallet store's conditional writes against real DynamoDB Local: a wallet never goes below zero,
 * each order is debited at most once and credited back at most once, a cancelled order is never
 * debited (PRODUCT.md field notes on BALANCE, invariant 4).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { freshTables, type FreshTables } from '../helpers/dynamo.ts';
import { OrderStore } from '../../src/store/order-store.ts';
import { InventoryStore } from '../../src/store/inventory-store.ts';
import { WalletStore, walletPaymentId } from '../../src/store/wallet-store.ts';
import { WalletDeclinedError } from '../../src/saga/errors.ts';
import { walletProvider } from '../../src/payments/provider.ts';
import type { Order } from '../../src/domain/types.ts';

let db: FreshTables;
let orders: OrderStore;
let wallets: WalletStore;
const NOW = '2026-11-23T08:00:00.000Z';
let seq = 0;

/** A placed PENDING_PAYMENT BALANCE order of `customerId` for `total` CNY minor units (1 unit of stock). */
async function placed(customerId: string, total: number): Promise<Order> {
  const order: Order = {
    orderId: `ord_wallet_${++seq}_${Date.now()}`,
    storeId: 'S1',
    region: 'east',
    customerId,
    status: 'PENDING_PAYMENT',
    items: [{ sku: 'A', name: 'A', quantity: 1, unitPrice: total, lineTotal: total }],
    pricing: { subtotal: total, discount: 0, total, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: 'BALANCE',
    createdAt: NOW,
    expiresAt: NOW,
    history: [{ status: 'PENDING_PAYMENT', at: NOW }],
    reservation: [{ sku: 'A', quantity: 1 }],
    couponRedemptions: [],
    stockState: 'RESERVED',
    couponsState: 'NONE',
    updatedAt: NOW,
  };
  await orders.place(order, new Map());
  return order;
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  db = await freshTables();
  orders = new OrderStore(db.doc);
  wallets = new WalletStore(db.doc);
  await new InventoryStore(db.doc).setLevel('S1', 'A', 1000, 0, NOW);
});

describe('WalletStore', () => {
  it('debits an order once: a retried debit finds the payment and takes nothing more', async () => {
    await wallets.topUp('w1', 1000, 'CNY', NOW);
    const order = await placed('w1', 300);
    const first = await wallets.debitOrder(order, NOW);
    const again = await wallets.debitOrder(order, NOW);
    expect(first.payment).toMatchObject({ paymentId: walletPaymentId(order.orderId), status: 'SUCCEEDED', amount: 300, currency: 'CNY' });
    expect(first.walletDebit).toBe('DEBITED');
    expect(again.payment).toEqual(first.payment);
    expect((await wallets.get('w1'))?.balance).toBe(700);
  });

  it('declines an order the balance cannot cover, and writes nothing', async () => {
    await wallets.topUp('w2', 299, 'CNY', NOW);
    const order = await placed('w2', 300);
    expect(await caught(wallets.debitOrder(order, NOW))).toBeInstanceOf(WalletDeclinedError);
    expect((await wallets.get('w2'))?.balance).toBe(299);
    expect((await orders.get(order.orderId))?.payment).toBeUndefined();
  });

  it('pays exactly as many of 25 concurrent orders as the balance covers, ending at zero', async () => {
    await wallets.topUp('w3', 7 * 100, 'CNY', NOW);
    const all = await Promise.all(Array.from({ length: 25 }, () => placed('w3', 100)));
    const results = await Promise.allSettled(all.map((o) => wallets.debitOrder(o, NOW)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WalletDeclinedError);
    expect((await wallets.get('w3'))?.balance).toBe(0);
  });

  it('never debits an order the customer cancelled first', async () => {
    await wallets.topUp('w4', 1000, 'CNY', NOW);
    const order = await placed('w4', 100);
    expect(await orders.requestCancel(order.orderId, NOW)).toBeDefined();
    const after = await wallets.debitOrder(order, NOW);
    expect(after.payment).toBeUndefined();
    expect((await wallets.get('w4'))?.balance).toBe(1000);
  });

  it('credits a debited order back exactly once, also through the wallet provider and concurrently', async () => {
    await wallets.topUp('w5', 1000, 'CNY', NOW);
    const order = await placed('w5', 400);
    await wallets.debitOrder(order, NOW);
    expect((await wallets.get('w5'))?.balance).toBe(600);
    const provider = walletProvider(wallets);
    const refund = { orderId: order.orderId, customerId: 'w5', paymentId: walletPaymentId(order.orderId), amount: 400, currency: 'CNY' };
    await Promise.all([
      wallets.creditOrder(order.orderId, NOW),
      wallets.creditOrder(order.orderId, NOW),
      provider.refund(refund),
      provider.refund(refund),
    ]);
    expect((await wallets.get('w5'))?.balance).toBe(1000);
    expect((await orders.get(order.orderId))?.walletDebit).toBe('CREDITED');
  });

  it('refuses to credit an order that was never debited', async () => {
    const order = await placed('w6', 100);
    expect((await caught(wallets.creditOrder(order.orderId, NOW))) as Error).toMatchObject({ name: 'IllegalOrderState' });
  });

  it('refuses a top-up in another currency or beyond the maximum balance', async () => {
    await wallets.topUp('w7', 100, 'CNY', NOW);
    expect(await caught(wallets.topUp('w7', 100, 'USD', NOW))).toMatchObject({ code: 'CURRENCY_MISMATCH' });
    expect(await caught(wallets.topUp('w7', 1_000_000_000_000, 'CNY', NOW))).toMatchObject({ code: 'WALLET_LIMIT_EXCEEDED' });
    expect(await wallets.get('w7')).toMatchObject({ balance: 100, currency: 'CNY' });
  });
});
