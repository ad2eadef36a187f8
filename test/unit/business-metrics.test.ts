/**
 * Business metrics as CloudWatch receives them: Powertools Metrics EMF lines in namespace Wandian with the
 * names the dashboard and alarms read (src/observability/business-metrics.ts), flushed by the middleware.
 */
import middy from '@middy/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { businessMetrics, orderStatusMetric } from '../../src/observability/business-metrics.ts';

let m: typeof import('../../functions/commons/metrics.ts');

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'Wandian';
  process.env.POWERTOOLS_SERVICE_NAME = 'wandian';
  m = await import('../../functions/commons/metrics.ts'); // the singleton reads the environment when created
});

afterEach(() => vi.restoreAllMocks());

/** Runs `fn` inside a handler wrapped with flushMetrics(); returns the EMF documents printed and what went to stderr. */
async function emitted(fn: () => void): Promise<{ emf: any[]; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  const handler = middy(async () => fn()).use(m.flushMetrics());
  await handler({}, { functionName: 'test' } as never);
  vi.restoreAllMocks();
  const emf = out
    .join('')
    .split('\n')
    .filter((l) => l.includes('_aws'))
    .map((l) => JSON.parse(l));
  return { emf, stderr: err.join('') };
}

const metricValue = (emf: any[], name: string) => emf.find((d) => name in d)?.[name];
const directive = (emf: any[], name: string) => emf.find((d) => name in d)?._aws.CloudWatchMetrics[0];

describe('business metrics', () => {
  it('counts a paid order and adds its total to Revenue per currency, in namespace Wandian', async () => {
    const { emf } = await emitted(() =>
      m.recordOrderStatus({ status: 'PAID', pricing: { subtotal: 3750, discount: 500, total: 3250, currency: 'CNY' } }),
    );
    expect(metricValue(emf, orderStatusMetric.PAID)).toBe(1);
    expect(directive(emf, orderStatusMetric.PAID)).toMatchObject({ Namespace: 'Wandian', Dimensions: [['service']] });
    expect(metricValue(emf, businessMetrics.revenue)).toBe(3250);
    expect(directive(emf, businessMetrics.revenue)).toMatchObject({
      Namespace: 'Wandian',
      Dimensions: [expect.arrayContaining(['service', 'currency'])],
    });
    expect(emf.find((d) => businessMetrics.revenue in d)).toMatchObject({ service: 'wandian', currency: 'CNY' });
  });

  it('counts every other status under its own name, without revenue', async () => {
    const { emf } = await emitted(() => {
      m.recordOrderStatus({ status: 'NEEDS_ATTENTION', pricing: { subtotal: 1, discount: 0, total: 1, currency: 'CNY' } });
      m.recordCompensation();
      m.recordCompensation();
      m.recordLowStockAlert();
    });
    expect(metricValue(emf, 'OrdersNeedingAttention')).toBe(1);
    expect(metricValue(emf, businessMetrics.compensations)).toEqual([1, 1]);
    expect(metricValue(emf, businessMetrics.lowStockAlerts)).toBe(1);
    expect(metricValue(emf, businessMetrics.revenue)).toBeUndefined();
  });

  it('prints nothing, not even a warning, for an invocation that recorded nothing', async () => {
    expect(await emitted(() => {})).toEqual({ emf: [], stderr: '' });
  });
});
