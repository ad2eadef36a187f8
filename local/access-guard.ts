/**
 * Local stand-in for IAM: refuses an AWS SDK call that a function's role would not allow when deployed,
 * with an `AccessDeniedException` as AWS raises it. The rights come from the same wiring spec and the same
 * action lists (lib/function-environment.ts DYNAMODB_ACTIONS) as the CDK grants: DynamoDB actions per
 * declared table and access (read / readWrite, `deletesFrom`, `scans`, `queriesIndexes`; BatchWriteItem
 * never; TransactWriteItems / TransactGetItems per item), StartExecution / DescribeExecution on the declared
 * state machines, PutEvents with `publishesEvents`, SNS Publish
 * with `publishesAlerts`, the WebSocket management API with `postsToConnections`, Secrets Manager with
 * `readsWebhookSecret`.
 *
 * Installed by the local runtime only (never imported by handler code): it wraps the SDK's shared
 * `Client.prototype.send` (one CommonJS instance serves every v3 client, lib-dynamodb's document client
 * included) and asks `currentPolicy()` whose call this is; calls outside any function (tests, the local
 * system's own clients) pass.
 */
import { createRequire } from 'node:module';
import { DYNAMODB_ACTIONS } from '../lib/function-environment.ts';
import type { FunctionSpec, StateMachineId, TableAccess, TableId } from '../lib/wiring.ts';

/** What one function may do, resolved to physical names. */
export interface AccessPolicy {
  /** Function id (for the error message). */
  readonly functionId: string;
  readonly account: string;
  readonly region: string;
  /** Allowed `dynamodb:*` actions by physical table name; an index's Query is allowed for `<table>/index/<name>`. */
  readonly dynamodb: ReadonlyMap<string, ReadonlySet<string>>;
  /** State machine ARNs it may start. */
  readonly starts: ReadonlySet<string>;
  /** State machine names whose executions it may describe. */
  readonly describes: ReadonlySet<string>;
  readonly publishesEvents: boolean;
  readonly publishesAlerts: boolean;
  readonly postsToConnections: boolean;
  readonly readsWebhookSecret: boolean;
}

/** The spec fields that decide rights. */
export type AccessSpec = Pick<
  FunctionSpec,
  | 'tables'
  | 'deletesFrom'
  | 'scans'
  | 'queriesIndexes'
  | 'startsStateMachines'
  | 'readsExecutionsOf'
  | 'publishesEvents'
  | 'publishesAlerts'
  | 'postsToConnections'
  | 'readsWebhookSecret'
>;

/** Builds the policy of function `id` from its spec and the physical table names / state machine ARNs. */
export function accessPolicy(
  id: string,
  spec: AccessSpec,
  resolved: {
    tableNames: Partial<Record<TableId, string>>;
    stateMachineArns?: Partial<Record<StateMachineId, string>>;
    account: string;
    region: string;
  },
): AccessPolicy {
  const dynamodb = new Map<string, Set<string>>();
  for (const [tableId, access] of Object.entries(spec.tables) as [TableId, TableAccess][]) {
    const name = resolved.tableNames[tableId];
    if (!name) continue;
    const actions = new Set([
      ...DYNAMODB_ACTIONS[access],
      ...(spec.deletesFrom?.includes(tableId) ? DYNAMODB_ACTIONS.delete : []),
      ...(spec.scans?.includes(tableId) ? DYNAMODB_ACTIONS.scan : []),
    ]);
    dynamodb.set(name, actions);
    for (const index of spec.queriesIndexes?.[tableId] ?? []) dynamodb.set(`${name}/index/${index}`, actions);
  }
  const arn = (smId: StateMachineId) => resolved.stateMachineArns?.[smId];
  return {
    functionId: id,
    account: resolved.account,
    region: resolved.region,
    dynamodb,
    starts: new Set((spec.startsStateMachines ?? []).map(arn).filter((a): a is string => Boolean(a))),
    describes: new Set(
      (spec.readsExecutionsOf ?? [])
        .map(arn)
        .filter((a): a is string => Boolean(a))
        .map((a) => a.split(':').at(-1)!),
    ),
    publishesEvents: Boolean(spec.publishesEvents),
    publishesAlerts: Boolean(spec.publishesAlerts),
    postsToConnections: Boolean(spec.postsToConnections),
    readsWebhookSecret: Boolean(spec.readsWebhookSecret),
  };
}

/** lib-dynamodb command names → DynamoDB operation names. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
  ExecuteStatement: 'ExecuteStatement',
  BatchExecuteStatement: 'BatchExecuteStatement',
  ExecuteTransaction: 'ExecuteTransaction',
};

/**
 * The operation an SDK v3 command calls: the command's name without `Command`, and for DynamoDB the low-level
 * operation a lib-dynamodb document command stands for (`Get` → GetItem). Shared with local/metering.ts.
 */
export function sdkOperation(command: { constructor?: { name?: string } } | undefined, service: string): string {
  const name = String(command?.constructor?.name ?? '').replace(/Command$/, '');
  return service === 'DynamoDB' ? (DOCUMENT_COMMANDS[name] ?? name) : name;
}

