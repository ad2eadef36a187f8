/**
 * Writes the committed event schemas and the field tables of docs/events.md from the zod catalog
 * (src/events/catalog.ts). Run after changing an event: `npx tsx scripts/generate-event-schemas.ts`.
 * test/unit/event-schemas.test.ts fails until the committed files match.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromRepoRoot } from '../lib/paths.ts';
import { EVENTS_DOC, schemaFiles, withDocSections } from '../src/events/schema-files.ts';

for (const [path, text] of schemaFiles()) {
  mkdirSync(dirname(fromRepoRoot(path)), { recursive: true });
  writeFileSync(fromRepoRoot(path), text);
  console.log(`wrote ${path}`);
}
writeFileSync(fromRepoRoot(EVENTS_DOC), withDocSections(readFileSync(fromRepoRoot(EVENTS_DOC), 'utf8')));
console.log(`updated ${EVENTS_DOC}`);
