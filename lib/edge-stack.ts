import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { acknowledgeIamWildcards, commonWildcardRules } from './constructs/nag.ts';
import { SharedParametersConstruct } from './constructs/shared-parameters-construct.ts';

/** CloudFront web ACLs must live in us-east-1. */
export const EDGE_REGION = 'us-east-1';

/**
 * Requests per IP per 5 minutes above which WAF blocks that IP (answered 429). 3,000 / 5 min = 10 requests/s
 * sustained: far above one shopper or one store terminal, low enough to stop a single-source flood before the
 * API throttles (which are per route, for everyone) bite.
 */
export const WAF_RATE_LIMIT_PER_IP = 3_000;

/** AWS managed rule groups of the web ACL, in evaluation order. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

/** Properties of {@link WandianEdgeStack}. */
export interface WandianEdgeStackProps extends StackProps {
  /** Every AWS region with a regional stack: each gets the web ACL ARN as an SSM parameter. */
  readonly salesAwsRegions: readonly string[];
}

/**
 * Edge protection shared by every region (us-east-1, where CLOUDFRONT-scope web ACLs live): one AWS WAF web ACL
 * with the Amazon IP reputation list, the common rule set, known bad inputs and a per-IP rate-based rule. Each
 * regional stack puts its HTTP API behind a CloudFront distribution that uses it (lib/constructs/edge-construct.ts);
 * the ARN reaches them as an SSM parameter (lib/constructs/shared-parameters-construct.ts).
 */
export class WandianEdgeStack extends Stack {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: WandianEdgeStackProps) {
    super(scope, id, props);
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: 'wandian-api',
      description: 'wandian HTTP API: managed rules + per-IP rate limit',
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('wandian-api'),
      customResponseBodies: {
        RateLimited: {
          contentType: 'APPLICATION_JSON',
          content: '{"type":"about:blank","title":"Too Many Requests","status":429,"code":"RATE_LIMITED"}',
        },
      },
      rules: [
        ...MANAGED_RULE_GROUPS.map((name, priority) => ({
          name,
          priority,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
          visibilityConfig: visibility(name),
        })),
        {
          name: 'RatePerIp',
          priority: MANAGED_RULE_GROUPS.length,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'RateLimited',
                responseHeaders: [{ name: 'Retry-After', value: '300' }],
              },
            },
          },
          statement: { rateBasedStatement: { limit: WAF_RATE_LIMIT_PER_IP, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility('RatePerIp'),
        },
      ],
    });
    new SharedParametersConstruct(this, 'SharedParameters', { regions: props.salesAwsRegions, values: { webAclArn: this.webAcl.attrArn } });
    new CfnOutput(this, 'WebAclArn', { value: this.webAcl.attrArn });
    acknowledgeIamWildcards(this, commonWildcardRules);
  }
}
