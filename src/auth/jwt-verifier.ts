/**
 * Access-token verification with the rules of API Gateway's HTTP JWT authorizer: RS256 only, issuer equal,
 * not expired (exp) and not before nbf, `aud` or `client_id` one of the audience. Used by the local HTTP and
 * WebSocket layers and by the WebSocket REQUEST authorizer.
 */
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

export interface TokenVerifierOptions {
  issuer: string;
  /** App client ids; a token's `client_id` (access token) or `aud` (ID token) must be one of them. */
  audience: readonly string[];
  /** Where the keys are (default `<issuer>/.well-known/jwks.json`, as Cognito serves them). */
  jwksUri?: string;
  /** Preloaded keys (no fetch), e.g. the local issuer's own. */
  jwks?: JSONWebKeySet;
}

export interface TokenVerifier {
  /** The token's claims; throws on any failure (missing, expired, bad signature, wrong issuer or audience, other alg). */
  verify(token: string | undefined): Promise<Record<string, unknown>>;
}

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const keys = opts.jwks ? createLocalJWKSet(opts.jwks) : createRemoteJWKSet(new URL(opts.jwksUri ?? `${opts.issuer}/.well-known/jwks.json`));
  return {
    async verify(token) {
      if (!token) throw new Error('No token');
      const { payload } = await jwtVerify(token, keys, { issuer: opts.issuer, algorithms: ['RS256'] });
      const audiences = [payload.client_id, ...(Array.isArray(payload.aud) ? payload.aud : [payload.aud])].filter((a): a is string => typeof a === 'string');
      if (!audiences.some((a) => opts.audience.includes(a))) throw new Error('Token audience is not accepted');
      return payload as Record<string, unknown>;
    },
  };
}
