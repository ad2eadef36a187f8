/**
 * Webhook signature rules (PRODUCT.md "Webhook signature", contract v1.1): `t=<unix s>,v1=<hex HMAC-SHA256
 * of "<t>.<raw body>">`, 300 s window either way, several v1 entries, current and previous secret.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSignatureHeader, sign, SIGNATURE_TOLERANCE_SECONDS, verify } from '../../src/payments/signature.ts';

const SECRET = 'current-secret';
const PREVIOUS = 'previous-secret';
const BODY = JSON.stringify({
  paymentId: 'pay_1',
  orderId: 'ord_1',
  status: 'SUCCEEDED',
  amount: 4500,
  currency: 'CNY',
  occurredAt: '2026-11-23T08:00:00Z',
});
const NOW = 1_795_000_000;

describe('sign', () => {
  it('is t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', SECRET).update(`${NOW}.${BODY}`).digest('hex');
    expect(sign(BODY, SECRET, NOW)).toBe(`t=${NOW},v1=${expected}`);
  });
  it('writes one v1 entry per secret', () => {
    expect(sign(BODY, [SECRET, PREVIOUS], NOW).split(',')).toHaveLength(3);
  });
  it('refuses a non-integer t', () => {
    expect(() => sign(BODY, SECRET, 1.5)).toThrow(RangeError);
  });
});

describe('verify', () => {
  it('accepts a fresh signature', () => {
    expect(verify(sign(BODY, SECRET, NOW), BODY, [SECRET], NOW)).toBe('OK');
  });

  it.each([
    ['exactly 300 s old', -SIGNATURE_TOLERANCE_SECONDS, 'OK'],
    ['exactly 300 s ahead', SIGNATURE_TOLERANCE_SECONDS, 'OK'],
    ['301 s old', -SIGNATURE_TOLERANCE_SECONDS - 1, 'STALE'],
    ['301 s ahead', SIGNATURE_TOLERANCE_SECONDS + 1, 'STALE'],
  ] as const)('judges a t %s as %s', (_name, offset, verdict) => {
    expect(verify(sign(BODY, SECRET, NOW + offset), BODY, [SECRET], NOW)).toBe(verdict);
  });

  it('calls a replay of a header captured in 2019 STALE (the signature itself is genuine)', () => {
    const t2019 = Math.floor(Date.parse('2019-06-01T00:00:00Z') / 1000);
    const captured = sign(BODY, SECRET, t2019);
    expect(verify(captured, BODY, [SECRET], t2019)).toBe('OK');
    expect(verify(captured, BODY, [SECRET], NOW)).toBe('STALE');
  });

  it('calls a re-timed header INVALID: t is part of the signed text', () => {
    const old = sign(BODY, SECRET, NOW - 3600);
    const retimed = old.replace(`t=${NOW - 3600}`, `t=${NOW}`);
    expect(verify(retimed, BODY, [SECRET], NOW)).toBe('INVALID');
  });

  it('calls a tampered body INVALID', () => {
    const header = sign(BODY, SECRET, NOW);
    expect(verify(header, BODY.replace('4500', '4501'), [SECRET], NOW)).toBe('INVALID');
    expect(verify(header, `${BODY} `, [SECRET], NOW)).toBe('INVALID');
  });

  it('calls a wrong secret INVALID, also when the timestamp is stale (no hint about the window)', () => {
    expect(verify(sign(BODY, 'other', NOW), BODY, [SECRET], NOW)).toBe('INVALID');
    expect(verify(sign(BODY, 'other', NOW - 10_000), BODY, [SECRET], NOW)).toBe('INVALID');
  });

  it('accepts the previous secret during a rotation, and not after it', () => {
    const byPrevious = sign(BODY, PREVIOUS, NOW);
    expect(verify(byPrevious, BODY, [SECRET, PREVIOUS], NOW)).toBe('OK');
    expect(verify(byPrevious, BODY, [SECRET], NOW)).toBe('INVALID');
  });

  it('accepts a header with several v1 entries when any one matches (Stripe style), and ignores other schemes', () => {
    const good = sign(BODY, SECRET, NOW).split(',')[1]!;
    expect(verify(`t=${NOW},v1=${'0'.repeat(64)},${good}`, BODY, [SECRET], NOW)).toBe('OK');
    expect(verify(`t=${NOW},v0=abc,${good}`, BODY, [SECRET], NOW)).toBe('OK');
    expect(verify(sign(BODY, ['unknown', PREVIOUS], NOW), BODY, [SECRET, PREVIOUS], NOW)).toBe('OK');
  });

  it('accepts upper-case hex and spaces around entries', () => {
    const [t, v1] = sign(BODY, SECRET, NOW).split(',');
    expect(verify(`${t}, ${v1!.toUpperCase().replace('V1=', 'v1=')}`, BODY, [SECRET], NOW)).toBe('OK');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['the v1 contract sha256= form', `sha256=${'a'.repeat(64)}`],
    ['no t', `v1=${'a'.repeat(64)}`],
    ['no v1', `t=${NOW}`],
    ['two t', `t=${NOW},t=${NOW},v1=${'a'.repeat(64)}`],
    ['a negative t', `t=-1,v1=${'a'.repeat(64)}`],
    ['a fractional t', `t=${NOW}.5,v1=${'a'.repeat(64)}`],
    ['a short v1', `t=${NOW},v1=abc`],
    ['a non-hex v1', `t=${NOW},v1=${'z'.repeat(64)}`],
    ['an entry without =', `t=${NOW},v1`],
    ['nine v1 entries', `t=${NOW}${`,v1=${'a'.repeat(64)}`.repeat(9)}`],
    ['an oversized header', `t=${NOW},v1=${'a'.repeat(64)},x=${'b'.repeat(2000)}`],
  ])('calls a %s header INVALID', (_name, header) => {
    expect(parseSignatureHeader(header)).toBeUndefined();
    expect(verify(header, BODY, [SECRET], NOW)).toBe('INVALID');
  });

  it('is INVALID without any usable secret', () => {
    expect(verify(sign(BODY, SECRET, NOW), BODY, [], NOW)).toBe('INVALID');
    expect(verify(sign(BODY, '', NOW), BODY, [''], NOW)).toBe('INVALID');
  });
});
