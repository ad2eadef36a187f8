/**
 * Starts the order Saga's EXPRESS segments (lib/wiring.ts `stateMachines`). Express executions have no name
 * dedupe and are started at least once (a retried request, the reconciler, a redelivered webhook): every step
 * they run is once-only by a conditional write on the order, so a second start changes nothing twice.
 */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { StateMachineId } from '../../lib/wiring.ts';
import { stateMachineArn } from '../config.ts';
import { nextSegment, type OrderSegment } from '../domain/order-claim.ts';
import type { Order } from '../domain/types.ts';

/** Starts state machine `id` (its ARN from the function's environment) with `input`. Errors propagate. */
export async function startSegment(client: SFNClient, id: StateMachineId, input: Record<string, unknown>): Promise<void> {
  await client.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(id), input: JSON.stringify(input) }));
}

/**
 * Starts the segment a claimed PENDING_PAYMENT order runs next (nextSegment: confirmPayment for a PAYMENT claim,
 * compensateOrder otherwise); returns it, or undefined when there is none (unclaimed or no longer pending).
 */
export async function advanceOrder(
  client: SFNClient,
  order: Pick<Order, 'orderId' | 'status' | 'claim'>,
): Promise<OrderSegment | undefined> {
  const next = nextSegment(order);
  if (next) await startSegment(client, next.stateMachine, next.input);
  return next;
}
