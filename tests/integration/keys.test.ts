/**
 * The server's side of end-to-end encryption (issue 11), over real sockets: a public key and its
 * wrapped private-key backup published together, handed back only to their owner, a changed key
 * told to the people related to its owner and nobody else; and a password change that re-wraps
 * the backup in the same write, with the old password checked like a login.
 */
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits.ts';
import { usernameKey } from '../../shared/names.ts';
import { hashToken } from '../../signaling/services/auth.ts';
import { hashPassword } from '../../signaling/services/passwords.ts';
import { usernameSkeleton } from '../../signaling/services/skeleton.ts';
import { migrations } from '../../signaling/storage/migrations.ts';
import {
  DIALECTS,
  call,
  closeAllSockets,
  collect,
  connectSocket,
  freshDatabase,
  get,
  login,
  next,
  post,
  startServer,
  testConfig,
  user,
  type TestServer,
} from '../helpers/server.ts';
import {
  befriend,
  comeBack,
  expectError,
  goOffline,
  makeGroup,
  ok,
  settle,
  sharedServer,
  uname,
  type Person,
} from '../helpers/social.ts';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'staple battery horse';

const publish = (p: Person, publicKey: string, backup: string) =>
  call(p.socket, 'keys:publish', { publicKey, backup });
const restore = async (p: Person) => ok(await call(p.socket, 'keys:restore', {}));
const loginCode = async (server: TestServer, username: string, password: string) => {
  const res = await post(server.url, '/api/auth/login', { username, password });
  return res.body.ok ? 'OK' : res.body.error.code;
};
/** The stored row, read behind the server's back: what a refused call must not have touched. */
const stored = (server: TestServer, userId: number) =>
  server.app.store.db
    .selectFrom('users')
    .select(['public_key', 'key_backup', 'password_hash'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();

describe.each(DIALECTS)('keys (%s)', (dialect) => {
  let server: TestServer;
  sharedServer(dialect, (s) => (server = s));

  it('publishes a key with its backup and hands both back to their owner only', async () => {
    const a = await user(server.url, uname('ann'));
    const b = await user(server.url, uname('bob'));
    expect(await restore(a)).toEqual({ publicKey: null, backup: null });

    expect(await publish(a, 'pk-ann-1', 'wrapped-ann-1')).toEqual({
      ok: true,
      data: { publicKey: 'pk-ann-1' },
    });
    expect(await restore(a)).toEqual({ publicKey: 'pk-ann-1', backup: 'wrapped-ann-1' });
    // Another user restores their own, not anyone else's.
    expect(await restore(b)).toEqual({ publicKey: null, backup: null });

    ok(await publish(a, 'pk-ann-2', 'wrapped-ann-2'));
    expect(await restore(a)).toEqual({ publicKey: 'pk-ann-2', backup: 'wrapped-ann-2' });
  });

  it('takes key material exactly at the limits', async () => {
    const a = await user(server.url, uname('ann'));
    const publicKey = '!'.repeat(LIMITS.publicKeyMax - 1) + '~';
    const backup = 'B'.repeat(LIMITS.keyBackupMax);
    ok(await publish(a, publicKey, backup));
    expect(await restore(a)).toEqual({ publicKey, backup });
  });

  it('tells a changed key to online friends and group peers, not to strangers or the publisher', async () => {
    const a = await user(server.url, uname('ann'));
    const friend = await user(server.url, uname('friend'));
    const peer = await user(server.url, uname('peer'));
    const stranger = await user(server.url, uname('stranger'));
    await befriend(a, friend);
    await makeGroup(peer, 'cipher club', [a]);
    const seen = {
      friend: collect(friend.socket, 'keys:changed'),
      peer: collect(peer.socket, 'keys:changed'),
      stranger: collect(stranger.socket, 'keys:changed'),
      self: collect(a.socket, 'keys:changed'),
    };

    // The first publication is a change (from no key at all).
    ok(await publish(a, 'pk-1', 'backup-1'));
    // The same key again (say, with a re-wrapped backup) is no news.
    ok(await publish(a, 'pk-1', 'backup-1b'));
    ok(await publish(a, 'pk-2', 'backup-2'));
    for (const p of [friend, peer, stranger, a]) await settle(p.socket);

    const told = [
      { username: a.username, publicKey: 'pk-1' },
      { username: a.username, publicKey: 'pk-2' },
    ];
    expect(seen).toEqual({ friend: told, peer: told, stranger: [], self: [] });
    expect(await restore(a)).toEqual({ publicKey: 'pk-2', backup: 'backup-2' });
  });

  it('a friend who was offline finds the new key in friends:list', async () => {
    const a = await user(server.url, uname('ann'));
    const friend = await user(server.url, uname('friend'));
    await befriend(a, friend);
    await goOffline(server, friend);
    ok(await publish(a, 'pk-while-away', 'backup'));
    const back = await comeBack(server.url, friend.username);
    expect(ok(await call(back.socket, 'friends:list', {})).friends).toEqual([
      { username: a.username, status: 'online', publicKey: 'pk-while-away' },
    ]);
  });

  it('refuses over-size, empty and non-ASCII key material with BAD_REQUEST, changing nothing', async () => {
    const a = await user(server.url, uname('ann'));
    const friend = await user(server.url, uname('friend'));
    await befriend(a, friend);
    ok(await publish(a, 'pk-good', 'backup-good'));
    const before = await stored(server, a.user.id);
    const told = collect(friend.socket, 'keys:changed');

    const refused: [publicKey: string, backup: string, field: string][] = [
      ['k'.repeat(LIMITS.publicKeyMax + 1), 'backup', 'publicKey'],
      ['pk-new', 'b'.repeat(LIMITS.keyBackupMax + 1), 'backup'],
      ['', 'backup', 'publicKey'],
      ['pk-new', '', 'backup'],
      ['pk-clé', 'backup', 'publicKey'],
      ['pk-new', 'back up', 'backup'],
      ['pk-new', 'backup\n', 'backup'],
      ['pk-\u0000', 'backup', 'publicKey'],
      ['pk-new', 'backup-😀', 'backup'],
    ];
    for (const [publicKey, backup, field] of refused) {
      const res = await publish(a, publicKey, backup);
      expectError(res, 'BAD_REQUEST');
      if (!res.ok) expect(res.error.details).toMatchObject({ field });
    }
    expectError(
      await call(a.socket, 'keys:publish', { publicKey: 'pk-new' } as never),
      'BAD_REQUEST',
    );

    await settle(friend.socket);
    expect(told).toEqual([]);
    expect(await stored(server, a.user.id)).toEqual(before);
    expect(await restore(a)).toEqual({ publicKey: 'pk-good', backup: 'backup-good' });
  });
});

describe.each(DIALECTS)('password change (%s)', (dialect) => {
  let server: TestServer;
  sharedServer(dialect, (s) => (server = s));

  const change = (p: Person, oldPassword: string, newPassword: string, backup: string) =>
    call(p.socket, 'auth:changePassword', { oldPassword, newPassword, backup });

  it('a wrong old password is INVALID_CREDENTIALS and changes nothing', async () => {
    const a = await user(server.url, uname('ann'));
    ok(await publish(a, 'pk', 'wrapped-for-old'));
    const before = await stored(server, a.user.id);

    expectError(
      await change(a, 'not my password', NEW_PASSWORD, 'wrapped-for-new'),
      'INVALID_CREDENTIALS',
    );
    expect(await stored(server, a.user.id)).toEqual(before);
    expect(await restore(a)).toEqual({ publicKey: 'pk', backup: 'wrapped-for-old' });
    expect(a.socket.connected).toBe(true);
    expect(await loginCode(server, a.username, NEW_PASSWORD)).toBe('INVALID_CREDENTIALS');
    expect(await loginCode(server, a.username, PASSWORD)).toBe('OK');
  });

  it('the new password signs in and the old does not; the backup is replaced; this session stays', async () => {
    const a = await user(server.url, uname('ann'));
    ok(await publish(a, 'pk', 'wrapped-for-old'));
    const ended = collect(a.socket, 'session:ended');

    expect(await change(a, PASSWORD, NEW_PASSWORD, 'wrapped-for-new')).toEqual({
      ok: true,
      data: {},
    });
    expect(await restore(a)).toEqual({ publicKey: 'pk', backup: 'wrapped-for-new' });
    // The session that made the change goes on: its socket and its token.
    await settle(a.socket);
    expect(ended).toEqual([]);
    expect(a.socket.connected).toBe(true);
    expect((await get(server.url, '/api/auth/me', a.token)).status).toBe(200);

    expect(await loginCode(server, a.username, PASSWORD)).toBe('INVALID_CREDENTIALS');
    const res = await post<{ token: string }>(server.url, '/api/auth/login', {
      username: a.username,
      password: NEW_PASSWORD,
    });
    expect(res.status).toBe(200);
    // That login is the one session now; the new device restores the re-wrapped backup.
    const device = await connectSocket(server.url, res.body.ok ? res.body.data.token : '');
    expect(ok(await call(device, 'keys:restore', {}))).toEqual({
      publicKey: 'pk',
      backup: 'wrapped-for-new',
    });
  });

  it('refuses an over-size, missing or non-ASCII backup, or a weak new password, and keeps the password', async () => {
    const a = await user(server.url, uname('ann'));
    ok(await publish(a, 'pk', 'wrapped-for-old'));
    const before = await stored(server, a.user.id);

    const refused: [payload: Record<string, unknown>, field: string][] = [
      [{ backup: 'b'.repeat(LIMITS.keyBackupMax + 1) }, 'backup'],
      [{ backup: 'wrapped für neu' }, 'backup'],
      [{ backup: '' }, 'backup'],
      [{ backup: undefined }, 'backup'],
      [{ newPassword: 'short' }, 'newPassword'],
      [{ newPassword: 'p'.repeat(LIMITS.passwordMax + 1) }, 'newPassword'],
    ];
    for (const [overrides, field] of refused) {
      const payload = {
        oldPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
        backup: 'wrapped-for-new',
        ...overrides,
      };
      const res = await call(a.socket, 'auth:changePassword', payload as never);
      expectError(res, 'BAD_REQUEST');
      if (!res.ok) expect(res.error.details).toMatchObject({ field });
    }
    expect(await stored(server, a.user.id)).toEqual(before);
    expect(await loginCode(server, a.username, NEW_PASSWORD)).toBe('INVALID_CREDENTIALS');
    expect(await loginCode(server, a.username, PASSWORD)).toBe('OK');
  });

  it('revokes every other session: one that a login put in place while the change ran', async () => {
    const a = await user(server.url, uname('ann'));
    const ended = next(a.socket, 'session:ended');
    // As if a login with the old password had replaced the session while the hashes ran: the
    // change is made for a session that is not the stored one, so the stored one must go.
    await server.app.services.auth.changePassword({
      userId: a.user.id,
      ip: '127.0.0.1',
      oldPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      backup: 'wrapped-for-new',
      tokenHash: hashToken('the session that made the change'),
    });
    expect(await ended).toMatchObject({ reason: 'elsewhere' });
    expect((await get(server.url, '/api/auth/me', a.token)).status).toBe(401);
    expect(await loginCode(server, a.username, NEW_PASSWORD)).toBe('OK');
  });

  it('POST /api/auth/password does the same with the bearer token', async () => {
    const a = await user(server.url, uname('ann'));
    ok(await publish(a, 'pk', 'wrapped-for-old'));
    const body = { oldPassword: PASSWORD, newPassword: NEW_PASSWORD, backup: 'wrapped-over-http' };

    const anonymous = await post(server.url, '/api/auth/password', body);
    expect(anonymous.status).toBe(401);
    const wrong = await post(
      server.url,
      '/api/auth/password',
      { ...body, oldPassword: 'not it at all' },
      a.token,
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ ok: false, error: { code: 'INVALID_CREDENTIALS' } });
    const big = await post(
      server.url,
      '/api/auth/password',
      { ...body, backup: 'b'.repeat(LIMITS.keyBackupMax + 1) },
      a.token,
    );
    expect(big.status).toBe(400);
    expect(await restore(a)).toEqual({ publicKey: 'pk', backup: 'wrapped-for-old' });

    expect(await post(server.url, '/api/auth/password', body, a.token)).toMatchObject({
      status: 200,
      body: { ok: true, data: {} },
    });
    expect((await get(server.url, '/api/auth/me', a.token)).status).toBe(200);
    expect(a.socket.connected).toBe(true);
    expect(await restore(a)).toEqual({ publicKey: 'pk', backup: 'wrapped-over-http' });
    expect(await loginCode(server, a.username, PASSWORD)).toBe('INVALID_CREDENTIALS');
    expect(await loginCode(server, a.username, NEW_PASSWORD)).toBe('OK');
  });
});

describe.each(DIALECTS)('password change and the failed-login limit (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, {
      rateLimits: {
        ...testConfig('').rateLimits,
        loginFailuresPerUserIp: { points: 3, durationSec: 300 },
      },
    });
  });
  afterAll(async () => {
    closeAllSockets();
    await server.close();
  });

  it('wrong old passwords are failed logins for this user and address', async () => {
    const a = await user(server.url, 'guessed');
    const guess = (i: number) =>
      call(a.socket, 'auth:changePassword', {
        oldPassword: `guess ${i}`,
        newPassword: NEW_PASSWORD,
        backup: 'wrapped',
      });
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await guess(i);
      codes.push(res.ok ? 'OK' : res.error.code);
    }
    expect(codes).toEqual([
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'RATE_LIMITED',
    ]);
    // The same counter as logins from this address: the right password is refused here too now.
    expect(await loginCode(server, a.username, PASSWORD)).toBe('RATE_LIMITED');
    expectError(
      await call(a.socket, 'auth:changePassword', {
        oldPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
        backup: 'wrapped',
      }),
      'RATE_LIMITED',
    );
  });
});

