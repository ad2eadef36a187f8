/**
 * The local IAM stand-in (local/access-guard.ts) against the same wiring specs and action lists the CDK grants:
 * what each DynamoDB, Step Functions and EventBridge request needs, and which spec allows it.
 */
import { describe, expect, it } from 'vitest';
import { accessPolicy, deniedReason } from '../../local/access-guard.ts';
import { functions } from '../../lib/wiring.ts';

const tableNames = {
  orders: 't-orders',
  idempotency: 't-idem',
  inventory: 't-inv',
  coupons: 't-coupons',
  stores: 't-stores',
  catalog: 't-catalog',
  rateLimits: 't-rl',
  audit: 't-audit',
} as const;
const stateMachineArns = {
  placeOrder: 'arn:aws:states:us-east-1:000000000000:stateMachine:wandian-local-placeOrder',
  confirmPayment: 'arn:aws:states:us-east-1:000000000000:stateMachine:wandian-local-confirmPayment',
  compensateOrder: 'arn:aws:states:us-east-1:000000000000:stateMachine:wandian-local-compensateOrder',
  refundSaga: 'arn:aws:states:us-east-1:000000000000:stateMachine:wandian-local-refundSaga',
};
const policy = (id: keyof typeof functions) =>
  accessPolicy(id, functions[id], { tableNames, stateMachineArns, account: '000000000000', region: 'us-east-1' });

describe('local access guard', () => {
  const create = policy('createOrder');
  it('allows what the spec declares and refuses the rest, per DynamoDB action', () => {
    expect(deniedReason(create, 'DynamoDB', 'GetItem', { TableName: 't-stores' })).toBeUndefined();
    expect(deniedReason(create, 'DynamoDB', 'PutItem', { TableName: 't-stores' })).toContain('dynamodb:PutItem'); // stores: read
    expect(deniedReason(create, 'DynamoDB', 'GetItem', { TableName: 't-audit' })).toContain('table/t-audit'); // not declared
    expect(deniedReason(create, 'DynamoDB', 'DeleteItem', { TableName: 't-idem' })).toBeUndefined(); // deletesFrom
    expect(deniedReason(create, 'DynamoDB', 'DeleteItem', { TableName: 't-orders' })).toContain('dynamodb:DeleteItem');
    expect(deniedReason(create, 'DynamoDB', 'Scan', { TableName: 't-orders' })).toContain('dynamodb:Scan');
    expect(deniedReason(create, 'DynamoDB', 'BatchWriteItem', { RequestItems: { 't-orders': [] } })).toContain('dynamodb:BatchWriteItem');
    expect(deniedReason(create, 'DynamoDB', 'Query', { TableName: 't-orders', IndexName: 'openOrders' })).toContain('index/openOrders');
  });

  it('checks every item of a transaction', () => {
    const ok = {
      TransactItems: [
        { Put: { TableName: 't-orders' } },
        { Update: { TableName: 't-inv' } },
        { ConditionCheck: { TableName: 't-catalog' } },
      ],
    };
    expect(deniedReason(create, 'DynamoDB', 'TransactWriteItems', { TransactItems: ok.TransactItems.slice(0, 2) })).toBeUndefined();
    expect(deniedReason(create, 'DynamoDB', 'TransactWriteItems', ok)).toContain('dynamodb:ConditionCheckItem'); // catalog: read
    expect(deniedReason(create, 'DynamoDB', 'TransactGetItems', { TransactItems: [{ Get: { TableName: 't-audit' } }] })).toContain(
      'dynamodb:GetItem',
    );
  });

  it('allows index queries only for declared indexes', () => {
    const audit = policy('getAudit');
    expect(deniedReason(audit, 'DynamoDB', 'Query', { TableName: 't-audit', IndexName: 'byActor' })).toBeUndefined();
    expect(deniedReason(audit, 'DynamoDB', 'Query', { TableName: 't-audit' })).toBeUndefined();
    expect(deniedReason(policy('getOrder'), 'DynamoDB', 'Query', { TableName: 't-orders', IndexName: 'openOrders' })).toContain(
      'dynamodb:Query',
    );
  });

  it('allows StartExecution only on the declared state machines, no DescribeExecution or task tokens, events only with publishesEvents', () => {
    expect(deniedReason(create, 'SFN', 'StartExecution', { stateMachineArn: stateMachineArns.placeOrder })).toBeUndefined();
    expect(deniedReason(create, 'SFN', 'StartExecution', { stateMachineArn: stateMachineArns.refundSaga })).toContain(
      'states:StartExecution',
    );
    expect(
      deniedReason(policy('cancelOrder'), 'SFN', 'StartExecution', { stateMachineArn: stateMachineArns.compensateOrder }),
    ).toBeUndefined();
    expect(deniedReason(policy('cancelOrder'), 'SFN', 'SendTaskFailure', {})).toContain('states:SendTaskFailure');
    expect(
      deniedReason(policy('reconcile'), 'SFN', 'DescribeExecution', {
        executionArn: `${stateMachineArns.placeOrder.replace('stateMachine', 'execution')}:o-1`,
      }),
    ).toContain('states:DescribeExecution');
    expect(deniedReason(policy('fanOutOrderStatus'), 'EventBridge', 'PutEvents', {})).toBeUndefined();
    // Order events come from the orders stream (the outbox): create-order may no longer put events itself.
    expect(deniedReason(create, 'EventBridge', 'PutEvents', {})).toContain('events:PutEvents');
    expect(deniedReason(policy('getOrder'), 'EventBridge', 'PutEvents', {})).toContain('events:PutEvents');
  });
});
