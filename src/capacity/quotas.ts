/**
 * Default service quotas in ap-southeast-1 and the named raises the ceiling model assumes, the ONE place
 * src/capacity/model.ts reads them. Each quota names the per-order usage it divides (`usage`, a key of
 * `OrderUsage`), its source page and whether the figure could be confirmed from this machine.
 * Rate quotas are per account and region (per table where said); a token bucket's refill rate is what a
 * sustained load sees, so that is the figure used.
 */
import type { OrderUsage } from './model.ts';

export interface Quota {
  name: string;
  /** Default in ap-southeast-1 (per second unless `unit` says otherwise). */
  default: number;
  unit: string;
  /** Which per-order usage the quota limits; the ceiling is default ÷ usage (for concurrency: ÷ seconds per order). */
  usage: keyof OrderUsage;
  adjustable: boolean;
  /** The raise the "raised quotas" ceiling assumes (undefined = stays at default: hard limit). */
  raisedTo?: number;
  raiseNote?: string;
  source: string;
  confirmed: boolean;
}

export const quotas = {
  lambdaConcurrency: {
    name: 'Lambda concurrent executions',
    default: 1_000,
    unit: 'concurrent executions (account, region)',
    usage: 'lambdaSeconds',
    adjustable: true,
    raisedTo: 20_000,
    raiseNote:
      'Service Quotas request; AWS grants tens of thousands per region with a use case (scaling rate also 1,000 per 10 s per function).',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    confirmed: true,
  },
  httpApiRequests: {
    name: 'API Gateway HTTP API requests',
    default: 10_000,
    unit: 'requests/s (account, region; burst 5,000)',
    usage: 'httpRequests',
    adjustable: true,
    raisedTo: 50_000,
    raiseNote: 'Throttle quota per account and region, adjustable through Service Quotas / support.',
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html',
    confirmed: true,
  },
  sfnStandardStartExecution: {
    name: 'Step Functions Standard StartExecution (refill)',
    default: 150,
    unit: 'executions started/s (bucket 800 in ap-southeast-1)',
    usage: 'standardStarts',
    adjustable: true,
    raisedTo: 1_500,
    raiseNote: 'Adjustable through support; raise figure is an assumption (AWS does not publish a maximum).',
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-api-action-throttling-general',
    confirmed: false,
  },
  sfnStandardStateTransition: {
    name: 'Step Functions Standard StateTransition (refill)',
    default: 800,
    unit: 'state transitions/s (bucket 800 in ap-southeast-1)',
    usage: 'standardTransitions',
    adjustable: true,
    raisedTo: 10_000,
    raiseNote: 'Adjustable through support; raise figure is an assumption.',
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-api-state-throttling',
    confirmed: false,
  },
  sfnExpressStartExecution: {
    name: 'Step Functions Express StartExecution',
    default: 6_000,
    unit: 'executions started/s',
    usage: 'expressStarts',
    adjustable: true,
    raisedTo: 30_000,
    raiseNote: 'Adjustable; raise figure is an assumption.',
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-api-action-throttling-general',
    confirmed: false,
  },
  eventBridgePutEvents: {
    name: 'EventBridge PutEvents',
    default: 2_400,
    unit: 'PutEvents requests/s (account, region; one request carries up to 10 entries)',
    usage: 'putEventsCalls',
    adjustable: true,
    raisedTo: 20_000,
    raiseNote: 'Soft limit, raised through Service Quotas.',
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html',
    confirmed: false,
  },
  eventBridgeInvocations: {
    name: 'EventBridge target invocations',
    default: 2_250,
    unit: 'invocations/s (account, region)',
    usage: 'targetInvocations',
    adjustable: true,
    raisedTo: 20_000,
    raiseNote: 'Soft limit, raised through Service Quotas (us-east-1 defaults to 18,750/s).',
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html',
    confirmed: true,
  },
  dynamodbTableWrites: {
    name: 'DynamoDB on-demand table maximum write throughput',
    default: 40_000,
    unit: 'WRU/s per table (binds on the busiest table)',
    usage: 'maxTableWriteUnits',
    adjustable: true,
    raisedTo: 200_000,
    raiseNote: 'Per-table (and account) throughput quota, adjustable through Service Quotas.',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    confirmed: true,
  },
  dynamodbTableReads: {
    name: 'DynamoDB on-demand table maximum read throughput',
    default: 40_000,
    unit: 'RRU/s per table (binds on the busiest table)',
    usage: 'maxTableReadUnits',
    adjustable: true,
    raisedTo: 200_000,
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    confirmed: true,
  },
  pipesRequests: {
    name: 'EventBridge Pipes (per pipe, stream source)',
    default: 10_000,
    unit: 'requests/s per pipe (a stream source is also bounded by its shards: ~1,000 records/s written per shard)',
    usage: 'maxPipeRequests',
    adjustable: true,
    raisedTo: 50_000,
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html#eb-pipes-limits',
    confirmed: false,
  },
} as const satisfies Record<string, Quota>;

/** Per-partition limits (hard): what one hot item can take. */
export const partitionLimits = {
  writeUnitsPerSecond: 1_000,
  readUnitsPerSecond: 3_000,
  source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html',
} as const;

export type QuotaId = keyof typeof quotas;
