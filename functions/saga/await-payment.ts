/**
 * Saga task WaitForPayment (invoked with a task token) — input `{orderId, taskToken}` → null.
 * Stores the token on the order so the payment webhook or a cancel can resume the saga. If the
 * callback or cancel came first, resumes at once. Throws OrderNotFound.
 */
import { taskHandler } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { sfn } from '../commons/clients.ts';
import { resumeSaga } from '../../src/saga/resume.ts';
import { OrderNotFoundError } from '../../src/saga/errors.ts';

export const handler = taskHandler('WaitForPayment', async ({ orderId, taskToken }: { orderId: string; taskToken: string }) => {
  const order = await orders.storeTaskToken(orderId, taskToken);
  if (!order) throw new OrderNotFoundError(`Order ${orderId} not found`);
  await resumeSaga(sfn, order);
  return null;
});
