import { describe, expect, it } from 'vitest';
import type { AuthResult, PublicUser } from '../../shared/events.ts';
import {
  DIALECTS,
  connectSocket,
  get,
  login,
  next,
  post,
  register,
  type TestServer,
} from '../helpers/server.ts';
import { sharedServer } from '../helpers/social.ts';

describe.each(DIALECTS)('accounts and sessions (%s)', (dialect) => {
  let server: TestServer;
  sharedServer(dialect, (s) => (server = s));

  it('registers a user and returns a token with the public user', async () => {
    const res = await post<AuthResult>(server.url, '/api/auth/register', {
      username: 'alice',
      password: 'password one',
    });
    expect(res.status).toBe(200);
    if (!res.body.ok) throw new Error(res.body.error.message);
    expect(res.body.data.user).toEqual({
      id: expect.any(Number),
      username: 'alice',
      isAdmin: false,
    });
    expect(res.body.data.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The token itself is never stored, only its hash.
    const row = await server.app.store.db
      .selectFrom('sessions')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.token_hash).not.toBe(res.body.data.token);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const user = await server.app.store.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', 'alice')
      .executeTakeFirstOrThrow();
    expect(user.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('refuses a duplicate username, case-insensitively', async () => {
    await register(server.url, 'Bob');
    const res = await post(server.url, '/api/auth/register', {
      username: 'bob',
      password: 'password two',
    });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      ok: false,
      error: {
        code: 'USERNAME_TAKEN',
        message: 'the username "bob" is taken',
        details: { rule: 'same' },
      },
    });
  });

  it('accepts Chinese usernames', async () => {
    const auth = await register(server.url, '小明');
    expect(auth.user.username).toBe('小明');
    const again = await login(server.url, '小明');
    expect(again.user.id).toBe(auth.user.id);
  });

  it('logs in with the right password and records the login', async () => {
    const reg = await register(server.url, 'carol');
    const res = await login(server.url, 'CAROL');
    expect(res.user).toEqual<PublicUser>({ id: reg.user.id, username: 'carol', isAdmin: false });
    expect(res.token).not.toBe(reg.token);
    const log = await server.app.store.db
      .selectFrom('login_log')
      .selectAll()
      .where('user_id', '=', reg.user.id)
      .execute();
    expect(log).toHaveLength(2);
    expect(log[0]!.ip).toMatch(/127\.0\.0\.1/);
  });

  it('refuses a wrong password and an unknown user with the same error', async () => {
    await register(server.url, 'dave');
    const wrong = await post(server.url, '/api/auth/login', {
      username: 'dave',
      password: 'not the password',
    });
    const unknown = await post(server.url, '/api/auth/login', {
      username: 'nobody',
      password: 'not the password',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({
      ok: false,
      error: { code: 'INVALID_CREDENTIALS', message: 'wrong username or password' },
    });
    expect(unknown.body).toEqual(wrong.body);
  });

  it('a second login ends the first session: the old socket is told, disconnected, and its token dies', async () => {
    const first = await register(server.url, 'erin');
    const oldSocket = await connectSocket(server.url, first.token);
    const ended = next(oldSocket, 'session:ended');
    const disconnected = new Promise<string>((r) => oldSocket.once('disconnect', r));
    const second = await login(server.url, 'erin');
    expect(await ended).toEqual({
      reason: 'elsewhere',
      message: 'You signed in somewhere else, so this session was closed.',
    });
    expect(await disconnected).toBe('io server disconnect');
    await expect(connectSocket(server.url, first.token)).rejects.toThrow('UNAUTHENTICATED');
    const me = await get<PublicUser>(server.url, '/api/auth/me', first.token);
    expect(me.status).toBe(401);
    const fresh = await connectSocket(server.url, second.token);
    expect(fresh.connected).toBe(true);
  });

  it('logout ends the session and kills the token', async () => {
    const auth = await register(server.url, 'frank');
    const socket = await connectSocket(server.url, auth.token);
    const ended = next(socket, 'session:ended');
    const res = await post(server.url, '/api/auth/logout', {}, auth.token);
    expect(res.body).toEqual({ ok: true, data: {} });
    expect((await ended).reason).toBe('logout');
    await expect(connectSocket(server.url, auth.token)).rejects.toThrow('UNAUTHENTICATED');
    const again = await post(server.url, '/api/auth/logout', {}, auth.token);
    expect(again.status).toBe(401);
  });

  it('reconnecting with a valid token resumes the session without a new login', async () => {
    const auth = await register(server.url, 'grace');
    const a = await connectSocket(server.url, auth.token);
    a.close();
    const b = await connectSocket(server.url, auth.token);
    const ready = await new Promise((resolve) => {
      // session:ready already fired for b; ask for something that needs the session.
      b.emit('friends:list', {}, resolve);
    });
    expect(ready).toEqual({ ok: true, data: { friends: [], incoming: [], outgoing: [] } });
  });

  it('a second socket with the same token replaces the first (one live session)', async () => {
    const auth = await register(server.url, 'heidi');
    const first = await connectSocket(server.url, auth.token);
    const ended = next(first, 'session:ended');
    await connectSocket(server.url, auth.token);
    expect((await ended).reason).toBe('replaced');
  });

  it('refuses a socket without a token or with a made-up one', async () => {
    await expect(connectSocket(server.url, '')).rejects.toThrow('UNAUTHENTICATED');
    await expect(connectSocket(server.url, 'x'.repeat(43))).rejects.toThrow('UNAUTHENTICATED');
  });

  it('session:ready carries the user, ICE servers and the group size cap', async () => {
    const auth = await register(server.url, 'ivan');
    const socket = await connectSocket(server.url, auth.token).then((s) => s);
    // connectSocket resolved on session:ready; reconnect to read its payload.
    socket.close();
    const { io } = await import('socket.io-client');
    const s = io(server.url, {
      auth: { token: auth.token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    const ready = await new Promise((r) => s.once('session:ready', r));
    s.close();
    expect(ready).toEqual({
      user: { id: auth.user.id, username: 'ivan', isAdmin: false },
      status: 'online',
      iceServers: [],
      iceTtlMs: null,
      iceTransportPolicy: 'all',
      groupMembersMax: 50,
    });
  });

  it('answers the health check with the store it uses', async () => {
    const res = await get(server.url, '/healthz');
    expect(res).toEqual({
      status: 200,
      body: { ok: true, data: { status: 'ok', store: dialect } },
    });
  });
});

describe.each(DIALECTS)('blocked users (%s)', (dialect) => {
  let server: TestServer;
  sharedServer(dialect, (s) => (server = s));

  it('blocking an online user ends their session; they cannot log in until unblocked', async () => {
    const auth = await register(server.url, 'mallory');
    const socket = await connectSocket(server.url, auth.token);
    const ended = next(socket, 'session:ended');
    await server.app.services.moderation.setUserBlocked({ username: 'root' }, 'mallory', true);
    expect(await ended).toEqual({
      reason: 'blocked',
      message: 'Your account has been blocked by an administrator.',
    });
    const res = await post(server.url, '/api/auth/login', {
      username: 'mallory',
      password: 'correct horse battery',
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      ok: false,
      error: { code: 'USER_BLOCKED', message: 'this account is blocked by an administrator' },
    });
    await expect(connectSocket(server.url, auth.token)).rejects.toThrow('UNAUTHENTICATED');
    await server.app.services.moderation.setUserBlocked({ username: 'root' }, 'mallory', false);
    const again = await login(server.url, 'mallory');
    expect(again.user.username).toBe('mallory');
  });

  it('a block written by another process (the admin CLI) reaches the live session through the sweep', async () => {
    const auth = await register(server.url, 'trent');
    const socket = await connectSocket(server.url, auth.token);
    const ended = next(socket, 'session:ended', 5_000);
    // What the CLI does: change the row, with no sockets to tell anyone.
    await server.app.store.db
      .updateTable('users')
      .set({ status: 'blocked' })
      .where('username', '=', 'trent')
      .execute();
    expect((await ended).reason).toBe('blocked');
  });
});
