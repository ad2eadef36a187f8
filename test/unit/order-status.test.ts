import { describe, expect, it } from 'vitest';
import {
  allowedPredecessors,
  canTransition,
  cancellationKind,
  cancellableStatuses,
  finalStatusForReason,
  isCompensatedStatus,
  isRefundable,
  isTerminal,
  reasonForFinalStatus,
  refundableStatuses,
  statusCondition,
  statusIn,
  ORDER_STATUSES,
  ORDER_TRANSITIONS,
  TERMINAL_STATUSES,
} from '../../src/domain/order-status.ts';
import type { OrderStatus } from '../../src/domain/types.ts';

const allowed: [OrderStatus, OrderStatus][] = [
  ['PENDING_PAYMENT', 'PAID'],
  ['PENDING_PAYMENT', 'CANCELLED'],
  ['PENDING_PAYMENT', 'EXPIRED'],
  ['PENDING_PAYMENT', 'PAYMENT_FAILED'],
  ['PENDING_PAYMENT', 'NEEDS_ATTENTION'],
  ['PAID', 'REFUNDED'],
  ['PAID', 'FULFILLED'],
  ['PAID', 'NEEDS_ATTENTION'],
  ['NEEDS_ATTENTION', 'CANCELLED'],
  ['NEEDS_ATTENTION', 'EXPIRED'],
  ['NEEDS_ATTENTION', 'PAYMENT_FAILED'],
  ['NEEDS_ATTENTION', 'REFUNDED'],
];

describe('order state machine', () => {
  it('allows exactly the transitions of the saga, and nothing else', () => {
    const key = ([a, b]: [OrderStatus, OrderStatus]) => `${a}->${b}`;
    const expected = new Set(allowed.map(key));
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) expect(canTransition(from, to), `${from}->${to}`).toBe(expected.has(key([from, to])));
    }
  });

  it.each([
    ['PAID', 'PENDING_PAYMENT'],
    ['PAID', 'CANCELLED'],
    ['PENDING_PAYMENT', 'REFUNDED'],
    ['PENDING_PAYMENT', 'FULFILLED'],
    ['NEEDS_ATTENTION', 'PAID'],
    ['REFUNDED', 'PAID'],
    ['FULFILLED', 'REFUNDED'],
    ['PAID', 'PAID'],
  ] as [OrderStatus, OrderStatus][])('refuses %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('has exactly five terminal statuses', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['CANCELLED', 'EXPIRED', 'FULFILLED', 'PAYMENT_FAILED', 'REFUNDED']);
    for (const s of ORDER_STATUSES) expect(isTerminal(s)).toBe(TERMINAL_STATUSES.includes(s));
    for (const s of ['PENDING_PAYMENT', 'PAID', 'NEEDS_ATTENTION'] as const) expect(isTerminal(s)).toBe(false);
  });

  it('reaches a terminal status from every status (no cycles, no dead ends)', () => {
    const reachesEnd = (s: OrderStatus, seen: Set<OrderStatus>): boolean =>
      isTerminal(s) || ORDER_TRANSITIONS[s].some((n) => !seen.has(n) && reachesEnd(n, new Set([...seen, s])));
    for (const s of ORDER_STATUSES) expect(reachesEnd(s, new Set())).toBe(true);
    // acyclic: no status can come back to itself
    const reachable = (s: OrderStatus): Set<OrderStatus> => {
      const out = new Set<OrderStatus>();
      const stack = [...ORDER_TRANSITIONS[s]];
      while (stack.length) {
        const n = stack.pop()!;
        if (out.has(n)) continue;
        out.add(n);
        stack.push(...ORDER_TRANSITIONS[n]);
      }
      return out;
    };
    for (const s of ORDER_STATUSES) expect(reachable(s).has(s)).toBe(false);
  });

  it('lists the predecessors of a status for conditional writes', () => {
    expect(allowedPredecessors('PAID')).toEqual(['PENDING_PAYMENT']);
    expect(allowedPredecessors('REFUNDED').sort()).toEqual(['NEEDS_ATTENTION', 'PAID']);
    expect(allowedPredecessors('CANCELLED').sort()).toEqual(['NEEDS_ATTENTION', 'PENDING_PAYMENT']);
    expect(allowedPredecessors('PENDING_PAYMENT')).toEqual([]);
  });
});

