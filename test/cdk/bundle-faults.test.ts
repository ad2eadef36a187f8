/**
 * Test-only fault injection does not ship (issue 9): every Lambda bundle is built with the settings of
 * lib/constructs/lambda.ts (functionSettings.bundling), whose esbuild `define` turns the crash points of
 * src/faults.ts into dead code. Here the handlers that carry crash points are bundled with esbuild's own API
 * and those very settings (what NodejsFunction passes to esbuild), and the output must not mention the
 * fault variable at all, while a build without the define still does (so the check can fail).
 */
import { build, type BuildOptions } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { functionSettings } from '../../lib/constructs/lambda.ts';
import { fromRepoRoot } from '../../lib/paths.ts';
import { CRASH_POINTS } from '../../src/faults.ts';

/** NodejsFunction's esbuild options for functionSettings.bundling (aws-lambda-nodejs: bundling.ts). */
function lambdaBuildOptions(entry: string, withDefine = true): BuildOptions {
  const b = functionSettings.bundling;
  return {
    entryPoints: [fromRepoRoot(entry)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: b.target,
    minify: b.minify,
    sourcemap: false,
    mainFields: b.mainFields,
    define: withDefine ? b.define : {},
    banner: { js: b.banner },
    logLevel: 'silent',
  };
}

async function bundleText(entry: string, withDefine = true): Promise<string> {
  const out = await build(lambdaBuildOptions(entry, withDefine));
  return out.outputFiles!.map((f) => f.text).join('\n');
}

/** Every handler with a crash point (src/faults.ts names where each one is); the webhook reaches one through src/payments. */
const entries = [...new Set(Object.values(CRASH_POINTS).filter((f) => f.startsWith('functions/'))), 'functions/api/payment-webhook.ts'];

describe('Lambda bundles', () => {
  it.each(entries)(
    '%s ships without fault injection (no WANDIAN_FAULT_CRASH_AT / _THROW_AT, no SIGKILL)',
    async (entry) => {
      const text = await bundleText(entry);
      expect(text).not.toContain('WANDIAN_FAULT_CRASH_AT');
      expect(text).not.toContain('WANDIAN_FAULT_THROW_AT');
      expect(text).not.toContain('SIGKILL');
    },
    60_000,
  );

  it('would ship the fault variable without the define (the check above can fail)', async () => {
    const armed = await bundleText('functions/saga/release-stock.ts', false);
    expect(armed).toContain('WANDIAN_FAULT_CRASH_AT');
    expect(armed).toContain('WANDIAN_FAULT_THROW_AT');
  }, 60_000);
});