describe.each(DIALECTS)('migration 0010 on existing accounts (%s)', (dialect) => {
  it('keeps a published key and starts without a backup until the next publication', async () => {
    const database = await freshDatabase(dialect);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema of the past
    const db = new Kysely<any>({
      dialect:
        dialect === 'postgres'
          ? new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) })
          : new SqliteDialect({ database: new SQLite(database.url.replace(/^sqlite:/, '')) }),
    });
    const all = await migrations(dialect).getMigrations();
    const before: Record<string, Migration> = Object.fromEntries(
      Object.entries(all).filter(([name]) => name < '0010'),
    );
    const { error } = await new Migrator({
      db,
      provider: { getMigrations: async () => before },
    }).migrateToLatest();
    if (error) throw error;
    await db
      .insertInto('users')
      .values({
        username: 'veteran',
        username_key: usernameKey('veteran'),
        username_skeleton: usernameSkeleton('veteran'),
        password_hash: await hashPassword(PASSWORD),
        public_key: 'pk-from-before',
        created_at: 1,
      })
      .execute();
    await db.destroy();

    const server = await startServer(dialect, {}, database);
    try {
      const auth = await login(server.url, 'veteran');
      const socket = await connectSocket(server.url, auth.token);
      expect(ok(await call(socket, 'keys:restore', {}))).toEqual({
        publicKey: 'pk-from-before',
        backup: null,
      });
      ok(await call(socket, 'keys:publish', { publicKey: 'pk-from-before', backup: 'wrapped' }));
      expect(ok(await call(socket, 'keys:restore', {}))).toEqual({
        publicKey: 'pk-from-before',
        backup: 'wrapped',
      });
    } finally {
      closeAllSockets();
      await server.close();
    }
  });
});
