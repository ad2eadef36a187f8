import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  LambdaVersion,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolOperation,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { machineScopes, RESOURCE_SERVER_ID, roles } from './wiring.ts';
import { createLambda } from './constructs/lambda.ts';
import { acknowledge, acknowledgeIamWildcards, commonWildcardRules } from './constructs/nag.ts';
import { SharedParametersConstruct } from './constructs/shared-parameters-construct.ts';

/** Handler of the pre-token-generation trigger (staff roles need MFA; a user in no group is a customer). */
export const PRE_TOKEN_ENTRY = 'functions/identity/pre-token-generation.ts';

/** Redirect URLs of the two browser clients (cdk.json `wandian:identityCallbackUrls` overrides them). */
export interface CallbackUrls {
  customerApp: string[];
  opsConsole: string[];
}

/** Properties of {@link WandianIdentityStack}. */
export interface WandianIdentityStackProps extends StackProps {
  /** Every AWS region with a regional stack: each gets the issuer and client ids as SSM parameters. */
  readonly salesAwsRegions: readonly string[];
  readonly callbackUrls: CallbackUrls;
}

/**
 * The chain's identity, in ONE region (cdk.json `wandian:identityRegion`), trusted by every regional stack.
 *
 * - A Cognito user pool on the Plus plan with threat protection enforced. Customers sign up themselves (email);
 *   staff are created by administrators and put in a group. Groups are the wiring `roles`.
 * - MFA: Cognito sets MFA per pool, and customers must not need it, so the pool's MFA is OPTIONAL with TOTP
 *   only. Staff roles require it through the pre-token-generation trigger: a staff group is put into a token only
 *   if the user has TOTP enabled (and is therefore challenged for it at every sign-in).
 * - Two browser clients without secret, authorization code grant (apps use PKCE, S256): the customer app and
 *   the operators' console (which may also call Cognito's own user APIs to enrol TOTP). A resource server
 *   `RESOURCE_SERVER_ID` with the `machineScopes`, and a machine client (client credentials, with secret).
 * - The issuer URL and the three client ids are written as SSM parameters into every sales region
 *   (lib/constructs/shared-parameters-construct.ts explains why not crossRegionReferences).
 */
export class WandianIdentityStack extends Stack {
  readonly userPool: UserPool;
  /** `https://cognito-idp.<region>.amazonaws.com/<poolId>`: the `iss` of its tokens. */
  readonly issuer: string;
  readonly clients: { customerApp: UserPoolClient; opsConsole: UserPoolClient; machine: UserPoolClient };

  constructor(scope: Construct, id: string, props: WandianIdentityStackProps) {
    super(scope, id, props);
    this.userPool = new UserPool(this, 'Users', {
      userPoolName: 'wandian',
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.userPool,
      'AwsSolutions-COG2',
      'MFA is per pool and customers must be able to sign up without it: the pool has OPTIONAL TOTP MFA and the pre-token-generation trigger gives staff roles only to users with TOTP enabled.',
    );

    const preToken = createLambda(this, 'PreTokenGeneration', {
      entry: PRE_TOKEN_ENTRY,
      description: 'Cognito pre-token-generation: staff roles only with TOTP MFA; a user in no group is a customer',
    });
    this.userPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, preToken, LambdaVersion.V2_0);
    // A separate policy (not the role's default policy, on which the function depends): the pool depends on the
    // function, and this policy on the pool, without a cycle.
    new Policy(this, 'PreTokenGenerationReadsMfa', {
      roles: [preToken.role!],
      statements: [new PolicyStatement({ actions: ['cognito-idp:AdminGetUser'], resources: [this.userPool.userPoolArn] })],
    });

    roles.forEach((role, precedence) => {
      this.userPool.addGroup(`${role}Group`, {
        groupName: role,
        precedence: roles.length - precedence,
        description:
          role === 'customer'
            ? 'Customers (self sign-up; tokens of users in no group say customer)'
            : `${role}: assigned by administrators only; needs TOTP MFA`,
      });
    });

    const resourceServer = this.userPool.addResourceServer('Api', {
      identifier: RESOURCE_SERVER_ID,
      userPoolResourceServerName: 'wandian API',
      scopes: Object.entries(machineScopes).map(
        ([name, scope]) =>
          new ResourceServerScope({ scopeName: scope.slice(RESOURCE_SERVER_ID.length + 1), scopeDescription: `wandian ${name}` }),
      ),
    });
    const browserClient = (clientId: string, name: string, callbackUrls: string[], extraScopes: OAuthScope[]) =>
      this.userPool.addClient(clientId, {
        userPoolClientName: name,
        generateSecret: false,
        authFlows: { userSrp: true },
        oAuth: {
          flows: { authorizationCodeGrant: true },
          scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE, ...extraScopes],
          callbackUrls,
        },
        preventUserExistenceErrors: true,
        enableTokenRevocation: true,
        accessTokenValidity: Duration.hours(1),
        idTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.days(30),
      });
    const machine = this.userPool.addClient('MachineClient', {
      userPoolClientName: 'machine',
      generateSecret: true,
      authFlows: { userSrp: false, userPassword: false, adminUserPassword: false, custom: false },
      oAuth: {
        flows: { clientCredentials: true },
        scopes: Object.values(machineScopes).map((s) => OAuthScope.custom(s)),
      },
      accessTokenValidity: Duration.hours(1),
    });
    machine.node.addDependency(resourceServer);
    this.clients = {
      customerApp: browserClient('CustomerAppClient', 'customer-app', props.callbackUrls.customerApp, []),
      opsConsole: browserClient('OpsConsoleClient', 'operators-console', props.callbackUrls.opsConsole, [OAuthScope.COGNITO_ADMIN]),
      machine,
    };
    const domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: Fn.join('-', ['wandian', this.account]) } });

    this.issuer = `https://cognito-idp.${this.region}.${this.urlSuffix}/${this.userPool.userPoolId}`;
    const audience = Fn.join(',', [
      this.clients.customerApp.userPoolClientId,
      this.clients.opsConsole.userPoolClientId,
      machine.userPoolClientId,
    ]);
    new SharedParametersConstruct(this, 'SharedParameters', {
      regions: props.salesAwsRegions,
      values: { jwtIssuer: this.issuer, jwtAudience: audience },
    });

    new CfnOutput(this, 'Issuer', { value: this.issuer, description: 'JWT issuer trusted by every regional stack' });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'CustomerAppClientId', { value: this.clients.customerApp.userPoolClientId });
    new CfnOutput(this, 'OpsConsoleClientId', { value: this.clients.opsConsole.userPoolClientId });
    new CfnOutput(this, 'MachineClientId', { value: machine.userPoolClientId });
    new CfnOutput(this, 'AuthDomain', { value: domain.baseUrl(), description: 'Hosted sign-in and /oauth2/token' });
    acknowledgeIamWildcards(this, commonWildcardRules);
  }
}

/** Number of app clients in the audience (customer app, operators' console, machine). */
export const APP_CLIENT_COUNT = 3;
