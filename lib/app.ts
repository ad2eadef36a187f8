import type { App, Stack } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EDGE_REGION, WandianEdgeStack } from './edge-stack.ts';
import { WandianIdentityStack, type CallbackUrls } from './identity-stack.ts';
import { WandianStack } from './wandian-stack.ts';
import { principalLimits, type PrincipalLimitId } from './wiring.ts';

/** cdk.json context key: sales region → AWS region it is deployed in. */
export const SALES_REGIONS_CONTEXT = 'wandian:salesRegions';
/** cdk.json context key: the ONE AWS region of the chain's user pool (stack WandianIdentity). */
export const IDENTITY_REGION_CONTEXT = 'wandian:identityRegion';
/** Optional cdk.json context key: `{customerApp: [url], opsConsole: [url]}` OAuth redirect URLs. */
export const CALLBACK_URLS_CONTEXT = 'wandian:identityCallbackUrls';
/** Redirect URLs used when cdk.json names none. */
export const DEFAULT_CALLBACK_URLS: CallbackUrls = {
  customerApp: ['https://app.wandian.example/auth/callback'],
  opsConsole: ['https://ops.wandian.example/auth/callback'],
};
/** Optional cdk.json context key: per-principal limits per minute, `{orderCreations: 20, topups: 20}` (wiring `principalLimits`). */
export const PRINCIPAL_LIMITS_CONTEXT = 'wandian:principalLimits';
/** Optional cdk.json context key: seconds an order waits for payment (default 900). */
export const PAYMENT_TIMEOUT_CONTEXT = 'wandian:paymentTimeoutSeconds';

/** Groups sales regions by the AWS region that serves them: `{east: 'ap-east-1'}` → `Map{'ap-east-1' => ['east']}`. */
export function salesRegionsByAwsRegion(salesRegions: Record<string, string>): Map<string, string[]> {
  const byRegion = new Map<string, string[]>();
  for (const [salesRegion, awsRegion] of Object.entries(salesRegions)) {
    byRegion.set(awsRegion, [...(byRegion.get(awsRegion) ?? []), salesRegion]);
  }
  return byRegion;
}

/** The app's `wandian:salesRegions` context, checked. */
function salesRegionsOf(app: App): Record<string, string> {
  const salesRegions: unknown = app.node.tryGetContext(SALES_REGIONS_CONTEXT);
  if (!salesRegions || typeof salesRegions !== 'object' || Object.keys(salesRegions).length === 0) {
    throw new Error(`cdk.json context "${SALES_REGIONS_CONTEXT}" must map sales regions to AWS regions`);
  }
  return salesRegions as Record<string, string>;
}

/**
 * Adds one `Wandian-<awsRegion>` stack per distinct AWS region of the app's `wandian:salesRegions` context.
 * They hold no construct reference to the shared stacks (they read their values from SSM), so they synthesize
 * on their own; {@link buildApp} adds the shared stacks and the deploy order.
 */
export function addRegionalStacks(app: App): WandianStack[] {
  const salesRegions = salesRegionsOf(app);
  const timeout: unknown = app.node.tryGetContext(PAYMENT_TIMEOUT_CONTEXT);
  const paymentTimeoutSeconds = timeout === undefined ? undefined : Number(timeout);
  if (paymentTimeoutSeconds !== undefined && !(Number.isInteger(paymentTimeoutSeconds) && paymentTimeoutSeconds > 0)) {
    throw new Error(`context "${PAYMENT_TIMEOUT_CONTEXT}" must be a positive integer, got ${String(timeout)}`);
  }
  const limits = (app.node.tryGetContext(PRINCIPAL_LIMITS_CONTEXT) ?? {}) as Partial<Record<PrincipalLimitId, number>>;
  for (const [id, value] of Object.entries(limits)) {
    if (!(id in principalLimits) || !(Number.isInteger(value) && value > 0))
      throw new Error(`context "${PRINCIPAL_LIMITS_CONTEXT}".${id} must be a known limit with a positive integer, got ${String(value)}`);
  }
  return [...salesRegionsByAwsRegion(salesRegions)].map(
    ([region, served]) =>
      new WandianStack(app, `Wandian-${region}`, {
        stackName: `Wandian-${region}`,
        env: { region, account: process.env.CDK_DEFAULT_ACCOUNT },
        description: `wandian order platform for sales regions ${served.join(', ')}`,
        salesRegions: served,
        paymentTimeoutSeconds,
        principalLimitsPerMinute: limits,
      }),
  );
}

/** Every stack of the app. */
export interface WandianApp {
  /** The chain's user pool (one region). */
  identity: WandianIdentityStack;
  /** The CloudFront web ACL (us-east-1). */
  edge: WandianEdgeStack;
  /** One stack per AWS region that serves sales regions. */
  regional: WandianStack[];
}

/** The whole app: WandianIdentity, WandianEdge, then one regional stack per AWS region (deployed after both). */
export function buildApp(app: App): WandianApp {
  const salesAwsRegions = [...salesRegionsByAwsRegion(salesRegionsOf(app)).keys()];
  const identityRegion: unknown = app.node.tryGetContext(IDENTITY_REGION_CONTEXT);
  if (typeof identityRegion !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(identityRegion)) {
    throw new Error(`cdk.json context "${IDENTITY_REGION_CONTEXT}" must name one AWS region, got ${String(identityRegion)}`);
  }
  const callbackUrls = (app.node.tryGetContext(CALLBACK_URLS_CONTEXT) as CallbackUrls | undefined) ?? DEFAULT_CALLBACK_URLS;
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const identity = new WandianIdentityStack(app, 'WandianIdentity', {
    stackName: 'WandianIdentity',
    env: { region: identityRegion, account },
    description: 'wandian identity: the chain user pool, groups, app clients and resource server',
    salesAwsRegions,
    callbackUrls,
  });
  const edge = new WandianEdgeStack(app, 'WandianEdge', {
    stackName: 'WandianEdge',
    env: { region: EDGE_REGION, account },
    description: 'wandian edge: the AWS WAF web ACL of the CloudFront distributions in front of the HTTP APIs',
    salesAwsRegions,
  });
  const regional = addRegionalStacks(app);
  for (const stack of regional) {
    stack.addStackDependency(identity, 'trusts the user pool (SSM parameters written by WandianIdentity)');
    stack.addStackDependency(edge, 'uses the web ACL (SSM parameter written by WandianEdge)');
  }
  return { identity, edge, regional };
}

/** Runs the cdk-nag AwsSolutions pack on every stack at synthesis (any unacknowledged finding fails synth). */
export function addNagChecks(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(checks);
  return checks;
}

/** All stacks of a {@link WandianApp}. */
export const allStacks = (built: WandianApp): Stack[] => [built.identity, built.edge, ...built.regional];
