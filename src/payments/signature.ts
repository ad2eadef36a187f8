/**
 * Webhook signatures (PRODUCT.md "Identity and access (contract v1.1)", "Webhook signature"):
 *
 *   X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 *
 * keyed with the provider's secret. Several `v1=` entries may be sent (a provider signing with its old
 * and new secret during a rotation, as Stripe does); entries of other schemes (`v0=`, ...) are ignored.
 * A signature is accepted when ANY `v1` entry matches the HMAC under ANY of the accepted secrets (the
 * current and, during a rotation, the previous one) and `t` is at most {@link SIGNATURE_TOLERANCE_SECONDS}
 * away from now. Pure functions: no clock, no environment, no I/O (the caller passes `nowSeconds`).
 *
 * Order of checks: a malformed header or no matching `v1` is INVALID; only a header that is genuinely
 * signed is then judged by its age (STALE). So an unsigned caller never learns anything about the window,
 * and a replay of a captured, correctly signed but old request is STALE.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far `t` may be from now, in seconds, either way (inclusive: exactly 300 s is still accepted). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Longest X-Signature header considered (characters); anything longer is INVALID without hashing. */
export const MAX_SIGNATURE_HEADER_LENGTH = 1024;

/** Most `v1=` entries compared per request (bounds the HMAC work an unsigned caller can cause). */
export const MAX_SIGNATURES = 8;

/** Outcome of {@link verify}: OK, STALE (signed but `t` out of the window), INVALID (missing, malformed, wrong). */
export type SignatureVerdict = 'OK' | 'STALE' | 'INVALID';

/** Hex HMAC-SHA256 of `"<t>.<rawBody>"` under `secret` (the `v1` value). */
export function signaturePayloadHmac(rawBody: string, secret: string, t: number): string {
  return createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest('hex');
}

/**
 * The X-Signature header a provider sends for `rawBody` signed at `t` (unix seconds, integer) with
 * `secret`: `t=<t>,v1=<hex>`. Pass several secrets to produce several `v1` entries (rotation).
 */
export function sign(rawBody: string, secret: string | readonly string[], t: number): string {
  if (!Number.isSafeInteger(t) || t < 0) throw new RangeError(`t must be a non-negative integer of unix seconds, got ${t}`);
  const secrets = typeof secret === 'string' ? [secret] : secret;
  return [`t=${t}`, ...secrets.map((s) => `v1=${signaturePayloadHmac(rawBody, s, t)}`)].join(',');
}

/** The parsed header: its timestamp and the 32-byte `v1` signatures; undefined when malformed. */
export function parseSignatureHeader(header: string | undefined): { t: number; v1: Buffer[] } | undefined {
  if (!header || header.length > MAX_SIGNATURE_HEADER_LENGTH) return undefined;
  let t: number | undefined;
  const v1: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return undefined; // exactly one t, unix seconds
      t = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) return undefined;
      v1.push(Buffer.from(value, 'hex'));
    } else if (!/^[a-z][a-z0-9]{0,15}$/.test(key)) {
      return undefined;
    } // other schemes (v0=...) are ignored, as Stripe does
  }
  if (t === undefined || v1.length === 0 || v1.length > MAX_SIGNATURES) return undefined;
  return { t, v1 };
}

/**
 * Verifies `header` against `rawBody` (the exact bytes received, as a UTF-8 string) with any of `secrets`
 * (empty strings are skipped) at `nowSeconds` (unix seconds). Every comparison is constant-time
 * (timingSafeEqual) and all of them are made, match or not.
 * Returns 'INVALID' (missing, malformed, no secret, no match), 'STALE' (matches but |now - t| > 300 s), or 'OK'.
 */
export function verify(header: string | undefined, rawBody: string, secrets: readonly string[], nowSeconds: number): SignatureVerdict {
  const parsed = parseSignatureHeader(header);
  const keys = secrets.filter((s) => s.length > 0);
  if (!parsed || keys.length === 0) return 'INVALID';
  let matched = false;
  for (const secret of keys) {
    const expected = Buffer.from(signaturePayloadHmac(rawBody, secret, parsed.t), 'hex');
    for (const given of parsed.v1) matched = timingSafeEqual(expected, given) || matched;
  }
  if (!matched) return 'INVALID';
  return Math.abs(nowSeconds - parsed.t) > SIGNATURE_TOLERANCE_SECONDS ? 'STALE' : 'OK';
}
