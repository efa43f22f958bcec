/**
 * The offline store: who may store for whom, delivery in store order until acknowledged, dedupe by
 * id, group fan-out to offline members only, quota, expiry, and nothing lost across a restart; the
 * per-user mailbox counts the quota reads (kept by triggers), on a new database and on one migrated
 * with messages already waiting; and the quota across two nodes on one PostgreSQL database.
 */
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { OfflineMessage } from '../../shared/events.ts';
import { LIMITS } from '../../shared/limits.ts';
import { hashPassword } from '../../signaling/services/passwords.ts';
import { migrations } from '../../signaling/storage/migrations.ts';
import {
  DIALECTS,
  call,
  closeAllSockets,
  collect,
  connectSocket,
  freshDatabase,
  login,
  next,
  register,
  startServer,
  user,
  type ClientSocket,
  type Dialect,
  type TestDatabase,
  type TestServer,
} from '../helpers/server.ts';
import {
  adminUser,
  befriend,
  comeBack,
  expectError,
  goOffline,
  addOfflineMember,
  makeGroup,
  manualClock,
  offlineUser,
  ok,
  settle,
  uname,
  type Person,
  sharedServer,
} from '../helpers/social.ts';

const store = (from: Person, id: string, to: string, payload = `body of ${id}`) =>
  call(from.socket, 'offline:store', { id, to: { username: to }, payload });
const storeGroup = (from: Person, id: string, groupId: number, payload = `body of ${id}`) =>
  call(from.socket, 'offline:store', { id, to: { groupId }, payload });
const pull = async (s: ClientSocket, limit?: number) =>
  ok(await call(s, 'offline:pull', limit === undefined ? {} : { limit }));
const ids = (messages: OfflineMessage[]) => messages.map((m) => m.id);

const storeMany = (from: Person, items: [id: string, to: string][]) =>
  call(from.socket, 'offline:storeMany', {
    items: items.map(([id, to]) => ({ id, to: { username: to }, payload: `body of ${id}` })),
  });
/** Each item's answer: 'ok' or its error code. */
const answers = (res: Awaited<ReturnType<typeof storeMany>>) =>
  ok(res).results.map((r) => (r.ok ? 'ok' : r.error.code));

/**
 * Every user's mailbox count next to the messages really waiting for them, by user id: the two
 * must always be equal, and every user (and only users that exist) has a mailbox.
 */
async function mailboxesAgainstRows(server: TestServer) {
  const { db } = server.app.store;
  const kept = await db.selectFrom('mailboxes').select(['user_id', 'count']).execute();
  const real = await db
    .selectFrom('users')
    .leftJoin('offline_messages', 'offline_messages.recipient_id', 'users.id')
    .select(['users.id', (eb) => eb.fn.count<number>('offline_messages.seq').as('n')])
    .groupBy('users.id')
    .execute();
  const byId = (rows: [number, number][]) => rows.sort((x, y) => x[0] - y[0]);
  return {
    kept: byId(kept.map((r) => [Number(r.user_id), Number(r.count)])),
    real: byId(real.map((r) => [Number(r.id), Number(r.n)])),
  };
}
async function expectMailboxesRight(server: TestServer) {
  const { kept, real } = await mailboxesAgainstRows(server);
  expect(kept).toEqual(real);
}

/** Kysely on a database that no server has opened, for building an old schema by hand. */
function rawDb(dialect: Dialect, url: string) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a schema from the past, not today's types
  return new Kysely<any>({
    dialect:
      dialect === 'sqlite'
        ? new SqliteDialect({ database: new SQLite(url.replace(/^sqlite:/, '')) })
        : new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });
}

/** Two friends, the second of whom has gone offline. */
async function friendGoneOffline(server: TestServer, prefix = '') {
  const a = await user(server.url, uname(`${prefix}ann`));
  const b = await user(server.url, uname(`${prefix}bob`));
  await befriend(a, b);
  await goOffline(server, b);
  return { a, b };
}

