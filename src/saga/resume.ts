/**
 * Resumes an order's saga waiting in WaitForPayment (task token). Called by both sides of the
 * race — the payment webhook and the AwaitPayment task — so whichever comes second finishes it.
 * SendTask* on a finished task fails harmlessly, so calling twice is safe. The decision itself is
 * pure (src/domain/saga-resume.ts); this module only sends it.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Order } from '../domain/types.ts';
import { resumeDecision } from '../domain/saga-resume.ts';

export type ResumeOutcome = 'NOT_READY' | 'RESUMED' | 'GONE';

/**
 * Sends the saga the decision the order's state implies (resumeDecision). NOT_READY when there is no
 * token or nothing to decide yet; GONE when the task no longer waits.
 */
export async function resumeSaga(client: SFNClient, order: Order): Promise<ResumeOutcome> {
  if (!order.taskToken) return 'NOT_READY';
  const decision = resumeDecision(order);
  if (!decision) return 'NOT_READY';
  const command =
    decision.kind === 'SUCCESS'
      ? new SendTaskSuccessCommand({ taskToken: order.taskToken, output: JSON.stringify(decision.output) })
      : new SendTaskFailureCommand({ taskToken: order.taskToken, error: decision.error, cause: decision.cause });
  try {
    await client.send(command as SendTaskSuccessCommand);
    return 'RESUMED';
  } catch (e) {
    const name = (e as Error).name;
    // The task timed out or was already answered: the other side of the race got there first.
    if (name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist') return 'GONE';
    throw e;
  }
}
