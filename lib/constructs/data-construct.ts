import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { tables, type TableId, type TableSpec } from '../wiring.ts';
import { markWiring } from './conventions.ts';

/** Tables whose content can be rebuilt or safely lost; every other table is RETAINed on stack deletion. */
const DISPOSABLE_TABLES: ReadonlySet<TableId> = new Set<TableId>(['idempotency', 'connections']);

/** Properties of {@link DataConstruct}. */
export interface DataConstructProps {
  /** Customer-managed key every table is encrypted with. */
  readonly key: IKey;
}

/**
 * One DynamoDB table per `tables` entry of lib/wiring.ts: on-demand, point-in-time recovery, encrypted with the
 * stack's customer-managed key,
 * string keys, TTL, global secondary indexes and stream as the spec says. Business data (orders, inventory, coupons, payments,
 * stores, catalog, reports) is retained when the stack is deleted; idempotency records and live-status
 * connections are not.
 */
export class DataConstruct extends Construct {
  /** Every wiring table by its id. */
  readonly tables: Record<TableId, TableV2>;

  constructor(scope: Construct, id: string, props: DataConstructProps) {
    super(scope, id);
    const entries = (Object.entries(tables) as [TableId, TableSpec][]).map(([tableId, spec]) => {
      const table = new TableV2(this, tableId, {
        partitionKey: { name: spec.partitionKey, type: AttributeType.STRING },
        sortKey: spec.sortKey ? { name: spec.sortKey, type: AttributeType.STRING } : undefined,
        timeToLiveAttribute: spec.ttlAttribute,
        // The outbox reads this stream (lib/wiring.ts `pipes`).
        dynamoStream: spec.stream ? StreamViewType[spec.stream] : undefined,
        billing: Billing.onDemand(),
        encryption: TableEncryptionV2.customerManagedKey(props.key),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: DISPOSABLE_TABLES.has(tableId) ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
        globalSecondaryIndexes: Object.entries(spec.globalSecondaryIndexes ?? {}).map(([indexName, index]) => ({
          indexName,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: index.sortKey ? { name: index.sortKey, type: AttributeType.STRING } : undefined,
          projectionType: index.projection.length ? ProjectionType.INCLUDE : ProjectionType.KEYS_ONLY,
          nonKeyAttributes: index.projection.length ? [...index.projection] : undefined,
        })),
      });
      markWiring(table, `tables.${tableId}`);
      return [tableId, table] as const;
    });
    this.tables = Object.fromEntries(entries) as Record<TableId, TableV2>;
  }
}