describe.each(DIALECTS)('offline store (%s)', (dialect) => {
  let server: TestServer;
  let url: string;
  let extra: Awaited<ReturnType<typeof startServer>> | undefined;

  sharedServer(dialect, (s) => {
    server = s;
    url = s.url;
  });
  afterEach(async () => {
    await extra?.close();
    extra = undefined;
  });

  it('keeps private messages for an offline friend, in order, until they are acknowledged', async () => {
    const { a, b } = await friendGoneOffline(server);
    const before = Date.now();
    for (const id of ['m-3', 'm-1', 'm-2']) {
      expect(await store(a, id, b.username)).toEqual({ ok: true, data: { id, copies: 1 } });
    }
    expect(await server.app.services.offline.waiting(b.user.id)).toBe(3);

    const back = await comeBack(url, b.username);
    const first = await pull(back.socket);
    expect(first.more).toBe(false);
    expect(first.messages.map(({ at: _at, ...m }) => m)).toEqual(
      ['m-3', 'm-1', 'm-2'].map((id) => ({
        id,
        from: a.username,
        kind: 'private',
        group: null,
        payload: `body of ${id}`,
      })),
    );
    for (const m of first.messages) {
      expect(m.at).toBeGreaterThanOrEqual(before);
      expect(m.at).toBeLessThanOrEqual(Date.now());
    }

    // Pulling is not receiving: they stay until acknowledged.
    expect(await pull(back.socket)).toEqual(first);
    expect(ok(await call(back.socket, 'offline:ack', { ids: ['m-3', 'm-1'] }))).toEqual({
      deleted: 2,
    });
    expect(ids((await pull(back.socket)).messages)).toEqual(['m-2']);
    expect(ok(await call(back.socket, 'offline:ack', { ids: ['m-2', 'm-3'] }))).toEqual({
      deleted: 1,
    });
    expect(await pull(back.socket)).toEqual({ messages: [], more: false });
  });

  it('pulls in pages when asked for fewer', async () => {
    const { a, b } = await friendGoneOffline(server);
    for (const id of ['p1', 'p2', 'p3']) ok(await store(a, id, b.username));
    const back = await comeBack(url, b.username);
    const page = await pull(back.socket, 2);
    expect([ids(page.messages), page.more]).toEqual([['p1', 'p2'], true]);
    ok(await call(back.socket, 'offline:ack', { ids: ids(page.messages) }));
    const rest = await pull(back.socket, 2);
    expect([ids(rest.messages), rest.more]).toEqual([['p3'], false]);
  });

  it('the same id stored twice is one message', async () => {
    const { a, b } = await friendGoneOffline(server);
    ok(await store(a, 'dup', b.username, 'first'));
    expect(await store(a, 'dup', b.username, 'retry')).toEqual({
      ok: true,
      data: { id: 'dup', copies: 1 },
    });
    const back = await comeBack(url, b.username);
    expect((await pull(back.socket)).messages.map((m) => [m.id, m.payload])).toEqual([
      ['dup', 'first'],
    ]);
  });

  it('one recipient cannot acknowledge away another one’s messages', async () => {
    const { a, b } = await friendGoneOffline(server);
    ok(await store(a, 'mine', b.username));
    expect(ok(await call(a.socket, 'offline:ack', { ids: ['mine'] }))).toEqual({ deleted: 0 });
    const back = await comeBack(url, b.username);
    expect(ids((await pull(back.socket)).messages)).toEqual(['mine']);
  });

  it('refuses non-friends, yourself, nobody, and bad payloads', async () => {
    const a = await user(url, uname('ann'));
    const stranger = await offlineUser(url, uname('str'));
    const friend = await offlineUser(url, uname('fri'));
    ok(await call(a.socket, 'friends:request', { username: friend.username }));

    expectError(await store(a, 's1', stranger.username), 'NOT_FRIENDS');
    // A pending request is not a friendship.
    expectError(await store(a, 's2', friend.username), 'NOT_FRIENDS');
    expectError(await store(a, 's3', a.username), 'SELF');
    expectError(await store(a, 's4', 'nobody-home'), 'NOT_FOUND');
    expectError(await store(a, 'bad id!', friend.username), 'BAD_REQUEST');
    expectError(await store(a, 's5', friend.username, ''), 'BAD_REQUEST');
    expect(await server.app.services.offline.waiting(stranger.user.id)).toBe(0);
    expect(await server.app.services.offline.waiting(friend.user.id)).toBe(0);
  });

  it('refuses a payload over 64 KiB and takes one of exactly 64 KiB', async () => {
    const { a, b } = await friendGoneOffline(server);
    expect(LIMITS.offlinePayloadMax).toBe(64 * 1024);
    expectError(
      await store(a, 'huge', b.username, 'x'.repeat(LIMITS.offlinePayloadMax + 1)),
      'BAD_REQUEST',
    );
    const exact = 'y'.repeat(LIMITS.offlinePayloadMax);
    ok(await store(a, 'exact', b.username, exact));
    const back = await comeBack(url, b.username);
    expect((await pull(back.socket)).messages.map((m) => [m.id, m.payload.length])).toEqual([
      ['exact', LIMITS.offlinePayloadMax],
    ]);
  });

  it('tells an online recipient that messages are waiting', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    await befriend(a, b);
    const available = next(b.socket, 'offline:available');
    ok(await store(a, 'live-1', b.username));
    expect(await available).toEqual({ count: 1 });
    expect(ids((await pull(b.socket)).messages)).toEqual(['live-1']);
  });

  it('stores one copy of a group message for each offline member, none for the online or the sender', async () => {
    const sender = await user(url, uname('snd'));
    const online = await user(url, uname('on'));
    const off1 = await offlineUser(url, uname('off'));
    const off2 = await offlineUser(url, uname('off'));
    const group = await makeGroup(sender, 'fanout', [online]);
    for (const p of [off1, off2]) await addOfflineMember(server, sender, group.id, p);
    const onlineGot = collect(online.socket, 'offline:available');

    expect(await storeGroup(sender, 'g-1', group.id)).toEqual({
      ok: true,
      data: { id: 'g-1', copies: 2 },
    });
    for (const p of [off1, off2]) {
      const back = await comeBack(url, p.username);
      expect((await pull(back.socket)).messages.map(({ at: _at, ...m }) => m)).toEqual([
        {
          id: 'g-1',
          from: sender.username,
          kind: 'group',
          group: { id: group.id, name: 'fanout', creator: sender.username },
          payload: 'body of g-1',
        },
      ]);
    }
    expect(await pull(online.socket)).toEqual({ messages: [], more: false });
    expect(await pull(sender.socket)).toEqual({ messages: [], more: false });
    await settle(online.socket);
    expect(onlineGot).toEqual([]);

    const outsider = await user(url, uname('out'));
    expectError(await storeGroup(outsider, 'g-2', group.id), 'NOT_MEMBER');
    expectError(await storeGroup(sender, 'g-3', 987_654), 'NOT_FOUND');
  });

  it('tells the three kinds of target apart, and answers a bad one field by field', async () => {
    const sender = await user(url, uname('snd'));
    const on = await user(url, uname('on'));
    const off = await offlineUser(url, uname('off'));
    await befriend(sender, on);
    const group = await makeGroup(sender, 'targets', [on]);
    await addOfflineMember(server, sender, group.id, off);
    const to = (target: unknown, id: string) =>
      call(sender.socket, 'offline:store', {
        id,
        to: target as { username: string },
        payload: id,
      });
    // One member the sender could not reach (stored even though the server sees them online),
    // the whole group (offline members only), and a friend.
    expect(ok(await to({ groupId: group.id, username: on.username }, 't1')).copies).toBe(1);
    expect(ok(await to({ groupId: group.id }, 't2')).copies).toBe(1);
    expect(ok(await to({ username: on.username, extra: 'ignored' }, 't3')).copies).toBe(1);
    expect(
      (await pull(on.socket)).messages.map((m) => [m.id, m.kind, m.group?.id ?? null]),
    ).toEqual([
      ['t1', 'group', group.id],
      ['t3', 'private', null],
    ]);
    const back = await comeBack(url, off.username);
    expect(ids((await pull(back.socket)).messages)).toEqual(['t2']);

    const refusal = async (target: unknown) => {
      const res = await to(target, 'bad');
      return res.ok
        ? res
        : { code: res.error.code, message: res.error.message, ...res.error.details };
    };
    expect(await refusal({})).toEqual({
      code: 'BAD_REQUEST',
      message: 'to: Invalid input',
      field: 'to',
    });
    expect(await refusal({ username: ' ' })).toEqual({
      code: 'BAD_REQUEST',
      message: 'to.username: name a user',
      field: 'to.username',
    });
    expect(await refusal({ groupId: 'one' })).toEqual({
      code: 'BAD_REQUEST',
      message: 'to: Invalid input',
      field: 'to',
    });
    expect(await refusal('bob')).toEqual({
      code: 'BAD_REQUEST',
      message: 'to: Invalid input',
      field: 'to',
    });
    // A member named badly is refused, never widened to the whole group.
    for (const username of ['', ' '])
      expect(await refusal({ groupId: group.id, username })).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'to',
      });
  });

  it('refuses group messages while the group is blocked', async () => {
    const root = await adminUser(server, uname('root'));
    const o = await user(url, uname('own'));
    const off = await offlineUser(url, uname('off'));
    const group = await makeGroup(o, 'silenced');
    await addOfflineMember(server, o, group.id, off);
    ok(await call(root.socket, 'admin:blockGroup', { group: 'silenced', creator: o.username }));
    expectError(await storeGroup(o, 'b-1', group.id), 'GROUP_BLOCKED');
    expect(await server.app.services.offline.waiting(off.user.id)).toBe(0);
    ok(await call(root.socket, 'admin:unblockGroup', { group: 'silenced', creator: o.username }));
    expect(ok(await storeGroup(o, 'b-2', group.id)).copies).toBe(1);
  });

  it('a full mailbox refuses new messages but not a retry of one it holds', async () => {
    extra = await startServer(dialect, { offlineMaxPerUser: 3 });
    const { a, b } = await friendGoneOffline(extra, 'q');
    for (const id of ['q1', 'q2', 'q3']) ok(await store(a, id, b.username));
    expectError(await store(a, 'q4', b.username), 'QUOTA_EXCEEDED');
    // The sender never heard the first ack and tries again: still one message, and no error.
    expect(await store(a, 'q3', b.username)).toEqual({ ok: true, data: { id: 'q3', copies: 1 } });

    const back = await comeBack(extra.url, b.username);
    expect(ids((await pull(back.socket)).messages)).toEqual(['q1', 'q2', 'q3']);
    ok(await call(back.socket, 'offline:ack', { ids: ['q1'] }));
    await goOffline(extra, back);
    ok(await store(a, 'q4', b.username));
    expectError(await store(a, 'q5', b.username), 'QUOTA_EXCEEDED');
  });

  it('stores a batch in one event with one result per item, in order', async () => {
    const { a, b } = await friendGoneOffline(server, 'many');
    const stranger = await offlineUser(url, uname('str'));
    const off = await offlineUser(url, uname('off'));
    const group = await makeGroup(a, 'batch');
    await addOfflineMember(server, a, group.id, off);
    const res = ok(
      await call(a.socket, 'offline:storeMany', {
        items: [
          { id: 'n1', to: { username: b.username }, payload: 'one' },
          { id: 'n2', to: { username: stranger.username }, payload: 'no' },
          { id: 'n3', to: { username: b.username }, payload: 'three' },
          { id: 'n1', to: { username: b.username }, payload: 'retry of one' },
          { id: 'n4', to: { username: 'nobody-home' }, payload: 'no' },
          { id: 'n5', to: { username: a.username }, payload: 'no' },
          { id: 'n6', to: { groupId: group.id }, payload: 'to the group' },
        ],
      }),
    );
    expect(res.results).toEqual([
      { id: 'n1', ok: true, copies: 1 },
      { id: 'n2', ok: false, error: expect.objectContaining({ code: 'NOT_FRIENDS' }) },
      { id: 'n3', ok: true, copies: 1 },
      { id: 'n1', ok: true, copies: 1 },
      { id: 'n4', ok: false, error: expect.objectContaining({ code: 'NOT_FOUND' }) },
      { id: 'n5', ok: false, error: expect.objectContaining({ code: 'SELF' }) },
      { id: 'n6', ok: true, copies: 1 },
    ]);
    expect(await server.app.services.offline.waiting(stranger.user.id)).toBe(0);
    const back = await comeBack(url, b.username);
    expect((await pull(back.socket)).messages.map((m) => [m.id, m.payload])).toEqual([
      ['n1', 'one'],
      ['n3', 'three'],
    ]);
    const offBack = await comeBack(url, off.username);
    expect(ids((await pull(offBack.socket)).messages)).toEqual(['n6']);
  });

  it('refuses a whole batch with one bad item, or too many items, and stores nothing', async () => {
    const { a, b } = await friendGoneOffline(server, 'bad');
    const good = (i: number) => ({ id: `g${i}`, to: { username: b.username }, payload: 'x' });
    expectError(
      await call(a.socket, 'offline:storeMany', {
        items: [good(1), { id: 'bad id!', to: { username: b.username }, payload: 'x' }, good(2)],
      }),
      'BAD_REQUEST',
    );
    expectError(
      await call(a.socket, 'offline:storeMany', {
        items: [good(3), { ...good(4), payload: 'x'.repeat(LIMITS.offlinePayloadMax + 1) }],
      }),
      'BAD_REQUEST',
    );
    expectError(
      await call(a.socket, 'offline:storeMany', {
        items: Array.from({ length: LIMITS.ackBatchMax + 1 }, (_, i) => good(i)),
      }),
      'BAD_REQUEST',
    );
    expectError(await call(a.socket, 'offline:storeMany', { items: [] }), 'BAD_REQUEST');
    expect(await server.app.services.offline.waiting(b.user.id)).toBe(0);
    // The largest batch is accepted.
    const all = ok(
      await call(a.socket, 'offline:storeMany', {
        items: Array.from({ length: LIMITS.ackBatchMax }, (_, i) => good(i)),
      }),
    );
    expect(all.results.every((r) => r.ok)).toBe(true);
    expect(await server.app.services.offline.waiting(b.user.id)).toBe(LIMITS.ackBatchMax);
  });

  it('applies the quota item by item within a batch and across concurrent stores', async () => {
    extra = await startServer(dialect, { offlineMaxPerUser: 3 });
    const { a, b } = await friendGoneOffline(extra, 'qb');
    const item = (id: string) => ({ id, to: { username: b.username }, payload: id });
    const res = ok(
      await call(a.socket, 'offline:storeMany', {
        items: [item('b1'), item('b2'), item('b1'), item('b3'), item('b4'), item('b3')],
      }),
    );
    expect(res.results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'QUOTA_EXCEEDED',
      'ok',
    ]);
    // Single stores sent at once go into one group commit: same answers, in the order sent.
    const answers = await Promise.all(['b5', 'b2', 'b6'].map((id) => store(a, id, b.username)));
    expect(answers.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'QUOTA_EXCEEDED',
      'ok',
      'QUOTA_EXCEEDED',
    ]);
    const back = await comeBack(extra.url, b.username);
    expect(ids((await pull(back.socket)).messages)).toEqual(['b1', 'b2', 'b3']);
  });

  it('answers each of many concurrent stores once its message is committed', async () => {
    const r1 = await user(url, uname('r1'));
    const r2 = await user(url, uname('r2'));
    const live = await Promise.all([1, 2, 3].map((k) => user(url, uname(`s${k}`))));
    for (const s of live) for (const r of [r1, r2]) await befriend(s, r);
    await goOffline(server, r1);
    await goOffline(server, r2);
    const { db } = server.app.store;
    const committed = async (recipientId: number, id: string) =>
      (await db
        .selectFrom('offline_messages')
        .select('seq')
        .where('recipient_id', '=', recipientId)
        .where('msg_id', '=', id)
        .executeTakeFirst()) !== undefined;
    const checks: Promise<boolean>[] = [];
    await Promise.all(
      live.flatMap((s, k) =>
        Array.from({ length: 40 }, async (_, i) => {
          // Every fifth one is a retry of the one before: stored once.
          const n = i % 5 === 4 ? i - 1 : i;
          const to = n % 2 ? r1 : r2;
          const id = `c${k}-${n}`;
          const res = await store(s, id, to.username);
          expect(res).toEqual({ ok: true, data: { id, copies: 1 } });
          // A separate read (another connection on PostgreSQL) sees it at once.
          checks.push(committed(to.user.id, id));
        }),
      ),
    );
    expect((await Promise.all(checks)).every(Boolean)).toBe(true);
    const total =
      (await server.app.services.offline.waiting(r1.user.id)) +
      (await server.app.services.offline.waiting(r2.user.id));
    expect(total).toBe(3 * 32);
  });

  it('expires messages older than offlineMaxAgeMs', async () => {
    const clock = manualClock();
    const maxAge = 7 * 24 * 3600 * 1000;
    extra = await startServer(dialect, { offlineMaxAgeMs: maxAge }, undefined, clock.now);
    const { a, b } = await friendGoneOffline(extra, 'x');
    const t0 = clock.now();
    ok(await store(a, 'old-1', b.username));
    ok(await store(a, 'old-2', b.username));
    clock.advance(maxAge - 1_000);
    ok(await store(a, 'young', b.username));

    clock.advance(1_000);
    // Exactly the maximum age is not yet too old.
    expect(await extra.app.services.offline.expire()).toBe(0);
    clock.advance(1);
    expect(await extra.app.services.offline.expire()).toBe(2);

    const back = await comeBack(extra.url, b.username);
    expect((await pull(back.socket)).messages.map((m) => [m.id, m.at])).toEqual([
      ['young', t0 + maxAge - 1_000],
    ]);
  });

  it('loses nothing pulled but not acknowledged when the server stops', async () => {
    extra = await startServer(dialect);
    const { a, b } = await friendGoneOffline(extra, 'c');
    for (const id of ['c1', 'c2', 'c3']) ok(await store(a, id, b.username));
    const back = await comeBack(extra.url, b.username);
    const before = await pull(back.socket);
    expect(ids(before.messages)).toEqual(['c1', 'c2', 'c3']);

    await extra.stop();
    closeAllSockets();
    extra = await startServer(dialect, {}, extra.database);
    const again = await comeBack(extra.url, b.username);
    expect(await pull(again.socket)).toEqual(before);
    expect(ok(await call(again.socket, 'offline:ack', { ids: ids(before.messages) }))).toEqual({
      deleted: 3,
    });
    expect(await pull(again.socket)).toEqual({ messages: [], more: false });
  });

  it('keeps every mailbox count equal to the messages waiting: stores, duplicates, acks, expiry, a deleted user', async () => {
    const clock = manualClock();
    const maxAge = 24 * 3600 * 1000;
    extra = await startServer(dialect, { offlineMaxAgeMs: maxAge }, undefined, clock.now);
    const root = await adminUser(extra, uname('root'));
    const a = await user(extra.url, uname('ann'));
    const b = await user(extra.url, uname('bob'));
    const c = await user(extra.url, uname('cat'));
    const d = await offlineUser(extra.url, uname('dan'));
    const stranger = await offlineUser(extra.url, uname('str'));
    for (const p of [b, c]) await befriend(a, p);
    const group = await makeGroup(a, 'counted', [c]);
    await addOfflineMember(extra, a, group.id, d);
    await goOffline(extra, b);
    await goOffline(extra, c);
    await expectMailboxesRight(extra);

    ok(await store(a, 'k1', b.username));
    ok(await store(a, 'k1', b.username));
    expect(
      answers(
        await storeMany(a, [
          ['k2', b.username],
          ['k3', c.username],
          ['k2', b.username],
          ['k4', stranger.username],
          ['k5', c.username],
        ]),
      ),
    ).toEqual(['ok', 'ok', 'ok', 'NOT_FRIENDS', 'ok']);
    expect(ok(await storeGroup(a, 'k6', group.id)).copies).toBe(2);
    ok(await call(root.socket, 'admin:sendUser', { username: b.username, text: 'from the admin' }));
    expect(await extra.app.services.offline.waiting(b.user.id)).toBe(3);
    expect(await extra.app.services.offline.waiting(c.user.id)).toBe(3);
    expect(await extra.app.services.offline.waiting(d.user.id)).toBe(1);
    await expectMailboxesRight(extra);

    clock.advance(maxAge / 2);
    ok(await storeMany(a, [['k7', c.username]]));
    const back = await comeBack(extra.url, b.username);
    const waiting = ids((await pull(back.socket)).messages);
    expect(waiting).toHaveLength(3);
    expect(
      ok(await call(back.socket, 'offline:ack', { ids: [waiting[0] ?? '', 'k2', 'never-stored'] })),
    ).toEqual({ deleted: 2 });
    await goOffline(extra, back);
    expect(await extra.app.services.offline.waiting(b.user.id)).toBe(1);
    await expectMailboxesRight(extra);

    // Everything but k7 is now older than the maximum age.
    clock.advance(maxAge / 2 + 1);
    expect(await extra.app.services.offline.expire()).toBe(5);
    expect(await extra.app.services.offline.waiting(b.user.id)).toBe(0);
    expect(await extra.app.services.offline.waiting(c.user.id)).toBe(1);
    expect(await extra.app.services.offline.waiting(d.user.id)).toBe(0);
    await expectMailboxesRight(extra);

    // A deleted user's messages go with them (the cascade), and so does their mailbox.
    await extra.app.store.db.deleteFrom('users').where('id', '=', c.user.id).execute();
    const { kept } = await mailboxesAgainstRows(extra);
    expect(kept.some(([id]) => id === c.user.id)).toBe(false);
    await expectMailboxesRight(extra);

    // Emptied by hand, all at once.
    ok(await storeMany(a, [['k8', b.username]]));
    await sql
      .raw(dialect === 'postgres' ? 'truncate offline_messages' : 'delete from offline_messages')
      .execute(extra.app.store.db);
    expect((await mailboxesAgainstRows(extra)).kept.every(([, n]) => n === 0)).toBe(true);
    await expectMailboxesRight(extra);
  });

  it('enforces the quota exactly at the limit: in a batch, after acks, after expiry, for groups', async () => {
    const clock = manualClock();
    const maxAge = 3600 * 1000;
    extra = await startServer(
      dialect,
      { offlineMaxPerUser: 3, offlineMaxAgeMs: maxAge },
      undefined,
      clock.now,
    );
    const { a, b } = await friendGoneOffline(extra, 'lim');
    const to = b.username;
    expect(
      answers(
        await storeMany(a, [
          ['x1', to],
          ['x2', to],
        ]),
      ),
    ).toEqual(['ok', 'ok']);
    // One short of the limit: the first new one fits, the next does not, a retry always does.
    expect(
      answers(
        await storeMany(a, [
          ['x3', to],
          ['x4', to],
          ['x2', to],
        ]),
      ),
    ).toEqual(['ok', 'QUOTA_EXCEEDED', 'ok']);
    expectError(await store(a, 'x4', to), 'QUOTA_EXCEEDED');
    expect(await extra.app.services.offline.waiting(b.user.id)).toBe(3);

    // An ack frees exactly one place.
    const back = await comeBack(extra.url, to);
    ok(await call(back.socket, 'offline:ack', { ids: ['x1'] }));
    await goOffline(extra, back);
    expect(answers(await storeMany(a, [['x5', to]]))).toEqual(['ok']);
    expectError(await store(a, 'x6', to), 'QUOTA_EXCEEDED');

    // Expiry frees them all: a batch of exactly the limit fits, one more does not.
    clock.advance(maxAge + 1);
    expect(await extra.app.services.offline.expire()).toBe(3);
    expect(
      answers(
        await storeMany(a, [
          ['y1', to],
          ['y2', to],
          ['y3', to],
        ]),
      ),
    ).toEqual(['ok', 'ok', 'ok']);
    expectError(await store(a, 'y4', to), 'QUOTA_EXCEEDED');

    // A group message skips the full mailbox and still reaches a member with room.
    const e = await offlineUser(extra.url, uname('eve'));
    const group = await makeGroup(a, 'limits');
    for (const m of [b, e]) await addOfflineMember(extra, a, group.id, m);
    expect(ok(await storeGroup(a, 'g1', group.id)).copies).toBe(1);
    expectError(
      await call(a.socket, 'offline:store', {
        id: 'g2',
        to: { groupId: group.id, username: to },
        payload: 'one member',
      }),
      'QUOTA_EXCEEDED',
    );
    const again = await comeBack(extra.url, to);
    expect(ids((await pull(again.socket)).messages)).toEqual(['y1', 'y2', 'y3']);
    await expectMailboxesRight(extra);
  });

  it('counts the messages already waiting when an existing database is migrated', async () => {
    // A database as migration 0003 left it, with users, friendships and messages in it.
    const database: TestDatabase = await freshDatabase(dialect);
    const old = rawDb(dialect, database.url);
    const names = ['mig_ann', 'mig_bob', 'mig_cat', 'mig_dan'];
    try {
      const migrated = await new Migrator({
        db: old,
        provider: migrations(dialect),
      }).migrateTo('0003_offline_and_audit');
      expect(migrated.error).toBeUndefined();
      const hash = await hashPassword('correct horse battery');
      const now = Date.now();
      const [ann, bob, cat, dan] = await Promise.all(
        names.map(async (username) => {
          const row = await old
            .insertInto('users')
            .values({ username, username_key: username, password_hash: hash, created_at: now })
            .returning('id')
            .executeTakeFirstOrThrow();
          return Number(row.id);
        }),
      );
      for (const friend of [bob, cat, dan])
        await old
          .insertInto('friendships')
          .values([
            { user_id: ann, friend_id: friend, created_at: now },
            { user_id: friend, friend_id: ann, created_at: now },
          ])
          .execute();
      const waiting = (recipient: number | undefined, n: number, prefix: string) =>
        Array.from({ length: n }, (_, i) => ({
          recipient_id: recipient,
          msg_id: `${prefix}${i}`,
          sender_id: ann,
          kind: 'private',
          payload: `old ${prefix}${i}`,
          created_at: now + i,
        }));
      await old
        .insertInto('offline_messages')
        .values([...waiting(bob, 3, 'b'), ...waiting(cat, 1, 'c')])
        .execute();
    } finally {
      await old.destroy();
    }

    extra = await startServer(dialect, { offlineMaxPerUser: 3 }, database);
    await expectMailboxesRight(extra);
    // Migration 0009 counted each sender's share of what was already waiting.
    const shares = await extra.app.store.db
      .selectFrom('mailbox_senders as s')
      .innerJoin('users as r', 'r.id', 's.user_id')
      .innerJoin('users as f', 'f.id', 's.sender_id')
      .select(['r.username as recipient', 'f.username as sender', 's.count'])
      .orderBy('r.username')
      .execute();
    expect(shares).toEqual([
      { recipient: 'mig_bob', sender: 'mig_ann', count: 3 },
      { recipient: 'mig_cat', sender: 'mig_ann', count: 1 },
    ]);
    const userId = async (name: string) => (await login(extra!.url, name)).user.id;
    const offline = extra.app.services.offline;
    expect(await offline.waiting(await userId('mig_bob'))).toBe(3);
    expect(await offline.waiting(await userId('mig_cat'))).toBe(1);
    expect(await offline.waiting(await userId('mig_dan'))).toBe(0);

    const ann = await comeBack(extra.url, 'mig_ann');
    expectError(await store(ann, 'n1', 'mig_bob'), 'QUOTA_EXCEEDED');
    expect(
      answers(
        await storeMany(ann, [
          ['n2', 'mig_cat'],
          ['n3', 'mig_cat'],
          ['n4', 'mig_cat'],
          ['n5', 'mig_dan'],
        ]),
      ),
    ).toEqual(['ok', 'ok', 'QUOTA_EXCEEDED', 'ok']);
    const bob = await comeBack(extra.url, 'mig_bob');
    expect(ids((await pull(bob.socket)).messages)).toEqual(['b0', 'b1', 'b2']);
    ok(await call(bob.socket, 'offline:ack', { ids: ['b0', 'b1'] }));
    expect(await offline.waiting(bob.user.id)).toBe(1);
    await expectMailboxesRight(extra);
  });
});

