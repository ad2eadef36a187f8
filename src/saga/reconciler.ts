/**
 * One reconciler run (PRODUCT.md: "A periodic reconciler finds orders whose saga never started or got
 * stuck and drives them to a final state"), from order state alone: the Saga runs as EXPRESS segments with
 * no execution names to look up, and every segment step is once-only, so starting a segment again is safe.
 * Checks, each bounded and idempotent, rules in src/domain/reconcile.ts:
 * (b) unfinished claims: PENDING_PAYMENT orders claimed more than `graceSeconds` ago (src/domain/order-claim.ts)
 *     get the segment their claim calls for again (confirmPayment for PAYMENT: a payment answered APPLIED ends
 *     PAID; compensateOrder otherwise); unclaimed orders more than `stuckAfterSeconds` past expiresAt (the
 *     expiry sweeper missed them) are claimed for EXPIRY and compensated (src/saga/expiry.ts).
 * (a) never started: PENDING_PAYMENT orders older than `graceSeconds`, not yet due, with no payment intent and
 *     no claim get placeOrder again. Their OrderPlaced / CouponRedeemed events need no repair: they come from
 *     the order's write (the outbox).
 * (c) leaked reservations: one page of one inventory segment per run, resumed from that segment's stored
 *     cursor (the whole table every inventoryCycleRuns runs); reserved units no open order holds are given
 *     back when checkReservation says it is safe; anything else is reported.
 * A failure on one candidate is logged and counted; the others go on (the next run retries).
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import {
  checkReservation,
  claimUnfinished,
  emptySummary,
  heldByOrders,
  inventoryItemsPerRun,
  inventorySegmentFor,
  itemsWithinStoreLimit,
  isStuck,
  sagaNeverStarted,
  type ReconcileSettings,
  type ReconcileSummary,
  type StoredOrder,
} from '../domain/reconcile.ts';
import type { OrderStore } from '../store/order-store.ts';
import type { ReconcileStore } from '../store/reconcile-store.ts';
import { expireOrder } from './expiry.ts';
import { advanceOrder, startSegment } from './segments.ts';
import { parseShardPartitionKey } from '../domain/inventory.ts';

export interface ReconcilerDeps {
  orders: OrderStore;
  store: ReconcileStore;
  sfn: SFNClient;
  /** Reports a candidate that failed or needs an operator. */
  warn: (message: string, details: Record<string, unknown>) => void;
}

/** Runs checks (b), (a), (c) once at `now`; `intervalSeconds` is the schedule's period (inventory segment rotation). */
export async function reconcile(
  deps: ReconcilerDeps,
  settings: ReconcileSettings,
  now: Date,
  intervalSeconds: number,
): Promise<ReconcileSummary> {
  const summary = emptySummary();
  const guarded = guard(deps, summary);
  const at = now.toISOString();
  const stuckBefore = new Date(now.getTime() - settings.stuckAfterSeconds * 1000).toISOString();
  const graceBefore = new Date(now.getTime() - settings.graceSeconds * 1000).toISOString();
  const limit = settings.maxOrdersPerRun;

  // (b) Claimed, but the claim's segment did not finish.
  const claimed = await deps.store.openOrders({ status: 'PENDING_PAYMENT', claimed: true, claimedBy: graceBefore, limit });
  for (const ref of claimed.orders) {
    await guarded(ref.orderId, async () => {
      const order = (await deps.orders.get(ref.orderId)) as StoredOrder | undefined;
      if (!order || !claimUnfinished(order, now, settings.graceSeconds)) return;
      const next = await advanceOrder(deps.sfn, order);
      if (next) summary[next.stateMachine === 'confirmPayment' ? 'committed' : 'compensated']++;
    });
  }

  // (b) Unclaimed well past the deadline: the expiry sweeper missed it.
  const stuck = await deps.store.openOrders({ status: 'PENDING_PAYMENT', claimed: false, expiresBefore: stuckBefore, limit });
  for (const ref of stuck.orders) {
    await guarded(ref.orderId, async () => {
      const order = (await deps.orders.get(ref.orderId)) as StoredOrder | undefined;
      if (!order || !isStuck(order, now, settings.stuckAfterSeconds)) return;
      if ((await expireOrder(deps, order.orderId, at)) === 'EXPIRED') summary.compensated++;
    });
  }

  // (a) placeOrder never ran (the process died between the order transaction and the start). Orders already
  // due are the sweeper's: they expire instead.
  const young = await deps.store.openOrders({
    status: 'PENDING_PAYMENT',
    expiresFrom: at,
    createdBy: graceBefore,
    withoutPaymentIntent: true,
    claimed: false,
    limit,
  });
  for (const ref of young.orders) {
    await guarded(ref.orderId, async () => {
      const order = (await deps.orders.get(ref.orderId)) as StoredOrder | undefined;
      if (!order || !sagaNeverStarted(order, now, settings.graceSeconds)) return;
      await startSegment(deps.sfn, 'placeOrder', { orderId: order.orderId });
      summary.started++;
    });
  }

  // Parked for an operator: reported only (an operator finishes the compensation).
  summary.needsAttention = (await deps.store.openOrders({ status: 'NEEDS_ATTENTION', expiresBefore: stuckBefore, limit })).orders.length;

  await checkReservations(deps, settings, now, intervalSeconds, summary);
  return summary;
}

