/**
 * PROTOCOL.md is the contract a stranger writes a client from, so what it states about the wire is
 * checked against the code here: a change on either side without the other fails this file.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, HTTP_STATUS } from '../../shared/errors.ts';
import { LIMITS, MESSAGE_ID_PATTERN } from '../../shared/limits.ts';
import { parseFrame } from '../../shared/peer-wire.ts';

const doc = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8');

/** The section of PROTOCOL.md under a heading, up to the next heading of any level. */
function section(heading: string): string {
  const start = doc.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`PROTOCOL.md has no "${heading}"`);
  const rest = doc.slice(start + heading.length + 1);
  const end = rest.search(/^#{1,6} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The error table: one row per code or per list of codes, with their statuses `a/b/c`. */
function documentedErrors(): Map<string, number> {
  const documented = new Map<string, number>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]?.startsWith('`')) continue;
    const codes = [...cells[1].matchAll(/`([A-Z_]+)`/g)].map((m) => m[1] ?? '');
    const statuses = (cells[2] ?? '').split('/').map(Number);
    if (codes.length === 0 || statuses.length !== codes.length || statuses.some(Number.isNaN))
      continue;
    codes.forEach((code, i) => documented.set(code, statuses[i] ?? NaN));
  }
  return documented;
}

describe('PROTOCOL.md against the code', () => {
  it('lists every error code in the catalogue with its HTTP status, and no other', () => {
    const documented = documentedErrors();
    expect(Object.fromEntries(documented)).toEqual(
      Object.fromEntries(ERROR_CODES.map((code) => [code, HTTP_STATUS[code]])),
    );
  });

  const values = section('### Values on the wire');

  it('states the message id rule the schemas enforce', () => {
    const stated = `^${MESSAGE_ID_PATTERN.source.slice(1, -2)}{1,${LIMITS.messageIdMax}}$`;
    expect(values).toContain(`\`${stated}\``);
    const frame = (id: string) =>
      JSON.stringify({ v: 1, type: 'msg', id, conversation: 'private', text: 'hi', sentAt: 1 });
    expect(parseFrame(frame('a'.repeat(LIMITS.messageIdMax))).ok).toBe(true);
    expect(parseFrame(frame('a'.repeat(LIMITS.messageIdMax + 1))).ok).toBe(false);
    expect(parseFrame(frame('a.b')).ok).toBe(false);
  });

  it('states the payload cap in UTF-16 units, and lengths are counted that way', () => {
    expect(values).toContain(`${LIMITS.offlinePayloadMax.toLocaleString('en')} UTF-16 units`);
    expect('小红'.length).toBe(2);
    expect('😀'.length).toBe(2);
    expect(values).toContain("`'小红'` is 2, `'😀'` is 2");
  });

  it('refuses the sentAt values it says are refused, and takes the bounds it states', () => {
    expect(values).toContain('integer from 0 to 8.64e15');
    const frame = (sentAt: unknown) =>
      parseFrame(
        JSON.stringify({ v: 1, type: 'msg', id: 'x', conversation: 'private', text: 'hi', sentAt }),
      ).ok;
    expect(frame(0)).toBe(true);
    expect(frame(8.64e15)).toBe(true);
    expect(frame(8.64e15 + 1)).toBe(false);
    expect(frame(-1)).toBe(false);
    expect(frame(1.5)).toBe(false);
    expect(frame('1700000000000')).toBe(false);
  });
});
