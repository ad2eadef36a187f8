/**
 * The saga error names have one source (src/saga/errors.ts), and it agrees with the state machines:
 * every name an ASL Retry/Catch matches is in the catalog, and every catalog name is matched by some
 * ASL file or thrown/sent by some source file through the catalog.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  IllegalOrderStateError,
  OrderNotFoundError,
  SAGA_ERROR_NAMES,
  SAGA_ERRORS,
  SagaError,
  WalletDeclinedError,
} from '../../src/saga/errors.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every ErrorEquals name in the state machine files, by file. */
function aslErrorNames(): Map<string, Set<string>> {
  const dir = join(ROOT, 'statemachines');
  const out = new Map<string, Set<string>>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.asl.json'))) {
    const names = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'ErrorEquals') for (const n of value as string[]) names.add(n);
          else walk(value);
        }
      }
    };
    walk(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    out.set(file, names);
  }
  return out;
}

/** Names the service itself raises (States.*, Lambda.*): not ours to define. */
const isServiceError = (name: string) => name.startsWith('States.') || name.startsWith('Lambda.');

/** Source files under functions/ and src/ (not the catalog itself). */
function sources(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !p.endsWith(join('src', 'saga', 'errors.ts')))
        out.push({ path: p, text: readFileSync(p, 'utf8') });
    }
  };
  walk(join(ROOT, 'functions'));
  walk(join(ROOT, 'src'));
  return out;
}

describe('saga error names', () => {
  const asl = aslErrorNames();

  it('reads the four state machines', () => {
    expect([...asl.keys()].sort()).toEqual([
      'compensate-order.asl.json',
      'confirm-payment.asl.json',
      'place-order.asl.json',
      'refund-saga.asl.json',
    ]);
  });

  it('knows every error name a Retry or Catch in statemachines/*.asl.json matches', () => {
    for (const [file, names] of asl) {
      for (const name of names) if (!isServiceError(name)) expect(SAGA_ERROR_NAMES, `${file}: ${name}`).toContain(name);
    }
  });

  it('uses every catalog name: matched by a state machine, or raised through the catalog by a handler or service', () => {
    const matched = new Set([...asl.values()].flatMap((s) => [...s]));
    const code = sources();
    const errorClass = {
      orderNotFound: 'OrderNotFoundError',
      illegalOrderState: 'IllegalOrderStateError',
      walletDeclined: 'WalletDeclinedError',
    } as Record<string, string>;
    for (const [key, name] of Object.entries(SAGA_ERRORS)) {
      const raised = code.some(
        ({ text }) => text.includes(`SAGA_ERRORS.${key}`) || (errorClass[key] !== undefined && text.includes(`new ${errorClass[key]}(`)),
      );
      expect(matched.has(name) || raised, `${name} is neither in an ASL file nor raised anywhere`).toBe(true);
      // Whatever the ASL matches, some code must also raise, or the Catch/Retry is dead.
      expect(raised, `${name} is never raised through src/saga/errors.ts`).toBe(true);
    }
  });

  it('spells no saga error name outside the catalog', () => {
    for (const { path, text } of sources()) {
      for (const name of SAGA_ERROR_NAMES) {
        // A quoted literal means a second source of the name; doc comments may still mention it.
        for (const quote of ["'", '"', '`']) expect(text.includes(`${quote}${name}${quote}`), `${path} spells ${name}`).toBe(false);
      }
    }
  });

  it('gives every saga error its catalog name, so the Catch blocks match it', () => {
    expect(new OrderNotFoundError('x').name).toBe('OrderNotFound');
    expect(new IllegalOrderStateError('x').name).toBe('IllegalOrderState');
    expect(new WalletDeclinedError('x').name).toBe('WalletDeclined');
    expect(new SagaError(SAGA_ERRORS.orderNotRefundable, 'x')).toMatchObject({ name: 'OrderNotRefundable', message: 'x' });
    expect(new IllegalOrderStateError('x')).toBeInstanceOf(SagaError);
  });
});
