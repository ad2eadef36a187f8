/**
 * Renders docs/capacity.json and docs/capacity.md from the measured flows (scripts/cost.ts) through the pure
 * model (src/capacity/model.ts). Pure: input in, text out.
 */
import {
  assumptions,
  binding,
  ceilings,
  costPerMillion,
  hotItemOrdersPerSecond,
  mix,
  perOrder,
  unitsByTable,
  usageOf,
  type Counters,
  type OrderUsage,
} from './model.ts';
import { prices } from './prices.ts';
import { partitionLimits, quotas } from './quotas.ts';

export interface FlowResult {
  orders: number;
  /** Counters of the whole flow (all its orders). */
  counters: Counters;
  /** Write units that landed on the flow's one inventory item (store × SKU) over all its orders. */
  inventoryItemWcu: number;
  /** Inventory items written for the flow's store × SKU (more than 1 when sharded), and their distinct partition keys. */
  stockItems?: number;
  stockPartitionKeys?: number;
  /** Write units on the chain-wide promotion's redemption counter, all its slice items together (PROMO flow only). */
  promotionCounterWcu?: number;
  /** Slice items (distinct partition keys) the PROMO flow's counter is split over (`counterShards`), 1 if unsliced. */
  promotionSlices?: number;
}

export interface CapacityInput {
  generatedAt: string;
  ordersPerFlow: number;
  /** Orders of one flow in flight together (batched consumers batch across them). */
  concurrency?: number;
  paymentTimeoutSeconds: number;
  /** Scenario weights of the brief's mix (local/demo/traffic.ts SCENARIOS). */
  weights: Record<string, number>;
  /** State machine id → type (lib/wiring.ts). */
  types: Record<string, 'STANDARD' | 'EXPRESS'>;
  /** Physical table name → its environment variable (to name tables by id). */
  tableNames: Record<string, string>;
  /** Shard items with distinct partition keys a hot SKU / a promotion counter can be split over (1 = unsharded). */
  hotSkuPartitions?: number;
  /** `shards` the HOT flow asked for (undefined: the build has no shards). */
  hotSkuShardsRequested?: number;
  promotionPartitions?: number;
  flows: Record<string, FlowResult>;
}

/** The issue's targets (issue 8 "Targets"). */
export const targets = {
  maxOrdersPerSecondDefaultQuotas: 1_000,
  maxOrdersPerSecondRaisedQuotas: 10_000,
  costPerMillionOrdersUsd: 40,
  hotSkuOrdersPerSecond: 2_000,
  chainPromotionOrdersPerSecond: 2_000,
} as const;

/** The issue's "now" column (measured before this model existed), for the comparison table. */
export const issueBaseline = {
  transitions: 6.05,
  lambdaInvocations: 14.2,
  writeUnits: 72,
  targetInvocations: 6.56,
  putEventsCalls: 2.05,
  costPerMillionOrdersUsd: 221,
  maxOrdersPerSecondDefaultQuotas: 132,
  hotSkuOrdersPerSecond: 250,
  chainPromotionOrdersPerSecond: 500,
} as const;

const r = (n: number, d = 2) => (Number.isFinite(n) ? Number(n.toFixed(d)) : n);
const fmt = (n: number, d = 2) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 }) : '∞';

function flowFigures(u: OrderUsage, c: Counters) {
  return {
    transitions: r(u.standardTransitions),
    expressExecutions: r(u.expressStarts),
    lambdaInvocations: r(u.lambdaRequests),
    lambdaSeconds: r(u.lambdaSeconds, 3),
    writeUnits: r(u.writeUnits),
    readUnits: r(u.readUnits),
    targetInvocations: r(u.targetInvocations),
    putEventsCalls: r(u.putEventsCalls),
    httpRequests: r(u.httpRequests),
    dynamodbCalls: r(Object.entries(c).reduce((n, [k, v]) => (k.startsWith('dynamodb.calls.') ? n + v : n), 0)),
  };
}

