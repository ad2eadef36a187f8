import { readdirSync, readFileSync } from 'node:fs';
import { Duration, Stack } from 'aws-cdk-lib';
import type { CfnArchive, Archive, IEventBus } from 'aws-cdk-lib/aws-events';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { eventBusName } from './events-construct.ts';
import { fromRepoRoot } from '../paths.ts';
import { eventSources } from '../wiring.ts';

/** Committed event schemas (docs/events.md), one `<DetailType>.v<n>.json` per event version. */
export const EVENT_SCHEMA_DIR = 'schemas/events';
/** Name of the schema registry, in every region. */
export const SCHEMA_REGISTRY_NAME = 'wandian-events';
/** How long the archive keeps events: reports can be rebuilt by replay this far back. */
export const ARCHIVE_RETENTION = Duration.days(90);

/** Properties of {@link EventCatalogConstruct}. */
export interface EventCatalogConstructProps {
  /** The regional bus whose events are archived. */
  readonly bus: IEventBus;
  /** The stack key (the bus is encrypted with it, and so is its archive). */
  readonly key: IKey;
}

/**
 * The bus's contract for other teams and its memory: the EventBridge schema registry `wandian-events`
 * with one schema per committed file in `schemas/events/` (type JSONSchemaDraft4, named
 * `<source>@<DetailType>` as EventBridge names discovered schemas, `...@<DetailType>.v<n>` for a later
 * version), and an archive of every wandian
 * event on the bus (90 days), so reports can be rebuilt by replay (docs/events.md).
 */
export class EventCatalogConstruct extends Construct {
  /** The schema registry. */
  readonly registry: CfnRegistry;
  /** Schemas by file name, e.g. `OrderPaid.v1.json`. */
  readonly schemas: Record<string, CfnSchema> = {};
  /** Archive of the wandian sources on the bus. */
  readonly archive: Archive;

  constructor(scope: Construct, id: string, props: EventCatalogConstructProps) {
    super(scope, id);
    this.registry = new CfnRegistry(this, 'Registry', {
      registryName: SCHEMA_REGISTRY_NAME,
      description: 'wandian domain events (docs/events.md): one JSON Schema per detail-type and version',
    });
    for (const file of readdirSync(fromRepoRoot(EVENT_SCHEMA_DIR))
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const content = readFileSync(fromRepoRoot(`${EVENT_SCHEMA_DIR}/${file}`), 'utf8');
      const schema = JSON.parse(content) as {
        title?: string;
        properties?: { source?: { enum?: string[] }; 'detail-type'?: { enum?: string[] } };
      };
      const source = schema.properties?.source?.enum?.[0];
      const detailType = schema.properties?.['detail-type']?.enum?.[0];
      if (!source || !detailType) throw new Error(`${EVENT_SCHEMA_DIR}/${file} does not pin source and detail-type`);
      const version = /\.v(\d+)\.json$/.exec(file)?.[1];
      if (!version) throw new Error(`${EVENT_SCHEMA_DIR}/${file} is not named <DetailType>.v<n>.json`);
      const cfn = new CfnSchema(this, file.replace(/\.json$/, '').replace(/[^A-Za-z0-9]/g, ''), {
        registryName: this.registry.attrRegistryName,
        // v1 keeps EventBridge's own naming; a breaking v2 is published beside it under its own name.
        schemaName: version === '1' ? `${source}@${detailType}` : `${source}@${detailType}.v${version}`,
        type: 'JSONSchemaDraft4',
        content,
        description: schema.title,
      });
      this.schemas[file] = cfn;
    }
    this.archive = props.bus.archive('Archive', {
      archiveName: `wandian-${Stack.of(this).region}-events`,
      description: 'Every wandian event on the bus, for replay (rebuilding reports)',
      eventPattern: { source: Object.values(eventSources) },
      retention: ARCHIVE_RETENTION,
    });
    // Encrypted with the stack key like the bus. Set on the L1: the L2's kmsKey is not passed through by
    // IEventBus.archive(), and would add a key-policy statement naming the bus (a key <-> bus cycle); the bus's
    // own key-policy statement already lets EventBridge use the key for this bus.
    (this.archive.node.defaultChild as CfnArchive).kmsKeyIdentifier = props.key.keyArn;
    // What the L2 would add, naming the bus by its deterministic ARN instead of a reference.
    props.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'Allow EventBridge to use the key for the archive',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncrypt*'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'kms:EncryptionContext:aws:events:event-bus:arn': Stack.of(this).formatArn({
              service: 'events',
              resource: 'event-bus',
              resourceName: eventBusName(this),
            }),
          },
        },
      }),
    );
  }
}
