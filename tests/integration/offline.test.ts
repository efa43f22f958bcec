/**
 * The offline store: who may store for whom, delivery in store order until acknowledged, dedupe by
 * id, group fan-out to offline members only, quota, expiry, and nothing lost across a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OfflineMessage } from '../../shared/events.ts';
import { LIMITS } from '../../shared/limits.ts';
import {
  DIALECTS,
  call,
  closeAllSockets,
  collect,
  next,
  startServer,
  user,
  type ClientSocket,
  type TestServer,
} from '../helpers/server.ts';
import {
  adminUser,
  befriend,
  comeBack,
  expectError,
  goOffline,
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
    for (const p of [off1, off2]) {
      ok(await call(sender.socket, 'groups:invite', { groupId: group.id, username: p.username }));
    }
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

  it('refuses group messages while the group is blocked', async () => {
    const root = await adminUser(server, uname('root'));
    const o = await user(url, uname('own'));
    const off = await offlineUser(url, uname('off'));
    const group = await makeGroup(o, 'silenced');
    ok(await call(o.socket, 'groups:invite', { groupId: group.id, username: off.username }));
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
    ok(await call(a.socket, 'groups:invite', { groupId: group.id, username: off.username }));
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
});
