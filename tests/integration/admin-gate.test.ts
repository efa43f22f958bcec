/**
 * One admin gate for both surfaces: an admin demoted by another process (the admin CLI) is refused
 * on the very next call, over HTTP with the token they already hold and on the socket they already
 * have open, while the session itself carries on as a plain user's.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  call,
  closeAllSockets,
  get,
  post,
  startServer,
  type TestServer,
} from '../helpers/server.ts';
import { adminUser } from '../helpers/social.ts';

function cli(databaseUrl: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/admin-cli.ts', ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.once('exit', (code) => r({ code, out })));
}

describe.each(DIALECTS)('requireAdmin (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => closeAllSockets());

  it("a demotion refuses the admin's existing token and socket on their next call", async () => {
    const root = await adminUser(server, 'gate_root');
    expect((await get(server.url, '/api/admin/users', root.token)).status).toBe(200);
    expect(await call(root.socket, 'admin:users', {})).toMatchObject({ ok: true });

    expect(await cli(server.databaseUrl, ['demote', 'gate_root'])).toEqual({
      code: 0,
      out: 'gate_root is no longer an administrator\n',
    });

    const forbidden = { ok: false, error: { code: 'FORBIDDEN' } };
    const http = await get(server.url, '/api/admin/users', root.token);
    expect([http.status, http.body]).toMatchObject([403, forbidden]);
    const send = await post(server.url, '/api/admin/broadcast', { text: 'hi' }, root.token);
    expect([send.status, send.body]).toMatchObject([403, forbidden]);
    expect(await call(root.socket, 'admin:users', {})).toMatchObject(forbidden);
    expect(await call(root.socket, 'admin:broadcast', { text: 'hi' })).toMatchObject(forbidden);
    // Still signed in, as a plain user, on both surfaces.
    expect((await get(server.url, '/api/auth/me', root.token)).body).toMatchObject({ ok: true });
    expect(await call(root.socket, 'friends:list', {})).toMatchObject({ ok: true });

    // And a promotion counts at once too.
    expect((await cli(server.databaseUrl, ['promote', 'gate_root'])).code).toBe(0);
    expect((await get(server.url, '/api/admin/users', root.token)).status).toBe(200);
    expect(await call(root.socket, 'admin:users', {})).toMatchObject({ ok: true });
  });
});
