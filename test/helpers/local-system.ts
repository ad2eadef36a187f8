/** One local system per end-to-end test file, started the same way everywhere. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalSystem, type LocalSystem, type LocalSystemOptions } from '../../local/system.ts';
import { ApiClient } from '../../local/api-client.ts';

export interface TestSystem {
  system: LocalSystem;
  api: ApiClient;
  /** Document client on the system's DynamoDB Local, for checks behind the API. */
  doc: DynamoDBDocumentClient;
}

/**
 * Starts the local system on a free port, quiet, with the webhook `secret` and the payment timeout in
 * seconds (default: unset, i.e. the 900 s default, so nothing expires during a test). Test workers are
 * reused across files, so both variables are always set here rather than inherited.
 */
export async function startTestSystem(
  secret: string,
  opts: LocalSystemOptions & { paymentTimeoutSeconds?: number; customerLimitPerMinute?: number; masterDataCacheSeconds?: number } = {},
): Promise<TestSystem> {
  const { paymentTimeoutSeconds, customerLimitPerMinute, masterDataCacheSeconds, ...systemOptions } = opts;
  // Tests change prices and promotions and order a moment later: no master-data cache unless a test asks for one
  // (the cache has its own tests; `npm run bench` and the demo run with the default 5 s).
  process.env.WANDIAN_MASTER_DATA_CACHE_SECONDS = String(masterDataCacheSeconds ?? 0);
  if (paymentTimeoutSeconds === undefined) delete process.env.WANDIAN_PAYMENT_TIMEOUT_SECONDS;
  else process.env.WANDIAN_PAYMENT_TIMEOUT_SECONDS = String(paymentTimeoutSeconds);
  process.env.WANDIAN_PAYMENT_WEBHOOK_SECRET = secret;
  // Tests race one customer's orders and top-ups far beyond 20 a minute; the limit itself is tested on its own
  // (test/integration/api-idempotency-and-limits.test.ts) and with `customerLimitPerMinute`.
  process.env.WANDIAN_CUSTOMER_ORDERS_PER_MINUTE = String(customerLimitPerMinute ?? 10_000);
  process.env.WANDIAN_CUSTOMER_TOPUPS_PER_MINUTE = String(customerLimitPerMinute ?? 10_000);
  const system = await startLocalSystem({ port: 0, quiet: true, ...systemOptions });
  return {
    system,
    api: new ApiClient(system.url, secret),
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: system.dynamoEndpoint })),
  };
}