/** Each (action, resource) pair a DynamoDB request needs. */
function dynamoDbNeeds(operation: string, input: any): Array<[action: string, resource: string]> {
  const table = (name: unknown, index?: unknown) => (index ? `${String(name)}/index/${String(index)}` : String(name));
  switch (operation) {
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
    case 'Scan':
    case 'DescribeTable':
      return [[`dynamodb:${operation}`, table(input?.TableName, operation === 'Scan' ? input?.IndexName : undefined)]];
    case 'Query':
      return [['dynamodb:Query', table(input?.TableName, input?.IndexName)]];
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys(input?.RequestItems ?? {}).map((name) => [`dynamodb:${operation}`, name]);
    case 'TransactGetItems':
      return (input?.TransactItems ?? []).map((item: any) => ['dynamodb:GetItem', table(item?.Get?.TableName)]);
    case 'TransactWriteItems': {
      const kinds: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
      };
      return (input?.TransactItems ?? []).flatMap((item: any) =>
        Object.entries(kinds)
          .filter(([kind]) => item?.[kind])
          .map(([kind, action]) => [`dynamodb:${action}`, table(item[kind].TableName)] as [string, string]),
      );
    }
    default:
      return [[`dynamodb:${operation}`, '*']];
  }
}

/** Why `policy` refuses `operation` of `service` with `input`, or undefined when allowed. */
export function deniedReason(policy: AccessPolicy, service: string, operation: string, input: any): string | undefined {
  const arnOf = (svc: string, resource: string) => `arn:aws:${svc}:${policy.region}:${policy.account}:${resource}`;
  const deny = (action: string, resource: string) =>
    `User: ${arnOf('sts', `assumed-role/wandian-local-${policy.functionId}`).replace(`:${policy.region}:`, '::')} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
  switch (service) {
    case 'DynamoDB': {
      for (const [action, resource] of dynamoDbNeeds(operation, input)) {
        if (!policy.dynamodb.get(resource)?.has(action)) return deny(action, arnOf('dynamodb', `table/${resource}`));
      }
      return undefined;
    }
    case 'SFN': {
      if (operation === 'StartExecution') {
        return policy.starts.has(input?.stateMachineArn) ? undefined : deny('states:StartExecution', String(input?.stateMachineArn));
      }
      if (operation === 'DescribeExecution') {
        const machine =
          String(input?.executionArn ?? '')
            .split(':')
            .at(-2) ?? '';
        return policy.describes.has(machine) ? undefined : deny('states:DescribeExecution', String(input?.executionArn));
      }
      return deny(`states:${operation}`, '*');
    }
    case 'EventBridge':
      return operation === 'PutEvents' && policy.publishesEvents ? undefined : deny(`events:${operation}`, arnOf('events', 'event-bus/*'));
    case 'SNS':
      return operation === 'Publish' && policy.publishesAlerts ? undefined : deny(`sns:${operation}`, String(input?.TopicArn ?? '*'));
    case 'ApiGatewayManagementApi':
      return policy.postsToConnections ? undefined : deny(`execute-api:ManageConnections`, arnOf('execute-api', '*'));
    case 'Secrets Manager':
      return operation === 'GetSecretValue' && policy.readsWebhookSecret
        ? undefined
        : deny(`secretsmanager:${operation}`, String(input?.SecretId ?? '*'));
    default:
      return undefined;
  }
}

/** The error AWS answers a refused call with (a 400 client fault named AccessDeniedException). */
export function accessDeniedError(message: string): Error {
  return Object.assign(new Error(message), {
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 },
  });
}

let installed: { current: () => AccessPolicy | undefined } | undefined;

/**
 * Wraps the SDK's `Client.prototype.send` (once per isolate) so that every call made while `currentPolicy()`
 * returns a policy is checked against it first; a refused call rejects (or calls back) with
 * AccessDeniedException and never reaches the service. A later call replaces `currentPolicy`.
 */
export function installAccessGuard(currentPolicy: () => AccessPolicy | undefined): void {
  if (installed) {
    installed.current = currentPolicy;
    return;
  }
  installed = { current: currentPolicy };
  const state = installed;
  const require = createRequire(import.meta.url);
  const { Client } = require('@smithy/core/client') as { Client: { prototype: { send: (...args: any[]) => any; config?: any } } };
  const send = Client.prototype.send;
  Client.prototype.send = function guardedSend(this: { config?: { serviceId?: string } }, command: any, ...rest: any[]) {
    const policy = state.current();
    if (policy) {
      const service = this.config?.serviceId ?? '';
      const operation = sdkOperation(command, service);
      const reason = deniedReason(policy, service, operation, command?.input);
      if (reason) {
        const error = accessDeniedError(reason);
        const callback = rest.find((r) => typeof r === 'function');
        if (callback) return void callback(error);
        return Promise.reject(error);
      }
    }
    return send.call(this, command, ...rest);
  };
}
