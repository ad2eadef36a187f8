/**
 * Cognito pre-token-generation trigger (V2) of the wandian user pool: who a token says the user is.
 *
 * 1. A user in no group is a customer: self sign-up (customers) puts nobody in a group, so their tokens get
 *    `cognito:groups: ["customer"]`. Staff groups are assigned by administrators only (AdminAddUserToGroup).
 * 2. Staff roles need MFA.
 *
 * Cognito MFA is set per pool, and customers sign up without it, so the pool's MFA is OPTIONAL with TOTP.
 * A user with TOTP enabled is always challenged for it at sign-in; this trigger makes sure only such users get
 * a staff role in their tokens: when the user belongs to storeStaff, regionManager or chainAdmin and has no TOTP
 * enabled, those groups are removed from the token (it keeps any customer group). The staff member can still
 * sign in to enrol TOTP (AssociateSoftwareToken / VerifySoftwareToken / SetUserMFAPreference), then signs in
 * again and gets the staff role. A failed lookup fails the sign-in rather than issuing an unchecked staff token.
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { roles, type Role } from '../../lib/wiring.ts';

/** Groups (wiring `roles`) that require MFA. */
export const STAFF_GROUPS: readonly string[] = roles.filter((r) => r !== 'customer');
const CUSTOMER_GROUP: Role = 'customer';

/**
 * The Cognito client is not a project dependency (only this trigger needs it): it is loaded from the AWS SDK v3
 * that the Lambda Node.js runtime ships. A non-literal specifier keeps esbuild from bundling it.
 */
const COGNITO_SDK: string = '@aws-sdk/client-cognito-identity-provider';
interface CognitoSdk {
  CognitoIdentityProviderClient: new (config: object) => { send(command: unknown): Promise<{ UserMFASettingList?: string[] }> };
  AdminGetUserCommand: new (input: { UserPoolId: string; Username: string }) => unknown;
}
let sdk: Promise<CognitoSdk> | undefined;
let client: InstanceType<CognitoSdk['CognitoIdentityProviderClient']> | undefined;

async function mfaSettings(userPoolId: string, username: string): Promise<string[]> {
  sdk ??= import(COGNITO_SDK) as Promise<CognitoSdk>;
  const { CognitoIdentityProviderClient, AdminGetUserCommand } = await sdk;
  client ??= new CognitoIdentityProviderClient({});
  const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
  return user.UserMFASettingList ?? [];
}

export const handler = async (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> => {
  const groups = event.request.groupConfiguration.groupsToOverride ?? [];
  if (groups.length === 0) return override(event, [CUSTOMER_GROUP]);
  if (!groups.some((g) => STAFF_GROUPS.includes(g))) return event;
  if ((await mfaSettings(event.userPoolId, event.userName)).includes('SOFTWARE_TOKEN_MFA')) return event;
  return override(
    event,
    groups.filter((g) => !STAFF_GROUPS.includes(g)),
  );
};

function override(event: PreTokenGenerationV2TriggerEvent, groupsToOverride: string[]): PreTokenGenerationV2TriggerEvent {
  event.response = { claimsAndScopeOverrideDetails: { groupOverrideDetails: { groupsToOverride } } };
  return event;
}
