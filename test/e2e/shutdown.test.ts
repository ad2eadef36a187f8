/**
 * The local runtime stops cleanly (PRODUCT.md "Running locally"): with a WebSocket subscriber still
 * connected and a saga still waiting for payment, stop() closes the subscriber and returns.
 */
import { expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLocalSystem } from '../../local/system.ts';
import { ApiClient } from '../helpers/api.ts';

it('stops while a WebSocket subscriber is connected and a saga waits, closing the subscriber', async () => {
  const system = await startLocalSystem({ port: 0, quiet: true });
  const api = new ApiClient(system.url, 'unused');
  await api.put('/v1/stores/sd-store', { name: 'S', region: 'east', timezone: 'Asia/Shanghai' });
  await api.put('/v1/catalog/sd-sku', { name: 'Tea', unitPrice: 800, currency: 'CNY', category: 'drinks' });
  await api.put('/v1/stores/sd-store/inventory/sd-sku', { available: 3, lowStockThreshold: 0 });
  const created = await api.createOrder({
    storeId: 'sd-store',
    customerId: 'c1',
    items: [{ sku: 'sd-sku', quantity: 1 }],
    paymentMethod: 'CARD',
  });
  expect(created.status).toBe(201);

  const token = await api.token({ sub: 'c1', groups: ['customer'] });
  const ws = new WebSocket(`${system.url.replace('http', 'ws')}/ws?token=${encodeURIComponent(token)}&orderId=${created.body.orderId}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const closed = new Promise((resolve) => ws.once('close', resolve));

  await system.stop(); // hangs (hook timeout) if the HTTP server waits for the upgraded socket
  await closed;
  expect(ws.readyState).toBe(WebSocket.CLOSED);
  expect(system.stepFunctions.list().some((e) => e.status === 'RUNNING')).toBe(false);
}, 60_000);
