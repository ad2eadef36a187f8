/**
 * One place for AWS SDK v3 clients, created once per Lambda container (reused across invocations).
 * Endpoints come from the SDK's standard variables (AWS_ENDPOINT_URL_DYNAMODB, _SFN, _EVENTBRIDGE),
 * which is how the local runtime points the unchanged handlers at DynamoDB Local and its emulators.
 * Each client is wrapped by Powertools Tracer, so every AWS call is an X-Ray subsegment of the invocation
 * (a no-op outside Lambda, where tracing is off).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { websocketManagementEndpoint } from '../../src/config.ts';
import { tracer } from './powertools.ts';

export const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));
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
