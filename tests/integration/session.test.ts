import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  call,
  closeAllSockets,
  collect,
  connectSocket,
  eventually,
  next,
  post,
  register,
  sleep,
  startServer,
  user,
  type TestServer,
} from '../helpers/server.ts';

/** Make two users friends through the real request/accept flow. */
async function befriend(a: Awaited<ReturnType<typeof user>>, b: Awaited<ReturnType<typeof user>>) {
  expect(await call(a.socket, 'friends:request', { username: b.username })).toMatchObject({
    ok: true,
  });
  expect(
    await call(b.socket, 'friends:respond', { username: a.username, accept: true }),
  ).toMatchObject({ ok: true });
}

describe.each(DIALECTS)('presence (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => closeAllSockets());

  it('a friend sees status changes, going offline and coming back', async () => {
    const alice = await user(server.url, 'p_alice');
    const bob = await user(server.url, 'p_bob');
    await befriend(alice, bob);

    const away = next(bob.socket, 'presence:changed');
    expect(await call(alice.socket, 'presence:set', { status: 'away' })).toEqual({
      ok: true,
      data: { status: 'away' },
    });
    expect(await away).toEqual({ username: 'p_alice', status: 'away' });
    const list = await call(bob.socket, 'friends:list', undefined);
    expect(list).toEqual({
      ok: true,
      data: {
        friends: [{ username: 'p_alice', status: 'away', publicKey: null }],
        incoming: [],
        outgoing: [],
      },
    });

    const offline = next(bob.socket, 'presence:changed');
    alice.socket.close();
    expect(await offline).toEqual({ username: 'p_alice', status: 'offline' });

    const online = next(bob.socket, 'presence:changed');
    await connectSocket(server.url, alice.token);
    expect(await online).toEqual({ username: 'p_alice', status: 'online' });
  });

  it('a socket that stops answering heartbeats goes offline within pingInterval + pingTimeout', async () => {
    const alice = await user(server.url, 'hb_alice');
    const bob = await user(server.url, 'hb_bob');
    await befriend(alice, bob);
    const offline = next(bob.socket, 'presence:changed', 6_000);
    const started = Date.now();
    // Stop reading from the TCP socket: pings go unanswered, as with a dead network.
    const transport = alice.socket.io.engine.transport as unknown as {
      ws: { _socket: { pause(): void } };
    };
    transport.ws._socket.pause();
    expect(await offline).toEqual({ username: 'hb_alice', status: 'offline' });
    // Test config: 1 s interval + 1 s timeout.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(server.app.presence.isOnline(alice.user.id)).toBe(false);
  });

  it('strangers are not told about presence', async () => {
    const alice = await user(server.url, 's_alice');
    const stranger = await user(server.url, 's_stranger');
    const seen = collect(stranger.socket, 'presence:changed');
    await call(alice.socket, 'presence:set', { status: 'busy' });
    alice.socket.close();
    await eventually(() => !server.app.presence.isOnline(alice.user.id), 3_000, 'alice offline');
    // A round trip on the stranger's socket: anything sent before it has arrived.
    await call(stranger.socket, 'friends:list', undefined);
    expect(seen).toEqual([]);
  });

  it('the stored presence mirror follows the live one (the admin CLI reads it)', async () => {
    const alice = await user(server.url, 'm_alice');
    const mirror = () =>
      server.app.store.db
        .selectFrom('sessions')
        .select('presence')
        .where('user_id', '=', alice.user.id)
        .executeTakeFirstOrThrow();
    expect((await mirror()).presence).toBe('online');
    await call(alice.socket, 'presence:set', { status: 'busy' });
    expect((await mirror()).presence).toBe('busy');
    alice.socket.close();
    await eventually(async () => (await mirror()).presence === null, 3_000, 'mirror cleared');
  });
});

describe.each(DIALECTS)('rate limits (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, {
      rateLimits: {
        loginPerIp: { points: 100, durationSec: 60 },
        loginFailuresPerUserIp: { points: 3, durationSec: 60 },
        loginFailuresPerUser: { points: 100, durationSec: 60 },
        registerPerIp: { points: 3, durationSec: 60 },
        eventsPerUser: { points: 20, durationSec: 10 },
        connectsPerIp: { points: 10_000, durationSec: 60 },
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => closeAllSockets());

  it('limits failed logins per username and address, with a Retry-After, and the right password from there waits too', async () => {
    await register(server.url, 'rl_victim');
    for (let i = 0; i < 3; i++) {
      const res = await post(server.url, '/api/auth/login', {
        username: 'rl_victim',
        password: 'guess number ' + i,
      });
      expect(res.body).toMatchObject({ ok: false, error: { code: 'INVALID_CREDENTIALS' } });
    }
    const limited = await post(server.url, '/api/auth/login', {
      username: 'rl_victim',
      password: 'correct horse battery',
    });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      ok: false,
      error: { code: 'RATE_LIMITED', details: { retryAfterMs: expect.any(Number) } },
    });
    if (limited.body.ok) throw new Error('expected an error');
    expect(limited.body.error.message).toMatch(
      /^too many failed logins for this user from this address; try again in \d+ s$/,
    );
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits registrations per address', async () => {
    // One registration was spent by the test above.
    await register(server.url, 'rl_a');
    await register(server.url, 'rl_b');
    const res = await post(server.url, '/api/auth/register', {
      username: 'rl_c',
      password: 'password three',
    });
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    const row = await server.app.store.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'rl_c')
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('limits events per user without disconnecting them', async () => {
    const auth = await server.app.services.auth.createUser('rl_flood', 'password four', false);
    const { token } = await server.app.services.auth.login(
      auth.username,
      'password four',
      '127.0.0.2',
    );
    const socket = await connectSocket(server.url, token);
    const results = await Promise.all(
      Array.from({ length: 25 }, () => call(socket, 'friends:list', undefined)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(20);
    expect(results.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED')).toHaveLength(5);
    expect(socket.connected).toBe(true);
  });

  it('counts unknown events too, so made-up names cannot flood the server', async () => {
    const auth = await server.app.services.auth.createUser('rl_unknown', 'password five', false);
    const { token } = await server.app.services.auth.login(
      auth.username,
      'password five',
      '127.0.0.3',
    );
    const socket = await connectSocket(server.url, token);
    const notices = collect(socket, 'error:unknownEvent');
    const emit = socket.emit as (e: string, p: unknown) => void;
    for (let i = 0; i < 25; i++) emit.call(socket, `made:up${i}`, {});
    await eventually(() => notices.length === 20, 3_000, '20 notices');
    await sleep(200);
    expect(notices).toHaveLength(20);
    expect(socket.connected).toBe(true);
  });
});
