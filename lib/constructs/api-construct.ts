import { CfnOutput, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  LogGroupLogDestination,
  PayloadFormatVersion,
  type HttpRoute,
  type HttpStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routes, type FunctionId, type RouteSpec } from '../wiring.ts';
import { LOG_RETENTION } from './conventions.ts';
import { acknowledge } from './nag.ts';

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
  /** Issuer URL of the chain's user pool (JWT authorizer). */
  readonly issuer: string;
  /** App client ids a token's `client_id` or `aud` must name (JWT authorizer audience). */
  readonly audience: string[];
  /** Encrypts the access log group. */
  readonly logKey: IKey;
  /** Steady-state requests per second for the whole stage (default {@link DEFAULT_THROTTLING}). */
  readonly rateLimit?: number;
  /** Token-bucket size in requests (default {@link DEFAULT_THROTTLING}). */
  readonly burstLimit?: number;
}

/** Name of the JWT authorizer of the HTTP API. */
export const JWT_AUTHORIZER_NAME = 'wandian-jwt';

/**
 * The public HTTP API (API Gateway v2): one route per `routes` entry of lib/wiring.ts, each a
 * Lambda proxy integration with payload format 2.0, on a throttled `$default` stage that writes
 * JSON access logs. Outputs the base URL.
 *
 * Identity and abuse protection (contract v1.1): every route whose `auth.kind` is `jwt` has the JWT
 * authorizer (issuer = the chain's user pool, audience = its app client ids; a missing, expired, badly signed
 * or foreign token is 401 before any Lambda runs). Roles and machine scopes are checked by the handlers, not
 * as route scopes: a route open to both staff (user tokens, no custom scope) and machine clients could not
 * express that as one scope list. The webhook (`signature`) has no authorizer: the provider's HMAC is checked
 * by its handler. Each route is throttled as its `throttle` says (stage route settings), under the stage
 * default.
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
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: LOG_RETENTION, encryptionKey: props.logKey });
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

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.issuer, {
      authorizerName: JWT_AUTHORIZER_NAME,
      jwtAudience: props.audience,
      identitySource: ['$request.header.Authorization'],
    });
    const integrations = new Map<FunctionId, HttpLambdaIntegration>();
    const added: Array<[RouteSpec, HttpRoute]> = [];
    for (const route of routes) {
      let integration = integrations.get(route.function);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.function}Integration`, props.functions[route.function], {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(route.function, integration);
      }
      const [httpRoute] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer: route.auth.kind === 'jwt' ? authorizer : undefined,
      });
      if (route.auth.kind === 'signature') {
        acknowledge(
          httpRoute!,
          'AwsSolutions-APIG4',
          `${route.method} ${route.path} is called by the payment provider, which has no token: its handler checks the timed HMAC signature (X-Signature) with the provider's rotated secret.`,
        );
      }
      added.push([route, httpRoute!]);
    }

    // Per-route throttles: HTTP API stages take them as RouteSettings keyed by route key, which must exist first.
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      added.map(([route]) => [
        `${route.method} ${route.path}`,
        { ThrottlingRateLimit: route.throttle.rateLimit, ThrottlingBurstLimit: route.throttle.burstLimit, DetailedMetricsEnabled: true },
      ]),
    );
    for (const [, httpRoute] of added) cfnStage.node.addDependency(httpRoute);

    new CfnOutput(this, 'Url', { value: this.url, description: 'Base URL of the wandian HTTP API' });
  }
}
