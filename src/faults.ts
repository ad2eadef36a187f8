/**
 * Fault injection, for LOCAL TESTING ONLY (test/e2e/crash-recovery.test.ts): run the local runtime with
 * `WANDIAN_FAULT_CRASH_AT=<point>` and the process kills itself with SIGKILL the first time the order
 * path passes that point: no exit hooks, no cleanup, in-flight requests cut off, and the in-memory Step
 * Functions executions lost (like an OOM kill). DynamoDB Local, a separate process standing in for the
 * DynamoDB service, sees its parent gone and shuts down cleanly, so every write it acknowledged is kept,
 * as in AWS. (`process.exit` would instead run the runtime's exit hook, which SIGKILLs DynamoDB Local and
 * loses its last acknowledged transactions: that tests DynamoDB Local's durability, not wandian.)
 * Unset (always, in AWS Lambda: see src/config.ts faultCrashPoint) a crash point costs one comparison.
 *
 * Not shipped: the Lambda bundles are built with `process.env.WANDIAN_FAULTS` defined as `"off"`
 * (esbuild `define`, functionSettings.bundling in lib/constructs/lambda.ts), which makes every crash point
 * dead code that esbuild drops, together with faultCrashPoint and the variable's name
 * (test/cdk/bundle-faults.test.ts checks the bundle). Under tsx/vitest nothing is defined, so it stays armed.
 */
import { faultCrashPoint, faultThrowPoint } from './config.ts';

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
  /** Local pipe (outbox): a batch of order changes put on the bus, the shard's checkpoint not yet written. */
  'after-pipe-delivery': 'local/stream-runner.ts',
} as const;

export type CrashPoint = keyof typeof CRASH_POINTS;

// `process.env.WANDIAN_FAULTS === 'off'` is written out at each use, not read through config.ts nor kept in a
// const: it is a build-time constant that esbuild's `define` replaces, and only a literal comparison folds
// to `true` where it stands (esbuild does not inline module constants), turning what follows into dead code.
const armed = process.env.WANDIAN_FAULTS === 'off' ? undefined : faultCrashPoint();

/** The error a crash point throws when WANDIAN_FAULT_THROW_AT names it. */
export class InjectedFault extends Error {
  override name = 'InjectedFault';
}

/**
 * Kills this process (SIGKILL) if WANDIAN_FAULT_CRASH_AT names `point`; throws InjectedFault if
 * WANDIAN_FAULT_THROW_AT names it (read at each pass: a failure, not a crash, e.g. a dependency's error after a
 * commit); otherwise does nothing (always, in a Lambda bundle).
 */
export function crashPoint(point: CrashPoint): void {
  if (process.env.WANDIAN_FAULTS !== 'off' && faultThrowPoint() === point) throw new InjectedFault(`injected failure at ${point}`);
  if (process.env.WANDIAN_FAULTS === 'off' || armed !== point) return;
  console.error(`wandian fault: crashing at ${point} (WANDIAN_FAULT_CRASH_AT)`);
  process.kill(process.pid, 'SIGKILL');
}
