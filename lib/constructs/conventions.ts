import { CfnResource } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/** How long every log group of the stack keeps its events (Lambda, API access logs, saga). */
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * CloudFormation Metadata key that names the lib/wiring.ts entry a resource was built from,
 * e.g. `functions.createOrder` or `tables.orders`. It documents the template and lets
 * test/cdk prove that the template and the local runtime read the same manifest.
 */
export const WIRING_METADATA = 'wandian:wiring';

/** CloudFormation Metadata key that names a function's handler file (wiring.ts `entry`). */
export const ENTRY_METADATA = 'wandian:entry';

/** Records on the construct's CloudFormation resource which wiring.ts entry (and handler file) it implements. */
export function markWiring(construct: IConstruct, ref: string, entry?: string): void {
  const resource = construct.node.defaultChild;
  if (!CfnResource.isCfnResource(resource)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  resource.addMetadata(WIRING_METADATA, ref);
  if (entry) resource.addMetadata(ENTRY_METADATA, entry);
}

/** `placeOrder` → `place-order`: wiring ids as they appear in physical resource names. */
export const kebab = (id: string): string => id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
