/**
 * Issue 9: a block made with the admin CLI reaches running servers at once, not at their block
 * sweep. Real processes: `signaling/main.ts` servers and the CLI as a child process, on SQLite (one
 * node) and on PostgreSQL with two nodes and Redis. SWEEP_INTERVAL_MS is ten minutes here, so the
 * sweep cannot be what ends a session: only the block feed can.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_NAME } from '../../signaling/block-feed.ts';
import { startMain, type RunningServer } from '../helpers/process.ts';
import {
  call,
  closeAllSockets,
  collect,
  connectSocket,
  freshDatabase,
  login,
  next,
  post,
  register,
  type ClientSocket,
  type Dialect,
  type TestDatabase,
} from '../helpers/server.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NO_SWEEP = { SWEEP_INTERVAL_MS: '600000' };

function cli(
  databaseUrl: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/admin-cli.ts', ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((r) => child.once('exit', (code) => r({ code, stdout, stderr })));
}

type Person = { username: string; token: string; socket: ClientSocket };

async function person(url: string, username: string): Promise<Person> {
  const auth = await register(url, username);
  return { username, token: auth.token, socket: await connectSocket(url, auth.token) };
}

async function befriend(a: Person, b: Person): Promise<void> {
  expect(await call(a.socket, 'friends:request', { username: b.username })).toMatchObject({
    ok: true,
  });
  expect(
    await call(b.socket, 'friends:respond', { username: a.username, accept: true }),
  ).toMatchObject({ ok: true });
}

/** A relay attempt's outcome: the ack, or 'no answer' when the server no longer hears the socket. */
async function relay(from: Person, to: string): Promise<unknown> {
  return (
    from.socket.timeout(1_500) as unknown as {
      emitWithAck: (e: string, p: unknown) => Promise<unknown>;
    }
  )
    .emitWithAck('signal:send', { to, signal: { type: 'offer', sdp: 'v=0' } })
    .catch(() => 'no answer');
}

/**
 * The promise of the issue: once the CLI says "done", the banned user's session is over and no
 * relay of theirs is accepted any more; unblocking lets them back in, relays included.
 */
async function banAndCheck(
  databaseUrl: string,
  victimUrl: string,
  friendUrl: string,
  prefix: string,
) {
  const victim = await person(victimUrl, `${prefix}_v`);
  const friend = await person(friendUrl, `${prefix}_f`);
  await befriend(victim, friend);
  expect(await relay(victim, friend.username)).toMatchObject({ ok: true });

  // Generous: the CLI's own start (tsx) takes seconds on a busy machine. The sweep is ten minutes.
  const ended = next(victim.socket, 'session:ended', 60_000);
  const dropped = new Promise<string>((r) => victim.socket.once('disconnect', r));
  const received = collect(friend.socket, 'signal');
  const done = await cli(databaseUrl, ['block', victim.username]);
  expect(done).toEqual({ code: 0, stdout: `${victim.username} is blocked\n`, stderr: '' });
  const seenAtDone = received.length;

  // After "done": a relay is refused (or never heard: the socket is closed), never delivered.
  expect(await relay(victim, friend.username)).not.toMatchObject({ ok: true });
  expect((await ended).reason).toBe('blocked');
  expect(await dropped).toBe('io server disconnect');
  expect(received.slice(seenAtDone)).toEqual([]);
  // And the token is dead: no way back in with the old session.
  await expect(connectSocket(victimUrl, victim.token)).rejects.toThrow();

  expect(await cli(databaseUrl, ['unblock', victim.username])).toEqual({
    code: 0,
    stdout: `${victim.username} is unblocked\n`,
    stderr: '',
  });
  const back = await login(victimUrl, victim.username);
  const again = { ...victim, socket: await connectSocket(victimUrl, back.token) };
  // The node's block list forgot them: their relays go through again.
  expect(await relay(again, friend.username)).toMatchObject({ ok: true });
}

describe.each<Dialect>(['sqlite'])(
  'admin CLI block, one node (%s)',
  { timeout: 120_000 },
  (dialect) => {
    let database: TestDatabase;
    let server: RunningServer;
    beforeAll(async () => {
      database = await freshDatabase(dialect);
      server = await startMain({ DATABASE_URL: database.url, ...NO_SWEEP });
    });
    afterAll(async () => {
      closeAllSockets();
      await server?.stop();
      await database?.drop();
    });
    afterEach(() => closeAllSockets());

    it('ends the session before the CLI says done; later relays are refused; unblock lets them back', async () => {
      await banAndCheck(database.url, server.url, server.url, 'ban1');
    });

    it('with no server running, blocks without waiting, and a server started later refuses the login', async () => {
      await register(server.url, 'ban_later');
      await server.stop();
      expect(await cli(database.url, ['block', 'ban_later'])).toEqual({
        code: 0,
        stdout: 'ban_later is blocked\n',
        stderr: '',
      });
      server = await startMain({ DATABASE_URL: database.url, ...NO_SWEEP });
      const refused = await post(server.url, '/api/auth/login', {
        username: 'ban_later',
        password: 'correct horse battery',
      });
      expect(refused.body).toMatchObject({ ok: false, error: { code: 'USER_BLOCKED' } });
    });
  },
);

describe('admin CLI block, two nodes on PostgreSQL and Redis', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let node1: RunningServer;
  let node2: RunningServer;
  beforeAll(async () => {
    database = await freshDatabase('postgres');
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_PREFIX: `p2sp-test-${randomUUID()}`,
      CLUSTER_HEARTBEAT_MS: '300',
      ...NO_SWEEP,
    };
    node1 = await startMain(env);
    node2 = await startMain(env);
  });
  afterAll(async () => {
    closeAllSockets();
    await Promise.all([node1?.stop(), node2?.stop()]);
    await database?.drop();
  });
  afterEach(() => closeAllSockets());

  it('ends the session on the node holding it before the CLI says done; relays refused; unblock', async () => {
    await banAndCheck(database.url, node2.url, node1.url, 'ban2');
  });

  it('still works after the nodes lose their LISTEN connection (they reconnect and catch up)', async () => {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const name = new URL(database.url).pathname.slice(1);
      const killed = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = $2',
        [LISTENER_NAME, name],
      );
      expect(killed.rowCount).toBe(2);
    } finally {
      await admin.end();
    }
    await banAndCheck(database.url, node1.url, node2.url, 'ban3');
  });
});
