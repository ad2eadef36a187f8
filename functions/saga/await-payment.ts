/**
 * Saga task WaitForPayment (invoked with a task token) — input `{orderId, taskToken}` → null.
 * Stores the token on the order so the payment webhook or a cancel can resume the saga. If the
 * callback or cancel came first, resumes at once. Throws OrderNotFound.
 */
import { taskHandler } from '../commons/task.ts';
import { orders } from '../commons/stores.ts';
import { sfn } from '../commons/clients.ts';
import { resumeSaga } from '../../src/saga/resume.ts';

export const handler = taskHandler('WaitForPayment', async ({ orderId, taskToken }: { orderId: string; taskToken: string }) => {
  const order = await orders.setIf(orderId, 'attribute_exists(orderId)', { taskToken });
  if (!order) throw Object.assign(new Error(`Order ${orderId} not found`), { name: 'OrderNotFound' });
  await resumeSaga(sfn, order);
  return null;
});
