/**
 * WebSocket `$connect` REQUEST authorizer (lib/wiring.ts `webSocketAuthorizer`): the access token arrives as
 * `?token=` (browsers cannot set headers on a WebSocket) and is checked by the same rule as the HTTP JWT
 * authorizer (src/auth/jwt-verifier.ts: issuer WANDIAN_JWT_ISSUER, client ids WANDIAN_JWT_AUDIENCE, RS256,
 * expiry). A valid token gets an Allow on the connect route with `{sub, groups, scope}` as the authorizer
 * context (read by `$connect`); anything else is refused with 401 (`Unauthorized`).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createTokenVerifier, parseAudience, type TokenVerifier } from '../../src/auth/jwt-verifier.ts';
import { JWT_AUDIENCE_ENV, JWT_ISSUER_ENV } from '../../lib/wiring.ts';

let verifier: TokenVerifier | undefined;
/** Built on first use (per container): keys are fetched once and cached by aws-jwt-verify. */
function tokenVerifier(): TokenVerifier {
  if (!verifier) {
    const issuer = process.env[JWT_ISSUER_ENV];
    if (!issuer) throw new Error(`${JWT_ISSUER_ENV} is not set`);
    verifier = createTokenVerifier({ issuer, audience: parseAudience(process.env[JWT_AUDIENCE_ENV]) });
  }
  return verifier;
}

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  let claims: Record<string, unknown>;
  try {
    claims = await tokenVerifier().verify(event.queryStringParameters?.token);
  } catch {
    // API Gateway answers 401 for exactly this message; the reason is not disclosed to the caller.
    throw new Error('Unauthorized');
  }
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!sub) throw new Error('Unauthorized');
  const groups = Array.isArray(claims['cognito:groups'])
    ? (claims['cognito:groups'] as unknown[]).filter((g) => typeof g === 'string')
    : [];
  return {
    principalId: sub,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
    context: { sub, groups: groups.join(' '), scope: typeof claims.scope === 'string' ? claims.scope : '' },
  };
};
