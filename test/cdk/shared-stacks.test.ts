/**
 * The stacks every region shares: WandianIdentity (the chain's user pool, in cdk.json `wandian:identityRegion`)
 * and WandianEdge (the CloudFront web ACL, us-east-1), and how their values reach the regional stacks (SSM
 * parameters written into every sales region; regional stacks deploy after both). Expectations come from
 * lib/wiring.ts and cdk.json.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, IDENTITY_REGION_CONTEXT, SALES_REGIONS_CONTEXT } from '../../lib/app.ts';
import { ENTRY_METADATA } from '../../lib/constructs/conventions.ts';
import { sharedParameters } from '../../lib/constructs/shared-parameters-construct.ts';
import { EDGE_REGION, MANAGED_RULE_GROUPS, WAF_RATE_LIMIT_PER_IP } from '../../lib/edge-stack.ts';
import { PRE_TOKEN_ENTRY } from '../../lib/identity-stack.ts';
import { fromRepoRoot } from '../../lib/paths.ts';
import { machineScopes, RESOURCE_SERVER_ID, roles } from '../../lib/wiring.ts';

type Json = any; // CloudFormation fragments are untyped JSON.

const cdkContext = JSON.parse(readFileSync(fromRepoRoot('cdk.json'), 'utf8')).context as Record<string, unknown>;
const salesAwsRegions = [...new Set(Object.values(cdkContext[SALES_REGIONS_CONTEXT] as Record<string, string>))];
const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
const built = buildApp(app);

const resourcesOf = (template: Template) =>
  Object.entries(template.toJSON().Resources as Record<string, { Type: string; Properties: Json; Metadata?: Json }>);
/** The SSM parameters a shared stack writes, as `<region><name>` (their physical resource ids). */
function writtenParameters(template: Template): string[] {
  return resourcesOf(template)
    .filter(([, r]) => r.Type === 'Custom::AWS')
    .map(([, r]) => {
      const create = JSON.stringify(r.Properties.Create);
      const region = /\\"region\\":\\"([a-z0-9-]+)\\"/.exec(create)?.[1];
      const name = /\\"Name\\":\\"([^\\]+)\\"/.exec(create)?.[1];
      expect(create).toContain('putParameter');
      expect(JSON.stringify(r.Properties.Delete)).toContain('deleteParameter');
      return `${region}${name}`;
    })
    .sort();
}

