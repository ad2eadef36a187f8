/**
 * Vitest global setup: starts ONE DynamoDB Local (loopback only, in memory) for the whole run, provides
 * its endpoint to tests as `inject('dynamoDbEndpoint')`, and stops it on teardown.
 */
import type { TestProject } from 'vitest/node';
import { ensureDynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the DynamoDB Local started for this run. */
    dynamoDbEndpoint: string;
  }
}

/** Starts DynamoDB Local and returns the teardown that stops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Workers are forked after this runs and inherit these; the SDK needs a region and some credentials.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  await ensureDynamoDbLocal();
  const ddb = await startDynamoDbLocal({});
  project.provide('dynamoDbEndpoint', ddb.endpoint);
  return () => ddb.stop();
}
