/**
 * cdk-nag (v3, AwsSolutions pack) over the whole app: WandianIdentity, WandianEdge and every regional stack
 * must have zero unacknowledged findings, errors and warnings alike. Every acknowledgement carries its reason
 * in code and sits on a resource (never on a stack or the app); the count per rule is printed.
 */
import { readFileSync } from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { addNagChecks, allStacks, buildApp } from '../../lib/app.ts';
import { fromRepoRoot } from '../../lib/paths.ts';

const cdkContext = JSON.parse(readFileSync(fromRepoRoot('cdk.json'), 'utf8')).context as Record<string, unknown>;
const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
const built = buildApp(app);
addNagChecks(app);
const stacks = allStacks(built);

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
  onStackOrApp: boolean;
}

/** Every acknowledgement recorded under `scope` (Validations.of(...).acknowledge). */
function acknowledgements(scope: IConstruct): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  const visit = (node: IConstruct): void => {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({
          path: node.node.path,
          id: key.replace(/^annotation::/i, ''),
          reason,
          onStackOrApp: Stack.isStack(node) || node === app,
        });
      }
    }
    node.node.children.forEach(visit);
  };
  visit(scope);
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('builds the identity stack, the edge stack and one stack per sales AWS region', () => {
    expect(stacks.map((s) => s.stackName)).toEqual(expect.arrayContaining(['WandianIdentity', 'WandianEdge']));
    expect(built.regional.length).toBeGreaterThan(0);
  });

  it.each(stacks.map((s) => [s.stackName, s] as const))('finds nothing unacknowledged in %s (errors and warnings)', (name, stack) => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`));
    expect(findings, `${name} findings`).toEqual([]);

    const acks = acknowledgements(stack);
    const byRule = new Map<string, number>();
    for (const ack of acks) {
      const rule = ack.id.replace(/\[.*$/, '');
      byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
    }
    const summary = [...byRule]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([rule, n]) => `${rule}=${n}`)
      .join(' ');
    console.log(`[cdk-nag] ${name}: 0 unacknowledged findings; ${acks.length} acknowledgements: ${summary}`);
  });

  it.each(stacks.map((s) => [s.stackName, s] as const))(
    'gives every acknowledgement in %s a reason and a resource (never a whole stack)',
    (_name, stack) => {
      for (const ack of acknowledgements(stack)) {
        expect(ack.onStackOrApp, `${ack.id} at ${ack.path}`).toBe(false);
        expect(ack.reason.length, `${ack.id} at ${ack.path} has a reason`).toBeGreaterThan(30);
      }
    },
  );

  it('acknowledges IAM wildcards one finding at a time (never the whole IAM5 rule)', () => {
    for (const ack of stacks.flatMap(acknowledgements)) {
      if (ack.id.startsWith('AwsSolutions-IAM5') || ack.id.startsWith('AwsSolutions-IAM4'))
        expect(ack.id, ack.path).toMatch(/\[(Resource|Action|Policy)::.+\]$/);
    }
  });

  it('passes the validation plugin during synthesis (what `cdk synth` runs)', () => {
    expect(() => app.synth({ force: true })).not.toThrow();
  });
});
