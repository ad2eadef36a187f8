/**
 * `npm run demo`: the whole local system on real data. Starts `local/main.ts --port 0` as a child process,
 * seeds a chain through the HTTP API (stacked coupons and automatic promotions, wallet top-ups), drives one
 * trading day of customers in fast-forward (webhook and wallet payments, fulfilment, cancels, a flash
 * sale), waits until every order is final, reads the reports, alerts and wallets back, checks the
 * invariants against DynamoDB Local and the API, prints a summary and stops the child. Exit code 1 when
 * any check fails (oversold stock, a 5xx, a pending order, a wallet or report that disagrees, ...).
 *
 * Flags: --stores 200 --skus 30 --orders 2500 --concurrency 32 --seed 42 --flash-racers 600
 * --flash-units 50 --payment-timeout 4 (seconds; unpaid orders expire inside the run) --settle-timeout 60
 * (seconds after the day to wait for final statuses). Progress goes to stderr, the summary to stdout.
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ApiClient } from './api-client.ts';
import { startLocalChild, type ChildExit, type LocalChild } from './demo/child.ts';
import { Rng } from './demo/random.ts';
import { awaitReadSide, busiest, expectedReadSide, orderFacts, readWallets, scopeName, type sumSales, type Scope } from './demo/reports.ts';
import { planChain, seedChain, REGIONS, type Region } from './demo/seed.ts';
import { tryUnauthorized } from './demo/intrusions.ts';
import { percentiles, readFinalState, scanTable, table, verify, yuan } from './demo/summary.ts';
import { TABLE_PREFIX } from './system.ts';
import { clock, driveDay, planDay, planWallets, settle, SCENARIOS, expectedStatus, type Scenario } from './demo/traffic.ts';

const USAGE = `usage: npm run demo -- [--stores N] [--skus N] [--orders N] [--concurrency N] [--seed N]
                       [--flash-racers N] [--flash-units N] [--payment-timeout S] [--settle-timeout S]`;
const WEBHOOK_SECRET = 'wandian-demo-webhook-secret';
const FLASH_MINUTE = 20 * 60; // 20:00 chain time

/** Demo settings; counts are orders/stores/SKUs/units, timeouts seconds. */
interface DemoConfig {
  stores: number;
  skus: number;
  orders: number;
  concurrency: number;
  seed: number;
  flashRacers: number;
  flashUnits: number;
  paymentTimeout: number;
  settleTimeout: number;
}

