import { CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import { CfnManagedPolicy, CfnPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag (v3) suppressions for wandian. Every suppression is an acknowledgement on the narrowest construct
 * (`Validations.of(construct).acknowledge`) with its reason in code; IAM wildcard findings are acknowledged one
 * finding at a time (`AwsSolutions-IAM5[Resource::...]`), only when a {@link WildcardRule} explains them.
 */

/** Acknowledges one cdk-nag rule (or one finding of it, e.g. `Resource::*`) on `scope` with its reason. */
export function acknowledge(scope: IConstruct, rule: string, reason: string, finding?: string): void {
  Validations.of(scope).acknowledge({ id: finding ? `${rule}[${finding}]` : rule, reason });
}

/** A policy statement as CloudFormation sees it (resolved). */
interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
}

/** Explains an IAM5 wildcard finding of one statement, or returns undefined (the finding stays). */
export type WildcardRule = (finding: string, actions: readonly string[], resources: readonly string[]) => string | undefined;

/** cdk-nag's rendering of a CloudFormation value (`<Logical.Arn>`, `<AWS::Region>`), as IAM5 findings spell it. */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const value = node as Record<string, any>;
  if (value['Fn::Join']) return (value['Fn::Join'][1] as unknown[]).map(flatten).join(value['Fn::Join'][0]);
  if (value['Fn::Sub']) return flatten(value['Fn::Sub']);
  if (value['Fn::GetAtt']) return `<${flatten(value['Fn::GetAtt'][0])}.${flatten(value['Fn::GetAtt'][1])}>`;
  if (value['Fn::ImportValue']) return flatten(value['Fn::ImportValue']);
  if (value.Ref) return `<${flatten(value.Ref)}>`;
  return JSON.stringify(node);
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Acknowledges, on each IAM policy and role of `stack`, exactly the wildcard findings (`AwsSolutions-IAM5[...]`)
 * that one of `rules` explains for the statement they come from. Call it once all grants are made (end of the
 * stack's constructor); findings no rule explains are left for cdk-nag to report.
 */
export function acknowledgeIamWildcards(stack: Stack, rules: readonly WildcardRule[]): void {
  const visit = (node: IConstruct): void => {
    if (CfnResource.isCfnResource(node)) {
      const documents: unknown[] = [];
      if (node instanceof CfnPolicy || node instanceof CfnManagedPolicy) documents.push(stack.resolve(node.policyDocument));
      if (node instanceof CfnRole) for (const p of asArray(stack.resolve(node.policies)) as any[]) documents.push(p?.policyDocument);
      for (const doc of documents as { Statement?: Statement[] }[]) {
        for (const statement of doc?.Statement ?? []) {
          if (statement.Effect !== 'Allow') continue;
          const actions = asArray(statement.Action);
          const resources = asArray(statement.Resource as unknown).map(flatten);
          const findings = [
            ...actions.filter((a) => a.includes('*')).map((a) => `Action::${a}`),
            ...resources.filter((r) => r.includes('*')).map((r) => `Resource::${r}`),
          ];
          for (const finding of findings) {
            const reason = rules.map((rule) => rule(finding, actions, resources)).find(Boolean);
            if (reason) acknowledge(node, 'AwsSolutions-IAM5', reason, finding);
          }
        }
      }
    }
    for (const child of node.node.children) visit(child);
  };
  visit(stack);
}

/** Actions that exist only on Resource "*" (X-Ray, CloudWatch Logs vended delivery used by Step Functions logging, DynamoDB ListStreams). */
export const WILDCARD_ONLY_ACTIONS: ReadonlySet<string> = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'dynamodb:ListStreams',
]);

/** Wildcards every wandian stack may carry, each with its reason. */
export const commonWildcardRules: readonly WildcardRule[] = [
  (finding, actions) =>
    finding === 'Resource::*' && actions.every((a) => WILDCARD_ONLY_ACTIONS.has(a) && a.startsWith('xray:'))
      ? 'X-Ray tracing (active tracing of the function or state machine): PutTraceSegments and friends support only Resource "*"'
      : undefined,
  (finding, actions) =>
    finding === 'Resource::*' && actions.every((a) => WILDCARD_ONLY_ACTIONS.has(a) && a.startsWith('logs:'))
      ? 'CloudWatch Logs vended log delivery (Step Functions logging to its log group) supports only Resource "*"'
      : undefined,
  (finding, actions) =>
    finding === 'Resource::*' && actions.every((a) => a === 'dynamodb:ListStreams')
      ? 'DynamoDB ListStreams (an EventBridge Pipe reading a table stream) names no resource: it supports only Resource "*"'
      : undefined,
  (finding, actions) =>
    /^Resource::<[A-Za-z0-9]+\.Arn>:\*$/.test(finding) && actions.every((a) => a === 'lambda:InvokeFunction')
      ? 'Invoking a function also by its qualified ARN (versions and aliases of that one function)'
      : undefined,
];
