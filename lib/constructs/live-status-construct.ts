import { CfnOutput, Stack } from 'aws-cdk-lib';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { functions, webSocketAuthorizer, webSocketRoutes, WEBSOCKET_ENDPOINT_ENV, type FunctionId } from '../wiring.ts';
import { markWiring } from './conventions.ts';
import { acknowledge } from './nag.ts';

/** Stage of the WebSocket API: clients connect to `wss://<api>.execute-api.<region>.amazonaws.com/live`. */
export const LIVE_STAGE_NAME = 'live';

/**
 * Throttle of the WebSocket stage (every route: connects, disconnects). Clients only listen, so traffic is one
 * `$connect` per open page: 500/s steady with bursts of 1,000 covers a flash sale's reconnect storm per region.
 */
export const LIVE_THROTTLE = { rateLimit: 500, burstLimit: 1_000 } as const;

/** Properties of {@link LiveStatusConstruct}. */
export interface LiveStatusConstructProps {
  /** Every wiring function by id: route targets, and `postsToConnections` functions that get the endpoint. */
  readonly functions: Record<FunctionId, LambdaFunction>;
}

/**
 * Live order status (PRODUCT.md, WebSocket row): an API Gateway WebSocket API with one Lambda
 * integration per `webSocketRoutes` entry of lib/wiring.ts (`$connect` with `?orderId=` or
 * `?customerId=`, `$disconnect`) on an auto-deployed, throttled `live` stage. `$connect` has the REQUEST
 * authorizer of lib/wiring.ts `webSocketAuthorizer` (the access token as `?token=`, verified like the HTTP JWT
 * authorizer); API Gateway calls `$disconnect` only for connections that were authorized. Functions whose spec says
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
    const authorizer = new WebSocketLambdaAuthorizer('TokenAuthorizer', props.functions[webSocketAuthorizer.function], {
      authorizerName: 'wandian-live-token',
      identitySource: [webSocketAuthorizer.identitySource],
    });
    for (const [routeKey, fnId] of Object.entries(webSocketRoutes) as [string, FunctionId][]) {
      const route = this.api.addRoute(routeKey, {
        integration: new WebSocketLambdaIntegration(`${fnId}Integration`, props.functions[fnId]),
        authorizer: routeKey === '$connect' ? authorizer : undefined,
      });
      markWiring(route, `webSocketRoutes.${routeKey}`);
      if (routeKey !== '$connect') {
        acknowledge(
          route,
          'AwsSolutions-APIG4',
          `${routeKey}: WebSocket authorizers exist only on $connect; API Gateway calls ${routeKey} only for a connection $connect authorized.`,
        );
      }
    }
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: LIVE_STAGE_NAME,
      autoDeploy: true,
      throttle: LIVE_THROTTLE,
    });
    acknowledge(
      this.stage,
      'AwsSolutions-APIG1',
      "WebSocket stage logs need the account-wide API Gateway CloudWatch role, which this stack does not own; connect outcomes are logged by the authorizer's and $connect's own log groups.",
    );
    this.url = this.stage.url;

    for (const [fnId, spec] of Object.entries(functions) as [FunctionId, { postsToConnections?: boolean }][]) {
      if (!spec.postsToConnections) continue;
      props.functions[fnId].addEnvironment(WEBSOCKET_ENDPOINT_ENV, this.stage.callbackUrl);
      this.stage.grantManagementApiAccess(props.functions[fnId]);
    }

    new CfnOutput(this, 'Url', { value: this.url, description: 'WebSocket URL of live order status (?orderId= or ?customerId=)' });
  }
}
