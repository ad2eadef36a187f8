/**
 * Proof that the synthesized CloudFormation and the local runtime agree: both read lib/wiring.ts,
 * and every expectation below is computed from wiring.ts, cdk.json or the ASL files on disk, never
 * copied from the template. Bundling is skipped, so handler code is not built here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addRegionalStacks, PAYMENT_TIMEOUT_CONTEXT, SALES_REGIONS_CONTEXT } from '../../lib/app.ts';
import { ENTRY_METADATA, WIRING_METADATA } from '../../lib/constructs/conventions.ts';
import { fromRepoRoot } from '../../lib/paths.ts';
import {
  EVENT_BUS_ENV,
  functions,
  routes,
  rules,
  stateMachines,
  tables,
  type FunctionId,
  type FunctionSpec,
  type RuleId,
  type RuleSpec,
  type StateMachineId,
  type StateMachineSpec,
  type TableId,
  type TableSpec,
} from '../../lib/wiring.ts';

type Json = any; // CloudFormation fragments are untyped JSON.
interface CfnResource {
  Type: string;
  Properties?: Json;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
}

const cdkContext = JSON.parse(readFileSync(fromRepoRoot('cdk.json'), 'utf8')).context as Record<string, unknown>;
const salesRegions = cdkContext[SALES_REGIONS_CONTEXT] as Record<string, string>;
const awsRegions = [...new Set(Object.values(salesRegions))];
const paymentTimeoutSeconds = String(cdkContext[PAYMENT_TIMEOUT_CONTEXT] ?? 900);

const functionEntries = Object.entries(functions) as [FunctionId, FunctionSpec][];
const tableEntries = Object.entries(tables) as [TableId, TableSpec][];
const stateMachineEntries = Object.entries(stateMachines) as [StateMachineId, StateMachineSpec][];
const ruleEntries = Object.entries(rules) as [RuleId, RuleSpec][];

/** Actions that only exist on Resource "*" (X-Ray; CloudWatch Logs vended delivery used by Step Functions logging). */
const WILDCARD_ONLY_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);
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
  const stateMachineArn = (smId: StateMachineId) => `arn:aws:states:${stack.region}:${PSEUDO['AWS::AccountId']}:stateMachine:${stateMachineName(smId)}`;

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
        Timeout: spec.timeoutSeconds ?? 10,
      });
    });

    it('runs every Lambda function of the stack on nodejs22.x', () => {
      for (const [id, fn] of ofType('AWS::Lambda::Function')) expect(fn.Properties.Runtime, id).toBe('nodejs22.x');
    });

    it.each(functionEntries)('gives %s exactly the environment its spec asks for', (fnId, spec) => {
      const env = resources[functionIdOf(fnId)]!.Properties.Environment.Variables as Record<string, Json>;
      const ownSalesRegions = Object.keys(salesRegions).filter((s) => salesRegions[s] === stack.region);
      expect(env).toMatchObject({
        [EVENT_BUS_ENV]: refTo(busId()),
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
      expect('PAYMENT_WEBHOOK_SECRET_ARN' in env).toBe(Boolean(spec.readsWebhookSecret));
    });
  });

  describe('HTTP API', () => {
    it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('routes "%s" to its function with payload format 2.0', (routeKey, route) => {
      const matches = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.RouteKey === routeKey);
      expect(matches).toHaveLength(1);
      const integrationId = matches[0]![1].Properties.Target['Fn::Join'][1][1].Ref as string;
      const integration = resources[integrationId]!.Properties;
      const fnId = functionByEntry(functions[route.function].entry);
      expect(integration).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: getAttArn(fnId) });
      const permissions = ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
      expect(permissions).toContainEqual(expect.objectContaining({ FunctionName: getAttArn(fnId), Principal: 'apigateway.amazonaws.com' }));
    });

    it('has no route that wiring.ts does not list', () => {
      expect(ofType('AWS::ApiGatewayV2::Route')).toHaveLength(routes.length);
    });

    it('serves a throttled, access-logged $default stage and outputs its URL', () => {
      const stages = ofType('AWS::ApiGatewayV2::Stage').map(([, st]) => st.Properties);
      expect(stages).toEqual([
        expect.objectContaining({
          StageName: '$default',
          AutoDeploy: true,
          DefaultRouteSettings: { ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number) },
          AccessLogSettings: { DestinationArn: expect.anything(), Format: expect.stringContaining('$context.requestId') },
        }),
      ]);
      const outputs = Object.values(template.toJSON().Outputs as Record<string, Json>);
      expect(JSON.stringify(outputs.map((o) => o.Value))).toContain(`.execute-api.${stack.region}.`);
    });
  });

  describe('sagas', () => {
    it.each(stateMachineEntries)('defines %s from its ASL file with every ${placeholder} mapped to the right function ARN', (smId, spec) => {
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
    });

    it.each(stateMachineEntries)('runs %s as a traced STANDARD workflow that logs errors without execution data', (smId) => {
      expect(wired(`stateMachines.${smId}`)[1].Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
      });
    });

    it.each(stateMachineEntries)('lets %s invoke exactly the functions its ASL names', (smId, spec) => {
      const [, sm] = wired(`stateMachines.${smId}`);
      const statements = statementsOfRole(targetOf(sm.Properties.RoleArn)!).filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'));
      const invoked = new Set(statements.flatMap((s) => asArray(s.Resource)).map((r) => targetOf(r) ?? targetOf(r['Fn::Join']?.[1]?.[0])));
      const expected = new Set(Object.values(spec.functionSubstitutions).map((fnId) => functionByEntry(functions[fnId as FunctionId].entry)));
      expect(invoked).toEqual(expected);
    });
  });

  describe('events', () => {
    it.each(ruleEntries)('matches rule %s with the wiring pattern on the regional bus and targets its function with a dead-letter queue', (ruleId, spec) => {
      const [ruleLogicalId, rule] = wired(`rules.${ruleId}`);
      expect(rule.Properties.EventPattern).toEqual(spec.eventPattern);
      expect(rule.Properties.EventBusName).toEqual(refTo(busId()));
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
        expect.objectContaining({ FunctionName: getAttArn(fnId), Principal: 'events.amazonaws.com', SourceArn: getAttArn(ruleLogicalId) }),
      );
    });

    it('names the bus wandian-<region>', () => {
      expect(resources[busId()]!.Properties.Name).toBe(`wandian-${stack.region}`);
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
      const touched = new Set(statements.flatMap((s) => asArray(s.Resource)).map((r) => tableIdByLogicalId.get(targetOf(r) ?? '')));
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

    it('lets only the functions whose spec says sendsTaskResults answer order saga task tokens', () => {
      for (const [fnId, spec] of functionEntries) {
        const statements = statementsOfFunction(fnId);
        for (const action of TASK_RESULT_ACTIONS) expect(allActions(statements).has(action), `${fnId} ${action}`).toBe(Boolean(spec.sendsTaskResults));
        const scope = statements.filter((s) => asArray(s.Action).includes('states:SendTaskSuccess')).flatMap((s) => asArray(s.Resource).map(render));
        expect(scope, fnId).toEqual(spec.sendsTaskResults ? [stateMachineArn('orderSaga')] : []);
      }
    });

    it('lets only the functions whose spec says readsWebhookSecret read the webhook secret', () => {
      const [secretId] = ofType('AWS::SecretsManager::Secret')[0]!;
      for (const [fnId, spec] of functionEntries) {
        const statements = statementsOfFunction(fnId);
        expect(allActions(statements).has('secretsmanager:GetSecretValue'), fnId).toBe(Boolean(spec.readsWebhookSecret));
        if (spec.readsWebhookSecret) {
          expect(actionsOn(statements, (r) => targetOf(r) === secretId).has('secretsmanager:GetSecretValue'), fnId).toBe(true);
          expect(resources[functionIdOf(fnId)]!.Properties.Environment.Variables.PAYMENT_WEBHOOK_SECRET_ARN).toEqual(refTo(secretId));
        }
      }
    });
  });

  describe('observability', () => {
    it('has a dashboard covering API latency, saga failures, DynamoDB condition failures and throttling', () => {
      const dashboards = ofType('AWS::CloudWatch::Dashboard');
      expect(dashboards).toHaveLength(1);
      const body = JSON.stringify(dashboards[0]![1].Properties.DashboardBody);
      for (const metric of ['Latency', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ConditionalCheckFailedRequests', 'ThrottledRequests', 'WriteThrottleEvents', 'Errors', 'Throttles']) {
        expect(body, metric).toContain(metric);
      }
    });

    it('alarms ops-alarms on any failed or timed-out saga execution, API 5xx and dead-lettered events', () => {
      const [topicId] = ofType('AWS::SNS::Topic').find(([, t]) => t.Properties.TopicName === 'ops-alarms')!;
      const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
      for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([refTo(topicId)]);
      for (const [smId] of stateMachineEntries) {
        const smRef = refTo(wired(`stateMachines.${smId}`)[0]);
        for (const metricName of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
          expect(alarms, `${smId} ${metricName}`).toContainEqual(
            expect.objectContaining({ MetricName: metricName, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', Dimensions: [{ Name: 'StateMachineArn', Value: smRef }] }),
          );
        }
      }
      expect(alarms).toContainEqual(expect.objectContaining({ Namespace: 'AWS/ApiGateway', MetricName: '5xx' }));
      const queueIds = new Set(ruleEntries.map(([ruleId]) => targetOf(wired(`rules.${ruleId}`)[1].Properties.Targets[0].DeadLetterConfig.Arn)));
      for (const queueId of queueIds) {
        expect(alarms, `${queueId} depth`).toContainEqual(
          expect.objectContaining({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }] }),
        );
      }
    });
  });
});