describe('offline quota across two nodes on one PostgreSQL database', () => {
  let nodes: TestServer[] = [];
  afterEach(async () => {
    closeAllSockets();
    const [first, ...rest] = nodes;
    for (const n of rest) await n.stop();
    await first?.close();
    nodes = [];
  });

  it('takes exactly the quota when two nodes store for one recipient at once', async () => {
    const max = 50;
    const node1 = await startServer('postgres', { offlineMaxPerUser: max });
    nodes.push(node1);
    const node2 = await startServer('postgres', { offlineMaxPerUser: max }, node1.database);
    nodes.push(node2);
    const bob = await user(node1.url, 'multi_bob');
    const ann = await user(node1.url, 'multi_ann');
    // Amy's session is on the second node.
    const amyAuth = await register(node1.url, 'multi_amy');
    const amy = {
      ...amyAuth,
      username: 'multi_amy',
      socket: await connectSocket(node2.url, amyAuth.token),
    };
    await befriend(ann, bob);
    await befriend(amy, bob);
    await goOffline(node1, bob);

    // Each round, both nodes get 40 new messages for bob at the same moment: 160 offered, and
    // whatever the interleaving, exactly `max` may be taken.
    const results: string[] = [];
    for (const round of [1, 2])
      for (const res of await Promise.all(
        [ann, amy].map((p) =>
          storeMany(
            p,
            Array.from({ length: 40 }, (_, i): [string, string] => [
              `${p.username}-${round}-${i}`,
              'multi_bob',
            ]),
          ),
        ),
      ))
        results.push(...answers(res));
    expect(results.filter((r) => r === 'ok')).toHaveLength(max);
    expect(results.filter((r) => r !== 'ok').every((r) => r === 'QUOTA_EXCEEDED')).toBe(true);
    expect(await node2.app.services.offline.waiting(bob.user.id)).toBe(max);
    await expectMailboxesRight(node1);
  });
});
