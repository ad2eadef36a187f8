/**
 * Per-test DynamoDB fixture on the run's shared DynamoDB Local (test/global-setup.ts).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import type { TableId } from '../../lib/wiring.ts';
import { createTables, tableEnvironment } from '../../local/tables.ts';

export interface FreshTables {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  /** Logical table id → physical name, unique to this call. */
  names: Record<TableId, string>;
  endpoint: string;
}

/**
 * Creates every wiring table under a fresh random prefix on the shared DynamoDB Local, and points this
 * worker's process.env at them (the tables' env vars, `AWS_ENDPOINT_URL_DYNAMODB`, region, credentials),
 * so handlers and stores under test use them. Returns low-level and document clients for that endpoint.
 */
export async function freshTables(): Promise<FreshTables> {
  const endpoint = inject('dynamoDbEndpoint');
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  const client = new DynamoDBClient({ endpoint, region: process.env.AWS_REGION });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const names = await createTables(client, { prefix: `t-${randomBytes(4).toString('hex')}-` });
  Object.assign(process.env, tableEnvironment(names));
  return { client, doc, names, endpoint };
}
