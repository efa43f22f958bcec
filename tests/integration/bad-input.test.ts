/**
 * Hostile and broken input: every event and endpoint gets malformed, oversized, wrong-typed and
 * missing fields. Each gets its error code, nothing changes, the server stays up, and another
 * user's socket carries on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../shared/errors.ts';
import type { ClientEvent } from '../../shared/events.ts';
import { LIMITS } from '../../shared/limits.ts';
import {
  DIALECTS,
  call,
  closeAllSockets,
  get,
  next,
  post,
  startServer,
  user,
  type ClientSocket,
  type TestServer,
} from '../helpers/server.ts';
import { sharedServer } from '../helpers/social.ts';

/** Every client event with payloads that must fail their schema. */
const BAD_PAYLOADS: Record<ClientEvent, unknown[]> = {
  'presence:set': [{}, { status: 'offline' }, { status: 42 }, 'online', [1]],
  'friends:list': ['x', 5, [1, 2]],
  'friends:request': [{}, { username: '' }, { username: 7 }, { username: 'x'.repeat(500) }, null],
  'friends:respond': [{ username: 'a' }, { username: 'a', accept: 'yes' }, {}],
  'friends:remove': [{}, { username: ['a'] }],
  'groups:list': ['list'],
  'groups:create': [{}, { name: '' }, { name: 'x'.repeat(65) }, { name: 'a\u0000b' }, { name: 3 }],
  'groups:delete': [{}, { groupId: 'one' }, { groupId: -1 }, { groupId: 1.5 }, { groupId: 1e300 }],
  'groups:invite': [{ groupId: 1 }, { username: 'a' }, { groupId: '1', username: 'a' }],
  'groups:kick': [{ groupId: 1 }, {}],
  'groups:leave': [{}, { groupId: null }],
  'groups:setRole': [
    { groupId: 1, username: 'a', role: 'owner' },
    { groupId: 1, username: 'a' },
  ],
  'groups:members': [{}, { groupId: '1' }],
  'groups:invitations': ['mine', 3],
  'groups:accept': [{}, { groupId: '1' }, { groupId: 0 }],
  'groups:decline': [{}, { groupId: -2 }, { groupId: [1] }],
  'offline:store': [
    {},
    { id: 'a', to: { username: 'b' } },
    { id: 'a', to: { username: 'b' }, payload: '' },
    { id: 'has spaces', to: { username: 'b' }, payload: 'x' },
    { id: 'a', to: { username: 'b' }, payload: 'x'.repeat(LIMITS.offlinePayloadMax + 1) },
    { id: 'a', to: {}, payload: 'x' },
  ],
  'offline:storeMany': [
    {},
    { items: [] },
    { items: 'a' },
    {
      items: [
        { id: 'a', to: { username: 'b' }, payload: 'x' },
        { id: 'b', to: {}, payload: 'x' },
      ],
    },
    {
      items: Array.from({ length: LIMITS.ackBatchMax + 1 }, (_, i) => ({
        id: `m${i}`,
        to: { username: 'b' },
        payload: 'x',
      })),
    },
  ],
  'offline:pull': [{ limit: 0 }, { limit: 'all' }, { limit: 100_000 }],
  'offline:ack': [
    {},
    { ids: [] },
    { ids: 'a' },
    { ids: Array.from({ length: LIMITS.ackBatchMax + 1 }, (_, i) => `m${i}`) },
  ],
  'receipts:pull': [{ limit: 0 }, { limit: 'all' }, { limit: 100_000 }],
  'receipts:ack': [
    {},
    { receipts: [] },
    { receipts: 'a' },
    { receipts: [{ id: 'has space', to: 'bob' }] },
    { receipts: [{ id: 'a1' }] },
    { receipts: [{ id: 'a1', to: '' }] },
    { receipts: [{ id: 'x'.repeat(LIMITS.messageIdMax + 1), to: 'bob' }] },
    {
      receipts: Array.from({ length: LIMITS.ackBatchMax + 1 }, (_, i) => ({
        id: `m${i}`,
        to: 'b',
      })),
    },
  ],
  'keys:publish': [
    {},
    { publicKey: 'k' },
    { publicKey: 5, backup: 'b' },
    { publicKey: null, backup: 'b' },
    { publicKey: 'k'.repeat(LIMITS.publicKeyMax + 1), backup: 'b' },
    { publicKey: 'k', backup: 'b'.repeat(LIMITS.keyBackupMax + 1) },
    { publicKey: 'k', backup: '' },
    { publicKey: 'k with spaces', backup: 'b' },
    { publicKey: 'k', backup: 'clé' },
  ],
  'keys:restore': ['mine', 5, [1]],
  'auth:changePassword': [
    {},
    { oldPassword: 'admin password', newPassword: 'a new password' },
    { oldPassword: 'admin password', newPassword: 'short', backup: 'b' },
    { oldPassword: '', newPassword: 'a new password', backup: 'b' },
    { oldPassword: 'admin password', newPassword: 'a new password', backup: 'b\u0000' },
    {
      oldPassword: 'admin password',
      newPassword: 'a new password',
      backup: 'b'.repeat(LIMITS.keyBackupMax + 1),
    },
  ],
  'signal:send': [
    {},
    { to: 'b' },
    { to: 'b', signal: 'offer' },
    { to: 'b', signal: { sdp: 'x'.repeat(LIMITS.signalMax) } },
  ],
  // Admin events answer FORBIDDEN to a non-admin before parsing; covered below with an admin.
  'session:ice': ['x', 5, [1]],
  'admin:users': [{ onlineOnly: 'yes' }],
  'admin:groups': ['x'],
  'admin:sendUser': [
    { username: 'a' },
    { username: 'a', text: '' },
    { username: 'a', text: 'x'.repeat(LIMITS.systemTextMax + 1) },
  ],
  'admin:sendGroup': [{ group: 'g', text: 'x' }],
  'admin:broadcast': [{}, { text: '   ' }],
  'admin:blockUser': [{}],
  'admin:unblockUser': [{ username: null }],
  'admin:blockGroup': [{ group: 'g' }],
  'admin:unblockGroup': [{ creator: 'c' }],
  'admin:log': [{ limit: 0 }, { limit: 5000 }],
  'rooms:list': [
    { query: 5 },
    { query: 'x'.repeat(65) },
    { query: 'a\u0007b' },
    { limit: 0 },
    { limit: 51 },
    { offset: -1 },
    { offset: 1001 },
    'rooms',
  ],
  'rooms:join': [{}, { groupId: 'one' }, { groupId: 0 }, { groupId: 2.5 }],
  'rooms:setPublic': [{ groupId: 1 }, { groupId: 1, public: 'yes' }, { public: true }],
};

