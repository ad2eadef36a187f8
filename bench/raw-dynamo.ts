/**
 * The raw DynamoDB Local ceiling an order shares: TransactWriteItems with the same items as the order
 * transaction of POST /v1/orders for a one-line order without coupons (1 conditional Put of a new order
 * + 1 conditional Update reserving stock), sent straight from an SDK client, closed loop, `concurrency`
 * requests in flight. Uses its own two tables so the system's data stays untouched.
 */
import { Agent } from 'node:http';
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import hdr from 'hdr-histogram-js';

const ORDERS = 'bench-raw-orders';
const INVENTORY = 'bench-raw-inventory';

/** One measured cell: transactions committed per second, latency in ms, failed transactions. */
export interface RawCell {
  concurrency: number;
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
  count: number;
}

/** A document client for `endpoint` with keep-alive and enough sockets for 64+ requests in flight. */
export function benchClient(endpoint: string): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }) },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Creates the two bench tables and stocks `skus` inventory items at one store with `units` each (units of stock). */
export async function prepareRaw(doc: DynamoDBDocumentClient, skus: string[], units: number): Promise<void> {
  for (const [TableName, keys] of [
    [ORDERS, ['orderId']],
    [INVENTORY, ['storeId', 'sku']],
  ] as const) {
    await doc.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keys.map((k, i) => ({ AttributeName: k, KeyType: i ? 'RANGE' : 'HASH' })),
        AttributeDefinitions: keys.map((k) => ({ AttributeName: k, AttributeType: 'S' })),
      }),
    );
    await waitUntilTableExists({ client: doc, maxWaitTime: 30 }, { TableName });
  }
  const now = new Date().toISOString();
  for (const sku of skus) {
    await doc.send(
      new PutCommand({
        TableName: INVENTORY,
        Item: {
          storeId: 'bench-raw',
          sku,
          available: units,
          reserved: 0,
          sold: 0,
          stocked: units,
          lowStockThreshold: 0,
          version: 0,
          updatedAt: now,
        },
      }),
    );
  }
}

/** An order item shaped like the one POST /v1/orders writes for one line (about the same size). */
function orderItem(orderId: string, sku: string, now: string) {
  return {
    orderId,
    status: 'PENDING_PAYMENT',
    storeId: 'bench-raw',
    region: 'east',
    customerId: 'bench-customer',
    items: [{ sku, name: `Bench item ${sku}`, quantity: 1, unitPrice: 1250, lineTotal: 1250 }],
    pricing: { subtotal: 1250, discount: 0, total: 1250, currency: 'CNY' },
    appliedCoupons: [],
    rejectedCoupons: [],
    paymentMethod: 'WECHAT_PAY',
    createdAt: now,
    updatedAt: now,
    expiresAt: now,
    history: [{ status: 'PENDING_PAYMENT', at: now, reason: 'CREATED' }],
    reservation: [{ sku, quantity: 1 }],
    stockState: 'RESERVED',
    couponsState: 'NONE',
    couponRedemptions: [],
  };
}

/**
 * Runs TransactWriteItems (order Put + inventory Update, both conditional, with a ClientRequestToken)
 * for `durationMs` ms with `concurrency` in flight, rotating over `skus`. Latency recorded in µs.
 */
export async function measureRaw(doc: DynamoDBDocumentClient, skus: string[], concurrency: number, durationMs: number): Promise<RawCell> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let failed = 0;
  let n = 0;
  const t0 = performance.now();
  const end = t0 + durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const orderId = `ord_${randomUUID()}`;
      const sku = skus[n++ % skus.length]!;
      const now = new Date().toISOString();
      const start = performance.now();
      try {
        await doc.send(
          new TransactWriteCommand({
            ClientRequestToken: orderId.slice(0, 36),
            TransactItems: [
              { Put: { TableName: ORDERS, Item: orderItem(orderId, sku, now), ConditionExpression: 'attribute_not_exists(orderId)' } },
              {
                Update: {
                  TableName: INVENTORY,
                  Key: { storeId: 'bench-raw', sku },
                  ConditionExpression: 'available >= :q',
                  UpdateExpression: 'SET available = available - :q, reserved = reserved + :q, updatedAt = :now',
                  ExpressionAttributeValues: { ':q': 1, ':now': now },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
            ],
          }),
        );
        histogram.recordValue(Math.max(1, Math.round((performance.now() - start) * 1000)));
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    concurrency,
    perSecond: histogram.totalCount / seconds,
    p50: histogram.getValueAtPercentile(50) / 1000,
    p99: histogram.getValueAtPercentile(99) / 1000,
    failed,
    count: histogram.totalCount,
  };
}
