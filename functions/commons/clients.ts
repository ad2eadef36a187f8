/**
 * One place for AWS SDK v3 clients, created once per Lambda container (reused across invocations).
 * Endpoints come from the SDK's standard variables (AWS_ENDPOINT_URL_DYNAMODB, _SFN, _EVENTBRIDGE),
 * which is how the local runtime points the unchanged handlers at DynamoDB Local and its emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { websocketManagementEndpoint } from '../../src/config.ts';

export const dynamo = new DynamoDBClient({});
export const doc = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true },
});
export const sfn = new SFNClient({});
export const eventBridge = new EventBridgeClient({});

let managementApi: ApiGatewayManagementApiClient | undefined;
/**
 * The WebSocket management API (PostToConnection), created on first use: its endpoint is per API and
 * stage (WEBSOCKET_MANAGEMENT_ENDPOINT), so only `postsToConnections` functions have one.
 */
export const connectionsApi = (): ApiGatewayManagementApiClient =>
  (managementApi ??= new ApiGatewayManagementApiClient({ endpoint: websocketManagementEndpoint() }));
