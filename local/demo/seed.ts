/**
 * The demo chain: stores in four sales regions, a catalog priced in CNY fen, stock per store x SKU,
 * coupons and stacked promotions (automatic ones too), a gift item, one flash-sale item, and customer
 * wallets, planned from a seeded Rng and written through the HTTP API (PUT /v1/stores, /v1/catalog,
 * /v1/stores/{id}/inventory, /v1/coupons; POST /v1/customers/{id}/wallet/topups, each confirmed by the
 * provider's signed webhook, POST /v1/payments/webhook/card).
 */
import type { ApiClient } from '../api-client.ts';
import type { Rng } from './random.ts';

/** Sales regions of the demo chain and their IANA time zones. */
export const REGIONS = {
  east: 'Asia/Shanghai',
  north: 'Asia/Harbin',
  south: 'Asia/Hong_Kong',
  west: 'Asia/Urumqi',
} as const;
export type Region = keyof typeof REGIONS;

export interface StorePlan {
  storeId: string;
  name: string;
  region: Region;
  timezone: string;
}

/** A catalog item; `unitPrice` in CNY fen. Index 0 is the most popular (Zipf rank). */
export interface SkuPlan {
  sku: string;
  name: string;
  category: string;
  unitPrice: number;
}

/**
 * A coupon body of PUT /v1/coupons/{code} (amounts in fen). `enterWeight`: how often customers who enter
 * a code pick this one (0 for automatic promotions, which apply without a code); `rule`: a short
 * description for the summary.
 */
export interface CouponPlan {
  code: string;
  body: Record<string, unknown>;
  enterWeight: number;
  rule: string;
}

/** The FREE_ITEM gift: `sku` (never ordered, so only gifts move its stock) stocked with `units` at every store of `region`. */
export interface GiftPlan {
  sku: SkuPlan;
  region: Region;
  units: number;
}

/** The flash sale: `units` of `sku` (price in fen) stocked only at `storeId`. */
export interface FlashPlan {
  storeId: string;
  sku: SkuPlan;
  units: number;
}

/** The whole chain. `stock` maps `storeId|sku` to units put in and the low-stock threshold (units). */
export interface ChainPlan {
  stores: StorePlan[];
  skus: SkuPlan[];
  stock: Map<string, { available: number; lowStockThreshold: number }>;
  coupons: CouponPlan[];
  gift: GiftPlan;
  flash: FlashPlan;
}

/** Key of a store x SKU in maps: `storeId|sku`. */
export const stockKey = (storeId: string, sku: string) => `${storeId}|${sku}`;

const CITIES: Record<Region, string[]> = {
  east: ['Shanghai', 'Hangzhou', 'Nanjing', 'Suzhou', 'Ningbo'],
  north: ['Beijing', 'Tianjin', 'Harbin', 'Shenyang', 'Dalian'],
  south: ['Guangzhou', 'Shenzhen', 'Hong Kong', 'Xiamen', 'Nanning'],
  west: ['Chengdu', 'Chongqing', 'Urumqi', "Xi'an", 'Lanzhou'],
};

/** Base menu: [name, category, price in fen]; more SKUs than this get numbered variants. */
const MENU: [string, string, number][] = [
  ['Milk tea', 'drinks', 1200],
  ['Americano', 'drinks', 1500],
  ['Soy milk', 'drinks', 400],
  ['Steamed bun', 'breakfast', 300],
  ['Jianbing', 'breakfast', 800],
  ['Beef noodles', 'meals', 2200],
  ['Fried rice', 'meals', 1800],
  ['Dumplings (12)', 'meals', 2000],
  ['Rice ball', 'snacks', 650],
  ['Fried chicken', 'snacks', 1600],
  ['Egg tart', 'snacks', 700],
  ['Lemon tea', 'drinks', 900],
  ['Latte', 'drinks', 1800],
  ['Congee', 'breakfast', 600],
  ['Baozi set', 'breakfast', 1100],
  ['Kung pao chicken', 'meals', 2600],
  ['Mapo tofu', 'meals', 1900],
  ['Spring rolls', 'snacks', 800],
  ['Ice cream', 'desserts', 500],
  ['Mango pudding', 'desserts', 1000],
  ['Cola', 'drinks', 350],
  ['Mineral water', 'drinks', 200],
  ['Sandwich', 'meals', 1500],
  ['Salad', 'meals', 2500],
  ['Sesame balls', 'desserts', 600],
  ['Red bean bun', 'breakfast', 450],
  ['Oolong tea', 'drinks', 1000],
  ['Hotpot set', 'meals', 4800],
  ['Seaweed snack', 'snacks', 550],
  ['Zongzi', 'snacks', 900],
];

