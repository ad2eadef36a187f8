/**
 * One place for AWS SDK v3 clients, created once per Lambda container (reused across invocations).
 * Endpoints come from the SDK's standard variables (AWS_ENDPOINT_URL_DYNAMODB, _SFN, _EVENTBRIDGE),
 * which is how the local runtime points the unchanged handlers at DynamoDB Local and its emulators.
 * Each client is wrapped by Powertools Tracer, so every AWS call is an X-Ray subsegment of the invocation
 * (a no-op outside Lambda, where tracing is off).
 *
 * DynamoDB calls are bounded (DYNAMODB_CALL_LIMITS): without a request timeout the SDK waits on a stalled
 * connection until the Lambda timeout kills the invocation, and a handler killed after its write answers the
 * client 500 about something that happened. Bounded, a call fails within ~`maxAttempts x requestTimeoutMs`
 * and the handler decides what to answer (create-order: functions/commons/deadline.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { websocketManagementEndpoint } from '../../src/config.ts';
import { tracer } from './powertools.ts';

/**
 * Per DynamoDB call: connect within 1 s, each attempt answered within 2 s (DynamoDB's own p99.9 is tens of ms;
 * DynamoDB Local on a loaded laptop can take a second), at most 3 attempts (the SDK default, now explicit) with
 * the standard jittered backoff: a call fails within about 6.3 s, inside every function's 10 s default timeout.
 * A retried TransactWriteItems keeps its ClientRequestToken, so an attempt that timed out but committed is not
 * applied twice.
 */
export const DYNAMODB_CALL_LIMITS = { connectionTimeoutMs: 1_000, requestTimeoutMs: 2_000, maxAttempts: 3 } as const;

export const dynamo = tracer.captureAWSv3Client(
  new DynamoDBClient({
    maxAttempts: DYNAMODB_CALL_LIMITS.maxAttempts,
    requestHandler: {
      connectionTimeout: DYNAMODB_CALL_LIMITS.connectionTimeoutMs,
      requestTimeout: DYNAMODB_CALL_LIMITS.requestTimeoutMs,
    },
  }),
);
export const doc = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true },
});
export const sfn = tracer.captureAWSv3Client(new SFNClient({}));
export const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));

let managementApi: ApiGatewayManagementApiClient | undefined;
/**
 * The WebSocket management API (PostToConnection), created on first use: its endpoint is per API and
 * stage (WEBSOCKET_MANAGEMENT_ENDPOINT), so only `postsToConnections` functions have one.
 */
export const connectionsApi = (): ApiGatewayManagementApiClient =>
  (managementApi ??= tracer.captureAWSv3Client(new ApiGatewayManagementApiClient({ endpoint: websocketManagementEndpoint() })));
