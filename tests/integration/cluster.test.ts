/**
 * Several nodes: two real server processes on one PostgreSQL database and one Redis, with users
 * on different nodes. Each point of the multi-node promise is checked across the node boundary.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthResult } from '../../shared/events.ts';
import { startMain, type RunningServer } from '../helpers/process.ts';
import {
  call,
  closeAllSockets,
  connectSocket,
  eventually,
  freshDatabase,
  login,
  next,
  post,
  register,
  type ClientSocket,
  type TestDatabase,
} from '../helpers/server.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('two nodes on PostgreSQL and Redis', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let node1: RunningServer;
  let node2: RunningServer;

  beforeAll(async () => {
    database = await freshDatabase('postgres');
    env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      // Our own channels on the shared Redis, so parallel test runs do not hear each other.
      REDIS_PREFIX: `p2sp-test-${randomUUID()}`,
      CLUSTER_HEARTBEAT_MS: '300',
      RATE_LOGIN_FAILURES_PER_USER_IP: '4',
      RATE_EVENTS_PER_USER: '60',
      PING_INTERVAL_MS: '1000',
      PING_TIMEOUT_MS: '1000',
    };
    // The first start runs the migrations; start the second once they are done.
    node1 = await startMain(env);
    node2 = await startMain(env);
  });
  afterAll(async () => {
    closeAllSockets();
    await Promise.all([node1?.stop(), node2?.stop()]);
    await database?.drop();
  });
  afterEach(() => closeAllSockets());

  async function pair(
    prefix: string,
  ): Promise<[AuthResult & { socket: ClientSocket }, AuthResult & { socket: ClientSocket }]> {
    const a = await register(node1.url, `${prefix}_a`);
    const b = await register(node2.url, `${prefix}_b`);
    const sa = await connectSocket(node1.url, a.token);
    const sb = await connectSocket(node2.url, b.token);
    expect(await call(sa, 'friends:request', { username: b.user.username })).toMatchObject({
      ok: true,
    });
    expect(
      await call(sb, 'friends:respond', { username: a.user.username, accept: true }),
    ).toMatchObject({ ok: true });
    return [
      { ...a, socket: sa },
      { ...b, socket: sb },
    ];
  }

  it('friend requests and presence cross nodes', async () => {
    const [a, b] = await pair('pres');
    const list = await call(a.socket, 'friends:list', {});
    expect(list).toEqual({
      ok: true,
      data: {
        friends: [{ username: 'pres_b', status: 'online', publicKey: null }],
        incoming: [],
        outgoing: [],
      },
    });
    const away = next(a.socket, 'presence:changed');
    await call(b.socket, 'presence:set', { status: 'away' });
    expect(await away).toEqual({ username: 'pres_b', status: 'away' });
    const offline = next(a.socket, 'presence:changed');
    b.socket.close();
    expect(await offline).toEqual({ username: 'pres_b', status: 'offline' });
  });

  it('a new public key is told to a friend on the other node', async () => {
    const [a, b] = await pair('keys');
    const changed = next(b.socket, 'keys:changed');
    expect(
      await call(a.socket, 'keys:publish', { publicKey: 'pk-keys-a', backup: 'wrapped' }),
    ).toEqual({ ok: true, data: { publicKey: 'pk-keys-a' } });
    expect(await changed).toEqual({ username: 'keys_a', publicKey: 'pk-keys-a' });
  });

  it('the signaling relay reaches a user on the other node, stamped with the sender', async () => {
    const [a, b] = await pair('relay');
    const got = next(b.socket, 'signal');
    expect(
      await call(a.socket, 'signal:send', { to: 'relay_b', signal: { type: 'offer', sdp: 'v=0' } }),
    ).toEqual({ ok: true, data: { to: 'relay_b' } });
    expect(await got).toEqual({ from: 'relay_a', signal: { type: 'offer', sdp: 'v=0' } });
    b.socket.close();
    await new Promise((r) => setTimeout(r, 300));
    const refused = await call(a.socket, 'signal:send', {
      to: 'relay_b',
      signal: { type: 'offer', sdp: 'v=0' },
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'OFFLINE' } });
  });

  it('a login on one node ends the session on the other', async () => {
    const auth = await register(node1.url, 'single_a');
    const socket = await connectSocket(node1.url, auth.token);
    const ended = next(socket, 'session:ended');
    await login(node2.url, 'single_a');
    expect((await ended).reason).toBe('elsewhere');
  });

  it('a message stored through one node is delivered through the other', async () => {
    const [a, b] = await pair('store');
    b.socket.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(
      await call(a.socket, 'offline:store', {
        id: 'm1',
        to: { username: 'store_b' },
        payload: 'sealed',
      }),
    ).toEqual({ ok: true, data: { id: 'm1', copies: 1 } });
    const again = await connectSocket(node2.url, b.token);
    const pulled = await call(again, 'offline:pull', {});
    expect(pulled).toMatchObject({
      ok: true,
      data: {
        more: false,
        messages: [{ id: 'm1', from: 'store_a', payload: 'sealed', kind: 'private' }],
      },
    });
  });

  it('a pickup on one node sends the delivery receipt to the sender on the other', async () => {
    const [a, b] = await pair('rcpt');
    b.socket.close();
    await eventually(async () => {
      const res = await call(a.socket, 'friends:list', {});
      return res.ok && res.data.friends.some((f) => f.status === 'offline');
    });
    expect(
      await call(a.socket, 'offline:store', { id: 'r1', to: { username: 'rcpt_b' }, payload: 's' }),
    ).toMatchObject({ ok: true });
    const receipt = next(a.socket, 'receipts:delivered');
    const again = await connectSocket(node2.url, b.token);
    expect(await call(again, 'offline:ack', { ids: ['r1'] })).toEqual({
      ok: true,
      data: { deleted: 1 },
    });
    expect((await receipt).receipts).toEqual([{ id: 'r1', to: 'rcpt_b', at: expect.any(Number) }]);
  });

  it('an admin on one node blocks a user on the other: session ended, friends told', async () => {
    const [a, b] = await pair('block');
    await register(node1.url, 'block_admin');
    // Promote through the same store the nodes share, then sign in again to get an admin session.
    const { Kysely, PostgresDialect } = await import('kysely');
    const pg = await import('pg');
    const db = new Kysely<{ users: { is_admin: number; username: string } }>({
      dialect: new PostgresDialect({
        pool: new pg.default.Pool({ connectionString: database.url }),
      }),
    });
    await db
      .updateTable('users')
      .set({ is_admin: 1 })
      .where('username', '=', 'block_admin')
      .execute();
    await db.destroy();
    const admin = await login(node1.url, 'block_admin');
    const adminSocket = await connectSocket(node1.url, admin.token);
    const ended = next(b.socket, 'session:ended');
    const relation = next(a.socket, 'relation:ended');
    expect(await call(adminSocket, 'admin:blockUser', { username: 'block_b' })).toEqual({
      ok: true,
      data: { username: 'block_b', blocked: true },
    });
    expect((await ended).reason).toBe('blocked');
    expect(await relation).toEqual({ username: 'block_b', reason: 'user-blocked' });
    // block_b's disconnect reaches node 1's presence view through Redis a moment later.
    const online = async () => {
      const users = await call(adminSocket, 'admin:users', { onlineOnly: true });
      return users.ok ? users.data.map((u) => u.username).sort() : [];
    };
    await eventually(
      async () => (await online()).length === 2,
      5_000,
      'block_b offline everywhere',
    );
    expect(await online()).toEqual(['block_a', 'block_admin']);
  });

  it('a node that dies: its users go offline for the others, nothing stored is lost, and they reconnect to another node', async () => {
    const [a, b] = await pair('death');
    const extra = await startMain(env);
    try {
      const c = await register(extra.url, 'death_c');
      const sc = await connectSocket(extra.url, c.token);
      expect(await call(sc, 'friends:request', { username: 'death_a' })).toMatchObject({
        ok: true,
      });
      expect(
        await call(a.socket, 'friends:respond', { username: 'death_c', accept: true }),
      ).toMatchObject({ ok: true });
      b.socket.close();
      await new Promise((r) => setTimeout(r, 300));
      expect(
        await call(a.socket, 'offline:store', {
          id: 'kept',
          to: { username: 'death_b' },
          payload: 'x',
        }),
      ).toMatchObject({ ok: true });

      const offline = next(a.socket, 'presence:changed', 10_000, (p) => p.username === 'death_c');
      await extra.stop('SIGKILL');
      expect(await offline).toEqual({ username: 'death_c', status: 'offline' });
      // death_c comes back through node 1 with the same token: no new login needed.
      const back = await connectSocket(node1.url, c.token);
      expect(await call(back, 'friends:list', {})).toMatchObject({
        ok: true,
        data: { friends: [{ username: 'death_a', status: 'online' }] },
      });
      // The message stored before the crash is still there for death_b, on either node.
      const sb = await connectSocket(node2.url, b.token);
      expect(await call(sb, 'offline:pull', {})).toMatchObject({
        ok: true,
        data: { messages: [{ id: 'kept' }] },
      });
    } finally {
      if (extra.child.exitCode === null && extra.child.signalCode === null)
        await extra.stop('SIGKILL');
    }
  });

  it('failed-login limits are counted across nodes (on Redis), not per node', async () => {
    await register(node1.url, 'guessed');
    for (const node of [node1, node1, node2, node2]) {
      const res = await post(node.url, '/api/auth/login', {
        username: 'guessed',
        password: 'wrong guess',
      });
      expect(res.body).toMatchObject({ ok: false, error: { code: 'INVALID_CREDENTIALS' } });
    }
    const limited = await post(node1.url, '/api/auth/login', {
      username: 'guessed',
      password: 'correct horse battery',
    });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });

  it('the event budget is counted across nodes: reconnecting to the other node does not refill it', async () => {
    const auth = await register(node1.url, 'budget');
    const first = await connectSocket(node1.url, auth.token);
    const spent = await Promise.all(
      Array.from({ length: 60 }, () => call(first, 'friends:list', {})),
    );
    expect(spent.every((r) => r.ok)).toBe(true);
    first.close();
    for (const node of [node2, node1, node2]) {
      const socket = await connectSocket(node.url, auth.token);
      expect(await call(socket, 'friends:list', {})).toMatchObject({
        ok: false,
        error: { code: 'RATE_LIMITED' },
      });
      socket.close();
    }
  });

  it('health checks answer on both nodes', async () => {
    for (const node of [node1, node2]) {
      const res = await fetch(`${node.url}/healthz`);
      expect(await res.json()).toEqual({ ok: true, data: { status: 'ok', store: 'postgres' } });
    }
  });
});