describe('WandianIdentity', () => {
  let template: Template;
  let resources: ReturnType<typeof resourcesOf>;
  beforeAll(() => {
    template = Template.fromStack(built.identity);
    resources = resourcesOf(template);
  });
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type).map(([id, r]) => [id, r.Properties] as const);

  it('lives in the one region cdk.json names', () => {
    expect(built.identity.region).toBe(cdkContext[IDENTITY_REGION_CONTEXT]);
  });

  it('has one Plus user pool with threat protection enforced, email sign-up, a strong password policy and OPTIONAL TOTP-only MFA', () => {
    const pools = ofType('AWS::Cognito::UserPool');
    expect(pools).toHaveLength(1);
    expect(pools[0]![1]).toMatchObject({
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UsernameAttributes: ['email'],
      DeletionProtection: 'ACTIVE',
      Policies: {
        PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true },
      },
    });
  });

  it('enforces MFA for staff through the V2 pre-token-generation trigger, which may read users of this pool only', () => {
    const [, pool] = ofType('AWS::Cognito::UserPool')[0]!;
    const [fnId] = resources.find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[ENTRY_METADATA] === PRE_TOKEN_ENTRY) ?? [];
    expect(fnId, 'trigger function').toBeDefined();
    expect(pool.LambdaConfig).toEqual({ PreTokenGenerationConfig: { LambdaArn: { 'Fn::GetAtt': [fnId, 'Arn'] }, LambdaVersion: 'V2_0' } });
    const poolId = ofType('AWS::Cognito::UserPool')[0]![0];
    const statements = ofType('AWS::IAM::Policy').flatMap(([, p]) => p.PolicyDocument.Statement as Json[]);
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'cognito-idp:AdminGetUser', Resource: { 'Fn::GetAtt': [poolId, 'Arn'] } }),
    );
  });

  it('has exactly the wiring roles as groups', () => {
    expect(
      ofType('AWS::Cognito::UserPoolGroup')
        .map(([, g]) => g.GroupName)
        .sort(),
    ).toEqual([...roles].sort());
  });

  it('has the resource server with the machine scopes, and a machine client (client credentials, with secret) limited to them', () => {
    const servers = ofType('AWS::Cognito::UserPoolResourceServer');
    expect(servers).toHaveLength(1);
    expect(servers[0]![1].Identifier).toBe(RESOURCE_SERVER_ID);
    expect(servers[0]![1].Scopes.map((s: Json) => `${RESOURCE_SERVER_ID}/${s.ScopeName}`).sort()).toEqual(
      Object.values(machineScopes).sort(),
    );
    const machine = ofType('AWS::Cognito::UserPoolClient')
      .map(([, c]) => c)
      .filter((c) => c.AllowedOAuthFlows?.includes('client_credentials'));
    expect(machine).toEqual([expect.objectContaining({ GenerateSecret: true, AllowedOAuthFlows: ['client_credentials'] })]);
    expect([...machine[0]!.AllowedOAuthScopes].sort()).toEqual(Object.values(machineScopes).sort());
  });

  it('has two browser clients (customer app, operators console): authorization code only, no secret', () => {
    const browser = ofType('AWS::Cognito::UserPoolClient')
      .map(([, c]) => c)
      .filter((c) => !c.AllowedOAuthFlows?.includes('client_credentials'));
    expect(browser.map((c) => c.ClientName).sort()).toEqual(['customer-app', 'operators-console']);
    for (const client of browser) {
      expect(client, client.ClientName).toMatchObject({
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        GenerateSecret: false,
        PreventUserExistenceErrors: 'ENABLED',
      });
      expect(client.CallbackURLs.length, client.ClientName).toBeGreaterThan(0);
    }
  });

  it('writes the issuer and the three client ids into every sales region as SSM parameters', () => {
    const expected = salesAwsRegions.flatMap((region) =>
      [sharedParameters.jwtIssuer, sharedParameters.jwtAudience].map((name) => `${region}${name}`),
    );
    expect(writtenParameters(template)).toEqual(expected.sort());
  });
});

describe('WandianEdge', () => {
  let template: Template;
  beforeAll(() => {
    template = Template.fromStack(built.edge);
  });

  it(`lives in ${EDGE_REGION} with one CLOUDFRONT web ACL: IP reputation, common rule set, known bad inputs, then a per-IP rate limit`, () => {
    expect(built.edge.region).toBe(EDGE_REGION);
    const acls = resourcesOf(template).filter(([, r]) => r.Type === 'AWS::WAFv2::WebACL');
    expect(acls).toHaveLength(1);
    const acl = acls[0]![1].Properties;
    expect(acl.Scope).toBe('CLOUDFRONT');
    expect(acl.DefaultAction).toEqual({ Allow: {} });
    const managed = (acl.Rules as Json[])
      .filter((r) => r.Statement.ManagedRuleGroupStatement)
      .map((r) => r.Statement.ManagedRuleGroupStatement);
    expect(managed).toEqual(MANAGED_RULE_GROUPS.map((name) => ({ VendorName: 'AWS', Name: name })));
    for (const name of ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList'])
      expect(MANAGED_RULE_GROUPS).toContain(name);
    const rate = (acl.Rules as Json[]).find((r) => r.Statement.RateBasedStatement);
    expect(rate.Statement.RateBasedStatement).toMatchObject({ Limit: WAF_RATE_LIMIT_PER_IP, AggregateKeyType: 'IP' });
    expect(rate.Action.Block.CustomResponse.ResponseCode).toBe(429);
    expect(rate.Priority).toBeGreaterThan(Math.max(...(acl.Rules as Json[]).filter((r) => r !== rate).map((r) => r.Priority)));
  });

  it('writes the web ACL ARN into every sales region as an SSM parameter', () => {
    expect(writtenParameters(template)).toEqual(salesAwsRegions.map((region) => `${region}${sharedParameters.webAclArn}`).sort());
  });
});

describe('deploy order', () => {
  it('deploys every regional stack after WandianIdentity and WandianEdge', () => {
    for (const stack of built.regional)
      expect(stack.dependencies, stack.stackName).toEqual(expect.arrayContaining([built.identity, built.edge]));
  });
});
