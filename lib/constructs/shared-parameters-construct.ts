import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

/**
 * SSM parameter names through which the shared stacks (identity, edge) hand values to every regional stack.
 *
 * Why SSM and not `crossRegionReferences`: CDK's cross-region references put a reader custom resource (a Lambda
 * on the newest Node.js runtime) into every consuming stack and lock the producer's values while in use. Instead
 * the producing stack writes plain SSM String parameters with fixed names into each sales region, and a regional
 * stack reads them as CloudFormation SSM parameters (`AWS::SSM::Parameter::Value<String>`, resolved at deploy
 * time, no Lambda). Names are deterministic, so a regional stack needs no construct reference to the shared
 * stacks; deploy WandianIdentity and WandianEdge first (bin/wandian.ts declares that order).
 */
export const sharedParameters = {
  /** Issuer URL of the chain's user pool: `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
  jwtIssuer: '/wandian/identity/jwt-issuer',
  /** Accepted app client ids, comma-separated (customer app, operators' console, machine client). */
  jwtAudience: '/wandian/identity/jwt-audience',
  /** ARN of the CLOUDFRONT-scope web ACL (us-east-1). */
  webAclArn: '/wandian/edge/web-acl-arn',
} as const;
export type SharedParameter = keyof typeof sharedParameters;

/** Properties of {@link SharedParametersConstruct}. */
export interface SharedParametersConstructProps {
  /** AWS regions to write into (every region of cdk.json `wandian:salesRegions`). */
  readonly regions: readonly string[];
  /** Values to write, by parameter. */
  readonly values: Partial<Record<SharedParameter, string>>;
}

/**
 * Writes {@link sharedParameters} into other regions: one SDK call per region and parameter
 * (`ssm:PutParameter`, overwritten on update, deleted with the stack), each allowed on exactly its parameter.
 */
export class SharedParametersConstruct extends Construct {
  constructor(scope: Construct, id: string, props: SharedParametersConstructProps) {
    super(scope, id);
    const { account, partition } = Stack.of(this);
    for (const region of props.regions) {
      for (const [key, value] of Object.entries(props.values) as [SharedParameter, string][]) {
        const name = sharedParameters[key];
        const call = { service: 'SSM', region, physicalResourceId: PhysicalResourceId.of(`${region}${name}`) };
        new AwsCustomResource(this, `${region}-${key}`, {
          onCreate: { ...call, action: 'putParameter', parameters: { Name: name, Value: value, Type: 'String', Overwrite: true } },
          onUpdate: { ...call, action: 'putParameter', parameters: { Name: name, Value: value, Type: 'String', Overwrite: true } },
          onDelete: { ...call, action: 'deleteParameter', parameters: { Name: name }, ignoreErrorCodesMatching: 'ParameterNotFound' },
          policy: AwsCustomResourcePolicy.fromStatements([
            new PolicyStatement({
              actions: ['ssm:PutParameter', 'ssm:DeleteParameter'],
              resources: [`arn:${partition}:ssm:${region}:${account}:parameter${name}`],
            }),
          ]),
          installLatestAwsSdk: false,
        });
      }
    }
    const provider = Stack.of(this).node.tryFindChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    if (provider) {
      acknowledge(
        provider,
        'AwsSolutions-IAM4',
        'CDK AwsCustomResource provider: AWSLambdaBasicExecutionRole lets it write its own logs; its SSM rights are separate, per parameter.',
        'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      );
    }
  }
}
