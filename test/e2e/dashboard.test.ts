/**
 * The local ops dashboard (`npm run local` → /dashboard) in headless Chromium (the npm package
 * `@sparticuz/chromium`, from the lockfile: no system browser needed; driven by playwright-core): orders placed, paid and cancelled through the API move its charts. Asserts on
 * the data the Chart.js charts hold and on the DOM counters, never on pixels.
 * `WANDIAN_SCREENSHOT=1` also writes docs/dashboard.png (committed; normal runs leave it alone).
 */
import { mkdirSync } from 'node:fs';
import sparticuz from '@sparticuz/chromium';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fromRepoRoot } from '../../lib/paths.ts';
import type { startLocalSystem } from '../../local/system.ts';
import type { ApiClient } from '../helpers/api.ts';
import { startTestSystem } from '../helpers/local-system.ts';

const SECRET = 'dashboard-secret';
let system: Awaited<ReturnType<typeof startLocalSystem>> | undefined;
let browser: Browser | undefined;
let page: Page;
let api: ApiClient;

/** What the charts on the page hold: each dataset's sum over the window (hourly: the newest hour). */
function chartTotals(p: Page) {
  return p.evaluate(() => {
    const { charts } = (globalThis as any).wandianDashboard;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const byLabel = (chart: any) => Object.fromEntries(chart.data.datasets.map((d: any) => [d.label, sum(d.data)]));
    const hourly = charts.hourlySales.data.datasets.map((d: any) => [d.label, d.data.at(-1) ?? 0]);
    return {
      ordersByStatus: byLabel(charts.ordersByStatus),
      revenue: byLabel(charts.revenue),
      sagaOutcomes: byLabel(charts.sagaOutcomes),
      compensationsAlerts: byLabel(charts.compensationsAlerts),
      hourlySales: Object.fromEntries(hourly),
    };
  });
}

const counter = (id: string) => page.locator(`#${id}`).getAttribute('data-value').then(Number);

beforeAll(async () => {
  ({ system, api } = await startTestSystem(SECRET));
  // The package unpacks its Chromium build into the temp directory on first use; no network involved.
  browser = await chromium.launch({ executablePath: await sparticuz.executablePath(), args: sparticuz.args, headless: true });
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

it('shows orders/min by status, revenue, saga outcomes, compensations, alerts, hourly sales and low stock moving as orders come in', async () => {
  const storeId = `dash-store-${randomUUID().slice(0, 6)}`;
  const sku = 'dash-bun';
  await api.put(`/v1/stores/${storeId}`, { name: 'Dashboard store', region: 'east', timezone: 'Asia/Shanghai' });
  await api.put(`/v1/catalog/${sku}`, { name: 'Bun', unitPrice: 1250, currency: 'CNY', category: 'bakery' });
  // 10 units, alert at 7 or fewer: the third order crosses the threshold once.
  await api.put(`/v1/stores/${storeId}/inventory/${sku}`, { available: 10, lowStockThreshold: 7 });

  await page.goto(`${system!.url}/dashboard`);
  await page.waitForFunction(() => (globalThis as any).wandianDashboard?.updates > 0);
  const before = await chartTotals(page);
  expect(Object.values(before.ordersByStatus).every((n) => n === 0)).toBe(true);
  expect(before.compensationsAlerts).toEqual({ 'compensation steps': 0, 'low-stock alerts': 0 });

  const orders = [];
  for (let i = 0; i < 4; i++) {
    const created = await api.createOrder({ storeId, customerId: `dash-c${i}`, items: [{ sku, quantity: 1 }], paymentMethod: 'ALIPAY' });
    expect(created.status).toBe(201);
    orders.push(created.body);
  }
  for (const o of orders.slice(0, 3)) await api.pay(o);
  expect((await api.cancel(orders[3].orderId)).status).toBe(202);
  for (const o of orders.slice(0, 3)) await api.waitForStatus(o.orderId, ['PAID']);
  await api.waitForStatus(orders[3].orderId, ['CANCELLED']);
  await system!.bus.idle();

  // The page polls every second: wait until its charts have drawn what the system saw.
  await page.waitForFunction(
    () => {
      const s = (globalThis as any).wandianDashboard.snapshot;
      return s.totals.orders.PAID === 3 && s.totals.orders.CANCELLED === 1 && s.totals.alerts === 1 && s.totals.compensations >= 3;
    },
    undefined,
    { timeout: 15_000 },
  );
  const after = await chartTotals(page);
  expect(after.ordersByStatus).toMatchObject({ PENDING_PAYMENT: 4, PAID: 3, CANCELLED: 1, EXPIRED: 0, REFUNDED: 0, NEEDS_ATTENTION: 0 });
  expect(after.revenue).toEqual({ CNY: 3 * 1250 });
  expect(after.sagaOutcomes).toEqual({ completed: 3, compensated: 1, refunded: 0, needsAttention: 0 });
  // The cancelled order ran VoidPayment, ReleaseStock and ReleaseCoupons.
  expect(after.compensationsAlerts['compensation steps']).toBeGreaterThanOrEqual(3);
  expect(after.compensationsAlerts['low-stock alerts']).toBe(1);
  expect(after.hourlySales).toEqual({ 'orders paid': 3, revenue: 3750, cancelled: 1 });

  expect(await counter('total-placed')).toBe(4);
  expect(await counter('total-paid')).toBe(3);
  expect(await counter('total-revenue')).toBe(3750);
  expect(await counter('total-compensated')).toBe(1);
  expect(await counter('total-alerts')).toBe(1);
  const [store, lowSku, available, threshold] = await page.locator('#lowStock tr', { hasText: storeId }).locator('td').allTextContents();
  expect([store, lowSku, threshold]).toEqual([storeId, sku, '7']);
  expect(Number(available)).toBeLessThanOrEqual(7); // as the detector read it: 7, or 6 if the fourth order came first

  if (process.env.WANDIAN_SCREENSHOT === '1') {
    mkdirSync(fromRepoRoot('docs'), { recursive: true });
    await page.screenshot({ path: fromRepoRoot('docs/dashboard.png'), fullPage: true });
  }
});
