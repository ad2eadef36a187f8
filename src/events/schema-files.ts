/**
 * What `scripts/generate-event-schemas.ts` writes, computed from the zod catalog (catalog.ts): one JSON
 * Schema file per event (`schemas/events/<DetailType>.v1.json`, draft-04) and the generated field tables
 * of docs/events.md (between the GENERATED markers). Pure; test/unit/event-schemas.test.ts fails when a
 * committed file differs from what this produces.
 */
import { eventDocs, eventJsonSchema, eventSource, eventTypes, type EventType } from './catalog.ts';

/** Directory of the committed schemas, relative to the repository root. */
export const SCHEMA_DIR = 'schemas/events';
/** The events doc, relative to the repository root. */
export const EVENTS_DOC = 'docs/events.md';
/** Markers around a generated section `name` of docs/events.md. */
const marks = (name: string) =>
  [`<!-- BEGIN GENERATED ${name}: npx tsx scripts/generate-event-schemas.ts -->`, `<!-- END GENERATED ${name} -->`] as const;

/** `schemas/events/<type>.v1.json`. */
export const schemaPath = (type: EventType): string => `${SCHEMA_DIR}/${type}.v1.json`;

/** Committed text of one schema file: the JSON Schema, 2-space indented, newline-terminated. */
export const schemaFileText = (type: EventType): string => `${JSON.stringify(eventJsonSchema(type), null, 2)}\n`;

/** Every schema file: repository-relative path → text. */
export function schemaFiles(): Map<string, string> {
  return new Map(eventTypes.map((t) => [schemaPath(t), schemaFileText(t)]));
}

type JsonSchema = {
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
};

/** Markdown table cell: pipes escaped. */
const cell = (text: string) => text.replaceAll('|', '\\|');

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.type === 'array' && s.items) return `${typeOf(s.items)}[]`;
  if (s.type === 'object' && s.properties) return `{${Object.keys(s.properties).join(', ')}}`;
  return s.format ? `${s.type} (${s.format})` : (s.type ?? 'any');
}

/** Markdown field table of one event's detail: field, type, required, meaning (with units). */
function fieldTable(type: EventType): string {
  const detail = (eventJsonSchema(type).properties as Record<string, JsonSchema>).detail!;
  const required = new Set(detail.required ?? []);
  const row = (name: string, s: JsonSchema, isRequired: boolean) =>
    `| \`${name}\` | ${typeOf(s)} | ${isRequired ? 'yes' : 'no'} | ${cell(s.description ?? '')} |`;
  const rows = Object.entries(detail.properties ?? {}).flatMap(([name, s]) => [
    row(name, s, required.has(name)),
    ...Object.entries(s.type === 'array' ? (s.items?.properties ?? {}) : {}).map(([n, i]) =>
      row(`${name}[].${n}`, i, (s.items?.required ?? []).includes(n)),
    ),
  ]);
  return [
    `### ${type} (\`${eventSource[type]}\`, v1)`,
    '',
    `Schema: [\`${schemaPath(type)}\`](../${schemaPath(type)})`,
    '',
    '| field | type | required | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The generated sections of docs/events.md by name: `catalog` (one row per event) and `fields` (one table per event). */
export function docSections(): Record<'catalog' | 'fields', string> {
  const catalog = [
    '| source | detail-type | fires when | eventId rule |',
    '| --- | --- | --- | --- |',
    ...eventTypes.map((t) => `| \`${eventSource[t]}\` | \`${t}\` | ${cell(eventDocs[t].when)} | \`${eventDocs[t].eventId}\` |`),
  ].join('\n');
  return { catalog, fields: eventTypes.map(fieldTable).join('\n\n') };
}

/** `doc` with each generated section replaced by {@link docSections}; throws if a section's markers are missing. */
export function withDocSections(doc: string): string {
  let out = doc;
  for (const [name, text] of Object.entries(docSections())) {
    const [begin, end] = marks(name);
    const b = out.indexOf(begin);
    const e = out.indexOf(end);
    if (b < 0 || e < b) throw new Error(`${EVENTS_DOC} lacks the GENERATED ${name} markers`);
    out = `${out.slice(0, b)}${begin}\n\n${text}\n\n${out.slice(e)}`;
  }
  return out;
}
