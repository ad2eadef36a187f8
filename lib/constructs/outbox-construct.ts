import { Duration, Stack } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_PIPES_PER_STREAM, pipes, type FunctionId, type PipeId, type PipeSpec, type TableId } from '../wiring.ts';
import { kebab, WIRING_METADATA } from './conventions.ts';
import { acknowledge } from './nag.ts';

/** Properties of {@link OutboxConstruct}. */
export interface OutboxConstructProps {
  readonly tables: Record<TableId, TableV2>;
  readonly functions: Record<FunctionId, IFunction>;
  readonly bus: IEventBus;
  /** The stack key: the tables' streams, the pipe's own data and the dead-letter queues are encrypted with it. */
  readonly key: IKey;
}

/**
 * The pipes: one EventBridge Pipe (`AWS::Pipes::Pipe`) per lib/wiring.ts `pipes` entry, from the source table's
 * stream through the filter patterns and the enrichment function to its target: the regional bus (the
 * transactional outbox) or a Lambda function (invoked synchronously with the batch), with a least-privilege role
 * of its own (read that stream, invoke the enrichment and a function target, put events on the bus only for a bus
 * target, send to its dead-letter queue, use the stack key) and a KMS-encrypted dead-letter queue for batches
 * that keep failing. Throws at synthesis if more than {@link MAX_PIPES_PER_STREAM} pipes read one stream.
 */
export class OutboxConstruct extends Construct {
  /** Pipes by wiring id. */
  readonly pipes: Partial<Record<PipeId, CfnPipe>> = {};
  /** One dead-letter queue per pipe (records of batches that failed every retry). */
  readonly deadLetterQueues: Partial<Record<PipeId, Queue>> = {};

  constructor(scope: Construct, id: string, props: OutboxConstructProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const entries = Object.entries(pipes) as [PipeId, PipeSpec][];
    for (const table of new Set(entries.map(([, spec]) => spec.source.table))) {
      const readers = entries.filter(([, spec]) => spec.source.table === table).map(([id]) => id);
      // DynamoDB Streams throttles a shard read by more than two consumers at once.
      if (readers.length > MAX_PIPES_PER_STREAM) {
        throw new Error(`Table ${table}: ${readers.length} pipes read its stream (${readers.join(', ')}), at most ${MAX_PIPES_PER_STREAM}`);
      }
    }
    for (const [pipeId, spec] of entries) {
      const table = props.tables[spec.source.table];
      const streamArn = table.tableStreamArn;
      if (!streamArn) throw new Error(`pipes.${pipeId}: table ${spec.source.table} has no stream (declare \`stream\` in lib/wiring.ts)`);
      const enrichment = props.functions[spec.enrichment];
      const targetFunction = spec.target.kind === 'function' ? props.functions[spec.target.function] : undefined;
      const targetName = spec.target.kind === 'function' ? spec.target.function : 'the bus';

      const deadLetters = new Queue(this, `${pipeId}DeadLetters`, {
        retentionPeriod: Duration.days(14),
        encryption: QueueEncryption.KMS,
        encryptionMasterKey: props.key,
        enforceSSL: true,
      });
      acknowledge(
        deadLetters,
        'AwsSolutions-SQS3',
        'This queue IS a dead-letter queue: the DeadLetterConfig of an EventBridge Pipe source, not of an SQS redrive policy.',
      );
      this.deadLetterQueues[pipeId] = deadLetters;

      const role = new Role(this, `${pipeId}Role`, {
        description: `EventBridge Pipe ${pipeId}: read the ${spec.source.table} stream, invoke ${spec.enrichment}, deliver to ${targetName}`,
        assumedBy: new ServicePrincipal('pipes.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      });
      role.addToPolicy(
        new PolicyStatement({
          actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          resources: [streamArn],
        }),
      );
      // ListStreams names no resource in IAM (it lists the account's streams): Resource "*" is the only form.
      role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }));
      role.addToPolicy(
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [enrichment.functionArn, ...(targetFunction ? [targetFunction.functionArn] : [])],
        }),
      );
      if (!targetFunction) role.addToPolicy(new PolicyStatement({ actions: ['events:PutEvents'], resources: [props.bus.eventBusArn] }));
      role.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [deadLetters.queueArn] }));
      // Decrypt: the stream (table key) and the pipe's own encrypted data; GenerateDataKey: the dead-letter queue and the pipe's data.
      role.addToPolicy(
        new PolicyStatement({ actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'], resources: [props.key.keyArn] }),
      );

      const pipe = new CfnPipe(this, pipeId, {
        name: `wandian-${stack.region}-${kebab(pipeId)}`,
        description: spec.description,
        roleArn: role.roleArn,
        kmsKeyIdentifier: props.key.keyArn,
        desiredState: 'RUNNING',
        source: streamArn,
        sourceParameters: {
          dynamoDbStreamParameters: {
            startingPosition: spec.source.startingPosition,
            batchSize: spec.source.batchSize,
            maximumBatchingWindowInSeconds: spec.source.maximumBatchingWindowSeconds,
            maximumRetryAttempts: spec.source.maximumRetryAttempts,
            onPartialBatchItemFailure: spec.source.onPartialBatchItemFailure,
            deadLetterConfig: { arn: deadLetters.queueArn },
          },
          filterCriteria: { filters: spec.filters.map((f) => ({ pattern: JSON.stringify(f) })) },
        },
        enrichment: enrichment.functionArn,
        target: targetFunction ? targetFunction.functionArn : props.bus.eventBusArn,
        targetParameters:
          spec.target.kind === 'function'
            ? // Synchronous: the function's error fails the batch (retry, bisect, dead-letter); an async invoke would not.
              { lambdaFunctionParameters: { invocationType: 'REQUEST_RESPONSE' } }
            : {
                eventBridgeEventBusParameters: { source: spec.target.source, detailType: spec.target.detailType, time: spec.target.time },
                inputTemplate: spec.target.inputTemplate,
              },
      });
      // The role's policy must exist before the pipe starts reading.
      pipe.node.addDependency(role);
      pipe.addMetadata(WIRING_METADATA, `pipes.${pipeId}`);
      this.pipes[pipeId] = pipe;
    }
  }
}