function raw(socket: ClientSocket, event: string, payload: unknown): Promise<Ack<unknown>> {
  return (
    socket.timeout(5_000) as unknown as {
      emitWithAck(e: string, p: unknown): Promise<Ack<unknown>>;
    }
  ).emitWithAck(event, payload);
}

describe.each(DIALECTS)('bad input over the socket (%s)', (dialect) => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof user>>;
  let bystander: Awaited<ReturnType<typeof user>>;

  beforeAll(async () => {
    server = await startServer(dialect);
    await server.app.services.auth.createUser('bad_admin', 'admin password', true);
    const { token, user: u } = await server.app.services.auth.login(
      'bad_admin',
      'admin password',
      '127.0.0.1',
    );
    const { connectSocket } = await import('../helpers/server.ts');
    admin = {
      token,
      user: u,
      username: 'bad_admin',
      socket: await connectSocket(server.url, token),
    };
    bystander = await user(server.url, 'bystander');
  });
  afterAll(async () => {
    closeAllSockets();
    await server.close();
  });

  const counts = async () => {
    const db = server.app.store.db;
    const n = async (
      t: 'users' | 'groups' | 'friend_requests' | 'offline_messages' | 'admin_log',
    ) =>
      Number(
        (
          await db
            .selectFrom(t)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      users: await n('users'),
      groups: await n('groups'),
      requests: await n('friend_requests'),
      offline: await n('offline_messages'),
      log: await n('admin_log'),
    };
  };

  for (const [event, payloads] of Object.entries(BAD_PAYLOADS)) {
    it(`${event}: every malformed payload gets BAD_REQUEST and changes nothing`, async () => {
      const before = await counts();
      for (const payload of payloads) {
        const res = await raw(admin.socket, event, payload);
        expect(res.ok, `${event} ${JSON.stringify(payload)?.slice(0, 80)}`).toBe(false);
        if (!res.ok) expect(res.error.code).toBe('BAD_REQUEST');
      }
      expect(await counts()).toEqual(before);
      expect(admin.socket.connected).toBe(true);
    });
  }

  it('names the offending field', async () => {
    const res = await raw(admin.socket, 'groups:create', { name: 'x'.repeat(65) });
    expect(res).toEqual({
      ok: false,
      error: {
        code: 'BAD_REQUEST',
        message: 'name: a group name has at most 64 characters',
        details: { field: 'name' },
      },
    });
  });

  it('an unknown event is answered UNKNOWN_EVENT and reported, and the socket stays', async () => {
    const reported = next(admin.socket, 'error:unknownEvent');
    const res = await raw(admin.socket, 'users:delete-everyone', { all: true });
    expect(res).toEqual({
      ok: false,
      error: { code: 'UNKNOWN_EVENT', message: 'unknown event "users:delete-everyone"' },
    });
    expect(await reported).toEqual({ event: 'users:delete-everyone' });
    expect(admin.socket.connected).toBe(true);
  });

  it('an event without an ack changes nothing', async () => {
    const before = await counts();
    (admin.socket.emit as (e: string, p: unknown) => void)('groups:create', { name: 'no-ack' });
    expect(await call(admin.socket, 'groups:list', undefined)).toEqual({ ok: true, data: [] });
    expect(await counts()).toEqual(before);
  });

  it('an oversized frame closes only the sender; other users carry on', async () => {
    const flooder = await user(server.url, 'flooder');
    const gone = new Promise<string>((r) => flooder.socket.once('disconnect', r));
    (flooder.socket.emit as (e: string, p: unknown) => void)('friends:request', {
      username: 'x'.repeat(LIMITS.socketFrameMax + 10),
    });
    expect(await gone).toBe('transport close');
    expect(await call(bystander.socket, 'friends:list', undefined)).toEqual({
      ok: true,
      data: { friends: [], incoming: [], outgoing: [] },
    });
    expect((await get(server.url, '/healthz')).status).toBe(200);
  });

  it('hostile text is stored and returned as text, not interpreted', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const res = await call(admin.socket, 'groups:create', { name });
    expect(res).toMatchObject({ ok: true, data: { name, creator: 'bad_admin', number: 1 } });
  });
});

