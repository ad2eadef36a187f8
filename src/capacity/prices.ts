/**
 * List prices in ap-southeast-1 (Asia Pacific, Singapore), USD, the ONE place the cost model reads them
 * (src/capacity/model.ts, docs/capacity.md). Each figure names its source page and the date it was read.
 * `confirmed: false` = the figure could not be checked against the page from this machine (no internet but
 * the npm registry; read through a search index of stored pages): it is the best figure known, flagged in the
 * generated doc. Re-check them on the pages before quoting the totals.
 */
export interface Price {
  /** USD per `per` units. */
  usd: number;
  per: number;
  unit: string;
  source: string;
  read: string;
  confirmed: boolean;
  note?: string;
}

const READ = '2026-12-02';

export const prices = {
  dynamodbWriteRequestUnit: {
    usd: 0.7125,
    per: 1_000_000,
    unit: 'on-demand write request unit (WRU = WCU)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    read: READ,
    confirmed: false,
    note: 'After the 14 Nov 2024 on-demand price cut (-50 %): us-east-1 $0.625 / M WRU (confirmed on a stored copy); Singapore taken as half its earlier $1.425 / M.',
  },
  dynamodbReadRequestUnit: {
    usd: 0.1425,
    per: 1_000_000,
    unit: 'on-demand read request unit (RRU = RCU)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    read: READ,
    confirmed: false,
    note: 'After the Nov 2024 cut: us-east-1 $0.125 / M RRU; Singapore taken as half its earlier $0.285 / M.',
  },
  stepFunctionsStandardTransition: {
    usd: 0.025,
    per: 1_000,
    unit: 'Standard state transition (retries included)',
    source: 'https://aws.amazon.com/step-functions/pricing/',
    read: READ,
    confirmed: true,
    note: 'Also the issue statement figure for ap-southeast-1.',
  },
  stepFunctionsExpressRequest: {
    usd: 1.0,
    per: 1_000_000,
    unit: 'Express execution started',
    source: 'https://aws.amazon.com/step-functions/pricing/',
    read: READ,
    confirmed: false,
    note: 'us-east-1 figure; Singapore assumed equal.',
  },
  stepFunctionsExpressGbSecond: {
    usd: 0.00001667,
    per: 1,
    unit: 'Express GB-second (100 ms increments, 64 MB chunks)',
    source: 'https://aws.amazon.com/step-functions/pricing/',
    read: READ,
    confirmed: false,
    note: 'First tier (up to 1,000 h of GB); us-east-1 figure, Singapore assumed equal.',
  },
  lambdaRequest: {
    usd: 0.2,
    per: 1_000_000,
    unit: 'Lambda request',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: READ,
    confirmed: false,
  },
  lambdaGbSecond: {
    usd: 0.0000133334,
    per: 1,
    unit: 'Lambda GB-second, arm64 (lib/constructs/lambda.ts deploys Architecture.ARM_64)',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: READ,
    confirmed: false,
    note: 'First tier (6 billion GB-s / month).',
  },
  httpApiRequest: {
    usd: 1.2,
    per: 1_000_000,
    unit: 'API Gateway HTTP API request (first 300 M / month)',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
    read: READ,
    confirmed: false,
    note: 'us-east-1 is $1.00 / M; Singapore taken as $1.20 / M.',
  },
  webSocketMessage: {
    usd: 1.15,
    per: 1_000_000,
    unit: 'API Gateway WebSocket message (32 KB increments)',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
    read: READ,
    confirmed: false,
  },
  webSocketConnectionMinute: {
    usd: 0.288,
    per: 1_000_000,
    unit: 'API Gateway WebSocket connection minute',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
    read: READ,
    confirmed: false,
  },
  eventBridgeCustomEvent: {
    usd: 1.0,
    per: 1_000_000,
    unit: 'EventBridge custom event published (64 KB chunks)',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
    read: READ,
    confirmed: true,
    note: 'Rule target invocations to Lambda are not billed by EventBridge (the Lambda invocation is).',
  },
  eventBridgePipesRequest: {
    usd: 0.4,
    per: 1_000_000,
    unit: 'EventBridge Pipes request after filtering (64 KB chunks)',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
    read: READ,
    confirmed: false,
  },
  sqsRequest: {
    usd: 0.4,
    per: 1_000_000,
    unit: 'SQS standard queue request (64 KB chunks; first 1 M / month free)',
    source: 'https://aws.amazon.com/sqs/pricing/',
    read: READ,
    confirmed: false,
  },
  cloudWatchLogsIngestedGb: {
    usd: 0.67,
    per: 1,
    unit: 'CloudWatch Logs standard ingestion, GB',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ,
    confirmed: false,
    note: 'us-east-1 is $0.50 / GB; Singapore $0.67 / GB.',
  },
  xrayTraceRecorded: {
    usd: 5.0,
    per: 1_000_000,
    unit: 'X-Ray trace recorded (first 100,000 / month free)',
    source: 'https://aws.amazon.com/xray/pricing/',
    read: READ,
    confirmed: false,
  },
  kmsRequest: {
    usd: 0.03,
    per: 10_000,
    unit: 'KMS request (symmetric)',
    source: 'https://aws.amazon.com/kms/pricing/',
    read: READ,
    confirmed: false,
  },
  wafRequest: {
    usd: 0.6,
    per: 1_000_000,
    unit: 'AWS WAF request inspected (web ACL and rules are a monthly fixed fee)',
    source: 'https://aws.amazon.com/waf/pricing/',
    read: READ,
    confirmed: false,
  },
  cloudFrontHttpsRequest: {
    usd: 0.012,
    per: 10_000,
    unit: 'CloudFront HTTPS request (Asia Pacific edge locations)',
    source: 'https://aws.amazon.com/cloudfront/pricing/',
    read: READ,
    confirmed: false,
  },
  secretsManagerApiCall: {
    usd: 0.05,
    per: 10_000,
    unit: 'Secrets Manager API call',
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
    read: READ,
    confirmed: false,
  },
} as const satisfies Record<string, Price>;

export type PriceId = keyof typeof prices;

/** USD of `quantity` units at price `id`. */
export const costOf = (id: PriceId, quantity: number, table: Record<PriceId, Price> = prices): number =>
  (quantity * table[id].usd) / table[id].per;
