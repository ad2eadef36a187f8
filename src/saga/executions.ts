/**
 * Named Step Functions executions, the way the reconciler uses them: the execution name is the order
 * id, so starting twice is harmless (ExecutionAlreadyExists) and the execution can be found again.
 */
import { DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

export type ExecutionState = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE' | 'NONE';

/** `arn:aws:states:<region>:<account>:execution:<state machine name>:<name>` for a state machine ARN. */
export const executionArn = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/**
 * Starts execution `name` of `stateMachineArn` with `input` (JSON-serialized). 'EXISTS' when an
 * execution with that name exists already (running or closed); other errors propagate.
 */
export async function startNamedExecution(
  client: SFNClient,
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<'STARTED' | 'EXISTS'> {
  try {
    await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return 'STARTED';
  } catch (e) {
    if ((e as Error).name === 'ExecutionAlreadyExists') return 'EXISTS';
    throw e;
  }
}

/** Status of execution `name` of `stateMachineArn`, or 'NONE' when there is no such execution. */
export async function executionState(client: SFNClient, stateMachineArn: string, name: string): Promise<ExecutionState> {
  try {
    const out = await client.send(new DescribeExecutionCommand({ executionArn: executionArn(stateMachineArn, name) }));
    return (out.status ?? 'NONE') as ExecutionState;
  } catch (e) {
    if ((e as Error).name === 'ExecutionDoesNotExist') return 'NONE';
    throw e;
  }
}
