import { CfnOutput, Stack } from 'aws-cdk-lib';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { functions, webSocketRoutes, WEBSOCKET_ENDPOINT_ENV, type FunctionId } from '../wiring.ts';
import { markWiring } from './conventions.ts';

/** Stage of the WebSocket API: clients connect to `wss://<api>.execute-api.<region>.amazonaws.com/live`. */
export const LIVE_STAGE_NAME = 'live';

/** Properties of {@link LiveStatusConstruct}. */
export interface LiveStatusConstructProps {
  /** Every wiring function by id: route targets, and `postsToConnections` functions that get the endpoint. */
  readonly functions: Record<FunctionId, LambdaFunction>;
}

/**
 * Live order status (PRODUCT.md, WebSocket row): an API Gateway WebSocket API with one Lambda
 * integration per `webSocketRoutes` entry of lib/wiring.ts (`$connect` with `?orderId=` or
 * `?customerId=`, `$disconnect`) on an auto-deployed `live` stage. Functions whose spec says
 * `postsToConnections` get the stage's management endpoint (WEBSOCKET_MANAGEMENT_ENDPOINT) and
 * `execute-api:ManageConnections` on it. Outputs the `wss://` URL. Stage logging is left off: WebSocket
 * API logs need an account-wide API Gateway CloudWatch role that this stack does not own.
 */
export class LiveStatusConstruct extends Construct {
  /** The WebSocket API. */
  readonly api: WebSocketApi;
  /** Its `live` stage. */
  readonly stage: WebSocketStage;
  /** `wss://` URL clients connect to. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: LiveStatusConstructProps) {
    super(scope, id);
    this.api = new WebSocketApi(this, 'WebSocketApi', {
      apiName: `${Stack.of(this).stackName}-live`,
      description: 'wandian live order status: {type: "order.status", orderId, status, at}',
    });
    for (const [routeKey, fnId] of Object.entries(webSocketRoutes) as [string, FunctionId][]) {
      const route = this.api.addRoute(routeKey, { integration: new WebSocketLambdaIntegration(`${fnId}Integration`, props.functions[fnId]) });
      markWiring(route, `webSocketRoutes.${routeKey}`);
    }
    this.stage = new WebSocketStage(this, 'Stage', { webSocketApi: this.api, stageName: LIVE_STAGE_NAME, autoDeploy: true });
    this.url = this.stage.url;

    for (const [fnId, spec] of Object.entries(functions) as [FunctionId, { postsToConnections?: boolean }][]) {
      if (!spec.postsToConnections) continue;
      props.functions[fnId].addEnvironment(WEBSOCKET_ENDPOINT_ENV, this.stage.callbackUrl);
      this.stage.grantManagementApiAccess(props.functions[fnId]);
    }

    new CfnOutput(this, 'Url', { value: this.url, description: 'WebSocket URL of live order status (?orderId= or ?customerId=)' });
  }
}
