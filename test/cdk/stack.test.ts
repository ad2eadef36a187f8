/**
 * Proof that the synthesized CloudFormation and the local runtime agree: both read lib/wiring.ts,
 * and every expectation below is computed from wiring.ts, cdk.json or the ASL files on disk, never
 * copied from the template. Bundling is skipped, so handler code is not built here.
 */
import { LIVE_STATUS_EVENT_TYPES } from '../../src/events/order-status-fan-out.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addRegionalStacks, PAYMENT_TIMEOUT_CONTEXT, PRINCIPAL_LIMITS_CONTEXT, SALES_REGIONS_CONTEXT } from '../../lib/app.ts';
import { ENTRY_METADATA, WIRING_METADATA } from '../../lib/constructs/conventions.ts';
import { fromRepoRoot } from '../../lib/paths.ts';
import { functionEnvironment, functionTimeoutSeconds, HTTP_API_INTEGRATION_TIMEOUT_SECONDS } from '../../lib/function-environment.ts';
import {
  ALERT_TOPIC_ENV,
  EVENT_BUS_ENV,
  JWT_AUDIENCE_ENV,
  JWT_ISSUER_ENV,
  principalLimits,
  webSocketAuthorizer,
  eventSources,
  functions,
  MAX_PIPES_PER_STREAM,
  pipes,
  routes,
  rules,
  schedules,
  stateMachines,
  tables,
  type FunctionId,
  type FunctionSpec,
  type PipeId,
  type PipeSpec,
  type RuleId,
  type RuleSpec,
  type ScheduleId,
  type ScheduleSpec,
  type StateMachineId,
  type StateMachineSpec,
  type TableId,
  type TableSpec,
  webSocketRoutes,
  WEBSOCKET_ENDPOINT_ENV,
} from '../../lib/wiring.ts';
import { orderStatusMetric, businessMetrics } from '../../src/observability/business-metrics.ts';
import { paymentProviders, webhookSecretEnv } from '../../src/payments/webhook-secret-env.ts';
import { ROTATION_ENTRY } from '../../lib/constructs/security-construct.ts';
import { sharedParameters } from '../../lib/constructs/shared-parameters-construct.ts';
import { LIVE_THROTTLE } from '../../lib/constructs/live-status-construct.ts';
import { APP_CLIENT_COUNT } from '../../lib/identity-stack.ts';
import { WILDCARD_ONLY_ACTIONS } from '../../lib/constructs/nag.ts';

type Json = any; // CloudFormation fragments are untyped JSON.
interface CfnResource {
  Type: string;
  Properties?: Json;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  DependsOn?: string[];
}

const cdkContext = JSON.parse(readFileSync(fromRepoRoot('cdk.json'), 'utf8')).context as Record<string, unknown>;
const salesRegions = cdkContext[SALES_REGIONS_CONTEXT] as Record<string, string>;
const awsRegions = [...new Set(Object.values(salesRegions))];
const paymentTimeoutSeconds = String(cdkContext[PAYMENT_TIMEOUT_CONTEXT] ?? 900);

const functionEntries = Object.entries(functions) as [FunctionId, FunctionSpec][];
const tableEntries = Object.entries(tables) as [TableId, TableSpec][];
const stateMachineEntries = Object.entries(stateMachines) as [StateMachineId, StateMachineSpec][];
const ruleEntries = Object.entries(rules) as [RuleId, RuleSpec][];
const scheduleEntries = Object.entries(schedules) as [ScheduleId, ScheduleSpec][];
const pipeEntries = Object.entries(pipes) as [PipeId, PipeSpec][];

const TASK_RESULT_ACTIONS = ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'];
const PSEUDO = { 'AWS::Partition': 'aws', 'AWS::AccountId': '123456789012', 'AWS::URLSuffix': 'amazonaws.com' } as Record<string, string>;

const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
const stacks = addRegionalStacks(app);

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const getAttArn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const refTo = (logicalId: string) => ({ Ref: logicalId });
/** Logical id of the resource an intrinsic `{Ref}` or `{Fn::GetAtt}` points at. */
const targetOf = (value: Json): string | undefined => value?.Ref ?? value?.['Fn::GetAtt']?.[0];
/** Renders a string built with Fn::Join and pseudo-parameter Refs (e.g. a formatted ARN). */
function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (value?.Ref && PSEUDO[value.Ref]) return PSEUDO[value.Ref]!;
  if (value?.['Fn::Join']) return (value['Fn::Join'][1] as Json[]).map(render).join(value['Fn::Join'][0]);
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

describe('cdk.json regions', () => {
  it('gives every distinct AWS region of wandian:salesRegions exactly one stack named Wandian-<region>', () => {
    expect(stacks.map((s) => s.stackName).sort()).toEqual(awsRegions.map((r) => `Wandian-${r}`).sort());
    for (const stack of stacks) expect(stack.stackName).toBe(`Wandian-${stack.region}`);
  });
});

