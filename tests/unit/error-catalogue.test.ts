/**
 * The error catalogue is closed both ways (every entry speaks a wire code, every wire code has an
 * entry), and it is the only place the server builds an AppError: a `new AppError(` written anywhere
 * else in signaling/ fails here, so the rule cannot rot.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES } from '../../shared/errors.ts';
import { errors } from '../../signaling/error-catalogue.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const signaling = join(root, 'signaling');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.[cm]?[jt]s$/.test(entry.name) ? [path] : [];
  });
}

describe('the error catalogue', () => {
  const entries = Object.entries(errors);

  it('speaks only the codes of ERROR_CODES, and has an entry for each of them', () => {
    const codes = new Set<string>(ERROR_CODES);
    for (const [name, entry] of entries) expect(codes.has(entry.code), name).toBe(true);
    expect(new Set(entries.map(([, entry]) => entry.code))).toEqual(codes);
  });

  it('is the only place in signaling/ that builds an AppError', () => {
    const files = sourceFiles(signaling);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files
      .filter((file) => !file.endsWith(join('signaling', 'error-catalogue.ts')))
      .filter((file) => /\bnew\s+AppError\s*\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(offenders).toEqual([]);
  });

  it('builds the AppError an entry describes: code, message from the parameters, its details', () => {
    const err = errors.userNotFound({ username: 'zoë' });
    expect(err).toBeInstanceOf(AppError);
    expect(err.toWire()).toEqual({
      code: 'NOT_FOUND',
      message: 'no user named "zoë"',
      details: { username: 'zoë' },
    });
    expect(errors.userNotFound.detailKeys).toEqual(['username']);
    expect(errors.usernameTaken({ username: 'bob' }).toWire()).toEqual({
      code: 'USERNAME_TAKEN',
      message: 'the username "bob" is taken',
      details: { rule: 'same' },
    });
    expect(errors.tooMany({ what: 'logins', retryAfterMs: 1 }).message).toBe(
      'too many logins; try again in 1 s',
    );
  });

  it('leaves out details that are undefined, and details altogether when none is left', () => {
    expect(errors.badRequest({ problem: 'invalid payload' }).toWire()).toEqual({
      code: 'BAD_REQUEST',
      message: 'invalid payload',
    });
    expect(errors.badRequest({ problem: 'too short', field: 'name' }).toWire()).toEqual({
      code: 'BAD_REQUEST',
      message: 'name: too short',
      details: { field: 'name' },
    });
    expect(errors.notSignedIn().toWire()).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'not signed in',
    });
  });
});
