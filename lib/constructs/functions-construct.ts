import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Grant, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { paymentProviders, type PaymentProvider } from '../../src/payments/webhook-secret-env.ts';
import { functions, tables, type FunctionId, type FunctionSpec, type PrincipalLimitId, type TableAccess, type TableId } from '../wiring.ts';
import { DYNAMODB_ACTIONS, functionEnvironment } from '../function-environment.ts';
import { markWiring } from './conventions.ts';
import { createLambda } from './lambda.ts';
import { stateMachineArn, stateMachineName } from './saga-construct.ts';

export { functionSettings } from './lambda.ts';

export { DYNAMODB_ACTIONS };

/** KMS actions on the stack key that reading or writing encrypted data needs (DynamoDB, SNS, Step Functions). */
const KMS_READ = ['kms:Decrypt', 'kms:DescribeKey'];
const KMS_WRITE = ['kms:Encrypt', 'kms:GenerateDataKey'];

/** Token settings every function receives (WANDIAN_JWT_ISSUER, WANDIAN_JWT_AUDIENCE). */
export interface TokenSettings {
  /** Issuer URL of the chain's user pool. */
  readonly issuer: string;
  /** Accepted app client ids, comma-separated. */
  readonly audience: string;
}

/** Properties of {@link FunctionsConstruct}. */
export interface FunctionsConstructProps {
  /** Every wiring table by id; a function gets the name and rights of those its spec lists. */
  readonly tables: Record<TableId, ITableV2>;
  /** The stack key that encrypts tables, topics, state machines and log groups. */
  readonly key: IKey;
  /** The regional bus (`EVENT_BUS_NAME`; PutEvents for `publishesEvents`). */
  readonly eventBus: IEventBus;
  /** Webhook HMAC key per provider (`PAYMENT_WEBHOOK_SECRET_ARN_<PROVIDER>`; read for `readsWebhookSecret`). */
  readonly webhookSecrets: Record<PaymentProvider, ISecret>;
  /** Sales regions this stack serves (`WANDIAN_SALES_REGIONS`, comma-separated). */
  readonly salesRegions: readonly string[];
  /** Seconds an order waits for payment (`WANDIAN_PAYMENT_TIMEOUT_SECONDS`). */
  readonly paymentTimeoutSeconds: number;
  /** The trusted issuer and client ids. */
  readonly tokens: TokenSettings;
  /** Requests per minute per principal, by limit (cdk.json `wandian:principalLimits`; default from the wiring). */
  readonly principalLimitsPerMinute?: Partial<Record<PrincipalLimitId, number>>;
}

/**
 * One Lambda function per `functions` entry of lib/wiring.ts, with exactly the environment and
 * rights its spec asks for, each action listed: table names and read, write, delete or scan access (and the
 * stack key to decrypt and encrypt them), PutEvents on the bus, StartExecution, DescribeExecution and
 * task-token answers on the sagas, read access to the webhook secrets; its reserved concurrency if it has one.
 */
export class FunctionsConstruct extends Construct {
  /** Every wiring function by its id. */
  readonly functions: Record<FunctionId, NodejsFunction>;

  constructor(scope: Construct, id: string, props: FunctionsConstructProps) {
    super(scope, id);
    const ids = Object.keys(functions) as FunctionId[];
    this.functions = Object.fromEntries(ids.map((fnId) => [fnId, this.createFunction(fnId, functions[fnId], props)])) as Record<
      FunctionId,
      NodejsFunction
    >;
  }

  private createFunction(fnId: FunctionId, spec: FunctionSpec, props: FunctionsConstructProps): NodejsFunction {
    const fn = createLambda(this, fnId, {
      entry: spec.entry,
      description: spec.description,
      logKey: props.key,
      memoryMb: spec.memoryMb,
      timeoutSeconds: spec.timeoutSeconds,
      reservedConcurrency: spec.reservedConcurrency,
      // The same builder gives each local isolate its environment (local/lambda-runtime.ts). The alert topic
      // and the WebSocket endpoint are added by the constructs that own them (AlertsConstruct, LiveStatusConstruct).
      environment: {
        ...functionEnvironment(fnId, spec, {
          tableNames: Object.fromEntries(Object.entries(props.tables).map(([id, table]) => [id, table.tableName])),
          stateMachineArns: Object.fromEntries(
            [...(spec.startsStateMachines ?? []), ...(spec.readsExecutionsOf ?? [])].map((smId) => [smId, stateMachineArn(this, smId)]),
          ),
          busName: props.eventBus.eventBusName,
          webhookSecretArns: Object.fromEntries(paymentProviders.map((p) => [p, props.webhookSecrets[p].secretArn])),
          tokens: props.tokens,
          paymentTimeoutSeconds: props.paymentTimeoutSeconds,
          salesRegions: props.salesRegions,
          principalLimitsPerMinute: props.principalLimitsPerMinute,
        }),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    markWiring(fn, `functions.${fnId}`, spec.entry);
    const kmsActions = new Set<string>();

    for (const [tableId, access] of Object.entries(spec.tables) as [TableId, TableAccess][]) {
      const table = props.tables[tableId];
      const actions = [
        ...DYNAMODB_ACTIONS[access],
        ...(spec.deletesFrom?.includes(tableId) ? DYNAMODB_ACTIONS.delete : []),
        ...(spec.scans?.includes(tableId) ? DYNAMODB_ACTIONS.scan : []),
      ];
      // Query on an index needs the index ARN: only the indexes the spec says it queries, by name.
      const indexes = spec.queriesIndexes?.[tableId] ?? [];
      const declared = Object.keys((tables[tableId] as { globalSecondaryIndexes?: object }).globalSecondaryIndexes ?? {});
      for (const index of indexes)
        if (!declared.includes(index)) throw new Error(`functions.${fnId}: table ${tableId} has no index ${index}`);
      fn.addToRolePolicy(
        new PolicyStatement({ actions, resources: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index}`)] }),
      );
      for (const a of KMS_READ) kmsActions.add(a);
      if (access === 'readWrite') for (const a of KMS_WRITE) kmsActions.add(a);
    }
    for (const tableId of [...(spec.deletesFrom ?? []), ...(spec.scans ?? []), ...(Object.keys(spec.queriesIndexes ?? {}) as TableId[])]) {
      if (!(tableId in spec.tables))
        throw new Error(`functions.${fnId}: deletesFrom/scans/queriesIndexes names ${tableId}, which its tables do not list`);
    }
    if (spec.publishesEvents) props.eventBus.grantPutEventsTo(fn);
    for (const smId of spec.startsStateMachines ?? []) {
      Grant.addToPrincipal({ grantee: fn, actions: ['states:StartExecution'], resourceArns: [stateMachineArn(this, smId)] });
      kmsActions.add('kms:GenerateDataKey'); // execution input is encrypted with the stack key
    }
    for (const smId of spec.readsExecutionsOf ?? []) {
      const executions = Stack.of(this).formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${stateMachineName(this, smId)}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      Grant.addToPrincipal({ grantee: fn, actions: ['states:DescribeExecution'], resourceArns: [executions] });
      kmsActions.add('kms:Decrypt');
    }
    if (spec.publishesAlerts) for (const a of ['kms:Decrypt', 'kms:GenerateDataKey']) kmsActions.add(a);
    if (kmsActions.size) fn.addToRolePolicy(new PolicyStatement({ actions: [...kmsActions].sort(), resources: [props.key.keyArn] }));
    if (spec.readsWebhookSecret) {
      for (const provider of paymentProviders) {
        props.webhookSecrets[provider].grantRead(fn);
      }
    }
    return fn;
  }
}
