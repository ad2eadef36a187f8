/**
 * Fault injection, for LOCAL TESTING ONLY (test/e2e/crash-recovery.test.ts): run the local runtime with
 * `WANDIAN_FAULT_CRASH_AT=<point>` and the process kills itself with SIGKILL the first time the order
 * path passes that point: no exit hooks, no cleanup, in-flight requests cut off, and the in-memory Step
 * Functions executions lost (like an OOM kill). DynamoDB Local, a separate process standing in for the
 * DynamoDB service, sees its parent gone and shuts down cleanly, so every write it acknowledged is kept,
 * as in AWS. (`process.exit` would instead run the runtime's exit hook, which SIGKILLs DynamoDB Local and
 * loses its last acknowledged transactions: that tests DynamoDB Local's durability, not wandian.)
 * Unset (always, in AWS Lambda: see src/config.ts faultCrashPoint) a crash point costs one comparison.
 */
import { faultCrashPoint } from './config.ts';

/** The named points of the order path, in the order an order passes them. */
export const CRASH_POINTS = {
  /** create-order: the order transaction committed (stock reserved, coupons redeemed), StartExecution not yet called. */
  'after-order-transaction': 'functions/api/create-order.ts',
  /** create-order: the saga started and OrderPlaced sent, the 201 not yet returned. */
  'after-saga-start': 'functions/api/create-order.ts',
  /** payment-webhook: the first callback recorded on the order, the saga not yet resumed. */
  'after-payment-recorded': 'src/payments/order-callback.ts',
  /** CommitReservation: the commit transaction done (order PAID, reserved → sold), OrderPaid not yet sent. */
  'after-commit': 'functions/saga/commit-reservation.ts',
  /** ReleaseStock: the release transaction done (reserved → available), ReleaseCoupons not yet run. */
  'after-release-stock': 'functions/saga/release-stock.ts',
} as const;

export type CrashPoint = keyof typeof CRASH_POINTS;

const armed = faultCrashPoint();

/** Kills this process (SIGKILL) if WANDIAN_FAULT_CRASH_AT names `point`; otherwise does nothing. */
export function crashPoint(point: CrashPoint): void {
  if (armed !== point) return;
  console.error(`wandian fault: crashing at ${point} (WANDIAN_FAULT_CRASH_AT)`);
  process.kill(process.pid, 'SIGKILL');
}