describe.each(DIALECTS)('bad input over HTTP (%s)', (dialect) => {
  let server: TestServer;
  sharedServer(dialect, (s) => (server = s));

  const userCount = async () =>
    Number(
      (
        await server.app.store.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it.each([
    ['not JSON', '{"username": "a",', 'body is not valid JSON'],
    ['a JSON string', '"hello"', 'invalid input: expected object, received string'],
    [
      'missing password',
      JSON.stringify({ username: 'zed' }),
      'password: invalid input: expected string, received undefined',
    ],
    [
      'a number as username',
      JSON.stringify({ username: 12345, password: 'password one' }),
      'username: invalid input: expected string, received number',
    ],
    [
      'a short password',
      JSON.stringify({ username: 'zed', password: 'short' }),
      'password: a password has at least 8 characters',
    ],
    [
      'spaces in a username',
      JSON.stringify({ username: 'z e d', password: 'password one' }),
      'username: a username may contain letters, digits, "_", "-" and "." only',
    ],
    [
      'a huge password',
      JSON.stringify({ username: 'zed', password: 'p'.repeat(300) }),
      'password: a password has at most 256 characters',
    ],
  ])('register with %s: BAD_REQUEST, no user created', async (_what, body, message) => {
    const before = await userCount();
    const res = await post(server.url, '/api/auth/register', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    if (!res.body.ok) expect(res.body.error.message.toLowerCase()).toBe(message.toLowerCase());
    expect(await userCount()).toBe(before);
  });

  it('refuses a body over the cap without reading it all', async () => {
    const res = await post(
      server.url,
      '/api/auth/login',
      JSON.stringify({ username: 'a', password: 'x'.repeat(LIMITS.httpBodyMax) }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: `body larger than ${LIMITS.httpBodyMax} bytes` },
    });
  });

  it('refuses a body that is not declared as JSON', async () => {
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      body: 'username=a&password=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      ok: false,
      error: {
        code: 'BAD_REQUEST',
        message: 'send a JSON body with Content-Type: application/json',
      },
    });
  });

  it('answers unknown routes and wrong methods clearly', async () => {
    expect(await get(server.url, '/api/nothing-here')).toEqual({
      status: 404,
      body: { ok: false, error: { code: 'NOT_FOUND', message: 'no route /api/nothing-here' } },
    });
    const res = await get(server.url, '/api/auth/login');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'use POST for /api/auth/login' },
    });
  });

  it('the admin API refuses without a token (401) and with a bad one (401)', async () => {
    expect((await get(server.url, '/api/admin/users')).status).toBe(401);
    expect((await get(server.url, '/api/admin/users', 'made-up-token')).status).toBe(401);
  });
});