/**
 * Plans a chain of `stores` stores (spread round-robin over the 4 regions) and `skus` SKUs, stock
 * 20..120 units per store x SKU with a low-stock threshold of ~25% (at least 5), a flash-sale item of
 * `flashUnits` units at the first store, and these coupons and promotions (fen):
 * - codes: WELCOME10 (10 off from 50), LUNCH15 (15% up to 15), VIP30 (30% up to 30, not stackable),
 *   FIRST100 (8 off, first 100 redemptions), SPEND100 (15 off from 100, exclusive group `spend-save`),
 *   MEGA40 (40% off, but an order using it gets at most 20 off in total: maxOrderDiscount);
 * - automatic: AUTO-SPEND60 (6 off from 60 at every store, exclusive group `spend-save`, so SPEND100
 *   replaces it) and AUTO-GIFT-SOUTH (a gift keychain from 40 in region south, first 150 orders).
 * The gift SKU is stocked (500 units) only at the south stores.
 */
export function planChain(rng: Rng, opts: { stores: number; skus: number; flashUnits: number }): ChainPlan {
  const regions = Object.keys(REGIONS) as Region[];
  const stores: StorePlan[] = Array.from({ length: opts.stores }, (_, i) => {
    const region = regions[i % regions.length]!;
    const n = String(i + 1).padStart(4, '0');
    return { storeId: `st-${region}-${n}`, name: `Wandian ${rng.pick(CITIES[region])} #${n}`, region, timezone: REGIONS[region] };
  });
  const skus: SkuPlan[] = Array.from({ length: opts.skus }, (_, i) => {
    const [name, category, price] = MENU[i % MENU.length]!;
    const round = Math.floor(i / MENU.length);
    return {
      sku: `sku-${String(i + 1).padStart(3, '0')}`,
      name: round ? `${name} (${round + 1})` : name,
      category,
      unitPrice: price + round * 100,
    };
  });
  const stock = new Map<string, { available: number; lowStockThreshold: number }>();
  for (const s of stores) {
    for (const k of skus) {
      const available = rng.int(20, 120);
      stock.set(stockKey(s.storeId, k.sku), { available, lowStockThreshold: Math.max(5, Math.round(available / 4)) });
    }
  }
  const flashSku: SkuPlan = { sku: 'flash-mooncake-box', name: 'Mooncake gift box (flash sale)', category: 'flash', unitPrice: 990 };
  const flash: FlashPlan = { storeId: stores[0]!.storeId, sku: flashSku, units: opts.flashUnits };
  stock.set(stockKey(flash.storeId, flashSku.sku), { available: opts.flashUnits, lowStockThreshold: 10 });
  const giftSku: SkuPlan = { sku: 'gift-panda-keychain', name: 'Panda keychain (gift)', category: 'gift', unitPrice: 500 };
  const gift: GiftPlan = { sku: giftSku, region: 'south', units: 500 };
  for (const s of stores)
    if (s.region === gift.region) stock.set(stockKey(s.storeId, giftSku.sku), { available: gift.units, lowStockThreshold: 5 });
  const coupons: CouponPlan[] = [
    {
      code: 'WELCOME10',
      enterWeight: 3,
      rule: '10 off from 50',
      body: { type: 'AMOUNT_OFF', amountOff: 1000, currency: 'CNY', minSubtotal: 5000 },
    },
    {
      code: 'LUNCH15',
      enterWeight: 3,
      rule: '15% off, at most 15',
      body: { type: 'PERCENT_OFF', percentOff: 15, maxDiscount: 1500, currency: 'CNY' },
    },
    {
      code: 'VIP30',
      enterWeight: 2,
      rule: '30% off, at most 30, not stackable',
      body: { type: 'PERCENT_OFF', percentOff: 30, maxDiscount: 3000, currency: 'CNY', stackable: false },
    },
    {
      code: 'FIRST100',
      enterWeight: 2,
      rule: '8 off, first 100 orders',
      body: { type: 'AMOUNT_OFF', amountOff: 800, currency: 'CNY', maxRedemptions: 100 },
    },
    {
      code: 'SPEND100',
      enterWeight: 2,
      rule: '15 off from 100, group spend-save',
      body: { type: 'AMOUNT_OFF', amountOff: 1500, currency: 'CNY', minSubtotal: 10000, exclusiveGroup: 'spend-save' },
    },
    {
      code: 'MEGA40',
      enterWeight: 2,
      rule: '40% off, maxOrderDiscount 20',
      body: { type: 'PERCENT_OFF', percentOff: 40, currency: 'CNY', maxOrderDiscount: 2000 },
    },
    {
      code: 'AUTO-SPEND60',
      enterWeight: 0,
      rule: 'auto: 6 off from 60, group spend-save',
      body: { type: 'AMOUNT_OFF', amountOff: 600, currency: 'CNY', minSubtotal: 6000, automatic: true, exclusiveGroup: 'spend-save' },
    },
    {
      code: 'AUTO-GIFT-SOUTH',
      enterWeight: 0,
      rule: `auto: gift ${giftSku.sku} from 40 in ${gift.region}, first 150`,
      body: {
        type: 'FREE_ITEM',
        sku: giftSku.sku,
        quantity: 1,
        currency: 'CNY',
        minSubtotal: 4000,
        automatic: true,
        region: gift.region,
        maxRedemptions: 150,
      },
    },
  ];
  return { stores, skus, stock, coupons, gift, flash };
}

