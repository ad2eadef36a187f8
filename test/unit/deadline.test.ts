/** The request budget of functions/commons/deadline.ts: shed before the write, bound it, never fail after the commit. */
import { describe, expect, it } from 'vitest';
import { afterCommit, COMPLETION_RESERVE_MS, MIN_WRITE_MS, within, writeAllowanceMs } from '../../functions/commons/deadline.ts';
import { DomainError } from '../../src/domain/errors.ts';

const remaining = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

describe('writeAllowanceMs', () => {
  it('gives the write what remains above the completion reserve', () => {
    expect(writeAllowanceMs(remaining(10_000))).toBe(10_000 - COMPLETION_RESERVE_MS);
  });

  it('sheds with 503 SERVICE_OVERLOADED and Retry-After when too little time is left', () => {
    const error = (() => {
      try {
        writeAllowanceMs(remaining(COMPLETION_RESERVE_MS + MIN_WRITE_MS - 1));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'SERVICE_OVERLOADED', status: 503, headers: { 'retry-after': '1' } });
  });
});

describe('within', () => {
  it('passes the write through, result or error', async () => {
    expect(await within(Promise.resolve(7), 1_000)).toBe(7);
    await expect(within(Promise.reject(new DomainError('INVENTORY_SHORTAGE', 'none')), 1_000)).rejects.toMatchObject({
      code: 'INVENTORY_SHORTAGE',
    });
  });

  it('answers 503 ORDER_IN_DOUBT when the write does not settle in time, or the SDK timed it out', async () => {
    await expect(within(new Promise(() => {}), 20)).rejects.toMatchObject({ code: 'ORDER_IN_DOUBT', status: 503 });
    const sdkTimeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    await expect(within(Promise.reject(sdkTimeout), 1_000)).rejects.toMatchObject({ code: 'ORDER_IN_DOUBT' });
  });
});

describe('afterCommit', () => {
  it('runs the work and reports success', async () => {
    let ran = false;
    expect(await afterCommit(remaining(10_000), async () => (ran = true))).toBe(true);
    expect(ran).toBe(true);
  });

  it('swallows a failure after the commit (the answer stays the committed one)', async () => {
    expect(
      await afterCommit(remaining(10_000), async () => {
        throw new Error('EventBridge down');
      }),
    ).toBe(false);
  });

  it('stops waiting for work that would outlive the completion reserve', async () => {
    const t0 = Date.now();
    expect(await afterCommit(remaining(COMPLETION_RESERVE_MS + 50), () => new Promise(() => {}))).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await afterCommit(remaining(COMPLETION_RESERVE_MS - 1), async () => 1)).toBe(false);
  });
});
