import { CfnOutput, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

/** Properties of {@link EdgeConstruct}. */
export interface EdgeConstructProps {
  /** The HTTP API the distribution forwards to. */
  readonly api: IHttpApi;
  /** ARN of the CLOUDFRONT-scope web ACL (WandianEdge stack, us-east-1). */
  readonly webAclArn: string;
}

/**
 * The public front door of the HTTP API: a CloudFront distribution with the chain's AWS WAF web ACL (an HTTP API
 * cannot take a web ACL itself). Nothing is cached (every request reaches the API with all viewer headers, the
 * Authorization header included, except Host); HTTPS only, TLS 1.2 to the origin; standard access logs go to a
 * private bucket kept 90 days. See README "Edge protection" for what is still reachable directly.
 */
export class EdgeConstruct extends Construct {
  /** The distribution. */
  readonly distribution: Distribution;
  /** `https://<id>.cloudfront.net/`: the URL clients use. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: EdgeConstructProps) {
    super(scope, id);
    const logs = new Bucket(this, 'AccessLogs', {
      // CloudFront standard logs are written with an ACL and cannot use SSE-KMS.
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(logs, 'AwsSolutions-S1', 'This bucket is the destination of CloudFront access logs; logging its own access would recurse.');

    const apiDomain = `${props.api.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `wandian ${Stack.of(this).region} API (WAF)`,
      webAclId: props.webAclArn,
      priceClass: PriceClass.PRICE_CLASS_ALL,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'api/',
      defaultBehavior: {
        origin: new HttpOrigin(apiDomain, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
    });
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'No custom domain yet: the default *.cloudfront.net certificate cannot pin a minimum TLS version. Add an ACM certificate with TLSv1.2_2021 with the domain.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      "No geo restriction: the chain's customers order from anywhere; abuse is handled by WAF and throttles.",
    );
    this.url = Fn.join('', ['https://', this.distribution.distributionDomainName, '/']);
    new CfnOutput(this, 'Url', { value: this.url, description: 'Public URL of the wandian HTTP API (CloudFront + WAF)' });
  }
}