/** Builds the JSON document and the Markdown page. */
export function renderCapacity(input: CapacityInput): { json: any; markdown: string } {
  const tableId = (physical: string) => {
    const [table, index] = physical.split('/index/');
    const env = input.tableNames[table!];
    const id = env ? env.replace(/^TABLE_/, '').toLowerCase() : table!;
    return index ? `${id}/${index}` : id;
  };
  const perFlow: Record<string, Counters> = Object.fromEntries(
    Object.entries(input.flows).map(([f, res]) => [f, perOrder(res.counters, res.orders)]),
  );
  const mixed = mix(perFlow, input.weights);
  const usage = usageOf(mixed, input.types);
  const cost = costPerMillion(usage);
  const cs = ceilings(usage);
  const bind = binding(cs);

  // Hot spots: WCU per order landing on ONE inventory item, weighted like the mix; the promotion counter from PROMO.
  const skuWcuPerOrder =
    Object.entries(input.weights).reduce((n, [f, w]) => {
      const res = input.flows[f];
      return res ? n + (res.inventoryItemWcu / res.orders) * w : n;
    }, 0) / Object.entries(input.weights).reduce((n, [f, w]) => (input.flows[f] ? n + w : n), 0);
  const promo = input.flows.PROMO;
  const promoWcuPerOrder = promo?.promotionCounterWcu !== undefined ? promo.promotionCounterWcu / promo.orders : NaN;
  const hotSkuPartitions = input.hotSkuPartitions ?? 1;
  const promotionPartitions = input.promotionPartitions ?? 1;
  // Sharded (HOT flow: card-paid orders on a SKU PUT with `shards`): each order lands on one shard, so the WCU per
  // order on one shard is the flow's total on all its shards ÷ orders.
  const hot = input.flows.HOT;
  const hotWcuPerOrder = hot ? hot.inventoryItemWcu / hot.orders : skuWcuPerOrder;
  const hotSku = hotItemOrdersPerSecond(hotWcuPerOrder, hotSkuPartitions);
  const chainPromotion = hotItemOrdersPerSecond(promoWcuPerOrder, promotionPartitions);

  const flows = Object.fromEntries(Object.entries(perFlow).map(([f, c]) => [f, flowFigures(usageOf(c, input.types), c)]));
  const wcuByTable = Object.fromEntries(
    Object.entries(unitsByTable(mixed, 'wcu'))
      .sort(([, a], [, b]) => b - a)
      .map(([t, v]) => [tableId(t), r(v)]),
  );
  const rcuByTable = Object.fromEntries(
    Object.entries(unitsByTable(mixed, 'rcu'))
      .sort(([, a], [, b]) => b - a)
      .map(([t, v]) => [tableId(t), r(v)]),
  );
  const invocationsByFunction = Object.fromEntries(
    Object.entries(mixed)
      .filter(([k]) => k.startsWith('lambda.invocations.'))
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => [k.slice('lambda.invocations.'.length), r(v, 3)]),
  );
  const lambdaMsByFunction = Object.fromEntries(
    Object.entries(mixed)
      .filter(([k]) => k.startsWith('lambda.ms.'))
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => [k.slice('lambda.ms.'.length), r(v, 1)]),
  );
  const ordersTable = Object.entries(input.tableNames).find(([, env]) => env === 'TABLE_ORDERS')?.[0];
  const orderItemBytes = ordersTable
    ? (mixed[`dynamodb.writtenBytes.${ordersTable}`] ?? 0) / (mixed[`dynamodb.writtenItems.${ordersTable}`] || 1)
    : 0;
  const computedUnits = usage.writeUnits + usage.readUnits;
  const reportedUnits = Object.entries(mixed).reduce((n, [k, v]) => (k.startsWith('dynamodb.reported.') ? n + v : n), 0);
  const costByService: Record<string, number> = {};
  for (const l of cost.lines) costByService[l.service] = r((costByService[l.service] ?? 0) + l.usdPerMillionOrders);

  const json = {
    generatedAt: input.generatedAt,
    region: 'ap-southeast-1',
    ordersPerFlow: input.ordersPerFlow,
    costPerMillionOrdersUsd: r(cost.total),
    maxOrdersPerSecondDefaultQuotas: r(bind.default.ordersPerSecondDefault, 1),
    bindingQuota: bind.default.quota,
    maxOrdersPerSecondRaisedQuotas: r(bind.raised.ordersPerSecondRaised, 1),
    bindingQuotaRaised: bind.raised.quota,
    hotSkuOrdersPerSecond: r(hotSku, 1),
    chainPromotionOrdersPerSecond: r(chainPromotion, 1),
    hotSpots: {
      inventoryItemWcuPerOrder: r(skuWcuPerOrder, 3),
      hotSkuWcuPerOrderSharded: hot ? r(hotWcuPerOrder, 3) : null,
      hotSkuShardsRequested: input.hotSkuShardsRequested ?? null,
      hotSkuShardItemsWritten: hot?.stockItems ?? null,
      hotSkuPartitions,
      promotionCounterWcuPerOrder: r(promoWcuPerOrder, 3),
      promotionPartitions,
      partitionWriteUnitsPerSecond: partitionLimits.writeUnitsPerSecond,
    },
    perOrder: {
      ...flowFigures(usage, mixed),
      lambdaGbSeconds: r(usage.lambdaGbSeconds, 4),
      eventChunks: r(usage.eventChunks),
      orderItemBytes: Math.round(orderItemBytes),
      writeUnitsByTable: wcuByTable,
      readUnitsByTable: rcuByTable,
      invocationsByFunction,
      lambdaMsByFunction,
    },
    costByServiceUsdPerMillion: costByService,
    costLines: cost.lines.map((l) => ({ ...l, quantityPerOrder: r(l.quantityPerOrder, 4), usdPerMillionOrders: r(l.usdPerMillionOrders) })),
    ceilings: cs.map((c) => ({
      ...c,
      ordersPerSecondDefault: r(c.ordersPerSecondDefault, 1),
      ordersPerSecondRaised: r(c.ordersPerSecondRaised, 1),
      usagePerOrder: r(c.usagePerOrder, 3),
    })),
    targets: {
      maxOrdersPerSecondDefaultQuotas: {
        target: targets.maxOrdersPerSecondDefaultQuotas,
        met: bind.default.ordersPerSecondDefault >= targets.maxOrdersPerSecondDefaultQuotas,
      },
      maxOrdersPerSecondRaisedQuotas: {
        target: targets.maxOrdersPerSecondRaisedQuotas,
        met: bind.raised.ordersPerSecondRaised >= targets.maxOrdersPerSecondRaisedQuotas,
      },
      costPerMillionOrdersUsd: { target: targets.costPerMillionOrdersUsd, met: cost.total <= targets.costPerMillionOrdersUsd },
      hotSkuOrdersPerSecond: { target: targets.hotSkuOrdersPerSecond, met: hotSku >= targets.hotSkuOrdersPerSecond },
      chainPromotionOrdersPerSecond: {
        target: targets.chainPromotionOrdersPerSecond,
        met: chainPromotion >= targets.chainPromotionOrdersPerSecond,
      },
    },
    dynamodbLocalReportedUnitsPerOrder: r(reportedUnits),
    dynamodbComputedUnitsPerOrder: r(computedUnits),
    weights: input.weights,
    flows,
  };

  // ---- Markdown ----
  const md: string[] = [];
  const row = (cells: Array<string | number>) => md.push(`| ${cells.join(' | ')} |`);
  const mark = (met: boolean) => (met ? '**met**' : '**gap**');
  md.push(
    '# Cost and capacity (generated)',
    '',
    `Generated by \`npm run cost\` (scripts/cost.ts) at ${input.generatedAt}: ${input.ordersPerFlow} orders per flow, ${input.concurrency ?? 1} in flight together (batched consumers batch across them as at volume; Lambda durations from 5 orders one at a time), on the local runtime with the`,
    'counting instrumentation of local/metering.ts; model in src/capacity/model.ts, prices in src/capacity/prices.ts, quotas in',
    'src/capacity/quotas.ts (ap-southeast-1). Do not edit by hand: re-run after a change to the flows.',
    '',
    '## Summary and targets (issue 8)',
    '',
    '| figure | now (measured) | issue "now" | target | |',
    '| --- | --- | --- | --- | --- |',
  );
  row([
    "Cost per 1,000,000 orders (USD, brief's mix, all-in)",
    fmt(cost.total),
    issueBaseline.costPerMillionOrdersUsd,
    `≤ ${targets.costPerMillionOrdersUsd}`,
    mark(json.targets.costPerMillionOrdersUsd.met),
  ]);
  row([
    'Orders/s per region, default quotas',
    `${fmt(bind.default.ordersPerSecondDefault, 0)} (binding: ${bind.default.name})`,
    issueBaseline.maxOrdersPerSecondDefaultQuotas,
    `≥ ${fmt(targets.maxOrdersPerSecondDefaultQuotas)}`,
    mark(json.targets.maxOrdersPerSecondDefaultQuotas.met),
  ]);
  row([
    'Orders/s per region, named raises',
    `${fmt(bind.raised.ordersPerSecondRaised, 0)} (binding: ${bind.raised.name})`,
    '-',
    `≥ ${fmt(targets.maxOrdersPerSecondRaisedQuotas)}`,
    mark(json.targets.maxOrdersPerSecondRaisedQuotas.met),
  ]);
  row([
    'One hot store × SKU, orders/s',
    `${fmt(hotSku, 0)} (${fmt(hotWcuPerOrder)} WCU/order on the item × ${hotSkuPartitions} partition(s))`,
    issueBaseline.hotSkuOrdersPerSecond,
    `≥ ${fmt(targets.hotSkuOrdersPerSecond)}`,
    mark(json.targets.hotSkuOrdersPerSecond.met),
  ]);
  row([
    'One chain-wide promotion, orders/s',
    `${fmt(chainPromotion, 0)} (${fmt(promoWcuPerOrder)} WCU/order on the counter × ${promotionPartitions} partition(s))`,
    issueBaseline.chainPromotionOrdersPerSecond,
    `≥ ${fmt(targets.chainPromotionOrdersPerSecond)}`,
    mark(json.targets.chainPromotionOrdersPerSecond.met),
  ]);
  md.push('', "## Per order, brief's mix", '', '| per order | now (measured) | issue "now" |', '| --- | --- | --- |');
  row(['Step Functions state transitions (Standard)', fmt(usage.standardTransitions), issueBaseline.transitions]);
  row(['Step Functions Express executions', fmt(usage.expressStarts), '0']);
  row(['Lambda invocations', fmt(usage.lambdaRequests), issueBaseline.lambdaInvocations]);
  row(['Lambda seconds (local wall time)', fmt(usage.lambdaSeconds, 3), '-']);
  row([
    'DynamoDB write units',
    `${fmt(usage.writeUnits)} (${Object.entries(wcuByTable)
      .slice(0, 5)
      .map(([t, v]) => `${t} ${fmt(v)}`)
      .join(', ')})`,
    issueBaseline.writeUnits,
  ]);
  row(['DynamoDB read units', fmt(usage.readUnits), '-']);
  row([
    'EventBridge target invocations / PutEvents calls',
    `${fmt(usage.targetInvocations)} / ${fmt(usage.putEventsCalls)}`,
    `${issueBaseline.targetInvocations} / ${issueBaseline.putEventsCalls}`,
  ]);
  row(['HTTP API requests', fmt(usage.httpRequests), '-']);
  row(['Order item size (mean written, bytes)', fmt(orderItemBytes, 0), '~950-1,500']);
  md.push('', '## Operations per flow (per order)', '');
  md.push(
    '| flow (scenario) | weight | transitions | Express execs | Lambda invocations | Lambda s | write units | read units | target invocations | PutEvents | HTTP requests | DynamoDB calls |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const [f, v] of Object.entries(flows)) {
    row([
      f,
      input.weights[f] ?? '(not in mix)',
      v.transitions,
      v.expressExecutions,
      v.lambdaInvocations,
      v.lambdaSeconds,
      v.writeUnits,
      v.readUnits,
      v.targetInvocations,
      v.putEventsCalls,
      v.httpRequests,
      v.dynamodbCalls,
    ]);
  }
  md.push(
    '',
    'Each demo scenario (local/demo/traffic.ts `SCENARIOS`) runs as its own flow, so the mix is the scenario weights:',
    'PAY = card paid; PAY_TWICE = card paid + the same webhook delivered again; FAIL = provider reports failure;',
    'WRONG_AMOUNT = provider confirms a different amount (compensated like FAIL); NO_CALLBACK = expiry at the payment',
    `timeout (${input.paymentTimeoutSeconds} s here); CANCEL_BEFORE_PAY; CANCEL_THEN_LATE_PAYMENT = cancel + a late webhook (refunded);`,
    'CANCEL_AFTER_PAY = card paid then refunded; FULFIL = paid then handed over (every 4th then tries a cancel, 409);',
    'BALANCE_PAY / BALANCE_SHORT / BALANCE_REFUND = wallet paid / declined / paid then refunded. PROMO (not in the mix) =',
    "a card-paid order under a chain-wide automatic promotion, for the promotion counter. Orders have the demo's shape",
    '(local/demo/traffic.ts): 1, 2, 3, 4 lines in turn (mean 2.5, quantity 1 each) and an entered coupon code on one order in',
    "five; the demo's automatic promotions are left out of the mix (PROMO measures one). Not counted, as not part of an",
    "order's flow: the client's status polls (GET /v1/orders/{id}) and WebSocket subscriptions (no client connects, so",
    'live-status pushes find no subscriber: with subscribers add their connection writes and messages).',
    '',
    '## DynamoDB write units by table (per order, mix)',
    '',
    '| table / index | WCU | RCU |',
    '| --- | --- | --- |',
  );
  for (const t of new Set([...Object.keys(wcuByTable), ...Object.keys(rcuByTable)])) row([t, wcuByTable[t] ?? 0, rcuByTable[t] ?? 0]);
  md.push(
    '',
    '## Lambda invocations by function (per order, mix)',
    '',
    '| function | invocations | ms (local wall time) |',
    '| --- | --- | --- |',
  );
  for (const [f, v] of Object.entries(invocationsByFunction)) row([f, v, lambdaMsByFunction[f] ?? 0]);
  md.push(
    '',
    '## Cost per 1,000,000 orders (ap-southeast-1 list prices)',
    '',
    '| service | item | quantity per order | USD per 1M orders | price | confirmed |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const l of cost.lines) {
    const p = prices[l.priceId];
    const q = l.quantityPerOrder > 0 && l.quantityPerOrder < 0.001 ? l.quantityPerOrder.toExponential(2) : fmt(l.quantityPerOrder, 4);
    row([
      l.service,
      p.unit,
      q,
      fmt(l.usdPerMillionOrders),
      `$${p.usd} per ${fmt(p.per)} ([source](${p.source}), read ${p.read})`,
      p.confirmed ? 'yes' : '**unconfirmed**',
    ]);
  }
  row(['**total**', '', '', `**${fmt(cost.total)}**`, '', '']);
  md.push('', '| service | USD per 1M orders |', '| --- | --- |');
  for (const [s, v] of Object.entries(costByService).sort(([, a], [, b]) => b - a)) row([s, fmt(v)]);
  md.push(
    '',
    'Not per order (fixed monthly, left out of the total): KMS requests (DynamoDB caches each table key per caller for',
    'minutes, so requests scale with tables × callers, not orders), Secrets Manager (the webhook secret is cached 300 s per',
    'container), WAF web ACL and rule fees, CloudWatch alarms/dashboards, storage and backups (PITR). Assumptions for what the',
    `local run cannot count: ${assumptions.logBytesPerInvocation} B of Lambda platform log lines per invocation and ${assumptions.accessLogBytesPerRequest} B of access log`,
    `per HTTP request, plus the handlers' own log lines and EMF metric lines as measured at the deployed level (INFO), X-Ray traces = ${assumptions.xraySampledShare * 100} % of API requests (default sampling rule), CloudFront and WAF`,
    'see every HTTP request. Lambda GB-s use the local wall time of each invocation (billed per 1 ms) at the configured memory.',
    '',
    '## Orders/s per region: quotas (ap-southeast-1)',
    '',
    '| quota | usage per order | default | orders/s (default) | named raise | orders/s (raised) | source |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of cs) {
    const q = quotas[c.quota as keyof typeof quotas];
    row([
      `${c.name}${q.confirmed ? '' : ' (**unconfirmed**)'}`,
      fmt(c.usagePerOrder, 3),
      `${fmt(c.default)} ${q.unit}`,
      c === bind.default ? `**${fmt(c.ordersPerSecondDefault, 0)}** (binding)` : fmt(c.ordersPerSecondDefault, 0),
      `${fmt(c.raisedTo)}${'raiseNote' in q && q.raiseNote ? ` (${q.raiseNote})` : ''}`,
      c === bind.raised ? `**${fmt(c.ordersPerSecondRaised, 0)}** (binding)` : fmt(c.ordersPerSecondRaised, 0),
      `[page](${q.source})`,
    ]);
  }
  md.push(
    '',
    `Lambda concurrency: orders/s = concurrency ÷ Σ invocation seconds per order (${fmt(usage.lambdaSeconds, 3)} s of local wall time, module`,
    'import excluded: DynamoDB Local and the emulators answer from the same, shared machine, so deployed durations differ; the',
    'figure is noisy and likely pessimistic). DynamoDB per-table quotas bind on the busiest table or index.',
    '',
    '## Hot spots',
    '',
    `A partition takes ${partitionLimits.writeUnitsPerSecond} WCU/s ([source](${partitionLimits.source})). One store × SKU: ${fmt(skuWcuPerOrder, 3)} WCU per order land`,
    `on its inventory item (mix-weighted, measured per flow) → ${fmt(hotItemOrdersPerSecond(skuWcuPerOrder), 0)} orders/s per partition unsharded.`,
    hot
      ? `Sharded (HOT flow: card-paid orders on a SKU PUT with \`shards: ${input.hotSkuShardsRequested}\`): ${hot.stockItems} stock items written under ${hot.stockPartitionKeys} distinct partition key(s), ${fmt(hotWcuPerOrder, 3)} WCU per order on one shard → ${fmt(hotItemOrdersPerSecond(hotWcuPerOrder), 0)} orders/s per partition × ${hotSkuPartitions} → **${fmt(hotSku, 0)} orders/s**.`
      : `This build's inventory PUT refuses \`shards\` (HOT flow skipped): one partition → **${fmt(hotSku, 0)} orders/s**.`,
    `One chain-wide automatic promotion: ${fmt(promoWcuPerOrder, 3)} WCU per order on its redemption counter (coupons table, scope COUPON) →`,
    `${fmt(hotItemOrdersPerSecond(promoWcuPerOrder), 0)} orders/s per partition × ${promotionPartitions} → **${fmt(chainPromotion, 0)} orders/s**.`,
    'Shards count as separate partitions only when their items have distinct partition keys (items sharing a partition key',
    "share its 1,000 WCU/s, and DynamoDB's split-for-heat by sort key is not guaranteed); the partition counts above are the",
    'distinct partition-key values scripts/cost.ts found among the written stock items (1 = unsharded). Promotion counter shards',
    'are not probed (no API for them in this build): 1 partition.',
    '',
    '## Counting method and cross-check',
    '',
    'DynamoDB: every SDK call a handler makes, by operation and table; a write costs the larger of the stored item before /',
    'after / the item sent (ceil(size / 1 KB), ×2 in TransactWriteItems; a ConditionCheck like a write; a failed conditional write',
    'the same), plus its GSI writes (item enters / leaves / changes in the projection); reads ceil(size / 4 KB), ×0.5 eventually',
    'consistent, ×2 transactional, Query/Scan on the summed size. Sizes by the AWS item-size rules (src/capacity/ddb-units.ts);',
    "the stored item is read before and after each write by an uncounted client. DynamoDB Local's own ReturnConsumedCapacity",
    `(asked for on every metered call) says ${fmt(reportedUnits)} units per order against ${fmt(computedUnits)} computed here`,
    `(${fmt((100 * (reportedUnits - computedUnits)) / (computedUnits || 1), 1)} %): it doubles transactional items too, but sizes items its own way, a failed`,
    'call (a refused conditional write) returns no figure to read, and its index accounting is not documented, so the model uses the computed figures.',
    'Step Functions: StateEntered + StateRetried events of aws-local-stepfunctions (what AWS bills for STANDARD, retries included). EventBridge: PutEvents calls, 64 KB chunks,',
    "deliveries to rule targets (retries included). Under metering the local Step Functions issues task tokens of AWS's length",
    '(~670 characters instead of 64), so an order item holding one is sized as deployed.',
    '',
  );
  return { json, markdown: md.join('\n') };
}
