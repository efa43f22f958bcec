/**
 * The real entrypoints as separate processes: `signaling/main.ts` (graceful shutdown, restart on
 * the same data file) and the admin CLI (`signaling/admin-cli.ts`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, startMain as startMainWith } from '../helpers/process.ts';
import { connectSocket, closeAllSockets, login, next, post, register } from '../helpers/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'p2sp-proc-'));
const DATABASE_URL = `sqlite:${join(dir, 'chat.db')}`;
afterAll(() => {
  closeAllSockets();
  rmSync(dir, { recursive: true, force: true });
});

const startMain = (env: Record<string, string> = {}) => startMainWith({ DATABASE_URL, ...env });

function cli(
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/admin-cli.ts', ...args], {
    env: { ...process.env, DATABASE_URL },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin ?? '');
  return new Promise((r) => child.once('exit', (code) => r({ code, stdout, stderr })));
}

describe('the server process', () => {
  it('shuts down cleanly on SIGTERM, closing sockets, and a restart on the same file keeps every account', async () => {
    const first = await startMain();
    const alice = await register(first.url, 'proc_alice');
    await register(first.url, 'proc_bob');
    const socket = await connectSocket(first.url, alice.token);
    const dropped = new Promise<string>((r) => socket.once('disconnect', r));
    const code = exited(first.child);
    first.child.kill('SIGTERM');
    expect(await code).toBe(0);
    expect(await dropped).toBe('transport close');
    expect(first.output()).toContain('"msg":"stopped"');

    const second = await startMain();
    try {
      // The old token still works: a restart is a blip, not a logout.
      const resumed = await connectSocket(second.url, alice.token);
      expect(resumed.connected).toBe(true);
      expect((await login(second.url, 'proc_bob')).user.username).toBe('proc_bob');
      const dup = await post(second.url, '/api/auth/register', {
        username: 'proc_alice',
        password: 'another password',
      });
      expect(dup.body).toMatchObject({ ok: false, error: { code: 'USERNAME_TAKEN' } });
    } finally {
      const done = exited(second.child);
      second.child.kill('SIGINT');
      expect(await done).toBe(0);
    }
  });

  it('refuses to start with a bad configuration, saying which setting', async () => {
    await expect(startMain({ PORT: 'eighty' })).rejects.toThrow(
      /PORT must be a non-negative integer, got "eighty"/,
    );
  });
});

describe('the admin CLI', () => {
  it('creates an admin with the password from stdin, who can then use the admin API', async () => {
    const res = await cli(['create-admin', 'cli_root'], 'a long admin password\n');
    expect(res).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^created administrator cli_root \(id \d+\)\n$/),
    });
    const server = await startMain();
    try {
      const auth = await login(server.url, 'cli_root', 'a long admin password');
      expect(auth.user.isAdmin).toBe(true);
    } finally {
      const done = exited(server.child);
      server.child.kill('SIGTERM');
      await done;
    }
  });

  it('refuses a short password and a taken name with exit code 1', async () => {
    expect(await cli(['create-admin', 'cli_short'], 'short\n')).toMatchObject({
      code: 1,
      stderr: 'error: a password has at least 8 characters\n',
    });
    expect(await cli(['create-admin', 'cli_root'], 'a long admin password\n')).toMatchObject({
      code: 1,
      stderr: 'error: the username "cli_root" is taken\n',
    });
  });

  it('promotes, demotes and lists users', async () => {
    expect(await cli(['promote', 'proc_bob'])).toMatchObject({
      code: 0,
      stdout: 'proc_bob is now an administrator\n',
    });
    const list = await cli(['users']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^id +username +admin +status +presence\n/);
    expect(list.stdout).toMatch(/\d+ +proc_bob +yes +active +offline\n/);
    expect(await cli(['demote', 'proc_bob'])).toMatchObject({
      code: 0,
      stdout: 'proc_bob is no longer an administrator\n',
    });
    expect(await cli(['users', '--online'])).toMatchObject({ code: 0, stdout: '(none)\n' });
  });

  it('blocks a user who is online on a running server: their session ends; unblock lets them back', async () => {
    const server = await startMain();
    try {
      const alice = await login(server.url, 'proc_alice');
      const socket = await connectSocket(server.url, alice.token);
      const online = await cli(['users', '--online']);
      expect(online.stdout).toMatch(/proc_alice +active +online\n/);
      // From before the CLI starts: Node and tsx alone take seconds on a busy machine.
      const ended = next(socket, 'session:ended', 60_000);
      expect(await cli(['block', 'proc_alice'])).toMatchObject({
        code: 0,
        stdout: 'proc_alice is blocked\n',
      });
      expect((await ended).reason).toBe('blocked');
      const refused = await post(server.url, '/api/auth/login', {
        username: 'proc_alice',
        password: 'correct horse battery',
      });
      expect(refused.body).toMatchObject({ ok: false, error: { code: 'USER_BLOCKED' } });
      expect(await cli(['unblock', 'proc_alice'])).toMatchObject({
        code: 0,
        stdout: 'proc_alice is unblocked\n',
      });
      expect((await login(server.url, 'proc_alice')).user.username).toBe('proc_alice');
      const log = await cli(['log', '2']);
      expect(log.stdout).toMatch(/cli +unblockuser +proc_alice\n.*cli +blockuser +proc_alice\n$/s);
    } finally {
      const done = exited(server.child);
      server.child.kill('SIGTERM');
      await done;
    }
  }, 120_000);

  it('wrong usage exits 2 with the usage; an unknown user exits 1', async () => {
    const wrong = await cli(['frobnicate']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('unknown command "frobnicate"');
    expect(wrong.stderr).toContain('usage: npm run admin -- <command>');
    expect(await cli(['block'])).toMatchObject({ code: 2 });
    expect(await cli(['block', 'nobody_here'])).toMatchObject({
      code: 1,
      stderr: 'error: no user named "nobody_here"\n',
    });
  });
});
