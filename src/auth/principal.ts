/**
 * Who is calling, from the claims of a verified access token (contract v1.1, shared/brief/PRODUCT.md
 * "Identity and access"). Pure: the token was verified before (API Gateway's JWT authorizer in AWS, the
 * local HTTP layer locally, both with the rules of src/auth/jwt-verifier.ts).
 */
import { roles as knownRoles, type Role } from '../../lib/wiring.ts';

/** A verified caller: `sub` is the customer id for customers; roles are the token's `cognito:groups`. */
export interface Principal {
  sub: string;
  roles: readonly Role[];
  /** OAuth scopes of a machine (client-credentials) token, e.g. 'wandian/inventory.write'. */
  scopes: readonly string[];
}

/**
 * Reads a list claim the way it may arrive: a JSON array (a decoded token), or the string API Gateway's HTTP
 * JWT authorizer makes of an array (`"[customer storeStaff]"`), or a space-separated string (`scope`).
 */
export function listClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  return value
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter(Boolean);
}

/**
 * The principal of verified claims `{sub, 'cognito:groups'?, scope?}`; unknown groups are ignored.
 * Returns undefined without a non-empty string `sub`.
 */
export function principalFromClaims(claims: Record<string, unknown> | undefined): Principal | undefined {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) return undefined;
  const groups = listClaim(claims?.['cognito:groups']);
  return {
    sub,
    roles: knownRoles.filter((r) => groups.includes(r)),
    scopes: listClaim(claims?.scope),
  };
}
