/**
 * The demo's end-of-day checks (local/demo/summary.ts `verify`, local/demo/reports.ts) must catch what they
 * claim to catch: a wallet that does not hold its top-ups minus its kept BALANCE debits, an order whose
 * discount breaks a maxOrderDiscount, and a report that counts an event twice or misses an alert.
 */
import { describe, expect, it } from 'vitest';
import { compareReadSide, expectedReadSide, orderFacts, type ReadSide } from '../../local/demo/reports.ts';
import { Rng } from '../../local/demo/random.ts';
import { planChain, type WalletPlan } from '../../local/demo/seed.ts';
import { verify } from '../../local/demo/summary.ts';
import { TrafficStats, type Scenario } from '../../local/demo/traffic.ts';

const chain = planChain(new Rng(1), { stores: 4, skus: 3, flashUnits: 1 });
const store = chain.stores[0]!;

/** A final order as GET /v1/orders/{id} returns it (fen). */
function order(
  id: string,
  o: {
    status: string;
    customerId?: string;
    total?: number;
    discount?: number;
    paymentMethod?: string;
    applied?: { code: string; type: string; amountOff: number }[];
  },
) {
  const discount = o.discount ?? 0;
  const total = o.total ?? 1000;
  const history = [
    { status: 'PENDING_PAYMENT' },
    ...(['PAID', 'FULFILLED', 'REFUNDED'].includes(o.status) ? [{ status: 'PAID' }] : []),
    ...(o.status === 'PAID' ? [] : [{ status: o.status }]),
  ];
  return {
    orderId: id,
    storeId: store.storeId,
    region: store.region,
    customerId: o.customerId ?? 'c1',
    status: o.status,
    items: [{ sku: chain.skus[0]!.sku, quantity: 1 }],
    pricing: { subtotal: total + discount, discount, total, currency: 'CNY' },
    appliedCoupons: o.applied ?? [],
    rejectedCoupons: [],
    paymentMethod: o.paymentMethod ?? 'CARD',
    history,
    ...(o.paymentMethod === 'BALANCE' && o.status !== 'PAYMENT_FAILED' ? { payment: { status: 'SUCCEEDED', amount: total } } : {}),
  };
}

function run(orders: ReturnType<typeof order>[], wallets: WalletPlan[], balances: Map<string, number>) {
  const stats = new TrafficStats();
  for (const o of orders)
    stats.placed.set(o.orderId, { orderId: o.orderId, scenario: 'PAY' as Scenario, storeId: o.storeId, created: o, dispositions: [] });
  const settled = { orders: new Map(orders.map((o) => [o.orderId, o])), pending: [], ms: 0 };
  const verdict = verify({
    chain,
    stats,
    settled,
    inventory: [],
    wallets,
    balances,
    readSide: { differences: [], ms: 0, rounds: 1, summary: '' },
  });
  return (prefix: string) => verdict.checks.find((c) => c.name.startsWith(prefix))!;
}

const wallet = (customerId: string, amount: number): WalletPlan => ({ customerId, topups: [{ amount, key: 'k', replay: false }] });

describe('demo wallet check', () => {
  const orders = [
    order('o1', { status: 'PAID', paymentMethod: 'BALANCE', total: 1200 }),
    order('o2', { status: 'REFUNDED', paymentMethod: 'BALANCE', total: 500 }),
    order('o3', { status: 'PAYMENT_FAILED', paymentMethod: 'BALANCE', total: 9000 }),
  ];

  it('passes when each balance is its top-ups minus its PAID/FULFILLED BALANCE debits (a refund credited back)', () => {
    expect(run(orders, [wallet('c1', 5000)], new Map([['c1', 3800]]))('wallets:').ok).toBe(true);
  });

  it('fails when a refund was credited twice (the balance is 500 too high)', () => {
    const check = run(orders, [wallet('c1', 5000)], new Map([['c1', 4300]]))('wallets:');
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('c1: balance 4300');
  });
});

describe('demo promotions check', () => {
  const mega = chain.coupons.find((c) => c.code === 'MEGA40')!;
  const cap = mega.body.maxOrderDiscount as number;

  it('passes an order discounted exactly up to the maxOrderDiscount of a coupon it used', () => {
    const o = order('o1', { status: 'PAID', discount: cap, applied: [{ code: 'MEGA40', type: 'PERCENT_OFF', amountOff: cap }] });
    expect(run([o], [], new Map())('promotions:').ok).toBe(true);
  });

  it('fails an order discounted beyond the maxOrderDiscount of a coupon it used', () => {
    const o = order('o1', { status: 'PAID', discount: cap + 1, applied: [{ code: 'MEGA40', type: 'PERCENT_OFF', amountOff: cap + 1 }] });
    expect(run([o], [], new Map())('promotions:').ok).toBe(false);
  });
});

describe('demo report check', () => {
  const orders = [order('o1', { status: 'PAID', total: 1000 }), order('o2', { status: 'EXPIRED' })];
  const scopes = { sales: [{ storeId: store.storeId }], funnels: [{ region: store.region }] };
  const inventory = [{ storeId: store.storeId, sku: chain.skus[0]!.sku, available: 2, reserved: 0, sold: 1, lowStockThreshold: 5 }];
  const exp = expectedReadSide(orderFacts(orders), scopes, inventory);
  const read = (paidOrders: number, alerted: boolean): ReadSide => ({
    from: '',
    to: '',
    sales: [
      {
        scope: scopes.sales[0]!,
        rows: [{ hour: 'h', orders: paidOrders, units: paidOrders, revenue: 1000 * paidOrders, discount: 0, cancelled: 1, refunded: 0 }],
      },
    ],
    funnels: [{ scope: scopes.funnels[0]!, placed: 2, paid: 1, conversion: 0.5, p50: 1, p95: 1 }],
    skuUnits: new Map([[chain.skus[0]!.sku, 1]]),
    coupons: new Map(),
    alerts: {
      count: alerted ? 1 : 0,
      storesAtLimit: 0,
      keys: new Set(alerted ? [`${store.storeId}|${chain.skus[0]!.sku}`] : []),
      newest: [],
    },
  });

  it('finds no difference when the reports count each event once and every low stock has its alert', () => {
    expect(compareReadSide(read(1, true), exp)).toEqual([]);
  });

  it('reports a sales row that counted an OrderPaid twice, and a low stock without an alert', () => {
    const diff = compareReadSide(read(2, false), exp);
    expect(diff).toContain(`sales store ${store.storeId} orders: report 2, orders 1`);
    expect(diff.some((d) => d.startsWith('no alert for 1 store x SKU'))).toBe(true);
  });
});
