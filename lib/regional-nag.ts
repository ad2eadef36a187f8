import type { Stack } from 'aws-cdk-lib';
import { acknowledgeIamWildcards, commonWildcardRules, type WildcardRule } from './constructs/nag.ts';

/** Wildcards of a regional stack, each with its reason. */
const regionalWildcardRules: readonly WildcardRule[] = [
  ...commonWildcardRules,
  (finding, _actions, resources) =>
    /^Action::kms:(ReEncrypt|GenerateDataKey)\*$/.test(finding) && resources.every((r) => /^<SecurityKey[0-9A-F]{8}\.Arn>$/.test(r))
      ? "CDK's SqsDestination grant (Lambda on-failure destination to a KMS-encrypted dead-letter queue), limited to the stack key"
      : undefined,
  (finding, actions) =>
    /^Resource::arn:<AWS::Partition>:states:[a-z0-9-]+:<AWS::AccountId>:execution:[A-Za-z0-9-]+:\*$/.test(finding) &&
    actions.every((a) => a === 'states:DescribeExecution')
      ? 'Executions are named by order id at run time: DescribeExecution on the executions of one named state machine'
      : undefined,
  (finding, actions) =>
    /^Resource::arn:<AWS::Partition>:execute-api:[a-z0-9-]+:<AWS::AccountId>:<LiveStatusWebSocketApi[0-9A-F]{8}>\/live\/\*\/@connections\/\*$/.test(
      finding,
    ) && actions.every((a) => a === 'execute-api:ManageConnections')
      ? 'Connection ids exist only at run time: posting to any connection of the one live-status WebSocket stage'
      : undefined,
];

/** cdk-nag acknowledgements of a regional stack that are not made next to the resource (see README "cdk-nag"). */
export function acknowledgeRegionalFindings(stack: Stack): void {
  acknowledgeIamWildcards(stack, regionalWildcardRules);
}
