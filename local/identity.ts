/**
 * The local OpenID issuer (contract v1.1, shared/brief/PRODUCT.md "Local identity"), standing in for the
 * chain's Cognito user pool: an RS256 key pair made at start (jose), its JWKS at
 * `/local/idp/.well-known/jwks.json`, discovery at `/local/idp/.well-known/openid-configuration`, and
 * `POST /local/token` `{sub, groups?, expiresInSeconds?, scope?, clientId?}` → `{access_token, token_type:
 * "Bearer", expires_in}`. Tokens look like Cognito access tokens (`token_use: access`, `client_id`,
 * `cognito:groups`). It exists only in the local runtime; the API verifies its tokens with the rules of the
 * deployed JWT authorizer (src/auth/jwt-verifier.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { z } from 'zod';
import { roles } from '../lib/wiring.ts';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { createTokenVerifier, type TokenVerifier } from '../src/auth/jwt-verifier.ts';

/** Local app client ids (the deployed ones come from the identity stack): customer app, operators' console, a POS machine client. */
export const LOCAL_CLIENT_IDS = { app: 'wandian-local-app', console: 'wandian-local-console', machine: 'wandian-local-pos' } as const;
export const LOCAL_AUDIENCE: readonly string[] = Object.values(LOCAL_CLIENT_IDS);
export const IDP_PATH = '/local/idp';
export const TOKEN_PATH = '/local/token';
/** Default and longest token lifetime (s): one hour, like Cognito's default access token. */
export const DEFAULT_TOKEN_SECONDS = 3600;

/** What a token is issued for; `expiresInSeconds` may be negative to make an already expired token (tests). */
export const tokenRequestSchema = z.strictObject({
  sub: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/),
  groups: z.array(z.enum(roles)).max(4).optional(),
  scope: z.string().max(512).optional(),
  clientId: z.enum([LOCAL_CLIENT_IDS.app, LOCAL_CLIENT_IDS.console, LOCAL_CLIENT_IDS.machine]).optional(),
  expiresInSeconds: z.number().int().min(-86_400).max(DEFAULT_TOKEN_SECONDS).optional(),
});
export type TokenRequest = z.infer<typeof tokenRequestSchema>;

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  /** Seconds until expiry. */
  expires_in: number;
}

export interface LocalIdentity {
  /** `http://127.0.0.1:<port>/local/idp` once bound. */
  readonly issuer: string;
  readonly jwks: JSONWebKeySet;
  /** Verifies tokens as the deployed JWT authorizer does (issuer, audience, expiry, RS256). */
  readonly verifier: TokenVerifier;
  /** Sets the issuer from the API's base URL (the port is known only after listening). */
  bind(baseUrl: string): void;
  /** Issues an access token. */
  issue(req: TokenRequest): Promise<TokenResponse>;
  /** Signs arbitrary claims with the issuer's key (tests: wrong issuer, wrong audience...). */
  sign(claims: Record<string, unknown>, expiresInSeconds?: number): Promise<string>;
  /** Serves the JWKS, discovery and token endpoints; true when it answered. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
}

/** Makes the issuer's key pair (RS256, 2048 bits) and its endpoints. */
export async function createLocalIdentity(): Promise<LocalIdentity> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const jwks: JSONWebKeySet = { keys: [jwk as JSONWebKeySet['keys'][number]] };
  let issuer = 'http://127.0.0.1/local/idp';
  let verifier = createTokenVerifier({ issuer, audience: [...LOCAL_AUDIENCE], jwks: jwks as unknown as Jwks });

  const sign = async (claims: Record<string, unknown>, expiresInSeconds = DEFAULT_TOKEN_SECONDS): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: issuer, iat: now, exp: now + expiresInSeconds, jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .sign(privateKey);
  };
  const issue = async (req: TokenRequest): Promise<TokenResponse> => {
    const expiresIn = req.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS;
    const access_token = await sign(
      {
        sub: req.sub,
        token_use: 'access',
        client_id: req.clientId ?? (req.groups?.some((g) => g !== 'customer') ? LOCAL_CLIENT_IDS.console : LOCAL_CLIENT_IDS.app),
        username: req.sub,
        ...(req.groups?.length ? { 'cognito:groups': req.groups } : {}),
        ...(req.scope ? { scope: req.scope } : {}),
      },
      expiresIn,
    );
    return { access_token, token_type: 'Bearer', expires_in: expiresIn };
  };

  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  };
  const handle = (req: IncomingMessage, res: ServerResponse, url: URL): boolean => {
    if (req.method === 'GET' && url.pathname === `${IDP_PATH}/.well-known/jwks.json`) {
      send(res, 200, jwks);
      return true;
    }
    if (req.method === 'GET' && url.pathname === `${IDP_PATH}/.well-known/openid-configuration`) {
      send(res, 200, {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        token_endpoint: issuer.replace(IDP_PATH, TOKEN_PATH),
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
      });
      return true;
    }
    if (req.method === 'POST' && url.pathname === TOKEN_PATH) {
      void readJson(req).then(
        async (body) => {
          const parsed = tokenRequestSchema.safeParse(body);
          if (!parsed.success) {
            send(
              res,
              400,
              {
                type: 'about:blank',
                title: 'Invalid token request',
                status: 400,
                code: 'VALIDATION_FAILED',
                detail: 'Send {sub, groups?, expiresInSeconds?, scope?, clientId?}',
              },
              'application/problem+json',
            );
            return;
          }
          send(res, 200, await issue(parsed.data));
        },
        () =>
          send(
            res,
            400,
            { type: 'about:blank', title: 'Invalid token request', status: 400, code: 'MALFORMED_JSON', detail: 'Body must be JSON' },
            'application/problem+json',
          ),
      );
      return true;
    }
    return false;
  };

  return {
    get issuer() {
      return issuer;
    },
    jwks,
    get verifier() {
      return verifier;
    },
    bind(baseUrl) {
      issuer = `${baseUrl}${IDP_PATH}`;
      verifier = createTokenVerifier({ issuer, audience: [...LOCAL_AUDIENCE], jwks: jwks as unknown as Jwks });
    },
    issue,
    sign,
    handle,
  };
}

/** Reads a small JSON body (at most 8 KiB). */
async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > 8192) throw new Error('too large');
  }
  return JSON.parse(text);
}
