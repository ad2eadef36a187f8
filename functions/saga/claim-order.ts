/**
 * Saga task ClaimOrder — input `{orderId, claim: EXPIRY | CANCEL | PAYMENT_FAILED}` → `{claim, finalStatus}`:
 * the claim that decides the order (this one, or the one that won before it: PAYMENT, PAYMENT_FAILED, EXPIRY
 * or CANCEL) and the status it ends in (PAID, PAYMENT_FAILED, EXPIRED, CANCELLED). One conditional write
 * (OrderStore.claim; rules in src/domain/order-claim.ts), so a payment accepted by the webhook just before the
 * deadline wins over the expiry and the saga commits it instead of compensating. Idempotent: a retry finds
 * its own claim. Throws IllegalOrderState when the order is no longer pending and nobody claimed it.
 */
import { taskHandler, nowIso } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { logger } from '../commons/powertools.ts';
import { finalStatusForClaim, type CloseClaim } from '../../src/domain/order-claim.ts';
import { IllegalOrderStateError, OrderNotFoundError } from '../../src/saga/errors.ts';

export const handler = taskHandler('ClaimOrder', async ({ orderId, claim }: { orderId: string; claim: CloseClaim }) => {
  const out = await orders.claim(orderId, claim, nowIso());
  if (!out) throw new OrderNotFoundError(`Order ${orderId} not found`);
  const winner = out.order.claim;
  if (!winner) throw new IllegalOrderStateError(`Order ${orderId} is ${out.order.status} and unclaimed`);
  if (winner !== claim) logger.info('claim lost', { wanted: claim, winner });
  return { claim: winner, finalStatus: finalStatusForClaim(winner) };
});
