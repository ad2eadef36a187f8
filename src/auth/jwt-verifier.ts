/**
 * The one token rule of wandian (PRODUCT.md "Identity and access"): an access token is accepted only if it
 * is an RS256 JWT signed by a key of the issuer's JWKS, its `iss` is the configured issuer, it is not
 * expired (nor used before `nbf`), and its `client_id` (Cognito access tokens) or `aud` (ID tokens, other
 * issuers) is one of the configured app client ids. Everything else throws.
 *
 * Used by the WebSocket `$connect` authorizer (functions/live/authorize.ts) and by the local HTTP and
 * WebSocket layers; the deployed HTTP API applies the same rule with its JWT authorizer.
 */
import { JwtRsaVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';

/** Settings of {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  /** Exact `iss` of accepted tokens, e.g. `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
  issuer: string;
  /** Accepted app client ids: a token's `client_id` or one of its `aud` values must be among them. */
  audience: string[];
  /** Where the issuer publishes its keys (default `${issuer}/.well-known/jwks.json`). */
  jwksUri?: string;
  /**
   * Pre-loaded key set: nothing is fetched. The local issuer (`http://127.0.0.1:<port>/local/idp`) hands its
   * keys over this way, since the library fetches JWKS over https only.
   */
  jwks?: Jwks;
}

/** Verifies bearer tokens; `verify` resolves to the token's claims or throws. */
export interface TokenVerifier {
  verify(token: string | undefined | null): Promise<Record<string, unknown>>;
}

/** The only signature algorithm accepted (Cognito signs with RS256). */
export const ACCEPTED_ALGORITHM = 'RS256';

/** Parses `WANDIAN_JWT_AUDIENCE` (comma-separated client ids). */
export const parseAudience = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const issuer = options.issuer.replace(/\/+$/, '');
  if (!issuer) throw new Error('createTokenVerifier: issuer is required');
  const audience = new Set(options.audience.filter(Boolean));
  if (audience.size === 0) throw new Error('createTokenVerifier: at least one audience (client id) is required');
  const verifier = JwtRsaVerifier.create({
    issuer,
    jwksUri: options.jwksUri ?? `${issuer}/.well-known/jwks.json`,
    // aud/client_id are checked below: Cognito access tokens carry client_id and no aud.
    audience: null,
    customJwtCheck: ({ header, payload }) => {
      if (header.alg !== ACCEPTED_ALGORITHM) throw new Error(`Token algorithm ${String(header.alg)} is not accepted`);
      const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
      const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!(clientId !== undefined && audience.has(clientId)) && !aud.some((a) => audience.has(a))) {
        throw new Error('Token audience is not accepted');
      }
    },
  });
  if (options.jwks) verifier.cacheJwks(options.jwks);
  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0) throw new Error('Missing token');
      // The header is checked before any key lookup so that HS256 / none tokens never reach a fetch.
      const [encodedHeader] = token.split('.');
      let alg: unknown;
      try {
        alg = (JSON.parse(Buffer.from(encodedHeader ?? '', 'base64url').toString('utf8')) as { alg?: unknown }).alg;
      } catch {
        throw new Error('Malformed token');
      }
      if (alg !== ACCEPTED_ALGORITHM) throw new Error(`Token algorithm ${String(alg)} is not accepted`);
      const payload = await verifier.verify(token);
      return payload as Record<string, unknown>;
    },
  };
}
