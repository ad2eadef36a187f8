/**
 * The cost and capacity model: counts per order (from local/metering.ts counters) → USD per 1,000,000
 * orders at the prices of src/capacity/prices.ts, and orders/s per region under the quotas of
 * src/capacity/quotas.ts. Pure (no I/O): scripts/cost.ts measures, this computes, test/unit/capacity-model.test.ts
 * checks the arithmetic.
 */
import { costOf, prices as listPrices, type Price, type PriceId } from './prices.ts';
import { partitionLimits, quotas as defaultQuotas, type Quota } from './quotas.ts';

/** Counter name → value (per order once divided), as local/metering.ts names them. */
export type Counters = Record<string, number>;

/** What one order uses of each billed or limited thing (a mean over the flows of the mix). */
export interface OrderUsage {
  lambdaRequests: number;
  lambdaGbSeconds: number;
  /** Σ invocation durations, s: concurrency needed per order/s. */
  lambdaSeconds: number;
  standardStarts: number;
  standardTransitions: number;
  expressStarts: number;
  expressGbSeconds: number;
  writeUnits: number;
  readUnits: number;
  /** Write / read units on the busiest table (or index): what its per-table quota divides. */
  maxTableWriteUnits: number;
  maxTableReadUnits: number;
  putEventsCalls: number;
  eventChunks: number;
  targetInvocations: number;
  httpRequests: number;
  wsMessages: number;
  wsConnectionMinutes: number;
  /** Billed Pipes requests, all pipes (`pipes.requests.<pipe>`). */
  pipesRequests: number;
  /** Requests of the busiest pipe: the Pipes quota is per pipe. */
  maxPipeRequests: number;
  sqsRequests: number;
  /** Platform + access log lines (assumed sizes) + the handlers' own log lines (`logs.applicationBytes`, measured). */
  logBytes: number;
  xrayTraces: number;
}

/** Assumptions for what the local run cannot count; each is printed in docs/capacity.md. */
export const assumptions = {
  /** START + END + REPORT platform lines of one invocation (with the X-Ray segment id), bytes (Lambda's text format, system level INFO). */
  logBytesPerInvocation: 420,
  /** One JSON access-log line of the HTTP API (lib/constructs/api-construct.ts format), bytes. */
  accessLogBytesPerRequest: 450,
  /** X-Ray default sampling rule: 1 request/s reservoir + 5 % of the rest; a trace is rooted at each API request. */
  xraySampledShare: 0.05,
} as const;

const sum = (c: Counters, prefix: string, filter: (rest: string) => boolean = () => true): number =>
  Object.entries(c).reduce((n, [k, v]) => (k.startsWith(prefix) && filter(k.slice(prefix.length)) ? n + v : n), 0);

/** Per-table (and per-index) totals of `dynamodb.<kind>.<table>` counters. */
export function unitsByTable(c: Counters, kind: 'wcu' | 'rcu'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(c)) if (k.startsWith(`dynamodb.${kind}.`)) out[k.slice(`dynamodb.${kind}.`.length)] = v;
  return out;
}

/**
 * Per-order usage from counters already divided by the number of orders. `types` gives each state
 * machine's type (lib/wiring.ts `stateMachines.<id>.type`); a machine missing from it counts as STANDARD.
 */
export function usageOf(c: Counters, types: Record<string, 'STANDARD' | 'EXPRESS'>): OrderUsage {
  const express = (m: string) => types[m] === 'EXPRESS';
  const httpRequests = c['apigw.http.requests'] ?? 0;
  const lambdaRequests = sum(c, 'lambda.invocations.');
  const wcu = Object.values(unitsByTable(c, 'wcu'));
  const rcu = Object.values(unitsByTable(c, 'rcu'));
  return {
    lambdaRequests,
    lambdaGbSeconds: sum(c, 'lambda.gbSeconds.'),
    lambdaSeconds: sum(c, 'lambda.ms.') / 1000,
    standardStarts: sum(c, 'sfn.starts.', (m) => !express(m)),
    standardTransitions: sum(c, 'sfn.transitions.', (m) => !express(m)),
    expressStarts: sum(c, 'sfn.starts.', express),
    expressGbSeconds: sum(c, 'sfn.express.gbSeconds.'),
    writeUnits: wcu.reduce((a, b) => a + b, 0),
    readUnits: rcu.reduce((a, b) => a + b, 0),
    maxTableWriteUnits: Math.max(0, ...wcu),
    maxTableReadUnits: Math.max(0, ...rcu),
    putEventsCalls: c['events.putEventsCalls'] ?? 0,
    eventChunks: c['events.chunks'] ?? 0,
    targetInvocations: sum(c, 'events.targetInvocations.'),
    httpRequests,
    wsMessages: c['apigw.ws.messages'] ?? 0,
    wsConnectionMinutes: c['apigw.ws.connectionMinutes'] ?? 0,
    pipesRequests: sum(c, 'pipes.requests.'),
    maxPipeRequests: Math.max(0, ...Object.entries(c).flatMap(([k, v]) => (k.startsWith('pipes.requests.') ? [v] : []))),
    sqsRequests: (c['sqs.requests'] ?? 0) + sum(c, 'sdk.calls.SQS.'),
    logBytes:
      lambdaRequests * assumptions.logBytesPerInvocation +
      httpRequests * assumptions.accessLogBytesPerRequest +
      (c['logs.applicationBytes'] ?? 0),
    xrayTraces: httpRequests * assumptions.xraySampledShare,
  };
}

