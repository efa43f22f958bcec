/**
 * Rooms (public groups) over real sockets, on SQLite and PostgreSQL: who may open a group to the
 * directory, the directory's counts and search, joining without an invitation up to the member
 * cap, leaving, admin blocks, rate limits, and what joining does not allow (a room-mate's direct
 * message is still refused: a room is a group, not a friendship).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  call,
  collect,
  next,
  startServer,
  user,
  type TestServer,
} from '../helpers/server.ts';
import {
  adminUser,
  expectError,
  goOffline,
  groupsOf,
  makeGroup,
  ok,
  settle,
  sharedServer,
  uname,
  type Person,
} from '../helpers/social.ts';

describe.each(DIALECTS)('rooms (%s)', (dialect) => {
  let server: TestServer;
  let url: string;
  let own: TestServer | undefined;
  sharedServer(dialect, (s) => {
    server = s;
    url = s.url;
  });
  afterEach(async () => {
    await own?.close();
    own = undefined;
  });

  const open = async (owner: Person, name: string) => {
    const group = await makeGroup(owner, name);
    ok(await call(owner.socket, 'rooms:setPublic', { groupId: group.id, public: true }));
    return group;
  };
  const search = async (p: Person, query: string) =>
    ok(await call(p.socket, 'rooms:list', { query })).rooms;

  it('the owner opens a group; members hear it; the directory lists it with its counts', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    const name = uname('Lobby');
    const group = await makeGroup(a, name);
    expect(group.public).toBe(false);
    expect(await search(b, name)).toEqual([]);
    const changed = next(a.socket, 'groups:changed', 5_000, (d) => d.group.public);
    expect(await call(a.socket, 'rooms:setPublic', { groupId: group.id, public: true })).toEqual({
      ok: true,
      data: { groupId: group.id, public: true },
    });
    expect((await changed).group).toMatchObject({ id: group.id, public: true });
    expect(await search(b, name)).toEqual([
      {
        id: group.id,
        name,
        creator: a.username,
        owner: a.username,
        online: 1,
        total: 1,
        member: false,
      },
    ]);
    expect(await search(a, name)).toMatchObject([{ id: group.id, member: true }]);
    // Setting what is already set changes nothing and tells nobody.
    const again = collect(a.socket, 'groups:changed');
    ok(await call(a.socket, 'rooms:setPublic', { groupId: group.id, public: true }));
    await settle(a.socket);
    expect(again).toEqual([]);
    // Closed again: gone from the directory, and nobody can join.
    ok(await call(a.socket, 'rooms:setPublic', { groupId: group.id, public: false }));
    expect(await search(b, name)).toEqual([]);
    expectError(await call(b.socket, 'rooms:join', { groupId: group.id }), 'NOT_FOUND');
  });

  it('only the owner and group admins open or close a room; strangers and members cannot', async () => {
    const a = await user(url, uname('ann'));
    const m = await user(url, uname('meg'));
    const x = await user(url, uname('xen'));
    const room = await open(a, uname('Hall'));
    ok(await call(m.socket, 'rooms:join', { groupId: room.id }));
    expectError(
      await call(m.socket, 'rooms:setPublic', { groupId: room.id, public: false }),
      'FORBIDDEN',
    );
    expectError(
      await call(x.socket, 'rooms:setPublic', { groupId: room.id, public: false }),
      'NOT_MEMBER',
    );
    expectError(
      await call(x.socket, 'rooms:setPublic', { groupId: 987_654_321, public: true }),
      'NOT_FOUND',
    );
    expect(await search(x, room.name)).toHaveLength(1);
    ok(
      await call(a.socket, 'groups:setRole', {
        groupId: room.id,
        username: m.username,
        role: 'admin',
      }),
    );
    ok(await call(m.socket, 'rooms:setPublic', { groupId: room.id, public: false }));
    expect(await search(x, room.name)).toEqual([]);
  });

  it('anyone joins without an invitation, the members hear it, and leaving is groups:leave', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    const room = await open(a, uname('Plaza'));
    const joined = next(a.socket, 'groups:memberChanged');
    const info = ok(await call(b.socket, 'rooms:join', { groupId: room.id }));
    expect(info).toMatchObject({
      id: room.id,
      role: 'member',
      public: true,
      online: 2,
      total: 2,
      blocked: false,
    });
    expect(await joined).toEqual({
      groupId: room.id,
      username: b.username,
      change: 'joined',
      role: 'member',
      by: b.username,
    });
    expect((await groupsOf(b)).map((g) => g.id)).toEqual([room.id]);
    expect(
      ok(await call(b.socket, 'groups:members', { groupId: room.id })).map((m) => m.username),
    ).toEqual([a.username, b.username]);
    expectError(await call(b.socket, 'rooms:join', { groupId: room.id }), 'ALREADY_MEMBER');
    expect(await search(a, room.name)).toMatchObject([{ online: 2, total: 2 }]);
    await goOffline(server, b);
    expect(await search(a, room.name)).toMatchObject([{ online: 1, total: 2 }]);
    const c = await user(url, uname('cid'));
    ok(await call(c.socket, 'rooms:join', { groupId: room.id }));
    const left = next(a.socket, 'groups:memberChanged');
    ok(await call(c.socket, 'groups:leave', { groupId: room.id }));
    expect(await left).toMatchObject({ username: c.username, change: 'left' });
    expect(await groupsOf(c)).toEqual([]);
  });

  it('a join answers a waiting invitation', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    const room = await open(a, uname('Porch'));
    ok(await call(a.socket, 'groups:invite', { groupId: room.id, username: b.username }));
    const ended = next(b.socket, 'groups:inviteEnded');
    ok(await call(b.socket, 'rooms:join', { groupId: room.id }));
    expect(await ended).toEqual({ groupId: room.id, reason: 'accepted' });
    expect(ok(await call(b.socket, 'groups:invitations', {}))).toEqual([]);
  });

  it('search matches part of a name, folding case and width, and % and _ match themselves', async () => {
    const a = await user(url, uname('ann'));
    const tag = uname('zq');
    const tea = await open(a, `${tag} Tea House 茶馆`);
    const pct = await open(a, `${tag} 100% fun`);
    await open(a, `${tag} 1000 fun`);
    const b = await user(url, uname('bob'));
    expect((await search(b, `${tag} tea`)).map((r) => r.id)).toEqual([tea.id]);
    expect((await search(b, '茶馆')).map((r) => r.id)).toContain(tea.id);
    // Full-width letters fold to the ASCII ones, as names do.
    expect((await search(b, `${tag} ＴＥＡ`)).map((r) => r.id)).toEqual([tea.id]);
    expect((await search(b, `${tag} 100%`)).map((r) => r.id)).toEqual([pct.id]);
    expect(await search(b, `${tag}_`)).toEqual([]);
    expect(await search(b, `${tag} nothing like it`)).toEqual([]);
    // Paging: one at a time, most members first then oldest.
    ok(await call(b.socket, 'rooms:join', { groupId: pct.id }));
    const first = ok(await call(b.socket, 'rooms:list', { query: tag, limit: 1 }));
    expect(first).toMatchObject({ rooms: [{ id: pct.id, total: 2 }], more: true });
    const last = ok(await call(b.socket, 'rooms:list', { query: tag, limit: 2, offset: 1 }));
    expect(last.more).toBe(false);
    expect(last.rooms.map((r) => r.id)).toEqual([tea.id, expect.any(Number)]);
  });

  it('a room-mate may reach you for the room, not for a direct message', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    const room = await open(a, uname('Agora'));
    // Before joining, b is a stranger to a: no signal, no mail.
    expectError(
      await call(b.socket, 'signal:send', {
        to: a.username,
        signal: { type: 'offer', sdp: 'v=0' },
      }),
      'NOT_FRIENDS',
    );
    ok(await call(b.socket, 'rooms:join', { groupId: room.id }));
    // Joining was b's consent (and a's, by opening it) to be reached by the room's members.
    const signal = next(a.socket, 'signal');
    ok(
      await call(b.socket, 'signal:send', {
        to: a.username,
        signal: { type: 'offer', sdp: 'v=0' },
      }),
    );
    expect(await signal).toEqual({ from: b.username, signal: { type: 'offer', sdp: 'v=0' } });
    // A group message for the room may be stored for its members...
    expect(
      ok(
        await call(b.socket, 'offline:store', {
          id: 'room-msg-1',
          to: { groupId: room.id },
          payload: 'x',
        }),
      ),
    ).toEqual({ id: 'room-msg-1', copies: 0 });
    // ...a direct one may not: that still needs a friendship.
    expectError(
      await call(b.socket, 'offline:store', {
        id: 'dm-1',
        to: { username: a.username },
        payload: 'x',
      }),
      'NOT_FRIENDS',
    );
    // Leaving ends it: the pair has nothing left in common, and both are told.
    const ended = next(a.socket, 'relation:ended');
    ok(await call(b.socket, 'groups:leave', { groupId: room.id }));
    expect(await ended).toEqual({ username: b.username, reason: 'removed-from-group' });
    expectError(
      await call(b.socket, 'signal:send', {
        to: a.username,
        signal: { type: 'offer', sdp: 'v=0' },
      }),
      'NOT_FRIENDS',
    );
  });

  it('a private group cannot be joined and answers as a missing one does', async () => {
    const a = await user(url, uname('ann'));
    const x = await user(url, uname('xen'));
    const closed = await makeGroup(a, uname('Den'));
    const missing = await call(x.socket, 'rooms:join', { groupId: 987_654_321 });
    const refused = await call(x.socket, 'rooms:join', { groupId: closed.id });
    expectError(refused, 'NOT_FOUND');
    expect(refused.ok ? null : refused.error.message).toBe(
      missing.ok ? null : missing.error.message,
    );
    expect(await groupsOf(x)).toEqual([]);
  });

  it('a blocked room leaves the directory, cannot be joined or reopened, and comes back unblocked', async () => {
    const root = await adminUser(server, uname('root'));
    const a = await user(url, uname('ann'));
    const x = await user(url, uname('xen'));
    const room = await open(a, uname('Bazaar'));
    ok(await call(root.socket, 'admin:blockGroup', { groupId: room.id }));
    expect(await search(x, room.name)).toEqual([]);
    expectError(await call(x.socket, 'rooms:join', { groupId: room.id }), 'GROUP_BLOCKED');
    expect(await groupsOf(x)).toEqual([]);
    // The owner may take it out of the directory, not put it back while it is blocked.
    ok(await call(a.socket, 'rooms:setPublic', { groupId: room.id, public: false }));
    expectError(
      await call(a.socket, 'rooms:setPublic', { groupId: room.id, public: true }),
      'GROUP_BLOCKED',
    );
    ok(await call(root.socket, 'admin:unblockGroup', { groupId: room.id }));
    ok(await call(a.socket, 'rooms:setPublic', { groupId: room.id, public: true }));
    expect(
      ok(await call(root.socket, 'admin:groups', {})).find((g) => g.id === room.id),
    ).toMatchObject({
      public: true,
      blocked: false,
    });
    ok(await call(x.socket, 'rooms:join', { groupId: room.id }));
  });

  it('the member cap holds, also for joins at once', async () => {
    own = await startServer(dialect, { groupMembersMax: 3 });
    const a = await user(own.url, uname('ann'));
    const room = await open(a, uname('Booth'));
    const people = await Promise.all([1, 2, 3, 4].map(() => user(own!.url, uname('p'))));
    const answers = await Promise.all(
      people.map((p) => call(p.socket, 'rooms:join', { groupId: room.id })),
    );
    expect(answers.filter((r) => r.ok)).toHaveLength(2);
    for (const r of answers.filter((r) => !r.ok)) expectError(r, 'GROUP_FULL');
    expect(ok(await call(a.socket, 'groups:members', { groupId: room.id }))).toHaveLength(3);
    expect(ok(await call(a.socket, 'rooms:list', { query: room.name })).rooms).toMatchObject([
      { total: 3 },
    ]);
  });

  it('joins and directory reads are rate limited per user', async () => {
    own = await startServer(dialect, {
      roomLimits: {
        joinsPerUser: { points: 2, durationSec: 60 },
        listsPerUser: { points: 3, durationSec: 60 },
      },
    });
    const a = await user(own.url, uname('ann'));
    const rooms = [];
    for (let i = 0; i < 3; i++) rooms.push(await open(a, uname('Stall')));
    const b = await user(own.url, uname('bob'));
    for (let i = 0; i < 3; i++) ok(await call(b.socket, 'rooms:list', {}));
    expectError(await call(b.socket, 'rooms:list', {}), 'RATE_LIMITED');
    ok(await call(b.socket, 'rooms:join', { groupId: rooms[0]!.id }));
    ok(await call(b.socket, 'rooms:join', { groupId: rooms[1]!.id }));
    const limited = await call(b.socket, 'rooms:join', { groupId: rooms[2]!.id });
    expectError(limited, 'RATE_LIMITED');
    expect(limited.ok ? null : limited.error.details?.retryAfterMs).toBeGreaterThan(0);
    expect((await groupsOf(b)).map((g) => g.id)).toEqual([rooms[0]!.id, rooms[1]!.id]);
    // Another user's budget is their own.
    ok(await call(a.socket, 'rooms:list', {}));
  });
});