describe.each(stacks.map((stack) => [stack.stackName, stack] as const))('%s', (_name, stack) => {
  let template: Template;
  let resources: Record<string, CfnResource>;
  beforeAll(() => {
    // Template.fromStack also rejects templates with a dependency cycle.
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources as Record<string, CfnResource>;
  });
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  /** The one resource built from a wiring entry, found by its `wandian:wiring` metadata. */
  const wired = (ref: string): [string, CfnResource] => {
    const matches = Object.entries(resources).filter(([, r]) => r.Metadata?.[WIRING_METADATA] === ref);
    expect(matches, `resources built from ${ref}`).toHaveLength(1);
    return matches[0]!;
  };
  const functionIdOf = (fnId: FunctionId) => wired(`functions.${fnId}`)[0];
  /** Logical id of the function whose handler entry is `entry`. */
  const functionByEntry = (entry: string): string => {
    const matches = ofType('AWS::Lambda::Function').filter(([, r]) => r.Metadata?.[ENTRY_METADATA] === entry);
    expect(matches, `functions with entry ${entry}`).toHaveLength(1);
    return matches[0]![0];
  };
  /** All IAM statements attached to a role (inline policies and AWS::IAM::Policy resources). */
  const statementsOfRole = (roleId: string): Json[] => [
    ...asArray(resources[roleId]?.Properties?.Policies).flatMap((p: Json) => p.PolicyDocument.Statement),
    ...ofType('AWS::IAM::Policy')
      .filter(([, p]) => asArray(p.Properties.Roles).some((r: Json) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
  ];
  const statementsOfFunction = (fnId: FunctionId) => statementsOfRole(targetOf(resources[functionIdOf(fnId)]!.Properties.Role)!);
  const actionsOn = (statements: Json[], predicate: (resource: Json) => boolean) =>
    new Set(statements.filter((s) => asArray(s.Resource).some(predicate)).flatMap((s) => asArray<string>(s.Action)));
  const allActions = (statements: Json[]) => new Set(statements.flatMap((s) => asArray<string>(s.Action)));
  const busId = () => ofType('AWS::Events::EventBus')[0]![0];
  const stateMachineName = (smId: StateMachineId) => wired(`stateMachines.${smId}`)[1].Properties.StateMachineName as string;
  const stateMachineArn = (smId: StateMachineId) =>
    `arn:aws:states:${stack.region}:${PSEUDO['AWS::AccountId']}:stateMachine:${stateMachineName(smId)}`;
  /** Logical id of the one API Gateway v2 API of that protocol (HTTP or WEBSOCKET). */
  const apiIdOf = (protocol: 'HTTP' | 'WEBSOCKET') => {
    const apis = ofType('AWS::ApiGatewayV2::Api').filter(([, a]) => a.Properties.ProtocolType === protocol);
    expect(apis, `${protocol} APIs`).toHaveLength(1);
    return apis[0]![0];
  };
  /** Logical id of the CloudFormation parameter that reads SSM parameter `name` at deploy time. */
  const ssmParameterId = (name: string): string => {
    const parameters = Object.entries(template.toJSON().Parameters as Record<string, Json>).filter(([, p]) => p.Default === name);
    expect(parameters, `parameter reading ${name}`).toHaveLength(1);
    expect(parameters[0]![1].Type).toBe('AWS::SSM::Parameter::Value<String>');
    return parameters[0]![0];
  };
  const keyId = () => {
    const keys = ofType('AWS::KMS::Key');
    expect(keys, 'customer-managed keys').toHaveLength(1);
    return keys[0]![0];
  };
  const ofApi = (type: string, protocol: 'HTTP' | 'WEBSOCKET') =>
    ofType(type).filter(([, r]) => r.Properties.ApiId?.Ref === apiIdOf(protocol));

  it('synthesizes without a dependency cycle (functions reach the sagas by name, never by reference)', () => {
    expect(Object.keys(resources).length).toBeGreaterThan(0);
  });

  describe('data', () => {
    it.each(tableEntries)('has table %s with its string keys, on-demand billing, point-in-time recovery and TTL', (tableId, spec) => {
      const [, table] = wired(`tables.${tableId}`);
      const p = table.Properties;
      const keys = [spec.partitionKey, ...(spec.sortKey ? [spec.sortKey] : [])];
      expect(p.KeySchema).toEqual(keys.map((name, i) => ({ AttributeName: name, KeyType: i === 0 ? 'HASH' : 'RANGE' })));
      expect(p.AttributeDefinitions).toEqual(expect.arrayContaining(keys.map((name) => ({ AttributeName: name, AttributeType: 'S' }))));
      expect(p.BillingMode).toBe('PAY_PER_REQUEST');
      const pitr = [p.PointInTimeRecoverySpecification, ...asArray(p.Replicas).map((r: Json) => r.PointInTimeRecoverySpecification)];
      expect(pitr.some((s) => s?.PointInTimeRecoveryEnabled === true)).toBe(true);
      if (spec.ttlAttribute) expect(p.TimeToLiveSpecification).toEqual({ AttributeName: spec.ttlAttribute, Enabled: true });
      else expect(p.TimeToLiveSpecification).toBeUndefined();
    });

    it.each(tableEntries)(
      'gives table %s exactly the global secondary indexes its spec lists, with their keys and projection',
      (tableId, spec) => {
        const p = wired(`tables.${tableId}`)[1].Properties;
        const expected = Object.entries(spec.globalSecondaryIndexes ?? {}).map(([indexName, index]) => ({
          IndexName: indexName,
          KeySchema: [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])].map((name, i) => ({
            AttributeName: name,
            KeyType: i === 0 ? 'HASH' : 'RANGE',
          })),
          Projection: index.projection.length
            ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] }
            : { ProjectionType: 'KEYS_ONLY' },
        }));
        expect(
          asArray(p.GlobalSecondaryIndexes).map((i: Json) => ({
            IndexName: i.IndexName,
            KeySchema: i.KeySchema,
            Projection: i.Projection,
          })),
        ).toEqual(expected);
        for (const index of Object.values(spec.globalSecondaryIndexes ?? {})) {
          for (const key of [index.partitionKey, index.sortKey].filter(Boolean))
            expect(p.AttributeDefinitions).toContainEqual({ AttributeName: key, AttributeType: 'S' });
        }
      },
    );

    it.each(tableEntries)('gives table %s the stream its spec declares (view type), and none otherwise', (tableId, spec) => {
      const p = wired(`tables.${tableId}`)[1].Properties;
      if (spec.stream) expect(p.StreamSpecification).toEqual({ StreamViewType: spec.stream });
      else expect(p.StreamSpecification).toBeUndefined();
    });

    it('keeps orders, inventory, coupons and payments when the stack is deleted', () => {
      for (const tableId of ['orders', 'inventory', 'coupons', 'payments'] as const) {
        expect(wired(`tables.${tableId}`)[1].DeletionPolicy, tableId).toBe('Retain');
      }
    });

    it('has no table that wiring.ts does not describe', () => {
      const tableResources = [...ofType('AWS::DynamoDB::GlobalTable'), ...ofType('AWS::DynamoDB::Table')];
      expect(tableResources).toHaveLength(tableEntries.length);
    });
  });

  describe('functions', () => {
    it.each(functionEntries)('has function %s running its handler entry on nodejs22.x arm64', (fnId, spec) => {
      const [logicalId, fn] = wired(`functions.${fnId}`);
      expect(existsSync(fromRepoRoot(spec.entry)), `${spec.entry} exists`).toBe(true);
      expect(functionByEntry(spec.entry)).toBe(logicalId);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: spec.memoryMb ?? 512,
        // The one figure the local runtime enforces too (test/integration/local-concurrency.test.ts).
        Timeout: functionTimeoutSeconds(spec),
      });
      // No Lambda log level filter: handlers log at Powertools' default, DEPLOYED_LOG_LEVEL (EMF metric lines carry no
      // level, a filter would drop them); the environment test below shows no POWERTOOLS_LOG_LEVEL either.
      expect(fn.Properties.LoggingConfig?.ApplicationLogLevel, 'no application log level filter').toBeUndefined();
    });

    it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
      'lets the function behind "%s" time out well before the HTTP API integration timeout',
      (_key, route) => {
        const [, fn] = wired(`functions.${route.function}`);
        expect(fn.Properties.Timeout).toBeLessThanOrEqual(HTTP_API_INTEGRATION_TIMEOUT_SECONDS / 2);
      },
    );

    it('runs every Lambda function of the stack on nodejs22.x', () => {
      for (const [id, fn] of ofType('AWS::Lambda::Function')) expect(fn.Properties.Runtime, id).toBe('nodejs22.x');
    });

    it.each(functionEntries)('gives %s exactly the environment its spec asks for', (fnId, spec) => {
      const env = resources[functionIdOf(fnId)]!.Properties.Environment.Variables as Record<string, Json>;
      const ownSalesRegions = Object.keys(salesRegions).filter((s) => salesRegions[s] === stack.region);
      expect(env[EVENT_BUS_ENV], EVENT_BUS_ENV).toEqual(spec.publishesEvents ? refTo(busId()) : undefined);
      expect(env).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'wandian',
        POWERTOOLS_METRICS_NAMESPACE: 'Wandian',
        WANDIAN_PAYMENT_TIMEOUT_SECONDS: paymentTimeoutSeconds,
        WANDIAN_SALES_REGIONS: ownSalesRegions.join(','),
      });
      const tableVars = tableEntries.filter(([, t]) => t.envVar in env).map(([id]) => id);
      expect(tableVars.sort()).toEqual(Object.keys(spec.tables).sort());
      for (const tableId of tableVars) expect(env[tables[tableId].envVar], tableId).toEqual(refTo(wired(`tables.${tableId}`)[0]));
      for (const [smId, sm] of stateMachineEntries) {
        if (spec.startsStateMachines?.includes(smId)) expect(render(env[sm.envVar]), sm.envVar).toBe(stateMachineArn(smId));
        else expect(env[sm.envVar], sm.envVar).toBeUndefined();
      }
      for (const provider of paymentProviders) expect(webhookSecretEnv(provider) in env, provider).toBe(Boolean(spec.readsWebhookSecret));
      const configuredLimits = (cdkContext[PRINCIPAL_LIMITS_CONTEXT] ?? {}) as Record<string, number>;
      for (const [limitId, limit] of Object.entries(principalLimits)) {
        const counted = routes.some((r) => r.function === fnId && r.principalLimit === limitId);
        expect(env[limit.perMinuteEnv], limit.perMinuteEnv).toBe(
          counted ? String(configuredLimits[limitId] ?? limit.defaultPerMinute) : undefined,
        );
      }
      expect(env[JWT_ISSUER_ENV]).toEqual(refTo(ssmParameterId(sharedParameters.jwtIssuer)));
      expect(env[JWT_AUDIENCE_ENV]).toEqual(refTo(ssmParameterId(sharedParameters.jwtAudience)));
    });

    it.each(functionEntries)(
      'gives %s the environment lib/function-environment.ts builds (the local isolates use the same builder)',
      (fnId, spec) => {
        const env = resources[functionIdOf(fnId)]!.Properties.Environment.Variables as Record<string, Json>;
        // Resolved as the template's own values, so that only WHICH variables and the literal values are compared.
        const expected = functionEnvironment(fnId, spec, {
          tableNames: Object.fromEntries(tableEntries.map(([id, t]) => [id, env[t.envVar]])),
          stateMachineArns: Object.fromEntries(stateMachineEntries.map(([id, sm]) => [id, env[sm.envVar]])),
          busName: env[EVENT_BUS_ENV],
          alertTopicArn: env[ALERT_TOPIC_ENV],
          webSocketEndpoint: env[WEBSOCKET_ENDPOINT_ENV],
          webhookSecretArns: Object.fromEntries(paymentProviders.map((p) => [p, env[webhookSecretEnv(p)]])),
          tokens: { issuer: env[JWT_ISSUER_ENV], audience: env[JWT_AUDIENCE_ENV] },
          paymentTimeoutSeconds: Number(paymentTimeoutSeconds),
          salesRegions: String(env.WANDIAN_SALES_REGIONS).split(','),
          principalLimitsPerMinute: (cdkContext[PRINCIPAL_LIMITS_CONTEXT] ?? {}) as Record<string, number>,
        });
        expect({ ...env, NODE_OPTIONS: undefined }).toEqual({ ...expected, NODE_OPTIONS: undefined });
        expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
      },
    );
  });

  describe('HTTP API', () => {
    it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
      'routes "%s" to its function with payload format 2.0',
      (routeKey, route) => {
        const matches = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.RouteKey === routeKey);
        expect(matches).toHaveLength(1);
        const integrationId = matches[0]![1].Properties.Target['Fn::Join'][1][1].Ref as string;
        const integration = resources[integrationId]!.Properties;
        const fnId = functionByEntry(functions[route.function].entry);
        expect(integration).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: getAttArn(fnId) });
        const permissions = ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
        expect(permissions).toContainEqual(
          expect.objectContaining({ FunctionName: getAttArn(fnId), Principal: 'apigateway.amazonaws.com' }),
        );
      },
    );

    it('has no route that wiring.ts does not list', () => {
      expect(ofApi('AWS::ApiGatewayV2::Route', 'HTTP')).toHaveLength(routes.length);
    });

    it('serves a throttled, access-logged $default stage with route-level metrics and outputs its URL', () => {
      const stages = ofApi('AWS::ApiGatewayV2::Stage', 'HTTP').map(([, st]) => st.Properties);
      expect(stages).toEqual([
        expect.objectContaining({
          StageName: '$default',
          AutoDeploy: true,
          DefaultRouteSettings: {
            ThrottlingRateLimit: expect.any(Number),
            ThrottlingBurstLimit: expect.any(Number),
            DetailedMetricsEnabled: true,
          },
          AccessLogSettings: { DestinationArn: expect.anything(), Format: expect.stringContaining('$context.requestId') },
        }),
      ]);
      const outputs = Object.values(template.toJSON().Outputs as Record<string, Json>);
      expect(JSON.stringify(outputs.map((o) => o.Value))).toContain(`.execute-api.${stack.region}.`);
    });
  });

  describe('sagas', () => {
    it.each(stateMachineEntries)(
      'defines %s from its ASL file with every ASL placeholder mapped to the right function ARN',
      (smId, spec) => {
        const [, sm] = wired(`stateMachines.${smId}`);
        const asl = readFileSync(fromRepoRoot(spec.file), 'utf8');
        const placeholders = [...new Set([...asl.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))];
        const substitutions = sm.Properties.DefinitionSubstitutions as Record<string, Json>;
        expect(Object.keys(substitutions).sort()).toEqual(placeholders.sort());
        for (const placeholder of placeholders) {
          const fnId = spec.functionSubstitutions[placeholder as keyof typeof spec.functionSubstitutions] as FunctionId | undefined;
          expect(fnId, `wiring maps ${placeholder}`).toBeDefined();
          expect(substitutions[placeholder], placeholder).toEqual(getAttArn(functionByEntry(functions[fnId!].entry)));
        }
        expect(sm.Properties.DefinitionS3Location).toBeDefined();
      },
    );

    it.each(stateMachineEntries)(
      'runs %s as a traced workflow of its wiring type that logs errors without execution data',
      (smId, spec) => {
        expect(wired(`stateMachines.${smId}`)[1].Properties).toMatchObject({
          StateMachineType: spec.type,
          TracingConfiguration: { Enabled: true },
          LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
        });
      },
    );

    it.each(stateMachineEntries)('lets %s invoke exactly the functions its ASL names', (smId, spec) => {
      const [, sm] = wired(`stateMachines.${smId}`);
      const statements = statementsOfRole(targetOf(sm.Properties.RoleArn)!).filter((s) =>
        asArray(s.Action).includes('lambda:InvokeFunction'),
      );
      const invoked = new Set(statements.flatMap((s) => asArray(s.Resource)).map((r) => targetOf(r) ?? targetOf(r['Fn::Join']?.[1]?.[0])));
      const expected = new Set(
        Object.values(spec.functionSubstitutions).map((fnId) => functionByEntry(functions[fnId as FunctionId].entry)),
      );
      expect(invoked).toEqual(expected);
    });
  });

  describe('events', () => {
    const plainRules = ruleEntries.filter(([, r]) => !r.queue);
    const queuedRules = ruleEntries.filter(([, r]) => r.queue);

    it.each(ruleEntries)('matches rule %s with the wiring pattern on the regional bus', (ruleId, spec) => {
      const [, rule] = wired(`rules.${ruleId}`);
      expect(rule.Properties.EventPattern).toEqual(spec.eventPattern);
      expect(rule.Properties.EventBusName).toEqual(refTo(busId()));
      expect(rule.Properties.Targets).toHaveLength(1);
    });

    it.each(queuedRules)('updates rule %s only after its consumer function (pattern changes never outrun the code)', (ruleId, spec) => {
      const [, rule] = wired(`rules.${ruleId}`);
      expect(rule.DependsOn).toEqual(expect.arrayContaining([functionByEntry(functions[spec.target].entry)]));
    });

    it.each(plainRules)('targets the function of rule %s directly, with retries and a dead-letter queue', (ruleId, spec) => {
      const [ruleLogicalId, rule] = wired(`rules.${ruleId}`);
      const fnId = functionByEntry(functions[spec.target].entry);
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: getAttArn(fnId),
          DeadLetterConfig: { Arn: expect.anything() },
          RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
        }),
      ]);
      const permissions = ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
      expect(permissions).toContainEqual(
        expect.objectContaining({
          FunctionName: getAttArn(fnId),
          Principal: 'events.amazonaws.com',
          SourceArn: getAttArn(ruleLogicalId),
        }),
      );
    });

    it('has one queue per queued rule and no other', () => {
      const queueIds = queuedRules.map(([ruleId]) => wired(`rules.${ruleId}.queue`)[0]);
      const redriven = ofType('AWS::SQS::Queue').filter(([, q]) => q.Properties.RedrivePolicy);
      expect(redriven.map(([id]) => id).sort()).toEqual(queueIds.sort());
    });

    it.each(queuedRules)(
      'targets the KMS-encrypted queue of rule %s, which its function reads in batches of the wiring size and window',
      (ruleId, spec) => {
        const q = spec.queue!;
        const [ruleLogicalId, rule] = wired(`rules.${ruleId}`);
        const [queueId, queue] = wired(`rules.${ruleId}.queue`);
        const fnId = functionByEntry(functions[spec.target].entry);
        const deadLetters = targetOf(rule.Properties.Targets[0].DeadLetterConfig.Arn)!;
        expect(rule.Properties.Targets).toEqual([
          expect.objectContaining({
            Arn: getAttArn(queueId),
            DeadLetterConfig: { Arn: getAttArn(deadLetters) },
            RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
          }),
        ]);
        expect(queue.Properties).toMatchObject({
          KmsMasterKeyId: getAttArn(keyId()),
          VisibilityTimeout: q.visibilityTimeoutSeconds,
          RedrivePolicy: { deadLetterTargetArn: getAttArn(deadLetters), maxReceiveCount: q.maxReceiveCount },
        });
        expect(resources[deadLetters]!.Properties.KmsMasterKeyId).toEqual(getAttArn(keyId()));
        // AWS: the visibility timeout at least 6 x the function timeout, or a slow batch is received twice.
        expect(q.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * resources[fnId]!.Properties.Timeout);
        const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
        expect(mappings.filter((m) => targetOf(m.EventSourceArn) === queueId)).toEqual([
          expect.objectContaining({
            FunctionName: refTo(fnId),
            BatchSize: q.batchSize,
            MaximumBatchingWindowInSeconds: q.maxBatchingWindowSeconds,
            FunctionResponseTypes: ['ReportBatchItemFailures'],
            ScalingConfig: { MaximumConcurrency: q.maxConcurrency },
          }),
        ]);
        // EventBridge may send to the queue for THIS rule only; the function only consumes it.
        const queuePolicy = ofType('AWS::SQS::QueuePolicy').find(([, p]) =>
          p.Properties.Queues.some((r: Json) => targetOf(r) === queueId),
        )!;
        const sends = (queuePolicy[1].Properties.PolicyDocument.Statement as Json[]).filter((st) =>
          asArray(st.Action).includes('sqs:SendMessage'),
        );
        expect(sends).toEqual([
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': getAttArn(ruleLogicalId) } },
          }),
        ]);
        const fnSpec = functions[spec.target] as FunctionSpec;
        const onQueue = actionsOn(statementsOfFunction(spec.target), (r) => targetOf(r) === queueId);
        expect([...onQueue].sort()).toEqual(
          ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'].sort(),
        );
        expect(fnSpec.publishesEvents).toBeFalsy();
        const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
        expect(alarms).toContainEqual(
          expect.objectContaining({
            MetricName: 'ApproximateAgeOfOldestMessage',
            Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
          }),
        );
        // Not invoked by EventBridge: no permission for it.
        expect(ofType('AWS::Lambda::Permission').filter(([, p]) => targetOf(p.Properties.FunctionName) === fnId)).toEqual([]);
      },
    );

    it('names the bus wandian-<region>', () => {
      expect(resources[busId()]!.Properties.Name).toBe(`wandian-${stack.region}`);
    });

    it('archives every wandian event of the bus for replay', () => {
      const archives = ofType('AWS::Events::Archive').map(([, a]) => a.Properties);
      expect(archives).toEqual([
        expect.objectContaining({
          SourceArn: getAttArn(busId()),
          EventPattern: { source: Object.values(eventSources) },
          RetentionDays: expect.any(Number),
        }),
      ]);
    });

    it('publishes every committed event schema file to the schema registry as JSONSchemaDraft4', () => {
      const [registryId, registry] = ofType('AWS::EventSchemas::Registry')[0]!;
      expect(ofType('AWS::EventSchemas::Registry')).toHaveLength(1);
      const files = readdirSync(fromRepoRoot('schemas/events')).filter((f) => f.endsWith('.json'));
      const schemas = ofType('AWS::EventSchemas::Schema').map(([, sc]) => sc.Properties);
      expect(schemas).toHaveLength(files.length);
      for (const file of files) {
        const content = readFileSync(fromRepoRoot(`schemas/events/${file}`), 'utf8');
        const { source, 'detail-type': detailType } = JSON.parse(content).properties;
        expect(schemas, file).toContainEqual(
          expect.objectContaining({
            Type: 'JSONSchemaDraft4',
            Content: content,
            SchemaName: `${source.enum[0]}@${detailType.enum[0]}`,
            RegistryName: { 'Fn::GetAtt': [registryId, 'RegistryName'] },
          }),
        );
      }
      expect(registry.Properties.RegistryName).toBeDefined();
    });
  });

  describe('outbox (EventBridge Pipes)', () => {
    it('has exactly the pipes wiring.ts lists', () => {
      expect(ofType('AWS::Pipes::Pipe')).toHaveLength(pipeEntries.length);
    });

    it.each(pipeEntries)(
      'reads pipe %s from its table stream through the wiring filters and enrichment into the regional bus, with retries and a dead-letter queue',
      (pipeId, spec) => {
        const p = wired(`pipes.${pipeId}`)[1].Properties;
        const tableId = wired(`tables.${spec.source.table}`)[0];
        expect(tables[spec.source.table]).toMatchObject({ stream: 'NEW_AND_OLD_IMAGES' });
        expect(p.Source).toEqual({ 'Fn::GetAtt': [tableId, 'StreamArn'] });
        expect(p.DesiredState).toBe('RUNNING');
        const source = p.SourceParameters.DynamoDBStreamParameters;
        expect(source).toMatchObject({
          StartingPosition: spec.source.startingPosition,
          BatchSize: spec.source.batchSize,
          MaximumBatchingWindowInSeconds: spec.source.maximumBatchingWindowSeconds,
          MaximumRetryAttempts: spec.source.maximumRetryAttempts,
          OnPartialBatchItemFailure: spec.source.onPartialBatchItemFailure,
        });
        expect(ofType('AWS::SQS::Queue').map(([id]) => id)).toContain(targetOf(source.DeadLetterConfig.Arn));
        expect(p.SourceParameters.FilterCriteria.Filters.map((f: Json) => JSON.parse(f.Pattern))).toEqual(spec.filters);
        expect(p.Enrichment).toEqual(getAttArn(functionByEntry(functions[spec.enrichment].entry)));
        if (spec.target.kind === 'function') {
          // A Lambda target: invoked synchronously with the batch, so its error fails the batch (retry, bisect, DLQ).
          expect(p.Target).toEqual(getAttArn(functionByEntry(functions[spec.target.function].entry)));
          expect(p.TargetParameters).toEqual({ LambdaFunctionParameters: { InvocationType: 'REQUEST_RESPONSE' } });
        } else {
          expect(p.Target).toEqual(getAttArn(busId()));
          expect(p.TargetParameters).toEqual({
            EventBridgeEventBusParameters: { Source: spec.target.source, DetailType: spec.target.detailType, Time: spec.target.time },
            InputTemplate: spec.target.inputTemplate,
          });
        }
        expect(p.KmsKeyIdentifier).toEqual(getAttArn(keyId()));
      },
    );

    it.each(pipeEntries)('gives pipe %s a role of its own that may do only what the pipe does', (pipeId, spec) => {
      const p = wired(`pipes.${pipeId}`)[1].Properties;
      const roleId = targetOf(p.RoleArn)!;
      expect(resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Principal: { Service: 'pipes.amazonaws.com' }, Action: 'sts:AssumeRole' }),
      ]);
      const statements = statementsOfRole(roleId);
      const byAction = Object.fromEntries(statements.flatMap((s) => asArray<string>(s.Action).map((a) => [a, asArray(s.Resource)])));
      const toBus = spec.target.kind === 'eventBus';
      expect(Object.keys(byAction).sort()).toEqual(
        [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
          ...(toBus ? ['events:PutEvents'] : []),
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:GenerateDataKey',
          'lambda:InvokeFunction',
          'sqs:SendMessage',
        ].sort(),
      );
      expect(byAction['dynamodb:GetRecords']).toEqual([p.Source]);
      // Exactly the enrichment and, for a function target, that function.
      expect(byAction['lambda:InvokeFunction']).toEqual(toBus ? [p.Enrichment] : [p.Enrichment, p.Target]);
      if (toBus) expect(byAction['events:PutEvents']).toEqual([p.Target]);
      expect(byAction['sqs:SendMessage']).toEqual([p.SourceParameters.DynamoDBStreamParameters.DeadLetterConfig.Arn]);
      expect(byAction['kms:Decrypt']).toEqual([getAttArn(keyId())]);
      expect(
        (functions[spec.enrichment] as FunctionSpec).publishesEvents,
        'the enrichment only answers; the pipe puts the events',
      ).toBeUndefined();
    });

    it('leaves no order event to a publish after a write: only functions that publish other events may put events', () => {
      const publishers = functionEntries.filter(([, spec]) => spec.publishesEvents).map(([id]) => id);
      expect(publishers).toEqual(['fanOutOrderStatus']);
    });

    it('reads no table stream with more than two pipes (DynamoDB Streams serves two readers per shard)', () => {
      const perTable = new Map<string, number>();
      for (const [, spec] of pipeEntries) perTable.set(spec.source.table, (perTable.get(spec.source.table) ?? 0) + 1);
      expect(Math.max(...perTable.values())).toBeLessThanOrEqual(MAX_PIPES_PER_STREAM);
      expect(MAX_PIPES_PER_STREAM).toBe(2);
      // Deployed: every pipe's source is one of those streams.
      const sources = ofType('AWS::Pipes::Pipe').map(([, r]) => JSON.stringify(r.Properties.Source));
      for (const source of new Set(sources)) expect(sources.filter((s) => s === source).length).toBeLessThanOrEqual(2);
    });
  });

  describe('schedules', () => {
    it.each(scheduleEntries)('runs schedule %s at its rate, invoking its function with {schedule, intervalSeconds}', (scheduleId, spec) => {
      const [, schedule] = wired(`schedules.${scheduleId}`);
      const p = schedule.Properties;
      expect(p.ScheduleExpression).toBe(`rate(${spec.rateMinutes} minute${spec.rateMinutes === 1 ? '' : 's'})`);
      expect(p.State).toBe('ENABLED');
      expect(p.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
      const fnId = functionByEntry(functions[spec.target].entry);
      expect(p.Target.Arn).toEqual(getAttArn(fnId));
      expect(JSON.parse(p.Target.Input)).toEqual({ schedule: scheduleId, intervalSeconds: spec.rateMinutes * 60 });
      expect(p.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: spec.rateMinutes * 60 });
      // The scheduler's role may invoke the target function and nothing else.
      const statements = statementsOfRole(targetOf(p.Target.RoleArn)!);
      expect(allActions(statements)).toEqual(new Set(['lambda:InvokeFunction']));
      expect(
        statements
          .flatMap((st) => asArray(st.Resource))
          .every((r: Json) => targetOf(r) === fnId || targetOf(r['Fn::Join']?.[1]?.[0]) === fnId),
      ).toBe(true);
    });

    it('has no schedule that wiring.ts does not list', () => {
      expect(ofType('AWS::Scheduler::Schedule')).toHaveLength(scheduleEntries.length);
    });
  });

  describe('IAM', () => {
    it('grants Resource "*" only for actions that cannot be scoped', () => {
      const wildcard = ofType('AWS::IAM::Policy')
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
        .filter((s) => asArray(s.Resource).includes('*'))
        .flatMap((s) => asArray<string>(s.Action));
      expect(wildcard.filter((a) => !WILDCARD_ONLY_ACTIONS.has(a))).toEqual([]);
    });

    it.each(functionEntries)('gives %s DynamoDB access to its tables only, writes only where the spec says readWrite', (fnId, spec) => {
      const statements = statementsOfFunction(fnId).filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('dynamodb:')));
      const tableIdByLogicalId = new Map(tableEntries.map(([id]) => [wired(`tables.${id}`)[0], id]));
      // A table's indexes (`<table ARN>/index/*`) count as that table.
      const tableOf = (r: Json) => tableIdByLogicalId.get(targetOf(r) ?? targetOf(r['Fn::Join']?.[1]?.[0]) ?? '');
      const touched = new Set(statements.flatMap((s) => asArray(s.Resource)).map(tableOf));
      expect([...touched].sort()).toEqual(Object.keys(spec.tables).sort());
      for (const [tableId, access] of Object.entries(spec.tables) as [TableId, string][]) {
        const actions = actionsOn(statements, (r) => targetOf(r) === wired(`tables.${tableId}`)[0]);
        expect(actions.has('dynamodb:GetItem'), `${tableId} readable`).toBe(true);
        expect(actions.has('dynamodb:PutItem'), `${tableId} writable`).toBe(access === 'readWrite');
      }
    });

    it('lets only the functions whose spec says publishesEvents put events, and only on the regional bus', () => {
      for (const [fnId, spec] of functionEntries) {
        const statements = statementsOfFunction(fnId);
        expect(allActions(statements).has('events:PutEvents'), fnId).toBe(Boolean(spec.publishesEvents));
        expect(actionsOn(statements, (r) => targetOf(r) === busId()).has('events:PutEvents'), fnId).toBe(Boolean(spec.publishesEvents));
      }
    });

    it('lets each function start exactly the state machines its spec names, by their deterministic ARNs', () => {
      for (const [fnId, spec] of functionEntries) {
        const started = statementsOfFunction(fnId)
          .filter((s) => asArray(s.Action).includes('states:StartExecution'))
          .flatMap((s) => asArray(s.Resource).map(render));
        expect(started.sort(), fnId).toEqual((spec.startsStateMachines ?? []).map(stateMachineArn).sort());
      }
    });

    it('lets only the functions whose spec says readsExecutionsOf describe executions, of exactly those state machines', () => {
      for (const [fnId, spec] of functionEntries) {
        const described = statementsOfFunction(fnId)
          .filter((s) => asArray(s.Action).includes('states:DescribeExecution'))
          .flatMap((s) => asArray(s.Resource).map(render));
        const executionsOf = (smId: StateMachineId) => `${stateMachineArn(smId).replace(':stateMachine:', ':execution:')}:*`;
        expect(described.sort(), fnId).toEqual((spec.readsExecutionsOf ?? []).map(executionsOf).sort());
      }
    });

    it('lets no function answer task tokens (the Saga runs as EXPRESS segments; the payment wait is order state)', () => {
      for (const [fnId] of functionEntries) {
        const statements = statementsOfFunction(fnId);
        for (const action of TASK_RESULT_ACTIONS) expect(allActions(statements).has(action), `${fnId} ${action}`).toBe(false);
      }
    });

    it('lets only the functions whose spec says publishesAlerts publish to the low-stock topic, and tells them its ARN', () => {
      const [topicId] = ofType('AWS::SNS::Topic').find(([, t]) => t.Properties.TopicName === 'low-stock-alerts')!;
      for (const [fnId, spec] of functionEntries) {
        const statements = statementsOfFunction(fnId);
        expect(allActions(statements).has('sns:Publish'), fnId).toBe(Boolean(spec.publishesAlerts));
        if (spec.publishesAlerts) {
          expect(actionsOn(statements, (r) => targetOf(r) === topicId).has('sns:Publish'), fnId).toBe(true);
          expect(resources[functionIdOf(fnId)]!.Properties.Environment.Variables[ALERT_TOPIC_ENV]).toEqual(refTo(topicId));
        }
      }
    });

    it('lets only the functions whose spec says readsWebhookSecret read the webhook secrets, one per provider, each named by its env var', () => {
      const secrets = ofType('AWS::SecretsManager::Secret');
      expect(secrets).toHaveLength(paymentProviders.length);
      for (const [fnId, spec] of functionEntries) {
        const statements = statementsOfFunction(fnId);
        expect(allActions(statements).has('secretsmanager:GetSecretValue'), fnId).toBe(Boolean(spec.readsWebhookSecret));
        if (!spec.readsWebhookSecret) continue;
        const env = resources[functionIdOf(fnId)]!.Properties.Environment.Variables;
        const named = paymentProviders.map((provider) => targetOf(env[webhookSecretEnv(provider)]));
        expect(new Set(named), fnId).toEqual(new Set(secrets.map(([id]) => id)));
        for (const secretId of named)
          expect(actionsOn(statements, (r) => targetOf(r) === secretId).has('secretsmanager:GetSecretValue'), `${fnId} ${secretId}`).toBe(
            true,
          );
      }
    });

    it('rotates every webhook secret every 30 days with the rotation function, which may touch only those secrets', () => {
      const schedules = ofType('AWS::SecretsManager::RotationSchedule').map(([, r]) => r.Properties);
      const secretIds = ofType('AWS::SecretsManager::Secret').map(([id]) => id);
      expect(schedules.map((p) => targetOf(p.SecretId)).sort()).toEqual([...secretIds].sort());
      const rotationFn = functionByEntry(ROTATION_ENTRY);
      for (const p of schedules) {
        expect(p.RotationLambdaARN).toEqual(getAttArn(rotationFn));
        expect(p.RotationRules).toEqual({ ScheduleExpression: 'rate(30 days)' });
      }
      const statements = statementsOfRole(targetOf(resources[rotationFn]!.Properties.Role)!).filter((st) =>
        allActions([st]).has('secretsmanager:PutSecretValue'),
      );
      expect(new Set(statements.flatMap((st) => asArray(st.Resource)).map(targetOf))).toEqual(new Set(secretIds));
      expect(ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties)).toContainEqual(
        expect.objectContaining({ FunctionName: getAttArn(rotationFn), Principal: 'secretsmanager.amazonaws.com' }),
      );
    });

    it.each(functionEntries)(
      'gives %s DynamoDB actions listed one by one: no wildcard, BatchWriteItem, DeleteItem or Scan unless its spec says so',
      (fnId, spec) => {
        const statements = statementsOfFunction(fnId).filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('dynamodb:')));
        const actions = allActions(statements);
        for (const action of actions) expect(action, fnId).not.toContain('*');
        expect(actions.has('dynamodb:BatchWriteItem'), fnId).toBe(false);
        for (const [tableId] of Object.entries(spec.tables) as [TableId, string][]) {
          const onTable = actionsOn(statements, (r) => targetOf(r) === wired(`tables.${tableId}`)[0]);
          expect(onTable.has('dynamodb:DeleteItem'), `${fnId} deletes from ${tableId}`).toBe(Boolean(spec.deletesFrom?.includes(tableId)));
          expect(onTable.has('dynamodb:Scan'), `${fnId} scans ${tableId}`).toBe(Boolean(spec.scans?.includes(tableId)));
        }
        const indexResources = statements
          .flatMap((st) => asArray(st.Resource))
          .filter((r: Json) => r['Fn::Join'])
          .map((r: Json) => r['Fn::Join'][1][1]);
        const expectedIndexes = Object.values(spec.queriesIndexes ?? {}).flatMap((names) => (names ?? []).map((n) => `/index/${n}`));
        expect(indexResources.sort(), fnId).toEqual(expectedIndexes.sort());
      },
    );

    it.each(functionEntries)('gives %s its own role: logs only to its own log group, no AWS managed policy', (fnId) => {
      const fn = resources[functionIdOf(fnId)]!.Properties;
      const role = resources[targetOf(fn.Role)!]!;
      expect(role.Properties.ManagedPolicyArns, fnId).toBeUndefined();
      const logStatements = statementsOfRole(targetOf(fn.Role)!).filter((st) =>
        asArray<string>(st.Action).some((a) => a.startsWith('logs:')),
      );
      expect(
        logStatements.flatMap((st) => asArray(st.Resource)),
        fnId,
      ).toEqual([getAttArn(targetOf(fn.LoggingConfig.LogGroup)!)]);
    });
  });

  describe('live status (WebSocket API)', () => {
    const wsRouteEntries = Object.entries(webSocketRoutes) as [string, FunctionId][];

    it.each(wsRouteEntries)('routes %s to %s through a Lambda proxy integration it may invoke', (routeKey, fnId) => {
      const [, route] = wired(`webSocketRoutes.${routeKey}`);
      expect(route.Properties).toMatchObject({ ApiId: refTo(apiIdOf('WEBSOCKET')), RouteKey: routeKey });
      const integration = resources[route.Properties.Target['Fn::Join'][1][1].Ref as string]!.Properties;
      const fnLogicalId = functionByEntry(functions[fnId].entry);
      expect(integration.IntegrationType).toBe('AWS_PROXY');
      expect(JSON.stringify(integration.IntegrationUri)).toContain(JSON.stringify(getAttArn(fnLogicalId)));
      const permissions = ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
      expect(permissions).toContainEqual(
        expect.objectContaining({ FunctionName: getAttArn(fnLogicalId), Principal: 'apigateway.amazonaws.com' }),
      );
    });

    it('has no WebSocket route that wiring.ts does not list, and serves them on an auto-deployed stage whose wss:// URL is an output', () => {
      expect(
        ofApi('AWS::ApiGatewayV2::Route', 'WEBSOCKET')
          .map(([, r]) => r.Properties.RouteKey)
          .sort(),
      ).toEqual(Object.keys(webSocketRoutes).sort());
      const stages = ofApi('AWS::ApiGatewayV2::Stage', 'WEBSOCKET').map(([, st]) => st.Properties);
      expect(stages).toEqual([expect.objectContaining({ AutoDeploy: true, StageName: expect.any(String) })]);
      const outputs = JSON.stringify(Object.values(template.toJSON().Outputs as Record<string, Json>).map((o) => o.Value));
      expect(outputs).toContain(`"wss://",{"Ref":"${apiIdOf('WEBSOCKET')}"}`);
    });

    it('gives exactly the postsToConnections functions the stage’s management endpoint and ManageConnections on that stage', () => {
      const wsApi = refTo(apiIdOf('WEBSOCKET'));
      const [, stage] = ofApi('AWS::ApiGatewayV2::Stage', 'WEBSOCKET')[0]!;
      for (const [fnId, spec] of functionEntries) {
        const endpoint = resources[functionIdOf(fnId)]!.Properties.Environment.Variables[WEBSOCKET_ENDPOINT_ENV];
        const grants = statementsOfFunction(fnId).filter((st) => asArray(st.Action).includes('execute-api:ManageConnections'));
        if (!spec.postsToConnections) {
          expect(endpoint, fnId).toBeUndefined();
          expect(grants, fnId).toEqual([]);
          continue;
        }
        const parts = endpoint['Fn::Join'][1] as Json[];
        expect(parts, fnId).toEqual(expect.arrayContaining(['https://', wsApi, `/${stage.Properties.StageName}`]));
        const scope = JSON.stringify(grants.flatMap((st) => asArray(st.Resource)));
        expect(scope, fnId).toContain(JSON.stringify(wsApi));
        expect(scope, fnId).toContain(`/${stage.Properties.StageName}/*/@connections/*`);
      }
    });

    it('pushes on every order status event (placed, paid, cancelled, refunded, fulfilled, needs attention) from the orders stream, not the bus', () => {
      expect(ruleEntries.filter(([, r]) => (functions[r.target] as FunctionSpec).postsToConnections)).toEqual([]);
      const pushers = pipeEntries.filter(
        ([, spec]) => spec.target.kind === 'function' && (functions[spec.target.function] as FunctionSpec).postsToConnections,
      );
      expect(pushers.map(([id]) => id)).toEqual(['orderStatusFanOut']);
      const [pipeId, spec] = pushers[0]!;
      const p = wired(`pipes.${pipeId}`)[1].Properties;
      expect(p.Target).toEqual(getAttArn(functionByEntry(functions.fanOutOrderStatus.entry)));
      // The outbox's filter and enrichment: every change that means one of these events reaches the pusher.
      expect(spec.filters).toBe(pipes.orderEvents.filters);
      expect([...LIVE_STATUS_EVENT_TYPES].sort()).toEqual([
        'OrderCancelled',
        'OrderFulfilled',
        'OrderNeedsAttention',
        'OrderPaid',
        'OrderPlaced',
        'OrderRefunded',
      ]);
    });

    it('keeps connections only as long as the stack (ephemeral, with a TTL)', () => {
      const [, table] = wired('tables.connections');
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: tables.connections.ttlAttribute, Enabled: true });
    });
  });

  describe('identity and abuse protection', () => {
    const httpRoutes = () => ofApi('AWS::ApiGatewayV2::Route', 'HTTP').map(([, r]) => r.Properties);
    const jwtAuthorizerId = () => {
      const authorizers = ofApi('AWS::ApiGatewayV2::Authorizer', 'HTTP');
      expect(authorizers, 'HTTP API authorizers').toHaveLength(1);
      return authorizers[0]![0];
    };

    it('has one JWT authorizer trusting the identity stack: issuer and app client ids from its SSM parameters, bearer header', () => {
      const p = resources[jwtAuthorizerId()]!.Properties;
      expect(p).toMatchObject({ AuthorizerType: 'JWT', IdentitySource: ['$request.header.Authorization'] });
      expect(p.JwtConfiguration.Issuer).toEqual(refTo(ssmParameterId(sharedParameters.jwtIssuer)));
      const audienceParameter = refTo(ssmParameterId(sharedParameters.jwtAudience));
      expect(p.JwtConfiguration.Audience).toEqual(
        Array.from({ length: APP_CLIENT_COUNT }, (_, i) => ({ 'Fn::Select': [i, { 'Fn::Split': [',', audienceParameter] }] })),
      );
    });

    it.each(routes.filter((r) => r.auth.kind === 'jwt').map((r) => [`${r.method} ${r.path}`] as const))(
      'puts the JWT authorizer on "%s"',
      (routeKey) => {
        expect(httpRoutes().find((r) => r.RouteKey === routeKey)).toMatchObject({
          AuthorizationType: 'JWT',
          AuthorizerId: refTo(jwtAuthorizerId()),
        });
      },
    );

    it('leaves exactly the signature routes (the payment webhook) without an authorizer', () => {
      const open = httpRoutes().filter((r) => r.AuthorizationType !== 'JWT');
      for (const route of open) expect(route.AuthorizerId).toBeUndefined();
      expect(open.map((r) => r.RouteKey).sort()).toEqual(
        routes
          .filter((r) => r.auth.kind === 'signature')
          .map((r) => `${r.method} ${r.path}`)
          .sort(),
      );
      expect(open.map((r) => r.RouteKey)).toContain('POST /v1/payments/webhook/{provider}');
    });

    it('throttles every route as the wiring says (stage route settings, after the routes exist), under the stage default', () => {
      const [stageId, stage] = ofApi('AWS::ApiGatewayV2::Stage', 'HTTP')[0]!;
      const settings = stage.Properties.RouteSettings as Record<string, Json>;
      expect(Object.keys(settings).sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
      for (const route of routes) {
        expect(settings[`${route.method} ${route.path}`], `${route.method} ${route.path}`).toEqual({
          ThrottlingRateLimit: route.throttle.rateLimit,
          ThrottlingBurstLimit: route.throttle.burstLimit,
          DetailedMetricsEnabled: true,
        });
      }
      const dependsOn = new Set(asArray((resources[stageId] as Json).DependsOn));
      for (const [routeId] of ofApi('AWS::ApiGatewayV2::Route', 'HTTP')) expect(dependsOn.has(routeId), routeId).toBe(true);
      expect(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    });

    it('bursts a route at most as far as its function has reserved concurrency: the gateway sheds with 429 before Lambda throttles', () => {
      for (const route of routes) {
        const reserved = (functions[route.function] as { reservedConcurrency?: number }).reservedConcurrency;
        if (reserved !== undefined) expect(route.throttle.burstLimit, `${route.method} ${route.path}`).toBeLessThanOrEqual(reserved);
      }
    });

    it.each(functionEntries)('gives %s the reserved concurrency its spec asks for (none otherwise)', (fnId, spec) => {
      expect(resources[functionIdOf(fnId)]!.Properties.ReservedConcurrentExecutions).toBe(spec.reservedConcurrency);
    });

    it('reserves concurrency for create-order and the payment webhook', () => {
      expect(resources[functionIdOf('createOrder')]!.Properties.ReservedConcurrentExecutions).toBeGreaterThan(0);
      expect(resources[functionIdOf('paymentWebhook')]!.Properties.ReservedConcurrentExecutions).toBeGreaterThan(0);
    });

    it('fronts the HTTP API with CloudFront using the shared WAF web ACL: HTTPS only, nothing cached, access logs on', () => {
      const distributions = ofType('AWS::CloudFront::Distribution').map(([, d]) => d.Properties.DistributionConfig);
      expect(distributions).toHaveLength(1);
      const config = distributions[0]!;
      expect(config.WebACLId).toEqual(refTo(ssmParameterId(sharedParameters.webAclArn)));
      expect(JSON.stringify(config.Origins[0].DomainName)).toContain(JSON.stringify(refTo(apiIdOf('HTTP'))));
      expect(config.Origins[0].CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
      expect(config.DefaultCacheBehavior).toMatchObject({
        ViewerProtocolPolicy: 'https-only',
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      });
      expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'PUT', 'POST']));
      expect(config.Logging.Bucket).toBeDefined();
    });

    it('protects the WebSocket $connect with the REQUEST authorizer on ?token= and throttles the stage', () => {
      const authorizers = ofApi('AWS::ApiGatewayV2::Authorizer', 'WEBSOCKET');
      expect(authorizers).toHaveLength(1);
      const [authorizerId, authorizer] = authorizers[0]!;
      expect(authorizer.Properties).toMatchObject({ AuthorizerType: 'REQUEST', IdentitySource: [webSocketAuthorizer.identitySource] });
      const fnLogicalId = functionByEntry(functions[webSocketAuthorizer.function].entry);
      expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(JSON.stringify(getAttArn(fnLogicalId)));
      const wsRoutes = ofApi('AWS::ApiGatewayV2::Route', 'WEBSOCKET').map(([, r]) => r.Properties);
      expect(wsRoutes.find((r) => r.RouteKey === '$connect')).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: refTo(authorizerId),
      });
      for (const route of wsRoutes.filter((r) => r.RouteKey !== '$connect')) expect(route.AuthorizerId, route.RouteKey).toBeUndefined();
      const [, stage] = ofApi('AWS::ApiGatewayV2::Stage', 'WEBSOCKET')[0]!;
      expect(stage.Properties.DefaultRouteSettings).toMatchObject({
        ThrottlingRateLimit: LIVE_THROTTLE.rateLimit,
        ThrottlingBurstLimit: LIVE_THROTTLE.burstLimit,
      });
    });
  });

  describe('encryption (one customer-managed key per stack)', () => {
    it('rotates the stack key and lets CloudWatch Logs of this account and region use it', () => {
      const key = resources[keyId()]!.Properties;
      expect(key.EnableKeyRotation).toBe(true);
      const logs = (key.KeyPolicy.Statement as Json[]).find((st) => st.Principal?.Service === `logs.${stack.region}.amazonaws.com`);
      expect(logs, 'logs service statement').toBeDefined();
      expect(asArray(logs.Action)).toEqual(expect.arrayContaining(['kms:Encrypt*', 'kms:Decrypt*', 'kms:GenerateDataKey*']));
      expect(render(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toBe(
        `arn:aws:logs:${stack.region}:123456789012:log-group:*`,
      );
    });

    it.each(tableEntries)('encrypts table %s with the stack key', (tableId) => {
      const p = wired(`tables.${tableId}`)[1].Properties;
      expect(p.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      expect(asArray(p.Replicas).map((r: Json) => r.SSESpecification?.KMSMasterKeyId)).toEqual([getAttArn(keyId())]);
    });

    it('encrypts every topic, queue, log group, the bus, its archive and every state machine with the stack key', () => {
      const key = getAttArn(keyId());
      for (const [id, t] of ofType('AWS::SNS::Topic')) expect(t.Properties.KmsMasterKeyId, id).toEqual(key);
      for (const [id, q] of ofType('AWS::SQS::Queue')) expect(q.Properties.KmsMasterKeyId, id).toEqual(key);
      for (const [id, g] of ofType('AWS::Logs::LogGroup')) expect(g.Properties.KmsKeyId, id).toEqual(key);
      expect(resources[busId()]!.Properties.KmsKeyIdentifier).toEqual(key);
      for (const [id, a] of ofType('AWS::Events::Archive')) expect(a.Properties.KmsKeyIdentifier, id).toEqual(key);
      for (const [smId] of stateMachineEntries) {
        expect(wired(`stateMachines.${smId}`)[1].Properties.EncryptionConfiguration, smId).toMatchObject({
          Type: 'CUSTOMER_MANAGED_KMS_KEY',
          KmsKeyId: key,
        });
      }
    });

    it.each(functionEntries)('gives %s the key rights its data needs, without wildcards, on the stack key only', (fnId, spec) => {
      const statements = statementsOfFunction(fnId).filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('kms:')));
      const own = statements.filter((st) => !asArray<string>(st.Action).some((a) => a.includes('*')));
      for (const st of statements) expect(asArray(st.Resource), fnId).toEqual([getAttArn(keyId())]);
      const actions = allActions(own);
      const writes = Object.values(spec.tables).includes('readWrite');
      expect(actions.has('kms:Decrypt'), fnId).toBe(
        Object.keys(spec.tables).length > 0 || Boolean(spec.publishesAlerts || spec.readsExecutionsOf?.length),
      );
      if (writes || spec.startsStateMachines?.length || spec.publishesAlerts) expect(actions.has('kms:GenerateDataKey'), fnId).toBe(true);
    });
  });

  describe('observability', () => {
    it('has a dashboard covering API latency, saga failures, DynamoDB condition failures and throttling', () => {
      const dashboards = ofType('AWS::CloudWatch::Dashboard');
      expect(dashboards).toHaveLength(1);
      const body = JSON.stringify(dashboards[0]![1].Properties.DashboardBody);
      for (const metric of [
        'Latency',
        'ExecutionsFailed',
        'ExecutionsTimedOut',
        'ConditionalCheckFailedRequests',
        'ThrottledRequests',
        'WriteThrottleEvents',
        'Errors',
        'Throttles',
      ]) {
        expect(body, metric).toContain(metric);
      }
    });

    it('graphs the business metrics the functions publish: orders/min by status, revenue/min, saga outcomes, compensations, alerts', () => {
      // The body is a Fn::Join of JSON text around region Refs: its string parts are searchable text.
      const body = (ofType('AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody['Fn::Join'][1] as Json[])
        .filter((p) => typeof p === 'string')
        .join('');
      for (const title of ['Orders/min by status', 'Revenue/min', 'Saga outcomes/min', 'Compensation steps/min', 'Low-stock alerts/min'])
        expect(body, title).toContain(title);
      for (const metricName of Object.values(orderStatusMetric))
        expect(body, metricName).toContain(`["Wandian","${metricName}","service","wandian"`);
      expect(body).toContain(`["Wandian","${businessMetrics.compensations}","service","wandian"`);
      expect(body).toContain(`["Wandian","${businessMetrics.lowStockAlerts}","service","wandian"`);
      expect(body).toContain(`{Wandian,currency,service} MetricName=\\"${businessMetrics.revenue}\\"`);
    });

    it('alarms ops-alarms on any order parked in NEEDS_ATTENTION, create-order p99 above 350 ms and API p95 above 200 ms (PRODUCT.md)', () => {
      const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
      expect(alarms).toContainEqual(
        expect.objectContaining({
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          Metrics: [
            expect.objectContaining({
              MetricStat: expect.objectContaining({
                Metric: {
                  Namespace: 'Wandian',
                  MetricName: orderStatusMetric.NEEDS_ATTENTION,
                  Dimensions: [{ Name: 'service', Value: 'wandian' }],
                },
                Stat: 'Sum',
              }),
            }),
          ],
        }),
      );
      const create = routes.find((r) => r.function === 'createOrder')!;
      const httpApi = refTo(apiIdOf('HTTP'));
      expect(alarms).toContainEqual(
        expect.objectContaining({
          Threshold: 350,
          Metrics: [
            expect.objectContaining({
              MetricStat: expect.objectContaining({
                Stat: 'p99',
                Metric: expect.objectContaining({
                  Namespace: 'AWS/ApiGateway',
                  MetricName: 'Latency',
                  Dimensions: expect.arrayContaining([
                    { Name: 'ApiId', Value: httpApi },
                    { Name: 'Method', Value: create.method },
                    { Name: 'Resource', Value: create.path },
                  ]),
                }),
              }),
            }),
          ],
        }),
      );
      expect(alarms).toContainEqual(
        expect.objectContaining({
          Namespace: 'AWS/ApiGateway',
          MetricName: 'Latency',
          ExtendedStatistic: 'p95',
          Threshold: 200,
          Dimensions: [{ Name: 'ApiId', Value: httpApi }],
        }),
      );
    });

    it('alarms ops-alarms on any failed or timed-out saga execution, API 5xx and dead-lettered events', () => {
      const [topicId] = ofType('AWS::SNS::Topic').find(([, t]) => t.Properties.TopicName === 'ops-alarms')!;
      const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
      for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([refTo(topicId)]);
      for (const [smId] of stateMachineEntries) {
        const smRef = refTo(wired(`stateMachines.${smId}`)[0]);
        for (const metricName of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
          expect(alarms, `${smId} ${metricName}`).toContainEqual(
            expect.objectContaining({
              MetricName: metricName,
              Threshold: 0,
              ComparisonOperator: 'GreaterThanThreshold',
              Dimensions: [{ Name: 'StateMachineArn', Value: smRef }],
            }),
          );
        }
      }
      expect(alarms).toContainEqual(expect.objectContaining({ Namespace: 'AWS/ApiGateway', MetricName: '5xx' }));
      const queueIds = new Set(
        ruleEntries.map(([ruleId]) => targetOf(wired(`rules.${ruleId}`)[1].Properties.Targets[0].DeadLetterConfig.Arn)),
      );
      for (const [pipeId] of pipeEntries) {
        queueIds.add(targetOf(wired(`pipes.${pipeId}`)[1].Properties.SourceParameters.DynamoDBStreamParameters.DeadLetterConfig.Arn));
      }
      for (const queueId of queueIds) {
        expect(alarms, `${queueId} depth`).toContainEqual(
          expect.objectContaining({
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Threshold: 0,
            Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
          }),
        );
      }
    });
  });
});
