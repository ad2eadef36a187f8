/**
 * The one catalog of saga error names: the `name` a task handler throws that the ASL Retry/Catch blocks in statemachines/*.asl.json match by ErrorEquals.
 * Pure (no SDK). test/unit/saga-errors.test.ts reads the state machine files and checks that every
 * ErrorEquals name is here and every name here is matched or thrown somewhere.
 */

/** Saga error names by intent. */
export const SAGA_ERRORS = {
  /** The wallet cannot pay a BALANCE order (DebitWallet: not retried). */
  walletDeclined: 'WalletDeclined',
  /** The order's state does not allow the step (not transient: DebitWallet does not retry it). */
  illegalOrderState: 'IllegalOrderState',
  /** The order does not exist (a task for a missing order; caught by States.ALL). */
  orderNotFound: 'OrderNotFound',
  /** BeginRefund: a payment is still being committed (retried by the refund saga). */
  orderNotYetPaid: 'OrderNotYetPaid',
  /** BeginRefund: nothing to refund (→ NothingToRefund). */
  orderNotRefundable: 'OrderNotRefundable',
} as const;

/** One of the saga error names. */
export type SagaErrorName = (typeof SAGA_ERRORS)[keyof typeof SAGA_ERRORS];

/** Every saga error name. */
export const SAGA_ERROR_NAMES: readonly SagaErrorName[] = Object.values(SAGA_ERRORS);

/** An error whose `name` is a saga error name, so the state machine's Retry/Catch can match it. */
export class SagaError extends Error {
  override readonly name: SagaErrorName;

  constructor(name: SagaErrorName, message: string) {
    super(message);
    this.name = name;
  }
}

/** The order does not exist (saga name OrderNotFound). */
export class OrderNotFoundError extends SagaError {
  constructor(message: string) {
    super(SAGA_ERRORS.orderNotFound, message);
  }
}

/** The saga asked for a movement the order's state does not allow (not a transient error; saga name IllegalOrderState). */
export class IllegalOrderStateError extends SagaError {
  constructor(message: string) {
    super(SAGA_ERRORS.illegalOrderState, message);
  }
}

/** The wallet cannot pay the order: none, another currency, or a balance below the total (saga name WalletDeclined). */
export class WalletDeclinedError extends SagaError {
  constructor(message: string) {
    super(SAGA_ERRORS.walletDeclined, message);
  }
}
