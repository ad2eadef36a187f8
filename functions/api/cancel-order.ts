/**
 * POST /v1/orders/{orderId}/cancel → 202 `{orderId, action: CANCEL | REFUND}`.
 * Before payment: records the request and fails the saga's WaitForPayment with
 * OrderCancelledByCustomer (compensation → CANCELLED). After payment (or once a payment callback has
 * been accepted): starts the refund Saga, execution name = orderId so repeats start it once
 * (→ REFUNDED with restock). Repeating a cancel is harmless.
 * Errors: 400 VALIDATION_FAILED (id); 404 ORDER_NOT_FOUND; 409 ORDER_NOT_CANCELLABLE.
 */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { authorize, orderTarget } from '../commons/auth.ts';
import { httpHandler, json, pathId } from '../commons/http.ts';
import { orders } from '../commons/stores.ts';
import { sfn } from '../commons/clients.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { cancellationKind } from '../../src/domain/order-status.ts';
import { stateMachineArn } from '../../src/config.ts';
import { resumeSaga } from '../../src/saga/resume.ts';

export const handler = httpHandler(async (event) => {
  const orderId = pathId(event, 'orderId');
  const notFound = () => new DomainError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`, { orderId });
  const order = await orders.get(orderId);
  if (!order) throw notFound();
  await authorize(event, orderTarget(order), notFound);
  const notCancellable = () =>
    new DomainError('ORDER_NOT_CANCELLABLE', `Order ${orderId} is ${order.status}`, { orderId, status: order.status });

  let kind = cancellationKind(order.status);
  if (kind === 'CANCEL') {
    // Condition: still unpaid and no callback accepted yet; the saga owns the status change itself.
    const requested = await orders.setIf(orderId, '#status = :pending AND attribute_not_exists(payment)', { cancelRequestedAt: new Date().toISOString() }, { ':pending': 'PENDING_PAYMENT' });
    if (requested) {
      await resumeSaga(sfn, requested); // no token yet → AwaitPayment sees cancelRequestedAt and resumes
      return json(202, { orderId, action: 'CANCEL', status: requested.status });
    }
    const now = await orders.get(orderId);
    kind = now?.payment?.status === 'SUCCEEDED' && (now.status === 'PENDING_PAYMENT' || now.status === 'PAID') ? 'REFUND' : null;
  }
  if (kind !== 'REFUND') throw notCancellable();
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn('refundSaga'), name: orderId, input: JSON.stringify({ orderId }) }));
  } catch (e) {
    if (!(e instanceof ExecutionAlreadyExists || (e as Error).name === 'ExecutionAlreadyExists')) throw e;
  }
  return json(202, { orderId, action: 'REFUND', status: order.status });
});