describe('cancellationKind', () => {
  it('cancels before payment and refunds after it', () => {
    expect(cancellationKind('PENDING_PAYMENT')).toBe('CANCEL');
    expect(cancellationKind('PAID')).toBe('REFUND');
  });
  it.each(['CANCELLED', 'EXPIRED', 'PAYMENT_FAILED', 'REFUNDED', 'FULFILLED', 'NEEDS_ATTENTION'] as OrderStatus[])(
    'is null for %s',
    (s) => {
      expect(cancellationKind(s)).toBeNull();
    },
  );
  it('only names a kind whose target status is reachable', () => {
    for (const s of ORDER_STATUSES) {
      const kind = cancellationKind(s);
      if (kind === 'CANCEL') expect(canTransition(s, 'CANCELLED')).toBe(true);
      if (kind === 'REFUND') expect(canTransition(s, 'REFUNDED')).toBe(true);
    }
  });
});

describe('finalStatusForReason', () => {
  it('maps each OrderCancelled reason to its final status, reachable from PENDING_PAYMENT', () => {
    expect(finalStatusForReason('CUSTOMER')).toBe('CANCELLED');
    expect(finalStatusForReason('EXPIRED')).toBe('EXPIRED');
    expect(finalStatusForReason('PAYMENT_FAILED')).toBe('PAYMENT_FAILED');
    for (const r of ['CUSTOMER', 'EXPIRED', 'PAYMENT_FAILED'] as const) {
      expect(canTransition('PENDING_PAYMENT', finalStatusForReason(r))).toBe(true);
      expect(canTransition('NEEDS_ATTENTION', finalStatusForReason(r))).toBe(true);
      expect(isTerminal(finalStatusForReason(r))).toBe(true);
    }
  });
});

describe('statusCondition', () => {
  it('admits exactly the predecessors the table allows, as a DynamoDB IN condition', () => {
    expect(statusCondition('CANCELLED')).toEqual({
      expression: '#status IN (:s0, :s1)',
      values: { ':s0': 'PENDING_PAYMENT', ':s1': 'NEEDS_ATTENTION' },
    });
    expect(statusCondition('FULFILLED', ':f')).toEqual({ expression: '#status IN (:f0)', values: { ':f0': 'PAID' } });
    for (const to of ORDER_STATUSES.filter((s) => s !== 'PENDING_PAYMENT')) {
      expect(Object.values(statusCondition(to).values)).toEqual(allowedPredecessors(to));
    }
  });

  it('refuses a condition nothing satisfies (PENDING_PAYMENT is created, never entered)', () => {
    expect(() => statusCondition('PENDING_PAYMENT')).toThrow();
    expect(() => statusIn([])).toThrow();
  });
});

describe('cancel or refund', () => {
  it('cancels PENDING_PAYMENT orders and refunds PAID ones', () => {
    expect(cancellableStatuses()).toEqual(['PENDING_PAYMENT']);
    expect(refundableStatuses()).toEqual(['PAID']);
  });

  it('refunds a PAID order, or a pending one whose successful payment is being committed', () => {
    const succeeded = { paymentId: 'p', status: 'SUCCEEDED', amount: 1, currency: 'CNY', occurredAt: 'x', receivedAt: 'x' } as const;
    expect(isRefundable({ status: 'PAID' })).toBe(true);
    expect(isRefundable({ status: 'PENDING_PAYMENT', payment: succeeded })).toBe(true);
    expect(isRefundable({ status: 'PENDING_PAYMENT', payment: { ...succeeded, status: 'FAILED' } })).toBe(false);
    expect(isRefundable({ status: 'PENDING_PAYMENT' })).toBe(false);
    for (const s of ['FULFILLED', 'REFUNDED', 'CANCELLED', 'NEEDS_ATTENTION'] as const)
      expect(isRefundable({ status: s, payment: succeeded })).toBe(false);
  });

  it('records the reason each compensated final status stands for (inverse of finalStatusForReason)', () => {
    for (const r of ['CUSTOMER', 'EXPIRED', 'PAYMENT_FAILED'] as const) expect(reasonForFinalStatus(finalStatusForReason(r))).toBe(r);
    expect(ORDER_STATUSES.filter(isCompensatedStatus).sort()).toEqual(['CANCELLED', 'EXPIRED', 'PAYMENT_FAILED']);
  });
});
