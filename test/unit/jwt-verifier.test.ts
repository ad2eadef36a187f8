/**
 * The token rule shared by the WebSocket authorizer and the local API (src/auth/jwt-verifier.ts): RS256 only,
 * exact issuer, not expired, client_id or aud among the app client ids. Keys are made here with jose and handed
 * over as a pre-loaded JWKS (as the local issuer does), so nothing is fetched.
 */
import type { webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

type CryptoKey = webcrypto.CryptoKey;
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, parseAudience, type TokenVerifier } from '../../src/auth/jwt-verifier.ts';

const issuer = 'http://127.0.0.1:3000/local/idp';
const clients = ['customer-app', 'ops-console'];
const kid = 'test-key-1';

let privateKey: CryptoKey;
let otherPrivateKey: CryptoKey;
let verifier: TokenVerifier;

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An access token as Cognito issues it (client_id, no aud), with overrides. */
async function token(claims: Record<string, unknown> = {}, options: { key?: CryptoKey; expiresIn?: number } = {}): Promise<string> {
  const iat = now();
  return new SignJWT({ sub: 'user-1', client_id: clients[0], token_use: 'access', 'cognito:groups': ['customer'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer((claims.iss as string | undefined) ?? issuer)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.expiresIn ?? 300))
    .sign(options.key ?? privateKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  otherPrivateKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
  verifier = createTokenVerifier({ issuer, audience: clients, jwks: { keys: [jwk] } as never });
});

describe('createTokenVerifier', () => {
  it('accepts a valid access token whose client_id is an app client, and returns its claims', async () => {
    const claims = await verifier.verify(await token());
    expect(claims).toMatchObject({ sub: 'user-1', iss: issuer, client_id: 'customer-app', 'cognito:groups': ['customer'] });
  });

  it('accepts an ID token whose aud is an app client', async () => {
    const claims = await verifier.verify(await token({ client_id: undefined, aud: 'ops-console', token_use: 'id' }));
    expect(claims.aud).toBe('ops-console');
  });

  it('rejects a missing or empty token', async () => {
    await expect(verifier.verify(undefined)).rejects.toThrow();
    await expect(verifier.verify('')).rejects.toThrow();
    await expect(verifier.verify('not-a-jwt')).rejects.toThrow();
  });

  it('rejects an expired token', async () => {
    await expect(verifier.verify(await token({}, { expiresIn: -60 }))).rejects.toThrow();
  });

  it('rejects a token from another issuer', async () => {
    await expect(verifier.verify(await token({ iss: 'https://evil.example/idp' }))).rejects.toThrow();
  });

  it('rejects a token for another app client (neither client_id nor aud accepted)', async () => {
    await expect(verifier.verify(await token({ client_id: 'someone-else' }))).rejects.toThrow(/audience/);
    await expect(verifier.verify(await token({ client_id: undefined, aud: ['someone-else'] }))).rejects.toThrow(/audience/);
    await expect(verifier.verify(await token({ client_id: undefined }))).rejects.toThrow(/audience/);
  });

  it('rejects HS256 tokens, even when signed with the public key material as the HMAC secret', async () => {
    const hs = await new SignJWT({ sub: 'user-1', client_id: clients[0] })
      .setProtectedHeader({ alg: 'HS256', kid })
      .setIssuer(issuer)
      .setExpirationTime(now() + 300)
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!'));
    await expect(verifier.verify(hs)).rejects.toThrow(/HS256/);
  });

  it('rejects unsigned tokens (alg none)', async () => {
    const unsigned = `${b64({ alg: 'none', kid })}.${b64({ sub: 'user-1', iss: issuer, client_id: clients[0], exp: now() + 300 })}.`;
    await expect(verifier.verify(unsigned)).rejects.toThrow(/none/);
  });

  it('rejects a tampered signature or payload, and a token signed by a key not in the JWKS', async () => {
    const good = await token();
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const flipped = signature.slice(0, -2) + (signature.slice(-2) === 'AA' ? 'AB' : 'AA');
    await expect(verifier.verify(`${header}.${payload}.${flipped}`)).rejects.toThrow();
    const forged = b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), 'cognito:groups': ['chainAdmin'] });
    await expect(verifier.verify(`${header}.${forged}.${signature}`)).rejects.toThrow();
    await expect(verifier.verify(await token({}, { key: otherPrivateKey }))).rejects.toThrow();
  });

  it('refuses to be built without an issuer or an audience', () => {
    expect(() => createTokenVerifier({ issuer: '', audience: clients })).toThrow();
    expect(() => createTokenVerifier({ issuer, audience: [] })).toThrow();
  });

  it('parses WANDIAN_JWT_AUDIENCE as comma-separated client ids', () => {
    expect(parseAudience(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseAudience(undefined)).toEqual([]);
  });
});
