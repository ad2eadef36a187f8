/**
 * The payment deadline (PRODUCT.md Saga: "PENDING_PAYMENT → EXPIRED after the timeout"), enforced by a claim
 * (src/domain/order-claim.ts), not by a waiting execution: the expiry sweeper (functions/jobs/expire-orders.ts,
 * every minute) finds PENDING_PAYMENT orders past `expiresAt` that nobody has claimed in the sparse `openOrders`
 * index, claims each for EXPIRY with one conditional write and starts compensateOrder. A payment that claimed
 * the order first wins (its webhook started confirmPayment): the expiry then does nothing. A payment arriving
 * after `expiresAt` but before this claim is honoured (the stock is still reserved for it).
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { OrderStore } from '../store/order-store.ts';
import type { ReconcileStore } from '../store/reconcile-store.ts';
import { advanceOrder } from './segments.ts';

export interface ExpiryDeps {
  orders: Pick<OrderStore, 'claim'>;
  sfn: SFNClient;
}

/** EXPIRED: claimed (now or by an earlier run) and compensateOrder started; LOST: another claim decided the order; GONE: no such order. */
export type ExpiryOutcome = 'EXPIRED' | 'LOST' | 'GONE';

/**
 * Claims order `orderId` for EXPIRY at `now` (ISO) and starts compensateOrder when the EXPIRY claim stands.
 * The caller decides that the order is due (the sweeper: `expiresAt` < now). Safe to repeat: a repeated claim
 * finds its own claim and starts the (once-only) compensation again.
 */
export async function expireOrder(deps: ExpiryDeps, orderId: string, now: string): Promise<ExpiryOutcome> {
  const out = await deps.orders.claim(orderId, 'EXPIRY', now);
  if (!out) return 'GONE';
  if (out.order.claim !== 'EXPIRY') return 'LOST';
  await advanceOrder(deps.sfn, out.order);
  return 'EXPIRED';
}

/** One sweep's counts. */
export interface SweepSummary {
  /** Unclaimed PENDING_PAYMENT orders past expiresAt the index returned. */
  due: number;
  /** Claimed for EXPIRY, compensation started. */
  expired: number;
  /** A payment, cancel or failure claimed them first. */
  lost: number;
  /** Orders whose claim or start threw (logged; the next sweep retries). */
  errors: number;
  /** False when `limit` cut the sweep short (the next run goes on). */
  complete: boolean;
}

/**
 * Expires every unclaimed PENDING_PAYMENT order with `expiresAt` before `now` (at most `limit` per run,
 * `concurrency` at a time; the index is eventually consistent, the claim's condition is what decides).
 */
export async function sweepExpired(
  deps: ExpiryDeps & { store: Pick<ReconcileStore, 'openOrders'>; warn: (message: string, details: Record<string, unknown>) => void },
  now: Date,
  limit: number,
  concurrency: number,
): Promise<SweepSummary> {
  const at = now.toISOString();
  const due = await deps.store.openOrders({ status: 'PENDING_PAYMENT', expiresBefore: at, claimed: false, limit });
  const summary: SweepSummary = { due: due.orders.length, expired: 0, lost: 0, errors: 0, complete: due.complete };
  const queue = [...due.orders];
  const worker = async () => {
    for (let ref = queue.shift(); ref; ref = queue.shift()) {
      try {
        const outcome = await expireOrder(deps, ref.orderId, at);
        if (outcome === 'EXPIRED') summary.expired++;
        else if (outcome === 'LOST') summary.lost++;
      } catch (error) {
        summary.errors++;
        deps.warn('expiry failed', { orderId: ref.orderId, error: String((error as Error)?.message ?? error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return summary;
}
