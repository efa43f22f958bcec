/**
 * Moderation: the spec's admin commands through an admin's socket and the REST admin API, what
 * each does to the people concerned, the admin log, and refusal of everyone who is not an admin.
 */
import { describe, expect, it } from 'vitest';
import type { Ack } from '../../shared/errors.ts';
import type { AdminAction, AdminGroup, AdminUser, ClientToServer } from '../../shared/events.ts';
import { appendBlockEvent } from '../../signaling/block-feed.ts';
import { SESSION_END_MESSAGES } from '../../signaling/services/notifier.ts';
import {
  DIALECTS,
  call,
  collect,
  connectSocket,
  eventually,
  get,
  next,
  post,
  user,
  type TestServer,
} from '../helpers/server.ts';
import {
  adminUser,
  befriend,
  comeBack,
  expectError,
  addOfflineMember,
  makeGroup,
  offlineUser,
  ok,
  settle,
  stillConnected,
  uname,
  type Person,
  sharedServer,
} from '../helpers/social.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(DIALECTS)('admin (%s)', (dialect) => {
  let server: TestServer;
  let url: string;
  let root: Person;

  sharedServer(dialect, (s) => {
    server = s;
    url = s.url;
  });

  /** A fresh admin per test (tests read the log by admin name). */
  const newAdmin = async () => (root = await adminUser(server, uname('root')));
  const users = async (onlineOnly = false) =>
    ok(await call(root.socket, 'admin:users', { onlineOnly }));
  const userRow = async (name: string) => (await users()).find((u) => u.username === name);
  const log = async (limit: number) => ok(await call(root.socket, 'admin:log', { limit }));
  /** The block feed has read (and acknowledged) every block event written so far. */
  const feedHasRead = async () => {
    const { db } = server.app.store;
    const last = await db
      .selectFrom('block_events')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    const id = Number(last?.max ?? 0);
    await eventually(
      async () =>
        (await db.selectFrom('block_acks').select('node').where('event_id', '=', id).execute())
          .length > 0,
      10_000,
      `the block feed to read event ${id}`,
    );
  };

  it('allusers lists everyone with status and presence; --online only those connected', async () => {
    await newAdmin();
    const on = await user(url, uname('on'));
    const off = await offlineUser(url, uname('off'));
    const bad = await offlineUser(url, uname('bad'));
    ok(await call(on.socket, 'presence:set', { status: 'away' }));
    ok(await call(root.socket, 'admin:blockUser', { username: bad.username }));

    const row = (p: { user: { id: number }; username: string }, extra: Partial<AdminUser>) => ({
      id: p.user.id,
      username: p.username,
      isAdmin: false,
      blocked: false,
      status: 'online',
      createdAt: expect.any(Number),
      ...extra,
    });
    const mine = [root.user.id, on.user.id, off.user.id, bad.user.id];
    expect((await users()).filter((u) => mine.includes(u.id))).toEqual([
      row(root, { isAdmin: true }),
      row(on, { status: 'away' }),
      row(off, { status: 'offline' }),
      row(bad, { status: 'offline', blocked: true }),
    ]);
    // Nobody else is connected (each test ends with every socket gone).
    const online = [row(root, { isAdmin: true }), row(on, { status: 'away' })];
    expect(await users(true)).toEqual(online);
    expect(ok(await call(root.socket, 'admin:users', {}))).toEqual(await users(false));

    const rest = await get<AdminUser[]>(url, '/api/admin/users?online=1', root.token);
    expect(rest).toEqual({ status: 200, body: { ok: true, data: online } });
  });

  it('allgroup lists every group with owner, counts and the blocked flag', async () => {
    await newAdmin();
    const a = await user(url, uname('ann'));
    const b = await offlineUser(url, uname('bob'));
    const g1 = await makeGroup(a, 'alpha');
    await addOfflineMember(server, a, g1.id, b);
    const g2 = await makeGroup(a, 'beta');
    ok(await call(root.socket, 'admin:blockGroup', { group: 'beta', creator: a.username }));

    const expected: AdminGroup[] = [
      {
        id: g1.id,
        name: 'alpha',
        creator: a.username,
        owner: a.username,
        online: 1,
        total: 2,
        blocked: false,
        public: false,
      },
      {
        id: g2.id,
        name: 'beta',
        creator: a.username,
        owner: a.username,
        online: 1,
        total: 1,
        blocked: true,
        public: false,
      },
    ];
    const all = ok(await call(root.socket, 'admin:groups', {}));
    expect(all.filter((g) => g.id === g1.id || g.id === g2.id)).toEqual(expected);
    const rest = await get<AdminGroup[]>(url, '/api/admin/groups', root.token);
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual({ ok: true, data: all });
  });

  it('adminsend reaches an online user live and an offline one on their next pull', async () => {
    await newAdmin();
    const on = await user(url, uname('on'));
    const off = await offlineUser(url, uname('off'));

    const live = next(on.socket, 'system:message');
    expect(
      await call(root.socket, 'admin:sendUser', { username: on.username, text: ' hello there ' }),
    ).toEqual({ ok: true, data: { delivered: 'live' } });
    expect(await live).toEqual({
      id: expect.stringMatching(uuid),
      text: 'hello there',
      at: expect.any(Number),
      from: root.username,
      group: null,
      broadcast: false,
    });
    expect(ok(await call(on.socket, 'offline:pull', {})).messages).toEqual([]);

    expect(
      await call(root.socket, 'admin:sendUser', {
        username: off.username,
        text: 'while you slept',
      }),
    ).toEqual({ ok: true, data: { delivered: 'stored' } });
    const restSent = await post(
      url,
      '/api/admin/send',
      { username: off.username, text: 'via rest' },
      root.token,
    );
    expect(restSent).toMatchObject({
      status: 200,
      body: { ok: true, data: { delivered: 'stored' } },
    });
    const back = await comeBack(url, off.username);
    const { messages } = ok(await call(back.socket, 'offline:pull', {}));
    expect(messages).toEqual(
      ['while you slept', 'via rest'].map((payload) => ({
        id: expect.stringMatching(uuid),
        from: root.username,
        kind: 'system',
        group: null,
        payload,
        at: expect.any(Number),
      })),
    );
    expectError(
      await call(root.socket, 'admin:sendUser', { username: 'nobody-here', text: 'hi' }),
      'NOT_FOUND',
    );
    expectError(
      await call(root.socket, 'admin:sendUser', { username: on.username, text: '   ' }),
      'BAD_REQUEST',
    );
  });

  it('adminsendgroup: live for online members, stored for offline ones', async () => {
    await newAdmin();
    const o = await user(url, uname('own'));
    const m = await user(url, uname('mem'));
    const off = await offlineUser(url, uname('off'));
    const group = await makeGroup(o, 'news', [m]);
    await addOfflineMember(server, o, group.id, off);
    const rootGot = collect(root.socket, 'system:message');

    const live = [next(o.socket, 'system:message'), next(m.socket, 'system:message')];
    expect(
      await call(root.socket, 'admin:sendGroup', {
        group: 'NEWS',
        creator: o.username,
        text: 'maintenance at noon',
      }),
    ).toEqual({ ok: true, data: { live: 2, stored: 1 } });
    const ref = { id: group.id, name: 'news', creator: o.username };
    const [first, second] = await Promise.all(live);
    expect(first).toEqual({
      id: expect.stringMatching(uuid),
      text: 'maintenance at noon',
      at: expect.any(Number),
      from: root.username,
      group: ref,
      broadcast: false,
    });
    expect(second).toEqual(first);

    const back = await comeBack(url, off.username);
    expect(ok(await call(back.socket, 'offline:pull', {})).messages).toEqual([
      {
        id: first!.id,
        from: root.username,
        kind: 'system',
        group: ref,
        payload: 'maintenance at noon',
        at: expect.any(Number),
      },
    ]);
    await settle(root.socket);
    // The admin is not a member.
    expect(rootGot).toEqual([]);
    expectError(
      await call(root.socket, 'admin:sendGroup', { group: 'news', creator: 'nobody-x', text: 'x' }),
      'NOT_FOUND',
    );
  });

  it('broadcast reaches every online socket, from the socket and from REST', async () => {
    await newAdmin();
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    const everyone = [root, a, b];

    let got = everyone.map((p) => next(p.socket, 'system:message'));
    expect(await call(root.socket, 'admin:broadcast', { text: 'server restarts soon' })).toEqual({
      ok: true,
      data: { live: 3 },
    });
    const expected = {
      id: expect.stringMatching(uuid),
      text: 'server restarts soon',
      at: expect.any(Number),
      from: root.username,
      group: null,
      broadcast: true,
    };
    for (const msg of await Promise.all(got)) expect(msg).toEqual(expected);

    got = everyone.map((p) => next(p.socket, 'system:message'));
    const res = await post(url, '/api/broadcast', { text: 'via the old API' }, root.token);
    expect(res).toMatchObject({ status: 200, body: { ok: true, data: { live: 3 } } });
    for (const msg of await Promise.all(got)) {
      expect(msg).toEqual({ ...expected, text: 'via the old API' });
    }
    got = everyone.map((p) => next(p.socket, 'system:message'));
    const res2 = await post(url, '/api/admin/broadcast', { text: 'and the new one' }, root.token);
    expect(res2.status).toBe(200);
    expect((await Promise.all(got)).map((m) => m.text)).toEqual(Array(3).fill('and the new one'));
  });

  it('blockuser ends the session, refuses login, and tells friends; unblockuser lets them back', async () => {
    await newAdmin();
    const victim = await user(url, uname('vic'));
    const friend = await user(url, uname('fri'));
    await befriend(victim, friend);

    const ended = next(victim.socket, 'session:ended');
    const disconnected = new Promise((r) => victim.socket.once('disconnect', r));
    const relation = next(friend.socket, 'relation:ended');
    const offline = next(friend.socket, 'presence:changed');
    expect(await call(root.socket, 'admin:blockUser', { username: victim.username })).toEqual({
      ok: true,
      data: { username: victim.username, blocked: true },
    });
    expect(await ended).toEqual({ reason: 'blocked', message: SESSION_END_MESSAGES.blocked });
    expect(await disconnected).toBe('io server disconnect');
    expect(await relation).toEqual({ username: victim.username, reason: 'user-blocked' });
    expect(await offline).toEqual({ username: victim.username, status: 'offline' });

    const refused = await post(url, '/api/auth/login', {
      username: victim.username,
      password: 'correct horse battery',
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ ok: false, error: { code: 'USER_BLOCKED' } });
    await expect(connectSocket(url, victim.token)).rejects.toThrow('UNAUTHENTICATED');
    expect(await userRow(victim.username)).toMatchObject({ blocked: true, status: 'offline' });
    // Nobody may send to or signal a blocked user.
    expectError(
      await call(friend.socket, 'offline:store', {
        id: 'to-blocked',
        to: { username: victim.username },
        payload: 'x',
      }),
      'USER_BLOCKED',
    );

    expect(await call(root.socket, 'admin:unblockUser', { username: victim.username })).toEqual({
      ok: true,
      data: { username: victim.username, blocked: false },
    });
    const online = next(friend.socket, 'presence:changed');
    const back = await comeBack(url, victim.username);
    expect(await online).toEqual({ username: victim.username, status: 'online' });
    expect(ok(await call(back.socket, 'friends:list', {})).friends).toEqual([
      { username: friend.username, status: 'online', publicKey: null },
    ]);
    expect(await userRow(victim.username)).toMatchObject({ blocked: false, status: 'online' });
    expectError(await call(root.socket, 'admin:blockUser', { username: root.username }), 'SELF');
    expectError(
      await call(root.socket, 'admin:blockUser', { username: 'ghost-user' }),
      'NOT_FOUND',
    );
  });

  it('REST block and unblock of a user do the same', async () => {
    await newAdmin();
    const victim = await user(url, uname('vic'));
    const ended = next(victim.socket, 'session:ended');
    const path = `/api/admin/users/${encodeURIComponent(victim.username)}`;
    expect(await post(url, `${path}/block`, {}, root.token)).toMatchObject({
      status: 200,
      body: { ok: true, data: { username: victim.username, blocked: true } },
    });
    expect((await ended).reason).toBe('blocked');
    expect(
      (
        await post(url, '/api/auth/login', {
          username: victim.username,
          password: 'correct horse battery',
        })
      ).status,
    ).toBe(403);
    expect((await post(url, `${path}/unblock`, {}, root.token)).status).toBe(200);
    const back = await comeBack(url, victim.username);
    // The block feed reads this node's own events too, the block and the unblock, maybe only
    // now: the session begun after the unblock stays.
    const gone = collect(back.socket, 'session:ended');
    await feedHasRead();
    const connected = await stillConnected(back.socket);
    expect(gone).toEqual([]);
    expect(connected).toBe(true);
  });

  it('a block undone before the block feed reads it ends no session', async () => {
    await newAdmin();
    const victim = await user(url, uname('vic'));
    const gone = collect(victim.socket, 'session:ended');
    // Another process (the admin CLI) blocked and unblocked between two looks of the feed: it
    // reads both events at once, and only the last one says what holds now.
    const { store } = server.app;
    const at = Date.now();
    await store.db.transaction().execute(async (tx) => {
      for (const blocked of [true, false])
        await appendBlockEvent(tx, store.dialect, {
          userId: victim.user.id,
          blocked,
          contactsTold: false,
          at,
        });
    });
    await feedHasRead();
    const connected = await stillConnected(victim.socket);
    expect(gone).toEqual([]);
    expect(connected).toBe(true);
  });

  it('blockgroup marks the group blocked for its members and stops it; unblockgroup restores it', async () => {
    await newAdmin();
    const o = await user(url, uname('own'));
    const m = await user(url, uname('mem'));
    const newcomer = await offlineUser(url, uname('new'));
    const group = await makeGroup(o, 'rebels', [m]);

    const told = [o, m].map((p) => next(p.socket, 'groups:changed', 5_000, (d) => d.group.blocked));
    expect(
      await call(root.socket, 'admin:blockGroup', { group: 'rebels', creator: o.username }),
    ).toEqual({ ok: true, data: { groupId: group.id, blocked: true } });
    const [ownerView, memberView] = await Promise.all(told);
    const info = {
      id: group.id,
      name: 'rebels',
      creator: o.username,
      owner: o.username,
      online: 2,
      total: 2,
      blocked: true,
      public: false,
    };
    expect(ownerView).toEqual({ group: { ...info, role: 'owner' } });
    expect(memberView).toEqual({ group: { ...info, role: 'member' } });
    expect(ok(await call(m.socket, 'groups:list', {}))[0]?.blocked).toBe(true);

    expectError(
      await call(m.socket, 'signal:send', { to: o.username, signal: { type: 'offer' } }),
      'NOT_FRIENDS',
    );
    expectError(
      await call(o.socket, 'offline:store', { id: 'blk', to: { groupId: group.id }, payload: 'x' }),
      'GROUP_BLOCKED',
    );
    expectError(
      await call(o.socket, 'groups:invite', { groupId: group.id, username: newcomer.username }),
      'GROUP_BLOCKED',
    );

    const restored = next(m.socket, 'groups:changed', 5_000, (d) => !d.group.blocked);
    const res = await post(
      url,
      '/api/admin/groups/unblock',
      { group: 'rebels', creator: o.username },
      root.token,
    );
    expect(res).toMatchObject({
      status: 200,
      body: { ok: true, data: { groupId: group.id, blocked: false } },
    });
    expect((await restored).group).toEqual({ ...info, role: 'member', blocked: false });
    const sig = next(o.socket, 'signal');
    ok(await call(m.socket, 'signal:send', { to: o.username, signal: { type: 'offer' } }));
    expect(await sig).toEqual({ from: m.username, signal: { type: 'offer' } });
    expectError(
      await call(root.socket, 'admin:blockGroup', { group: 'rebels', creator: m.username }),
      'NOT_FOUND',
    );
  });

  it('names a group by groupId or by name and creator, on the socket and over REST', async () => {
    await newAdmin();
    const o = await user(url, uname('own'));
    const m = await user(url, uname('mem'));
    const mallory = await user(url, uname('mal'));
    const group = await makeGroup(o, 'either', [m]);
    const byId = { groupId: group.id };
    const byName = { group: 'either', creator: o.username };
    const blocked = async () =>
      ok(await call(root.socket, 'admin:groups', {})).find((g) => g.id === group.id)?.blocked;

    // A non-admin is refused either way, and nothing changes.
    for (const named of [byId, byName]) {
      expectError(await call(mallory.socket, 'admin:blockGroup', named), 'FORBIDDEN');
      expectError(await call(mallory.socket, 'admin:unblockGroup', named), 'FORBIDDEN');
      expectError(
        await call(mallory.socket, 'admin:sendGroup', { ...named, text: 'pwned' }),
        'FORBIDDEN',
      );
    }
    expect(await blocked()).toBe(false);

    // Both forms block and unblock, and each answers with the group's id; members hear it.
    const told = next(m.socket, 'groups:changed', 5_000, (d) => d.group.blocked);
    expect(await call(root.socket, 'admin:blockGroup', byId)).toEqual({
      ok: true,
      data: { groupId: group.id, blocked: true },
    });
    expect((await told).group).toMatchObject({ id: group.id, blocked: true });
    expect(await blocked()).toBe(true);
    expectError(
      await call(root.socket, 'admin:sendGroup', { ...byId, text: 'still there?' }),
      'GROUP_BLOCKED',
    );
    expect(await call(root.socket, 'admin:unblockGroup', byName)).toEqual({
      ok: true,
      data: { groupId: group.id, blocked: false },
    });
    expect(await blocked()).toBe(false);
    expect(ok(await call(root.socket, 'admin:blockGroup', byName))).toEqual({
      groupId: group.id,
      blocked: true,
    });
    expect(ok(await call(root.socket, 'admin:unblockGroup', byId))).toEqual({
      groupId: group.id,
      blocked: false,
    });
    expect(await blocked()).toBe(false);

    // sendGroup by id reaches the members as by name.
    const got = next(m.socket, 'system:message');
    expect(ok(await call(root.socket, 'admin:sendGroup', { ...byId, text: 'by id' }))).toEqual({
      live: 2,
      stored: 0,
    });
    expect(await got).toMatchObject({
      text: 'by id',
      group: { id: group.id, name: 'either', creator: o.username },
    });

    // The admin API takes both forms too.
    expect(await post(url, '/api/admin/groups/block', byId, root.token)).toMatchObject({
      status: 200,
      body: { ok: true, data: { groupId: group.id, blocked: true } },
    });
    expect(await post(url, '/api/admin/groups/unblock', byName, root.token)).toMatchObject({
      status: 200,
      body: { ok: true, data: { groupId: group.id, blocked: false } },
    });

    // An id that names no group is NOT_FOUND, with the id; a bad id or two ways at once, BAD_REQUEST.
    const missing = await call(root.socket, 'admin:blockGroup', { groupId: 999_999_999 });
    expectError(missing, 'NOT_FOUND');
    expect(missing.ok ? null : missing.error).toEqual({
      code: 'NOT_FOUND',
      message: 'no such group',
      details: { groupId: 999_999_999 },
    });
    expectError(
      await call(root.socket, 'admin:unblockGroup', { groupId: 999_999_999 }),
      'NOT_FOUND',
    );
    expectError(
      await call(root.socket, 'admin:sendGroup', { groupId: 999_999_999, text: 'x' }),
      'NOT_FOUND',
    );
    expect(
      (await post(url, '/api/admin/groups/block', { groupId: 999_999_999 }, root.token)).status,
    ).toBe(404);
    for (const bad of [{ groupId: 0 }, { groupId: -1 }, { groupId: 1.5 }, { groupId: '1' }, {}])
      expectError(await call(root.socket, 'admin:blockGroup', bad as never), 'BAD_REQUEST');
    const both = await call(root.socket, 'admin:blockGroup', { ...byId, ...byName } as never);
    expectError(both, 'BAD_REQUEST');
    expect(both.ok ? null : both.error.message).toBe(
      'name the group by groupId or by group and creator, not both',
    );
    expect(await blocked()).toBe(false);

    const entries = await log(6);
    expect(entries.map(({ action, target }) => [action, target])).toEqual([
      ['unblockgroup', `either (${o.username})`],
      ['blockgroup', `either (${o.username})`],
      ['adminsendgroup', `either (${o.username})`],
      ['unblockgroup', `either (${o.username})`],
      ['blockgroup', `either (${o.username})`],
      ['unblockgroup', `either (${o.username})`],
    ]);
  });

  it('the admin log lists each action, newest first, with the admin who took it', async () => {
    const other = await adminUser(server, uname('op'));
    await newAdmin();
    const a = await user(url, uname('ann'));
    const g = await makeGroup(a, 'logged');
    expect(g.name).toBe('logged');

    ok(await call(root.socket, 'admin:sendUser', { username: a.username, text: 'hi' }));
    ok(
      await call(root.socket, 'admin:sendGroup', {
        group: 'logged',
        creator: a.username,
        text: 'hey',
      }),
    );
    ok(await call(root.socket, 'admin:broadcast', { text: 'all hands' }));
    ok(await call(root.socket, 'admin:blockGroup', { group: 'logged', creator: a.username }));
    ok(await call(other.socket, 'admin:unblockGroup', { group: 'logged', creator: a.username }));
    ok(await call(other.socket, 'admin:blockUser', { username: a.username }));
    ok(await call(root.socket, 'admin:unblockUser', { username: a.username }));

    const entries = await log(7);
    expect(entries.map(({ admin, action, target }) => [admin, action, target])).toEqual([
      [root.username, 'unblockuser', a.username],
      [other.username, 'blockuser', a.username],
      [other.username, 'unblockgroup', `logged (${a.username})`],
      [root.username, 'blockgroup', `logged (${a.username})`],
      [root.username, 'broadcast', 'all hands'],
      [root.username, 'adminsendgroup', `logged (${a.username})`],
      [root.username, 'adminsend', a.username],
    ]);
    const idsDesc = entries.map((e) => e.id);
    expect(idsDesc).toEqual([...idsDesc].sort((x, y) => y - x));
    for (const e of entries) expect(e.at).toBeGreaterThan(0);

    const rest = await get<AdminAction[]>(url, '/api/admin/log?limit=7', root.token);
    expect(rest).toEqual({ status: 200, body: { ok: true, data: entries } });
    expect(await log(2)).toEqual(entries.slice(0, 2));
  });

  it('a non-admin gets FORBIDDEN for every admin event, and nothing changes', async () => {
    await newAdmin();
    const mallory = await user(url, uname('mal'));
    const target = await user(url, uname('tgt'));
    const sleeper = await offlineUser(url, uname('zzz'));
    await makeGroup(target, 'safe');
    const logBefore = await log(1_000);
    const targetGot = collect(target.socket, 'system:message');
    const targetEnded = collect(target.socket, 'session:ended');
    const targetChanged = collect(target.socket, 'groups:changed');
    const group = { group: 'safe', creator: target.username };

    const attempts: { [E in keyof ClientToServer]?: Parameters<ClientToServer[E]>[0] } = {
      'admin:users': { onlineOnly: true },
      'admin:groups': {},
      'admin:sendUser': { username: sleeper.username, text: 'pwned' },
      'admin:sendGroup': { ...group, text: 'pwned' },
      'admin:broadcast': { text: 'pwned' },
      'admin:blockUser': { username: target.username },
      'admin:unblockUser': { username: target.username },
      'admin:blockGroup': group,
      'admin:unblockGroup': group,
      'admin:log': { limit: 10 },
    };
    const adminEvents = Object.keys(attempts).sort();
    // Every admin event of the contract is tried (a new one added without a test fails here).
    expect(adminEvents).toEqual(
      [
        'admin:users',
        'admin:groups',
        'admin:sendUser',
        'admin:sendGroup',
        'admin:broadcast',
        'admin:blockUser',
        'admin:unblockUser',
        'admin:blockGroup',
        'admin:unblockGroup',
        'admin:log',
      ].sort(),
    );
    for (const [event, payload] of Object.entries(attempts)) {
      const res = (await call(
        mallory.socket,
        event as 'admin:log',
        payload as never,
      )) as Ack<unknown>;
      expect([event, res.ok ? 'ok' : res.error.code]).toEqual([event, 'FORBIDDEN']);
    }
    // Even with a malformed payload, the answer is FORBIDDEN (the role is checked first).
    expectError(await call(mallory.socket, 'admin:blockUser', {} as never), 'FORBIDDEN');

    await settle(target.socket);
    expect([targetGot, targetEnded, targetChanged]).toEqual([[], [], []]);
    expect(await userRow(target.username)).toMatchObject({ blocked: false, status: 'online' });
    expect(ok(await call(target.socket, 'groups:list', {}))[0]?.blocked).toBe(false);
    expect(await server.app.services.offline.waiting(sleeper.user.id)).toBe(0);
    expect(await log(1_000)).toEqual(logBefore);

    // A demotion takes effect at once, on a live session.
    await server.app.services.auth.setAdmin(root.username, false);
    expectError(await call(root.socket, 'admin:users', {}), 'FORBIDDEN');
    await server.app.services.auth.setAdmin(root.username, true);
    ok(await call(root.socket, 'admin:users', {}));
  });

  it('the REST admin API wants an admin token: 401 without one, 403 for a plain user', async () => {
    await newAdmin();
    const plain = await user(url, uname('pln'));
    const gets = [
      '/api/admin/users',
      '/api/admin/users?online=1',
      '/api/admin/groups',
      '/api/admin/log',
    ];
    const posts: [string, unknown][] = [
      [`/api/admin/users/${plain.username}/block`, {}],
      [`/api/admin/users/${plain.username}/unblock`, {}],
      ['/api/admin/groups/block', { group: 'x', creator: plain.username }],
      ['/api/admin/groups/unblock', { group: 'x', creator: plain.username }],
      ['/api/admin/send', { username: plain.username, text: 'x' }],
      ['/api/admin/sendgroup', { group: 'x', creator: plain.username, text: 'x' }],
      ['/api/admin/broadcast', { text: 'x' }],
      ['/api/broadcast', { text: 'x' }],
    ];
    const seen = collect(plain.socket, 'system:message');
    for (const [token, status, code] of [
      [undefined, 401, 'UNAUTHENTICATED'],
      ['not-a-real-token', 401, 'UNAUTHENTICATED'],
      [plain.token, 403, 'FORBIDDEN'],
    ] as const) {
      for (const path of gets) {
        const res = await get(url, path, token);
        expect([path, res.status, res.body.ok ? 'ok' : res.body.error.code]).toEqual([
          path,
          status,
          code,
        ]);
      }
      for (const [path, body] of posts) {
        const res = await post(url, path, body, token);
        expect([path, res.status, res.body.ok ? 'ok' : res.body.error.code]).toEqual([
          path,
          status,
          code,
        ]);
      }
    }
    await settle(plain.socket);
    expect(seen).toEqual([]);
    expect(await userRow(plain.username)).toMatchObject({ blocked: false, status: 'online' });
    // The same routes work for the admin.
    expect((await get(url, '/api/admin/log', root.token)).status).toBe(200);
  });
});
