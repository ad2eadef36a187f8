import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { fromRepoRoot, repoRoot } from '../paths.ts';
import {
  EVENT_BUS_ENV,
  functions,
  stateMachines,
  tables,
  type FunctionId,
  type FunctionSpec,
  type StateMachineId,
  type TableAccess,
  type TableId,
} from '../wiring.ts';
import { LOG_RETENTION, markWiring } from './conventions.ts';
import { stateMachineArn, stateMachineName } from './saga-construct.ts';

/** Environment variable that carries the webhook secret's ARN to `readsWebhookSecret` functions. */
export const WEBHOOK_SECRET_ENV = 'PAYMENT_WEBHOOK_SECRET_ARN';

/** The state machine whose task tokens `sendsTaskResults` functions answer (wiring.ts: "on the order saga"). */
const TASK_TOKEN_STATE_MACHINE: StateMachineId = 'orderSaga';

/**
 * Settings every wandian function shares: Node 22 on Graviton, traced, bundled by the local esbuild
 * into one minified ESM file with a source map (no Docker, no runtime-provided SDK).
 */
export const functionSettings = {
  runtime: Runtime.NODEJS_22_X,
  architecture: Architecture.ARM_64,
  handler: 'handler',
  memorySize: 512,
  timeout: Duration.seconds(10),
  tracing: Tracing.ACTIVE,
  projectRoot: repoRoot,
  depsLockFilePath: fromRepoRoot('package-lock.json'),
  bundling: {
    format: OutputFormat.ESM,
    target: 'node22',
    minify: true,
    sourceMap: true,
    externalModules: [],
    mainFields: ['module', 'main'],
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: "import { createRequire as __wandianCreateRequire } from 'node:module'; const require = __wandianCreateRequire(import.meta.url);",
  },
} satisfies NodejsFunctionProps;

/** Properties of {@link FunctionsConstruct}. */
export interface FunctionsConstructProps {
  /** Every wiring table by id; a function gets the name and rights of those its spec lists. */
  readonly tables: Record<TableId, ITableV2>;
  /** The regional bus (`EVENT_BUS_NAME`; PutEvents for `publishesEvents`). */
  readonly eventBus: IEventBus;
  /** The payment webhook HMAC key (`PAYMENT_WEBHOOK_SECRET_ARN`; read for `readsWebhookSecret`). */
  readonly webhookSecret: ISecret;
  /** Sales regions this stack serves (`WANDIAN_SALES_REGIONS`, comma-separated). */
  readonly salesRegions: readonly string[];
  /** Seconds an order waits for payment (`WANDIAN_PAYMENT_TIMEOUT_SECONDS`). */
  readonly paymentTimeoutSeconds: number;
}

/**
 * One Lambda function per `functions` entry of lib/wiring.ts, with exactly the environment and
 * rights its spec asks for: table names and read or read-write access, PutEvents on the bus,
 * StartExecution, DescribeExecution and task-token answers on the sagas, read access to the webhook secret.
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
    const fn = new NodejsFunction(this, fnId, {
      ...functionSettings,
      entry: fromRepoRoot(spec.entry),
      description: spec.description,
      memorySize: spec.memoryMb ?? functionSettings.memorySize,
      timeout: spec.timeoutSeconds ? Duration.seconds(spec.timeoutSeconds) : functionSettings.timeout,
      logGroup: new LogGroup(this, `${fnId}Logs`, { retention: LOG_RETENTION }),
      environment: {
        [EVENT_BUS_ENV]: props.eventBus.eventBusName,
        POWERTOOLS_SERVICE_NAME: 'wandian',
        POWERTOOLS_METRICS_NAMESPACE: 'Wandian',
        WANDIAN_PAYMENT_TIMEOUT_SECONDS: String(props.paymentTimeoutSeconds),
        WANDIAN_SALES_REGIONS: props.salesRegions.join(','),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    markWiring(fn, `functions.${fnId}`, spec.entry);

    for (const [tableId, access] of Object.entries(spec.tables) as [TableId, TableAccess][]) {
      const table = props.tables[tableId];
      fn.addEnvironment(tables[tableId].envVar, table.tableName);
      if (access === 'readWrite') table.grantReadWriteData(fn);
      else table.grantReadData(fn);
    }
    if (spec.publishesEvents) props.eventBus.grantPutEventsTo(fn);
    for (const smId of spec.startsStateMachines ?? []) {
      fn.addEnvironment(stateMachines[smId].envVar, stateMachineArn(this, smId));
      Grant.addToPrincipal({ grantee: fn, actions: ['states:StartExecution'], resourceArns: [stateMachineArn(this, smId)] });
    }
    for (const smId of spec.readsExecutionsOf ?? []) {
      const executions = Stack.of(this).formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${stateMachineName(this, smId)}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      Grant.addToPrincipal({ grantee: fn, actions: ['states:DescribeExecution'], resourceArns: [executions] });
    }
    if (spec.sendsTaskResults) {
      Grant.addToPrincipal({
        grantee: fn,
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resourceArns: [stateMachineArn(this, TASK_TOKEN_STATE_MACHINE)],
      });
    }
    if (spec.readsWebhookSecret) {
      fn.addEnvironment(WEBHOOK_SECRET_ENV, props.webhookSecret.secretArn);
      props.webhookSecret.grantRead(fn);
    }
    return fn;
  }
}