/** Parses the flags (all positive integers except flash counts, which may be 0). Throws with the usage on anything else. */
function parseConfig(argv: string[]): DemoConfig {
  const spec = {
    stores: 200,
    skus: 30,
    orders: 2500,
    concurrency: 32,
    seed: 42,
    'flash-racers': 600,
    'flash-units': 50,
    'payment-timeout': 4,
    'settle-timeout': 60,
  } as const;
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean' }, ...Object.fromEntries(Object.keys(spec).map((k) => [k, { type: 'string' as const }])) },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const get = (k: keyof typeof spec, min: number) => {
    const raw = (values as Record<string, string | undefined>)[k];
    const v = raw === undefined ? spec[k] : Number(raw);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${k} must be an integer >= ${min}, got ${raw}\n${USAGE}`);
    return v;
  };
  return {
    stores: get('stores', 1),
    skus: get('skus', 1),
    orders: get('orders', 0),
    concurrency: get('concurrency', 1),
    seed: get('seed', 0),
    flashRacers: get('flash-racers', 0),
    flashUnits: get('flash-units', 1),
    paymentTimeout: get('payment-timeout', 1),
    settleTimeout: get('settle-timeout', 1),
  };
}

/** A progress bar on stderr (plain periodic lines when stderr is not a TTY). */
function bar(phase: string, total: number, info = '') {
  const b = new cliProgress.SingleBar(
    {
      format: `${phase.padEnd(6)} [{bar}] {percentage}% {value}/{total} {info}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
      etaBuffer: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  b.start(total, 0, { info });
  return b;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<number> {
  const cfg = parseConfig(process.argv.slice(2));
  const t0 = Date.now();
  const load0 = loadavg()[0]!;
  const rng = new Rng(cfg.seed);
  const chain = planChain(rng.fork(), { stores: cfg.stores, skus: cfg.skus, flashUnits: cfg.flashUnits });
  const plans = planDay(rng.fork(), chain, { orders: cfg.orders });
  const wallets = planWallets(rng.fork(), chain, plans);

  console.error(`wandian demo: starting the local system (child process, payment timeout ${cfg.paymentTimeout} s)...`);
  let child: LocalChild | undefined;
  let exit: ChildExit | undefined;
  const stopChild = async () => (exit ??= child ? await child.stop() : undefined);
  process.once('SIGINT', () => void stopChild().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void stopChild().finally(() => process.exit(143)));
  try {
    child = await startLocalChild({
      env: { WANDIAN_PAYMENT_TIMEOUT_SECONDS: String(cfg.paymentTimeout), WANDIAN_PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET },
      logName: 'wandian-demo-local',
    });
    console.error(
      `wandian demo: ready at ${child.url} in ${secs(child.startMs)} (DynamoDB Local ${child.dynamoEndpoint ?? 'not named'}; system log ${child.logPath})`,
    );
    const api = new ApiClient(child.url, WEBHOOK_SECRET);

    const seedBar = bar(
      'seed',
      chain.stores.length +
        chain.skus.length +
        2 +
        chain.coupons.length +
        chain.stock.size +
        wallets.reduce((n, w) => n + w.topups.length, 0),
    );
    const seeded = await seedChain(api, chain, wallets, { concurrency: cfg.concurrency, onProgress: (d) => seedBar.update(d) });
    seedBar.stop();

    const dayBar = bar('day', plans.length + cfg.flashRacers, 'sim 00:00');
    let lastUpdate = 0;
    const driveStart = performance.now();
    const { stats, ms: driveMs } = await driveDay(api, chain, plans, {
      concurrency: cfg.concurrency,
      flashRacers: cfg.flashRacers,
      flashMinute: FLASH_MINUTE,
      onProgress: (done, minute, stats) => {
        const now = Date.now();
        if (now - lastUpdate < 200 && done < plans.length + cfg.flashRacers) return;
        lastUpdate = now;
        const rate = (stats.placed.size / ((performance.now() - driveStart) / 1000)).toFixed(0);
        dayBar.update(done, {
          info: `| sim ${clock(minute)} | ${stats.placed.size} orders placed, ${rate}/s | 5xx ${stats.serverFailureCount}`,
        });
      },
    });
    dayBar.stop();

    const settleBar = bar('settle', stats.placed.size, 'waiting for payments, expiries, refunds');
    const settled = await settle(api, [...stats.placed.keys()], {
      concurrency: cfg.concurrency,
      deadlineMs: (cfg.paymentTimeout + cfg.settleTimeout) * 1000,
      onProgress: (final) => settleBar.update(final),
    });
    settleBar.stop();

    const finalState = await readFinalState(api, chain, child.dynamoEndpoint, cfg.concurrency);

    // The read side: reports and alerts (fed by events, asynchronously) and the wallets.
    console.error('wandian demo: reading reports, alerts and wallets back...');
    const readStart = Date.now();
    const facts = orderFacts(settled.orders.values());
    const top = busiest(facts, chain.stores[0]!);
    const regionsList = Object.keys(REGIONS) as Region[];
    const scopes: { sales: Scope[]; funnels: Scope[] } = {
      sales: [{ storeId: top.storeId }, { region: top.region }],
      funnels: [...regionsList.map((region) => ({ region })), { storeId: top.storeId }],
    };
    const hour = 3_600_000;
    const range = {
      from: new Date(Math.floor(t0 / hour) * hour).toISOString(),
      to: new Date(Math.floor(Date.now() / hour) * hour + hour).toISOString(),
    };
    const expected = expectedReadSide(facts, scopes, finalState.inventory);
    const readSide = await awaitReadSide(api, chain, scopes, range, expected, { concurrency: cfg.concurrency, deadlineMs: 20_000 });
    const balances = await readWallets(api, wallets, cfg.concurrency);
    // Unauthorized attempts at a real order, store and wallet, once the day's traffic is over.
    const victimOrder = [...settled.orders.values()].find((o) => o?.customerId && o.items?.length);
    const intrusions = victimOrder
      ? await tryUnauthorized(
          api,
          chain,
          { orderId: victimOrder.orderId, customerId: victimOrder.customerId, storeId: victimOrder.storeId, sku: victimOrder.items[0].sku },
          async (sku) =>
            child!.dynamoEndpoint
              ? (await scanTable(child!.dynamoEndpoint, `${TABLE_PREFIX}catalog`)).find((i) => i.sku === sku)
              : undefined,
        )
      : undefined;
    const readMs = Date.now() - readStart;

    const logCounts = child.logCounts();
    const reconciler = child.reconcilerLogs();
    const logPath = child.logPath;
    exit = await stopChild();
    const alertSummary = `${readSide.read.alerts.count} alerts, ${expected.lowStock.length} store x SKU at or below threshold at the end`;
    const verdict = verify({
      chain,
      stats,
      settled,
      inventory: finalState.inventory,
      coupons: finalState.coupons,
      child: exit,
      wallets,
      balances,
      intrusions,
      readSide: {
        differences: readSide.differences,
        ms: readSide.ms,
        rounds: readSide.rounds,
        summary: `${readSide.read.sales.length} sales reports, ${readSide.read.funnels.length} funnels, ${readSide.read.skuUnits.size} SKUs, ${readSide.read.coupons.size} coupon codes, ${alertSummary}`,
      },
    });
    const totalMs = Date.now() - t0;

    // ---- summary (stdout) ----
    const out: string[] = [];
    const regions = Object.keys(REGIONS)
      .map((r) => `${r} ${chain.stores.filter((s) => s.region === r).length}`)
      .join(', ');
    const created = stats.placed.size - stats.flash.winners.length;
    out.push('', `wandian demo: one trading day in fast-forward (seed ${cfg.seed})`);
    out.push(
      `  chain: ${chain.stores.length} stores (${regions}), ${chain.skus.length} SKUs + 1 flash item + 1 gift item, ${chain.stock.size} store x SKU stocked, ${chain.coupons.length} coupons and promotions (${chain.coupons.filter((c) => c.body.automatic).length} automatic); ${wallets.length} wallets`,
    );
    out.push(
      `  customers: ${plans.length} at concurrency ${cfg.concurrency}, flash sale ${cfg.flashRacers} racers for ${cfg.flashUnits} units at ${clock(FLASH_MINUTE)}; payment timeout ${cfg.paymentTimeout} s`,
    );
    out.push(
      `  time: start ${secs(child.startMs)}, seed ${secs(seeded.ms)} (${seeded.requests} requests, ${Math.round(seeded.requests / (seeded.ms / 1000))}/s), day ${secs(driveMs)}, settle ${secs(settled.ms)}, read side ${secs(readMs)}, stop ${secs(exit?.stopMs ?? 0)}; total ${secs(totalMs)}`,
    );
    out.push(
      `  machine: 1-min load average ${load0.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at the end, on ${availableParallelism()} cores (client, API, Saga and DynamoDB Local all share them)`,
    );

    out.push('', 'Orders by final status');
    const statusRows = [...verdict.byStatus]
      .sort((a, b) => b[1] - a[1])
      .map(([s, c]) => [s, c, `${((100 * c) / stats.placed.size).toFixed(1)} %`]);
    out.push(table(['status', 'orders', 'share'], [...statusRows, ['total', stats.placed.size, '100.0 %']]));

    out.push('', 'Sales (orders PAID or FULFILLED at the end; CNY)');
    out.push(
      table(
        ['figure', 'value'],
        [
          ['units sold (order lines)', verdict.unitsSold.toLocaleString('en-US')],
          ['revenue (yuan)', yuan(verdict.revenueFen)],
          ['discount given (yuan)', yuan(verdict.discountFen)],
          ['refunded (yuan)', yuan(verdict.refundedFen)],
          [
            'orders fulfilled (handed over)',
            `${stats.fulfilment.fulfilled} (${verdict.byStatus.get('FULFILLED') ?? 0} FULFILLED at the end)`,
          ],
          ['cancels tried on FULFILLED orders', [...stats.fulfilment.cancelAfter].map(([k, v]) => `${v} answered ${k}`).join(', ') || '0'],
          ['oversold units', verdict.oversoldUnits],
          ['orders refused at creation', [...stats.refused.values()].reduce((a, b) => a + b, 0)],
          ['coupon orders retried without coupons', stats.couponFallbacks],
        ],
      ),
    );

    if (cfg.flashRacers > 0) {
      out.push(
        '',
        `Flash sale: ${chain.flash.sku.name} at ${chain.flash.storeId}, ${cfg.flashUnits} units, ${cfg.flashRacers} customers at once`,
      );
      out.push(
        table(
          ['figure', 'value'],
          [
            ['winners (201)', stats.flash.winners.length],
            ['winners PAID', verdict.flashPaid],
            ...[...stats.flash.answers].filter(([k]) => !k.startsWith('201')).map(([k, v]): [string, number] => [`answered ${k}`, v]),
            ['units sold (inventory)', verdict.flashSold],
            ['race took', `${stats.flash.ms.toFixed(0)} ms`],
            [
              'create latency p50 / p99',
              `${percentiles(stats.latency.flashCreate).p50} / ${percentiles(stats.latency.flashCreate).p99} ms`,
            ],
          ],
        ),
      );
    }

    out.push('', 'Saga outcomes by customer scenario');
    const scenarioRows = ([...Object.keys(SCENARIOS), 'FLASH'] as Scenario[]).map((sc) => {
      const orders = [...stats.placed.values()].filter((p) => p.scenario === sc);
      const ok = orders.filter((p) => settled.orders.get(p.orderId)?.status === expectedStatus(sc)).length;
      const disp = [...stats.dispositions]
        .filter(([k]) => k.startsWith(`${sc}:`))
        .map(([k, v]) => `${k.slice(sc.length + 1)} ${v}`)
        .join(', ');
      return [sc, orders.length, expectedStatus(sc), ok, orders.length - ok, disp || '-'];
    });
    out.push(table(['scenario', 'orders', 'expected', 'reached', 'other', 'webhook dispositions'], scenarioRows));
    if (exit?.stats) {
      const ex = exit.stats.executions;
      const fnErrors = Object.entries(exit.stats.functions)
        .filter(([, f]) => f.errors > 0)
        .map(([n, f]) => `${n} ${f.errors}`);
      const invocations = Object.values(exit.stats.functions).reduce((a, f) => a + f.invocations, 0);
      out.push(
        `  local Step Functions executions: ${
          Object.entries(ex)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none reported'
        }`,
      );
      out.push(
        `  Lambda invocations: ${invocations.toLocaleString('en-US')}; handler errors: ${fnErrors.join(', ') || '0'}${verdict.wallet.declinedOrders ? ` (WalletDeclined by design: ${verdict.wallet.declinedOrders} declined BALANCE orders)` : ''}; event bus: ${Object.entries(
          exit.stats.bus,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    } else {
      out.push('  local Step Functions executions: not reported (no stats line from the child)');
    }
    out.push(
      `  system log lines: ${
        Object.entries(logCounts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      } (${logPath})`,
    );
    if (stats.anomalies.length) out.push(`  anomalies: ${stats.anomalies.length}, e.g. ${stats.anomalies.slice(0, 3).join('; ')}`);

    out.push(...discountsByRule(chain, settled.orders, readSide.read.coupons));
    out.push(...walletSection(verdict.wallet, seeded.topupReplays));
    out.push(...readSideSection(readSide.read, expected, new Map([...chain.skus, chain.flash.sku].map((k) => [k.sku, k.name]))));
    out.push('', 'Reconciler (every 5 s in the local system; functions/jobs/reconcile.ts)');
    const recRuns = exit?.stats?.functions.reconcile?.invocations;
    const repairs = Object.entries(reconciler.totals).filter(([k, v]) => v > 0 && !['stillRunning', 'inventoryChecked'].includes(k));
    out.push(`  runs: ${recRuns ?? 'not reported'} (invocations of the reconcile function, from the local system's stats)`);
    const sweeps = exit?.stats?.functions.expireOrders?.invocations;
    out.push(
      `  expiry sweeper (every second locally, every minute in AWS; functions/jobs/expire-orders.ts): ${sweeps ?? 'not reported'} runs; it claims unpaid orders past expiresAt for EXPIRY and starts compensateOrder`,
    );
    out.push(
      repairs.length
        ? `  repairs logged: ${repairs.map(([k, v]) => `${k} ${v}`).join(', ')} (from ${reconciler.runs} summaries logged at WARN)`
        : `  repairs: 0 observed. A run that acts (starts, commits, compensates, repairs, or finds a mismatch or error) logs its summary at WARN; the system log holds ${reconciler.runs} such lines (${logPath}). Quiet runs log at INFO, below the local log level WARN.`,
    );

    out.push('', `Latency (ms, client side, ${cfg.concurrency} concurrent customers) and throughput`);
    const lat = (name: string, h: Parameters<typeof percentiles>[0]) => {
      const p = percentiles(h);
      return [name, p.n, p.p50, p.p95, p.p99, p.max];
    };
    out.push(
      table(
        ['request', 'n', 'p50', 'p95', 'p99', 'max'],
        [
          lat('POST /v1/orders', stats.latency.create),
          lat('POST /v1/orders (flash race)', stats.latency.flashCreate),
          lat('POST /v1/payments/webhook', stats.latency.webhook),
          lat('POST /v1/orders/{id}/cancel', stats.latency.cancel),
          lat('POST /v1/orders/{id}/fulfil', stats.latency.fulfil),
          lat('GET /v1/orders/{id}', stats.latency.get),
        ],
      ),
    );
    const requests = [...stats.requestsByKind.values()].reduce((a, b) => a + b, 0);
    out.push(
      `  orders placed: ${(created / (driveMs / 1000)).toFixed(1)}/s over the day (${created} + ${stats.flash.winners.length} flash winners in ${secs(driveMs)}); all requests ${(requests / (driveMs / 1000)).toFixed(1)}/s`,
    );

    out.push('', '4xx by code (expected: shortages, exhausted or inapplicable coupons, late cancels, cancels of FULFILLED orders)');
    const c4 = [...stats.clientErrors].sort((a, b) => b[1] - a[1]).map(([k, v]) => [...k.split(' '), v]);
    out.push(c4.length ? table(['request', 'status', 'code', 'count'], c4) : '  none');
    out.push(
      `5xx and transport errors: ${stats.serverFailureCount}${
        stats.serverFailures.length
          ? ` e.g. ${stats.serverFailures
              .slice(0, 3)
              .map((f) => `${f.what} ${f.status} ${f.detail}`)
              .join('; ')}`
          : ''
      }`,
    );

    out.push('', `Checks (inventory from ${finalState.source})`);
    for (const c of verdict.checks) out.push(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
    const failed = verdict.checks.filter((c) => !c.ok).length;
    out.push(
      '',
      failed ? `wandian demo: ${failed} check(s) FAILED` : `wandian demo: all ${verdict.checks.length} checks passed in ${secs(totalMs)}`,
    );
    console.log(out.join('\n'));
    return failed ? 1 : 0;
  } catch (error) {
    console.error(`wandian demo: failed: ${(error as Error).stack ?? error}`);
    return 1;
  } finally {
    const e = await stopChild().catch(() => undefined);
    if (e && !e.dynamoGone) console.error('wandian demo: DynamoDB Local is still listening after the child exited');
  }
}

/** Discounts by coupon code, automatic promotions included, from the orders' appliedCoupons / rejectedCoupons (fen → yuan). */
function discountsByRule(
  chain: ReturnType<typeof planChain>,
  orders: Map<string, any>,
  report: Map<string, { redemptions: number; discount: number }>,
): string[] {
  const rows = chain.coupons.map((c) => {
    let applied = 0;
    let kept = 0;
    let keptOff = 0;
    const rejected = new Map<string, number>();
    for (const o of orders.values()) {
      const a = (o.appliedCoupons ?? []).find((x: { code: string }) => x.code === c.code);
      if (a) {
        applied++;
        if (o.status === 'PAID' || o.status === 'FULFILLED') {
          kept++;
          keptOff += a.amountOff;
        }
      }
      const r = (o.rejectedCoupons ?? []).find((x: { code: string }) => x.code === c.code);
      if (r) rejected.set(r.reason, (rejected.get(r.reason) ?? 0) + 1);
    }
    const rep = report.get(c.code);
    return [
      c.code,
      c.rule,
      applied,
      kept,
      yuan(keptOff),
      rep ? `${rep.redemptions} / ${yuan(rep.discount)}` : '-',
      [...rejected]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '-',
    ];
  });
  return [
    '',
    'Discounts by rule (orders\' appliedCoupons; "kept" = PAID or FULFILLED at the end; report = GET /v1/reports/coupons, every redemption incl. released ones)',
    table(['code', 'rule (yuan)', 'applied', 'kept', 'discount kept', 'report: redeemed / yuan', 'rejected (reason)'], rows),
  ];
}

/** The wallet figures (fen → yuan). */
function walletSection(w: ReturnType<typeof verify>['wallet'], replays: number): string[] {
  return [
    '',
    'Wallets (BALANCE; CNY)',
    table(
      ['figure', 'value'],
      [
        ['wallets topped up', w.wallets],
        ['top-ups', `${yuan(w.topups)} in ${w.topupRequests} top-ups (${replays} sent twice with the same Idempotency-Key)`],
        ['debited by BALANCE orders', `${yuan(w.debited)} (${w.debitedOrders} orders)`],
        ['credited back (refunds)', `${yuan(w.creditedBack)} (${w.creditedOrders} orders)`],
        ['declined: wallet short -> PAYMENT_FAILED', `${w.declinedOrders} orders`],
        [
          'balances now (GET /v1/customers/{id}/wallet)',
          `${yuan(w.balances)}; lowest ${yuan(w.lowest)}${w.lowest >= 0 ? ', none negative' : ' NEGATIVE'}`,
        ],
      ],
    ),
  ];
}

/** Hourly sales of the busiest store and region, funnels, top SKUs and alerts, as the report API shows them (fen → yuan). */
function readSideSection(
  read: Awaited<ReturnType<typeof awaitReadSide>>['read'],
  exp: ReturnType<typeof expectedReadSide>,
  skuNames: ReadonlyMap<string, string>,
): string[] {
  const out: string[] = [];
  out.push(
    '',
    `Reports (GET /v1/reports/*, UTC hours in [${read.from}, ${read.to}); events carry real time, so the fast-forwarded day falls in the real hour(s) it ran)`,
  );
  for (const { scope, rows } of read.sales) {
    const title = 'storeId' in scope ? `busiest store ${scope.storeId}` : `busiest region ${scope.region}`;
    const fmt = (r: ReturnType<typeof sumSales>) => [r.orders, r.units, yuan(r.revenue), yuan(r.discount), r.cancelled, r.refunded];
    out.push('', `Hourly sales, ${title} (GET /v1/reports/sales?${'storeId' in scope ? 'storeId' : 'region'}=...)`);
    out.push(
      table(
        ['hour (UTC)', 'orders', 'units', 'revenue', 'discount', 'cancelled', 'refunded'],
        [...rows.map((r) => [r.hour, ...fmt(r)]), ['the orders say', ...fmt(exp.sales.get(scopeName(scope))!)]],
      ),
    );
  }
  out.push('', 'Payment funnel (GET /v1/reports/funnel; orders placed in the range, time to pay as bucket upper bounds)');
  out.push(
    table(
      ['scope', 'placed', 'paid', 'conversion', 'time to pay p50', 'p95', 'the orders say'],
      read.funnels.map((f) => {
        const e = exp.funnels.get(scopeName(f.scope))!;
        const s = (v: number | null) => (v === null ? '-' : `<= ${v} s`);
        return [
          scopeName(f.scope),
          f.placed,
          f.paid,
          f.conversion === null ? '-' : `${(100 * f.conversion).toFixed(1)} %`,
          s(f.p50),
          s(f.p95),
          `${e.placed} / ${e.paid}`,
        ];
      }),
    ),
  );
  const ranked = [...read.skuUnits].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
  out.push('', `Top SKUs, chain-wide (GET /v1/reports/top-skus per region, added up; ${read.skuUnits.size} SKUs sold)`);
  out.push(
    table(
      ['rank', 'sku', 'name', 'units paid', 'the orders say'],
      ranked.map(([sku, units], i) => [i + 1, sku, skuNames.get(sku) ?? '', units, exp.skuUnits.get(sku) ?? 0]),
    ),
  );
  const a = read.alerts;
  out.push(
    '',
    `Low-stock alerts: ${a.count} (GET /v1/alerts?storeId= for each store${a.storesAtLimit ? `; ${a.storesAtLimit} stores at the 100-alert page limit, so at least` : ''}); ${exp.lowStock.length} store x SKU at or below threshold at the end`,
  );
  for (const x of a.newest.slice(0, 3))
    out.push(`  ${x.at}  ${x.storeId} ${x.sku}: ${x.available} available <= threshold ${x.lowStockThreshold}`);
  return out;
}

void main().then((code) => process.exit(code));