/** Counters divided by `orders`. */
export const perOrder = (c: Counters, orders: number): Counters => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v / orders]));

/** The weighted mean of per-order counters (weights need not sum to 1; flows missing from `perFlow` are skipped). */
export function mix(perFlow: Record<string, Counters>, weights: Record<string, number>): Counters {
  const total = Object.entries(weights).reduce((n, [f, w]) => (perFlow[f] ? n + w : n), 0);
  const out: Counters = {};
  for (const [flow, w] of Object.entries(weights)) {
    const c = perFlow[flow];
    if (!c) continue;
    for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + (v * w) / total;
  }
  return out;
}

export interface CostLine {
  service: string;
  priceId: PriceId;
  quantityPerOrder: number;
  usdPerMillionOrders: number;
}

/** USD per 1,000,000 orders by billed item; `total` is their sum. */
export function costPerMillion(u: OrderUsage, table: Record<PriceId, Price> = listPrices): { lines: CostLine[]; total: number } {
  const items: Array<[string, PriceId, number]> = [
    ['Step Functions', 'stepFunctionsStandardTransition', u.standardTransitions],
    ['Step Functions', 'stepFunctionsExpressRequest', u.expressStarts],
    ['Step Functions', 'stepFunctionsExpressGbSecond', u.expressGbSeconds],
    ['Lambda', 'lambdaRequest', u.lambdaRequests],
    ['Lambda', 'lambdaGbSecond', u.lambdaGbSeconds],
    ['DynamoDB', 'dynamodbWriteRequestUnit', u.writeUnits],
    ['DynamoDB', 'dynamodbReadRequestUnit', u.readUnits],
    ['EventBridge', 'eventBridgeCustomEvent', u.eventChunks],
    ['EventBridge', 'eventBridgePipesRequest', u.pipesRequests],
    ['SQS', 'sqsRequest', u.sqsRequests],
    ['API Gateway', 'httpApiRequest', u.httpRequests],
    ['API Gateway', 'webSocketMessage', u.wsMessages],
    ['API Gateway', 'webSocketConnectionMinute', u.wsConnectionMinutes],
    ['CloudFront', 'cloudFrontHttpsRequest', u.httpRequests],
    ['WAF', 'wafRequest', u.httpRequests],
    ['CloudWatch Logs', 'cloudWatchLogsIngestedGb', u.logBytes / 1024 ** 3],
    ['X-Ray', 'xrayTraceRecorded', u.xrayTraces],
  ];
  const lines = items.map(([service, priceId, q]) => ({
    service,
    priceId,
    quantityPerOrder: q,
    usdPerMillionOrders: costOf(priceId, q * 1_000_000, table),
  }));
  return { lines, total: lines.reduce((n, l) => n + l.usdPerMillionOrders, 0) };
}

export interface Ceiling {
  quota: string;
  name: string;
  usagePerOrder: number;
  default: number;
  raisedTo: number;
  ordersPerSecondDefault: number;
  ordersPerSecondRaised: number;
}

/** Orders/s each quota allows (quota ÷ usage per order; Infinity when the order does not use it), sorted ascending. */
export function ceilings(u: OrderUsage, table: Record<string, Quota> = defaultQuotas): Ceiling[] {
  return Object.entries(table)
    .map(([id, q]) => {
      const use = u[q.usage];
      const raisedTo = q.raisedTo ?? q.default;
      return {
        quota: id,
        name: q.name,
        usagePerOrder: use,
        default: q.default,
        raisedTo,
        ordersPerSecondDefault: use > 0 ? q.default / use : Infinity,
        ordersPerSecondRaised: use > 0 ? raisedTo / use : Infinity,
      };
    })
    .sort((a, b) => a.ordersPerSecondDefault - b.ordersPerSecondDefault);
}

/** The binding quota (lowest ceiling) under default and under raised quotas. */
export function binding(cs: Ceiling[]): { default: Ceiling; raised: Ceiling } {
  const byRaised = [...cs].sort((a, b) => a.ordersPerSecondRaised - b.ordersPerSecondRaised);
  return { default: cs[0]!, raised: byRaised[0]! };
}

/**
 * Orders/s one hot item (a store × SKU stock item, a promotion's redemption counter) sustains:
 * partitions × 1,000 WCU/s ÷ WCU landing on that item per order. `partitions` = shard items with distinct
 * partition keys (shards sharing a partition key share its 1,000 WCU/s, so they count as one).
 */
export const hotItemOrdersPerSecond = (wcuPerOrderOnItem: number, partitions = 1): number =>
  wcuPerOrderOnItem > 0 ? (partitions * partitionLimits.writeUnitsPerSecond) / wcuPerOrderOnItem : Infinity;
