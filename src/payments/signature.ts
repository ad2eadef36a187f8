/**
 * Webhook signatures: `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (PRODUCT.md API v1).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header value a provider sends for `rawBody`. */
export function signBody(rawBody: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex')}`;
}

/** True when `header` is a valid signature of `rawBody` (constant-time comparison). */
export function verifySignature(rawBody: string, header: string | undefined, secret: string): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = Buffer.from(signBody(rawBody, secret).toLowerCase());
  const given = Buffer.from(header.toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given);
}
