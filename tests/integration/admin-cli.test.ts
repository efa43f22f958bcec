/**
 * The admin CLI answers through the same services and schemas as the server: presence as the
 * running server keeps it, the schemas' own refusals, and its exit codes (0 done, 1 refused,
 * 2 wrong usage). The CLI is a real child process on the test server's database.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  call,
  closeAllSockets,
  eventually,
  startServer,
  user,
  type TestServer,
} from '../helpers/server.ts';

function cli(
  databaseUrl: string,
  args: string[],
  stdin = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/admin-cli.ts', ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin);
  return new Promise((r) => child.once('exit', (code) => r({ code, stdout, stderr })));
}

describe.each(DIALECTS)('the admin CLI through the services (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => closeAllSockets());

  it('lists presence as the running server keeps it, --online only those connected', async () => {
    const on = await user(server.url, 'clip_on');
    await user(server.url, 'clip_busy').then(async (b) => {
      expect(await call(b.socket, 'presence:set', { status: 'busy' })).toMatchObject({ ok: true });
    });
    const off = await user(server.url, 'clip_off');
    off.socket.close();
    const mirrored = async () =>
      (
        await server.app.store.db
          .selectFrom('sessions')
          .select('presence')
          .where('user_id', '=', off.user.id)
          .executeTakeFirst()
      )?.presence ?? null;
    await eventually(async () => (await mirrored()) === null, 5_000, 'clip_off gone');

    const online = await cli(server.databaseUrl, ['users', '--online']);
    expect(online).toMatchObject({ code: 0, stderr: '' });
    expect(online.stdout.split('\n').slice(1, -1)).toEqual([
      expect.stringMatching(new RegExp(`^${on.user.id} +clip_on +active +online$`)),
      expect.stringMatching(/^\d+ +clip_busy +active +busy$/),
    ]);
    const all = await cli(server.databaseUrl, ['users']);
    expect(all.stdout).toMatch(/^id +username +admin +status +presence\n/);
    expect(all.stdout).toMatch(new RegExp(`\n${off.user.id} +clip_off +active +offline\n`));
  });

  it("refuses with the schemas' own messages: 1 for a bad name, 2 for a bad count", async () => {
    expect(await cli(server.databaseUrl, ['create-admin', 'x'], 'a long admin password\n')).toEqual(
      {
        code: 1,
        stdout: '',
        stderr: 'error: a username has at least 2 characters\n',
      },
    );
    const log = await cli(server.databaseUrl, ['log', '1001']);
    expect(log.code).toBe(2);
    expect(log.stderr).toMatch(/^log takes a count: limit: .*1000/);
    expect(log.stderr).toContain('usage: npm run admin -- <command>');
    expect(await cli(server.databaseUrl, ['log', '2'])).toMatchObject({ code: 0 });
  });
});