/** At most this many stores' open orders per run: one index query filters by at most 100 stores. */
const MAX_STORES_PER_RUN = 100;

/**
 * (c) The next page of this run's inventory segment, from where the segment's last run stopped, against the
 * reservations of its stores' open orders; then the segment's cursor moves past what was judged.
 */
async function checkReservations(
  deps: ReconcilerDeps,
  settings: ReconcileSettings,
  now: Date,
  intervalSeconds: number,
  summary: ReconcileSummary,
): Promise<void> {
  const total = settings.inventorySegments;
  const segment = inventorySegmentFor(now, intervalSeconds, total);
  const cursor = await deps.store.inventoryCursor(segment, total);
  const page = await deps.store.inventorySegment(segment, total, inventoryItemsPerRun(settings), cursor.startKey);
  // A page with items of more stores than one query can cover is judged up to the last store that fits; the
  // cursor stops there, so the next visit starts with the first item left out.
  // Hot-stock shard items ('<storeId>#<k>') belong to their store: judged per shard against that shard's holders.
  const judged = itemsWithinStoreLimit(
    page.levels.map((l) => ({ storeId: parseShardPartitionKey(l.storeId).storeId, reserved: l.reserved })),
    MAX_STORES_PER_RUN,
  );
  const levels = page.levels.slice(0, judged);
  const last = levels.at(-1);
  const nextKey = judged < page.levels.length && last ? { storeId: last.storeId, sku: last.sku } : page.nextKey;
  summary.inventoryChecked += levels.length;
  const stores = [...new Set(levels.filter((l) => l.reserved !== 0).map((l) => parseShardPartitionKey(l.storeId).storeId))];
  const open = stores.length
    ? await deps.store.openOrders({ storeIds: stores, limit: settings.maxOrdersPerRun * 5 })
    : { orders: [], complete: true };
  // Strongly consistent re-reads: the index may lag, and stockState decides what an order still holds.
  const orders = (await Promise.all(open.orders.map((o) => deps.orders.get(o.orderId)))).filter((o) => o !== undefined);
  const guarded = guard(deps, summary);
  for (const level of levels) {
    const { storeId, shard } = parseShardPartitionKey(level.storeId);
    const check = checkReservation(level, heldByOrders(orders, storeId, level.sku, shard), now, settings.quietSeconds);
    if (check.kind === 'MISMATCH') {
      summary.mismatches++;
      deps.warn('inventory counters need an operator', { storeId: level.storeId, sku: level.sku, detail: check.detail });
    } else if (check.kind === 'LEAKED' && open.complete) {
      // With the open orders cut short, `held` may be too low: leave the item to the next cycle rather than over-repair.
      await guarded(`${level.storeId}/${level.sku}`, async () => {
        if (await deps.store.releaseLeakedReservation(level, check.excess, now.toISOString())) {
          summary.repaired++;
          deps.warn('released a reservation no open order holds', { storeId: level.storeId, sku: level.sku, units: check.excess });
        }
      });
    }
  }
  // Saved after the page was judged: a run that dies before this point only makes the next visit read it again.
  await deps.store.saveInventoryCursor(segment, total, nextKey, now.toISOString());
}

/** Runs one candidate's step; a failure is logged and counted, and the run goes on. */
function guard(deps: ReconcilerDeps, summary: ReconcileSummary) {
  return async (key: string, step: () => Promise<void>): Promise<void> => {
    try {
      await step();
    } catch (error) {
      summary.errors++;
      deps.warn('reconcile step failed', { key, error: String((error as Error)?.message ?? error) });
    }
  };
}
