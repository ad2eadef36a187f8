/**
 * The demo's unauthorized attempts (issue 7, contract v1.1 "Identity and access"): after the trading day,
 * anonymous callers, callers of the wrong role, another customer and another store's staff try what the
 * contract forbids (money without a payment, prices, stock, other people's orders and wallets). Each must be
 * refused (401 / 403 / 404) and change nothing: the state the attempts aim at is read before and after.
 */
import { randomUUID } from 'node:crypto';
import type { ApiClient, ApiResponse } from '../api-client.ts';
import type { ChainPlan } from './seed.ts';

/** What one attempt was, what it got and what the contract expects. */
export interface Attempt {
  who: 'anonymous' | 'wrong role' | 'other customer' | 'other store';
  what: string;
  status: number;
  expected: number;
}

export interface IntrusionResult {
  attempts: Attempt[];
  /** Attempts answered with another status than expected. */
  unexpected: Attempt[];
  /** Watched state that differs after the attempts (should be empty). */
  changed: string[];
}

/**
 * Runs the attempts against `victim` (an order of some customer at a store of the chain) and another store of
 * another region. `admin` must be a client acting as a chain admin (reads the watched state).
 */
export async function tryUnauthorized(
  api: ApiClient,
  chain: ChainPlan,
  victim: { orderId: string; customerId: string; storeId: string; sku: string },
  /** Reads the stored catalog item (there is no catalog read route): e.g. from DynamoDB Local. */
  readCatalogItem: (sku: string) => Promise<unknown>,
): Promise<IntrusionResult> {
  const run = randomUUID().slice(0, 8);
  const home = chain.stores.find((s) => s.storeId === victim.storeId)!;
  const otherStore = chain.stores.find((s) => s.region !== home.region)!;
  const admin = await api.asUser(`demo-admin-${run}`, ['chainAdmin']);
  const anonymous = api.anonymous();
  const stranger = await api.asUser(`demo-stranger-${run}`, ['customer']);
  const otherStaffSub = `demo-staff-${run}`;
  const assigned = await admin.put(`/v1/staff/${otherStaffSub}`, { stores: [otherStore.storeId] });
  if (assigned.status !== 200) throw new Error(`PUT /v1/staff answered ${assigned.status}: ${JSON.stringify(assigned.body)}`);
  const otherStaff = await api.asUser(otherStaffSub, ['storeStaff']);

  const watched = async () => {
    const [order, inventory, catalog, wallet] = await Promise.all([
      admin.get(`/v1/orders/${victim.orderId}`),
      admin.get(`/v1/stores/${victim.storeId}/inventory/${victim.sku}`),
      readCatalogItem(victim.sku),
      admin.get(`/v1/customers/${victim.customerId}/wallet`),
    ]);
    return {
      'order status': order.body?.status,
      'order history length': order.body?.history?.length,
      inventory: JSON.stringify(inventory.body),
      catalog: JSON.stringify(catalog),
      wallet: JSON.stringify(wallet.body),
    } as Record<string, unknown>;
  };
  const before = await watched();

  const key = () => ({ 'idempotency-key': randomUUID() });
  const bigTopUp = { amount: 1_000_000, currency: 'CNY', paymentMethod: 'CARD' };
  const free = { name: 'Free', unitPrice: 0, currency: 'CNY', category: 'drinks' };
  const plan: Array<[Attempt['who'], string, number, () => Promise<ApiResponse>]> = [
    [
      'anonymous',
      'top up a wallet by 1,000,000',
      401,
      () => anonymous.request('POST', `/v1/customers/${victim.customerId}/wallet/topups`, bigTopUp, key()),
    ],
    ['anonymous', 'set a catalog price to 0', 401, () => anonymous.put(`/v1/catalog/${victim.sku}`, free)],
    ['anonymous', "cancel a customer's order", 401, () => anonymous.request('POST', `/v1/orders/${victim.orderId}/cancel`)],
    [
      'anonymous',
      "reset a store's stock",
      401,
      () => anonymous.put(`/v1/stores/${victim.storeId}/inventory/${victim.sku}`, { available: 0, lowStockThreshold: 0 }),
    ],
    ['wrong role', 'a customer sets a catalog price to 0', 403, () => stranger.put(`/v1/catalog/${victim.sku}`, free)],
    [
      'wrong role',
      'a customer defines an automatic 100 % promotion',
      403,
      () => stranger.put(`/v1/coupons/DEMO-FREE-${run}`, { type: 'PERCENT_OFF', percentOff: 100, automatic: true }),
    ],
    [
      'wrong role',
      "a customer resets a store's stock",
      403,
      () => stranger.put(`/v1/stores/${victim.storeId}/inventory/${victim.sku}`, { available: 0, lowStockThreshold: 0 }),
    ],
    [
      'wrong role',
      'a customer adjusts a wallet',
      403,
      () =>
        stranger.request(
          'POST',
          `/v1/customers/${victim.customerId}/wallet/adjustments`,
          { amount: 1_000_000, currency: 'CNY', reason: 'free' },
          key(),
        ),
    ],
    [
      'wrong role',
      'store staff place an order',
      403,
      () => otherStaff.createOrder({ storeId: victim.storeId, items: [{ sku: victim.sku, quantity: 1 }], paymentMethod: 'CARD' }),
    ],
    ['wrong role', 'a customer reads the audit log', 403, () => stranger.get('/v1/audit')],
    ['other customer', "read someone else's order", 404, () => stranger.get(`/v1/orders/${victim.orderId}`)],
    ['other customer', "cancel someone else's order", 404, () => stranger.request('POST', `/v1/orders/${victim.orderId}/cancel`)],
    ['other customer', "read someone else's wallet", 404, () => stranger.get(`/v1/customers/${victim.customerId}/wallet`)],
    [
      'other customer',
      "top up someone else's wallet",
      404,
      () => stranger.request('POST', `/v1/customers/${victim.customerId}/wallet/topups`, bigTopUp, key()),
    ],
    [
      'other customer',
      'order in the name of someone else',
      403,
      () =>
        stranger.createOrder({
          storeId: victim.storeId,
          customerId: victim.customerId,
          items: [{ sku: victim.sku, quantity: 1 }],
          paymentMethod: 'CARD',
        }),
    ],
    [
      'other store',
      "reset another store's stock",
      403,
      () => otherStaff.put(`/v1/stores/${victim.storeId}/inventory/${victim.sku}`, { available: 0, lowStockThreshold: 0 }),
    ],
    ['other store', "fulfil another store's order", 404, () => otherStaff.request('POST', `/v1/orders/${victim.orderId}/fulfil`)],
    [
      'other store',
      "read another store's sales",
      403,
      () =>
        otherStaff.get(
          `/v1/reports/sales?storeId=${victim.storeId}&from=${new Date(Date.now() - 3_600_000).toISOString().slice(0, 13)}:00:00Z&to=${new Date(Date.now() + 3_600_000).toISOString().slice(0, 13)}:00:00Z`,
        ),
    ],
  ];
  const attempts: Attempt[] = [];
  for (const [who, what, expected, send] of plan) attempts.push({ who, what, expected, status: (await send()).status });
  const after = await watched();
  const changed = Object.keys(before)
    .filter((k) => before[k] !== after[k])
    .map((k) => `${k}: ${String(before[k])} -> ${String(after[k])}`);
  return { attempts, unexpected: attempts.filter((a) => a.status !== a.expected), changed };
}
