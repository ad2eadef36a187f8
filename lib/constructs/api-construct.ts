import { CfnOutput, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, LogGroupLogDestination, PayloadFormatVersion, type HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routes, type FunctionId } from '../wiring.ts';
import { LOG_RETENTION } from './conventions.ts';

/**
 * Default stage throttling. The seeds' peak is 1,000 orders/s per region, and each order costs a
 * create and a payment webhook, plus status reads and cancels: about 3,000 requests/s steady.
 * The burst bucket of 5,000 (API Gateway's default per-account regional burst quota) absorbs
 * flash-sale spikes; beyond it clients get 429 instead of overloading the hot inventory items.
 */
export const DEFAULT_THROTTLING = { rateLimit: 3_000, burstLimit: 5_000 } as const;

/** Properties of {@link ApiConstruct}. */
export interface ApiConstructProps {
  /** Every wiring function by id; routes are integrated with theirs. */
  readonly functions: Record<FunctionId, IFunction>;
  /** Steady-state requests per second for the whole stage (default {@link DEFAULT_THROTTLING}). */
  readonly rateLimit?: number;
  /** Token-bucket size in requests (default {@link DEFAULT_THROTTLING}). */
  readonly burstLimit?: number;
}

/**
 * The public HTTP API (API Gateway v2): one route per `routes` entry of lib/wiring.ts, each a
 * Lambda proxy integration with payload format 2.0, on a throttled `$default` stage that writes
 * JSON access logs. Outputs the base URL.
 */
export class ApiConstruct extends Construct {
  /** The HTTP API (its metrics feed the dashboard and the 5xx alarm). */
  readonly api: HttpApi;
  /** The `$default` stage every route is served from. */
  readonly stage: HttpStage;
  /** Base URL of the API, e.g. `https://abc123.execute-api.ap-east-1.amazonaws.com/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiConstructProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'HttpApi', { apiName: `${Stack.of(this).stackName}-api`, createDefaultStage: false });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: LOG_RETENTION });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      // Route-level metrics (dimensions ApiId, Stage, Method, Resource): the create-order p99 alarm reads them.
      detailedMetricsEnabled: true,
      throttle: {
        rateLimit: props.rateLimit ?? DEFAULT_THROTTLING.rateLimit,
        burstLimit: props.burstLimit ?? DEFAULT_THROTTLING.burstLimit,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.url = this.stage.url;

    const integrations = new Map<FunctionId, HttpLambdaIntegration>();
    for (const route of routes) {
      let integration = integrations.get(route.function);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.function}Integration`, props.functions[route.function], {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(route.function, integration);
      }
      this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
    }

    new CfnOutput(this, 'Url', { value: this.url, description: 'Base URL of the wandian HTTP API' });
  }
}
