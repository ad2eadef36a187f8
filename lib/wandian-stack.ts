import { Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { AlertsConstruct } from './constructs/alerts-construct.ts';
import { ApiConstruct } from './constructs/api-construct.ts';
import { DataConstruct } from './constructs/data-construct.ts';
import { EdgeConstruct } from './constructs/edge-construct.ts';
import { EventCatalogConstruct } from './constructs/event-catalog-construct.ts';
import { EventsConstruct } from './constructs/events-construct.ts';
import { FunctionsConstruct } from './constructs/functions-construct.ts';
import { LiveStatusConstruct } from './constructs/live-status-construct.ts';
import { ObservabilityConstruct } from './constructs/observability-construct.ts';
import { OutboxConstruct } from './constructs/outbox-construct.ts';
import { SagaConstruct } from './constructs/saga-construct.ts';
import { SchedulesConstruct } from './constructs/schedules-construct.ts';
import { SecurityConstruct } from './constructs/security-construct.ts';
import { sharedParameters } from './constructs/shared-parameters-construct.ts';
import { acknowledgeRegionalFindings } from './regional-nag.ts';
import { APP_CLIENT_COUNT } from './identity-stack.ts';
import type { PrincipalLimitId } from './wiring.ts';

/** Properties of {@link WandianStack}. */
export interface WandianStackProps extends StackProps {
  /** The chain's sales regions served from this AWS region (cdk.json `wandian:salesRegions`). */
  readonly salesRegions: readonly string[];
  /** Seconds an order waits for payment before it expires (default 900, PRODUCT.md Saga). */
  readonly paymentTimeoutSeconds?: number;
  /** Per-principal request limits per minute (cdk.json `wandian:principalLimits`, e.g. `{orderCreations: 20}`). */
  readonly principalLimitsPerMinute?: Partial<Record<PrincipalLimitId, number>>;
}

/**
 * wandian in one AWS region: everything lib/wiring.ts describes (tables, functions, HTTP routes,
 * sagas, bus and rules, the outbox pipes, WebSocket API, schedules) plus the per-provider webhook secrets, the stack key, the
 * low-stock alert topic, event schema registry and archive, dashboard and alarms, and the CloudFront + WAF front
 * door of the HTTP API. It trusts the chain's user pool (WandianIdentity) and uses the shared web ACL
 * (WandianEdge), both read from SSM parameters of this region.
 */
export class WandianStack extends Stack {
  /** Key and webhook secrets. */
  readonly security: SecurityConstruct;
  /** Tables. */
  readonly data: DataConstruct;
  /** Lambda functions. */
  readonly functions: FunctionsConstruct;
  /** HTTP API. */
  readonly api: ApiConstruct;
  /** CloudFront + WAF in front of the HTTP API. */
  readonly edge: EdgeConstruct;
  /** Step Functions sagas. */
  readonly saga: SagaConstruct;
  /** Bus, rules and dead-letter queues. */
  readonly events: EventsConstruct;
  /** WebSocket API for live order status. */
  readonly liveStatus: LiveStatusConstruct;
  /** Low-stock alert topic. */
  readonly alerts: AlertsConstruct;
  /** Schema registry and event archive. */
  readonly eventCatalog: EventCatalogConstruct;
  /** EventBridge Scheduler schedules (the reconciler). */
  readonly schedules: SchedulesConstruct;
  /** The transactional outbox: EventBridge Pipes from the orders stream to the bus. */
  readonly outbox: OutboxConstruct;

  constructor(scope: Construct, id: string, props: WandianStackProps) {
    super(scope, id, props);
    if (props.salesRegions.length === 0) throw new Error(`${id}: serves no sales region`);
    const issuer = StringParameter.valueForStringParameter(this, sharedParameters.jwtIssuer);
    const audience = StringParameter.valueForStringParameter(this, sharedParameters.jwtAudience);
    const webAclArn = StringParameter.valueForStringParameter(this, sharedParameters.webAclArn);

    this.security = new SecurityConstruct(this, 'Security');
    const key = this.security.key;
    this.data = new DataConstruct(this, 'Data', { key });
    this.events = new EventsConstruct(this, 'Events', { key });
    this.functions = new FunctionsConstruct(this, 'Functions', {
      tables: this.data.tables,
      key,
      eventBus: this.events.bus,
      webhookSecrets: this.security.webhookSecrets,
      salesRegions: props.salesRegions,
      paymentTimeoutSeconds: props.paymentTimeoutSeconds ?? 900,
      tokens: { issuer, audience },
      principalLimitsPerMinute: props.principalLimitsPerMinute,
    });
    const fns = this.functions.functions;
    this.events.addRules(fns);
    this.outbox = new OutboxConstruct(this, 'Outbox', { tables: this.data.tables, functions: fns, bus: this.events.bus, key });
    this.alerts = new AlertsConstruct(this, 'Alerts', { functions: fns, key });
    this.eventCatalog = new EventCatalogConstruct(this, 'EventCatalog', { bus: this.events.bus, key });
    this.saga = new SagaConstruct(this, 'Saga', { functions: fns, key });
    this.api = new ApiConstruct(this, 'Api', { functions: fns, issuer, audience: Fn.split(',', audience, APP_CLIENT_COUNT), logKey: key });
    this.edge = new EdgeConstruct(this, 'Edge', { api: this.api.api, webAclArn });
    this.liveStatus = new LiveStatusConstruct(this, 'LiveStatus', { functions: fns });
    this.schedules = new SchedulesConstruct(this, 'Schedules', { functions: fns });
    new ObservabilityConstruct(this, 'Observability', {
      api: this.api.api,
      functions: fns,
      stateMachines: this.saga.stateMachines,
      tables: this.data.tables,
      deadLetterQueues: {
        ...this.events.deadLetterQueues,
        ...Object.fromEntries(Object.entries(this.outbox.deadLetterQueues).map(([id, q]) => [`pipes.${id}`, q])),
      },
      eventQueues: this.events.queues,
      key,
    });
    acknowledgeRegionalFindings(this);
  }
}
