import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Absolute path of the repository root; wiring.ts paths (handler entries, ASL files) are relative to it. */
export const repoRoot: string = fileURLToPath(new URL('..', import.meta.url));

/** Resolves a wiring.ts path (relative to the repository root) to an absolute path. */
export const fromRepoRoot = (relativePath: string): string => path.join(repoRoot, relativePath);
