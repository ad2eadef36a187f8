import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  CustomerManagedEncryptionConfiguration,
  DefinitionBody,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { fromRepoRoot } from '../paths.ts';
import { stateMachines, type FunctionId, type StateMachineId, type StateMachineSpec } from '../wiring.ts';
import { kebab, LOG_RETENTION, markWiring } from './conventions.ts';
import { acknowledge } from './nag.ts';

/** Deterministic state machine name, e.g. `Wandian-ap-east-1-place-order`. */
export function stateMachineName(scope: IConstruct, id: StateMachineId): string {
  return `${Stack.of(scope).stackName}-${kebab(id)}`;
}

/**
 * ARN of a wiring state machine, built from its deterministic name rather than read from the
 * resource: the state machines reference the saga functions, so functions that start them
 * must not reference them back (that would be a dependency cycle).
 */
export function stateMachineArn(scope: IConstruct, id: StateMachineId): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: stateMachineName(scope, id),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Properties of {@link SagaConstruct}. */
export interface SagaConstructProps {
  /** Every wiring function by id; each `${Name}` of an ASL file becomes one of their ARNs. */
  readonly functions: Record<FunctionId, IFunction>;
  /** Stack key: encrypts execution data and the saga log groups. */
  readonly key: IKey;
}

/**
 * One Step Functions state machine (STANDARD or EXPRESS, as the wiring says) per `stateMachines` entry of lib/wiring.ts, defined by
 * its ASL file with `${Name}` substituted by function ARNs. Errors are logged (without execution
 * data, which holds order details), executions are traced, and each state machine may invoke
 * exactly the functions its ASL names. Execution data and logs are encrypted with the stack key.
 */
export class SagaConstruct extends Construct {
  /** Every wiring state machine by its id. */
  readonly stateMachines: Record<StateMachineId, StateMachine>;

  constructor(scope: Construct, id: string, props: SagaConstructProps) {
    super(scope, id);
    const entries = (Object.entries(stateMachines) as [StateMachineId, StateMachineSpec][]).map(([smId, spec]) => {
      const tasks = Object.entries(spec.functionSubstitutions).map(([placeholder, fnId]) => [placeholder, props.functions[fnId]] as const);
      const stateMachine = new StateMachine(this, smId, {
        stateMachineName: stateMachineName(this, smId),
        stateMachineType: spec.type === 'EXPRESS' ? StateMachineType.EXPRESS : StateMachineType.STANDARD,
        definitionBody: DefinitionBody.fromFile(fromRepoRoot(spec.file)),
        definitionSubstitutions: Object.fromEntries(tasks.map(([placeholder, fn]) => [placeholder, fn.functionArn])),
        logs: {
          destination: new LogGroup(this, `${smId}Logs`, { retention: LOG_RETENTION, encryptionKey: props.key }),
          level: LogLevel.ERROR,
          includeExecutionData: false,
        },
        tracingEnabled: true,
        encryptionConfiguration: new CustomerManagedEncryptionConfiguration(props.key),
      });
      acknowledge(
        stateMachine,
        'AwsSolutions-SF1',
        'Logs ERROR events without execution data on purpose: execution data holds order and payment details, and ALL would log every state transition at 1,000 orders/s. Execution history and X-Ray traces cover the rest.',
      );
      for (const fn of new Set(tasks.map(([, fn]) => fn))) fn.grantInvoke(stateMachine);
      markWiring(stateMachine, `stateMachines.${smId}`);
      return [smId, stateMachine] as const;
    });
    this.stateMachines = Object.fromEntries(entries) as Record<StateMachineId, StateMachine>;
  }
}
