import type { App } from 'aws-cdk-lib';
import { WandianStack } from './wandian-stack.ts';

/** cdk.json context key: sales region → AWS region it is deployed in. */
export const SALES_REGIONS_CONTEXT = 'wandian:salesRegions';
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

/** Adds one `Wandian-<awsRegion>` stack per distinct AWS region of the app's `wandian:salesRegions` context. */
export function addRegionalStacks(app: App): WandianStack[] {
  const salesRegions: unknown = app.node.tryGetContext(SALES_REGIONS_CONTEXT);
  if (!salesRegions || typeof salesRegions !== 'object' || Object.keys(salesRegions).length === 0) {
    throw new Error(`cdk.json context "${SALES_REGIONS_CONTEXT}" must map sales regions to AWS regions`);
  }
  const timeout: unknown = app.node.tryGetContext(PAYMENT_TIMEOUT_CONTEXT);
  const paymentTimeoutSeconds = timeout === undefined ? undefined : Number(timeout);
  if (paymentTimeoutSeconds !== undefined && !(Number.isInteger(paymentTimeoutSeconds) && paymentTimeoutSeconds > 0)) {
    throw new Error(`context "${PAYMENT_TIMEOUT_CONTEXT}" must be a positive integer, got ${String(timeout)}`);
  }
  return [...salesRegionsByAwsRegion(salesRegions as Record<string, string>)].map(
    ([region, served]) =>
      new WandianStack(app, `Wandian-${region}`, {
        stackName: `Wandian-${region}`,
        env: { region, account: process.env.CDK_DEFAULT_ACCOUNT },
        description: `wandian order platform for sales regions ${served.join(', ')}`,
        salesRegions: served,
        paymentTimeoutSeconds,
      }),
  );
}