/** Runs `task` over `items` with at most `concurrency` in flight; resolves when all are done (first error rejects). */
export async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * PUT `path` as a well-behaved client of a throttled API: a 429 (the local route throttle mirrors API
 * Gateway's, lib/wiring.ts `throttles.operatorWrite`: 100 requests/s, burst 200 per route) is retried after
 * its Retry-After seconds, at most `attempts` times; any other answer is returned as is. Seeding thousands
 * of stock levels therefore runs at the route's rate (about 100 a second).
 */
async function putPatiently(api: ApiClient, path: string, body: unknown, attempts = 120) {
  for (let attempt = 1; ; attempt++) {
    const res = await api.put(path, body);
    if (res.status !== 429 || attempt >= attempts) return res;
    await new Promise((r) => setTimeout(r, Math.max(1, Number(res.headers.get('retry-after')) || 1) * 1000));
  }
}

/** Seeding counts: requests made (replays included), ms taken, wallet top-ups and how many were sent twice. */
export interface SeedReport {
  requests: number;
  ms: number;
  topups: number;
  topupReplays: number;
}

/** One customer's wallet top-ups (fen), in order; `replay`: the client sends that top-up twice with the same Idempotency-Key. */
export interface WalletPlan {
  customerId: string;
  topups: { amount: number; key: string; replay: boolean }[];
}

/**
 * Writes `plan` through the API with `concurrency` requests in flight: stores, catalog (incl. the flash
 * and gift items), coupons, then every stock level, then the `wallets`' top-ups (201 PENDING expected; a
 * replayed key must answer the same top-up) each confirmed through the webhook (a replayed callback:
 * DUPLICATE). `onProgress(done, total)` after each request. Throws on the first
 * unexpected answer (a seed that fails makes the rest of the demo meaningless).
 */
export async function seedChain(
  api: ApiClient,
  plan: ChainPlan,
  wallets: readonly WalletPlan[],
  opts: { concurrency: number; onProgress?: (done: number, total: number) => void },
): Promise<SeedReport> {
  const t0 = Date.now();
  const puts: [string, unknown][][] = [
    [
      ...plan.stores.map((s): [string, unknown] => [`/v1/stores/${s.storeId}`, { name: s.name, region: s.region, timezone: s.timezone }]),
      ...[...plan.skus, plan.flash.sku, plan.gift.sku].map((k): [string, unknown] => [
        `/v1/catalog/${k.sku}`,
        { name: k.name, unitPrice: k.unitPrice, currency: 'CNY', category: k.category },
      ]),
      ...plan.coupons.map((c): [string, unknown] => [`/v1/coupons/${c.code}`, c.body]),
    ],
    [...plan.stock].map(([key, level]): [string, unknown] => {
      const [storeId, sku] = key.split('|');
      return [`/v1/stores/${storeId}/inventory/${sku}`, level];
    }),
  ];
  const topups = wallets.flatMap((w) => w.topups.map((t) => ({ customerId: w.customerId, ...t })));
  const total = puts.reduce((n, phase) => n + phase.length, 0) + topups.length;
  let done = 0;
  for (const phase of puts) {
    await forEachLimited(phase, opts.concurrency, async ([path, body]) => {
      const res = await putPatiently(api, path, body);
      if (res.status !== 200) throw new Error(`seed PUT ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
      opts.onProgress?.(++done, total);
    });
  }
  let replays = 0;
  let confirmations = 0;
  await forEachLimited(topups, opts.concurrency, async (t) => {
    // Contract v1.1: a top-up opens PENDING and the provider's signed webhook credits it, exactly once.
    const path = `/v1/customers/${t.customerId}/wallet/topups`;
    const res = await api.topUp(t.customerId, t.amount, 'CNY', 'CARD', t.key);
    if (res.status !== 201) throw new Error(`seed POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    const paymentId = `pay_seed_${t.key}`;
    if (t.replay) {
      // A client retry with the same key and body: the same top-up (invariant 6); the provider's callback
      // is delivered twice too: the money is added once (checked at the end).
      const again = await api.topUp(t.customerId, t.amount, 'CNY', 'CARD', t.key);
      if (again.status !== 201 || again.body?.topupId !== res.body.topupId)
        throw new Error(`top-up replay ${path} answered ${again.status}: ${JSON.stringify(again.body)}, first ${JSON.stringify(res.body)}`);
      const repeat = await api.payTopup(res.body, { paymentId });
      if (repeat.status !== 200)
        throw new Error(`top-up confirmation of ${t.customerId} answered ${repeat.status}: ${JSON.stringify(repeat.body)}`);
      replays++;
    }
    const confirmed = await api.payTopup(res.body, { paymentId });
    const expected = t.replay ? 'DUPLICATE' : 'APPLIED';
    if (confirmed.status !== 200 || confirmed.body?.disposition !== expected) {
      throw new Error(
        `top-up confirmation of ${t.customerId} answered ${confirmed.status}: ${JSON.stringify(confirmed.body)}, expected ${expected}`,
      );
    }
    confirmations++;
    opts.onProgress?.(++done, total);
  });
  // Per replayed top-up: the second POST and the repeated callback; plus one confirmation per top-up.
  return { requests: total + 2 * replays + confirmations, ms: Date.now() - t0, topups: topups.length, topupReplays: replays };
}
