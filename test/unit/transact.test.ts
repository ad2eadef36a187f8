/**
 * Transient transaction cancellations (TransactionConflict on a hot item, throttling) are retried;
 * failed conditions never are. DynamoDB Local serializes transactions and never produces these
 * reasons (shared/brief/TOOLCHAIN.md), so they are injected here.
 */
import { describe, expect, it } from 'vitest';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { transactWrite, isTransientCancellation } from '../../src/store/transact.ts';

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/** A client whose send() fails with the given errors in turn, then succeeds; counts the calls. */
function flakyClient(...errors: Error[]) {
  const client = {
    calls: 0,
    async send() {
      const error = errors[client.calls++];
      if (error) throw error;
      return {};
    },
  };
  return client;
}

const fast = { attempts: 4, baseDelayMs: 1 };

describe('transactWrite', () => {
  it('retries a TransactionConflict until the transaction goes through', async () => {
    const client = flakyClient(cancelled('None', 'TransactionConflict'), cancelled('TransactionConflict', 'None'));
    await transactWrite(client, { TransactItems: [] }, fast);
    expect(client.calls).toBe(3);
  });

  it('retries a throttled item', async () => {
    const client = flakyClient(cancelled('ThrottlingError'));
    await transactWrite(client, { TransactItems: [] }, fast);
    expect(client.calls).toBe(2);
  });

  it('never retries a failed condition, even alongside a conflict', async () => {
    const client = flakyClient(cancelled('ConditionalCheckFailed', 'TransactionConflict'));
    await expect(transactWrite(client, { TransactItems: [] }, fast)).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(client.calls).toBe(1);
  });

  it('gives up after the last attempt and rethrows the conflict', async () => {
    const client = flakyClient(...Array.from({ length: 4 }, () => cancelled('TransactionConflict')));
    await expect(transactWrite(client, { TransactItems: [] }, fast)).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(client.calls).toBe(4);
  });

  it('does not retry errors that are not cancellations', async () => {
    const client = flakyClient(Object.assign(new Error('bad request'), { name: 'ValidationException' }));
    await expect(transactWrite(client, { TransactItems: [] }, fast)).rejects.toThrow('bad request');
    expect(client.calls).toBe(1);
    expect(isTransientCancellation(new Error('x'))).toBe(false);
  });
});
