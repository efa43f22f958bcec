/**
 * Reading PROTOCOL.md: its sections and the rows of its event tables, for the tests that hold the
 * document and the code to each other.
 */
import { readFileSync } from 'node:fs';

export const doc = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8');

/** The section of PROTOCOL.md under a heading, up to the next heading of any level. */
export function section(heading: string): string {
  const start = doc.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`PROTOCOL.md has no "${heading}"`);
  const rest = doc.slice(start + heading.length + 1);
  const end = rest.search(/^#{1,6} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The cells of the table row for an event (`| \`name\` | ... |`), in the given section. */
export function row(inSection: string, event: string): string[] {
  const line = section(inSection)
    .split('\n')
    .find((l) => l.startsWith(`| \`${event}\``));
  if (!line) throw new Error(`PROTOCOL.md, ${inSection}: no row for ${event}`);
  return line
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim());
}

/** The quoted values a cell lists, in order (`'a' \| 'b'`). */
export const quoted = (cell: string) => [...cell.matchAll(/'([^']+)'/g)].map((m) => m[1]);

/** The field names of the innermost `{ ... }` of a cell (`{ a, b?, c: ... }` gives a, b, c). */
export function fields(cell: string): string[] {
  const inner = /\{([^{}]*)\}/.exec(cell)?.[1];
  if (inner === undefined) throw new Error(`no { ... } in ${cell}`);
  return inner
    .split(',')
    .map((f) => f.trim().replace(/[?]?(:.*)?$/, ''))
    .filter(Boolean);
}
