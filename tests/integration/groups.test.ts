/**
 * Groups over real sockets: creating, naming and owning limits, inviting and removing by role,
 * leaving and inheritance, deletion, the list format, members with presence, and the size cap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits.ts';
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
  expectError,
  goOffline,
  groupsOf,
  makeGroup,
  ok,
  settle,
  strictClock,
  uname,
  type Person,
  sharedServer,
} from '../helpers/social.ts';

describe.each(DIALECTS)('groups (%s)', (dialect) => {
  let server: TestServer;
  let url: string;
  let small: TestServer | undefined;

  // Joins a millisecond apart at least, so seniority (who inherits a group) is never a tie.
  sharedServer(
    dialect,
    (s) => {
      server = s;
      url = s.url;
    },
    strictClock(),
  );
  afterEach(async () => {
    await small?.close();
    small = undefined;
  });

  const promote = async (owner: Person, groupId: number, p: Person) =>
    ok(
      await call(owner.socket, 'groups:setRole', { groupId, username: p.username, role: 'admin' }),
    );

  it('the creator owns a new group and hears about it', async () => {
    const a = await user(url, uname('ann'));
    const changed = next(a.socket, 'groups:changed');
    const created = ok(await call(a.socket, 'groups:create', { name: '  Team Rocket ' }));
    expect(created).toEqual({
      id: expect.any(Number),
      number: 1,
      name: 'Team Rocket',
      creator: a.username,
      owner: a.username,
      role: 'owner',
      online: 1,
      total: 1,
      blocked: false,
      public: false,
    });
    const { number: _n, ...withoutNumber } = created;
    expect(await changed).toEqual({ group: withoutNumber });
    expect(await groupsOf(a)).toEqual([created]);
    expectError(await call(a.socket, 'groups:create', { name: '' }), 'BAD_REQUEST');
    expectError(
      await call(a.socket, 'groups:create', { name: 'n'.repeat(LIMITS.groupNameMax + 1) }),
      'BAD_REQUEST',
    );
  });

  it('a name is unique per creator, not across creators', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    ok(await call(a.socket, 'groups:create', { name: 'Chess' }));
    expectError(await call(a.socket, 'groups:create', { name: 'chess' }), 'GROUP_EXISTS');
    const theirs = ok(await call(b.socket, 'groups:create', { name: 'Chess' }));
    expect(theirs).toMatchObject({ name: 'Chess', creator: b.username, owner: b.username });
    expect((await groupsOf(a)).map((g) => g.name)).toEqual(['Chess']);
  });

  it('two creations of one name at once: one group, one GROUP_EXISTS', async () => {
    const a = await user(url, uname('ann'));
    const results = await Promise.all([
      call(a.socket, 'groups:create', { name: 'race' }),
      call(a.socket, 'groups:create', { name: 'Race' }),
    ]);
    const codes = results.map((r) => (r.ok ? 'ok' : r.error.code)).sort();
    expect(codes).toEqual(['GROUP_EXISTS', 'ok']);
    expect((await groupsOf(a)).map((g) => g.name)).toHaveLength(1);
  });

  it('two invitations of one person at once: one invitation, told once; then ALREADY_MEMBER', async () => {
    const o = await user(url, uname('own'));
    const b = await user(url, uname('bob'));
    const group = await makeGroup(o, 'twice');
    const told = collect(b.socket, 'groups:invited');
    const invite = () =>
      call(o.socket, 'groups:invite', { groupId: group.id, username: b.username });
    const results = await Promise.all([invite(), invite()]);
    expect(results).toEqual([
      { ok: true, data: { groupId: group.id, username: b.username } },
      { ok: true, data: { groupId: group.id, username: b.username } },
    ]);
    // Again while it waits: the same answer, and nothing new.
    ok(await invite());
    await settle(b.socket);
    expect(told).toHaveLength(1);
    expect(ok(await call(b.socket, 'groups:invitations', {}))).toHaveLength(1);
    ok(await call(b.socket, 'groups:accept', { groupId: group.id }));
    expect(await groupsOf(b)).toMatchObject([{ id: group.id, total: 2 }]);
    expectError(await invite(), 'ALREADY_MEMBER');
  });

  it('nobody owns more than ten groups, even asking twice at once for the tenth', async () => {
    const a = await user(url, uname('ann'));
    expect(LIMITS.groupsOwnedMax).toBe(10);
    const made = [];
    for (let i = 1; i < LIMITS.groupsOwnedMax; i++) {
      made.push(ok(await call(a.socket, 'groups:create', { name: `g${i}` })));
    }
    const last = await Promise.all([
      call(a.socket, 'groups:create', { name: 'g10' }),
      call(a.socket, 'groups:create', { name: 'g11' }),
    ]);
    expect(last.map((r) => (r.ok ? 'ok' : r.error.code)).sort()).toEqual(['GROUP_LIMIT', 'ok']);
    expectError(await call(a.socket, 'groups:create', { name: 'eleventh' }), 'GROUP_LIMIT');
    expect((await groupsOf(a)).map((g) => g.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Deleting one frees a place.
    ok(await call(a.socket, 'groups:delete', { groupId: made[0]!.id }));
    expect(ok(await call(a.socket, 'groups:create', { name: 'eleventh' })).number).toBe(10);
  });

  it('the owner and a promoted admin invite; the invitee and members are told', async () => {
    const o = await user(url, uname('own'));
    const adm = await user(url, uname('adm'));
    const m = await user(url, uname('mem'));
    const group = ok(await call(o.socket, 'groups:create', { name: 'club' }));

    const invited = next(adm.socket, 'groups:invited');
    expect(
      await call(o.socket, 'groups:invite', { groupId: group.id, username: adm.username }),
    ).toEqual({ ok: true, data: { groupId: group.id, username: adm.username } });
    expect(await invited).toEqual({
      invitation: {
        groupId: group.id,
        name: 'club',
        creator: o.username,
        inviter: o.username,
        at: expect.any(Number),
      },
    });
    const joined = next(o.socket, 'groups:memberChanged');
    const told = next(adm.socket, 'groups:changed');
    const ended = next(adm.socket, 'groups:inviteEnded');
    expect(ok(await call(adm.socket, 'groups:accept', { groupId: group.id }))).toMatchObject({
      id: group.id,
      number: 1,
      role: 'member',
      total: 2,
    });
    expect(await ended).toEqual({ groupId: group.id, reason: 'accepted' });
    expect(await told).toEqual({
      group: {
        id: group.id,
        name: 'club',
        creator: o.username,
        owner: o.username,
        role: 'member',
        online: 2,
        total: 2,
        blocked: false,
        public: false,
      },
    });
    expect(await joined).toEqual({
      groupId: group.id,
      username: adm.username,
      change: 'joined',
      role: 'member',
      by: adm.username,
    });

    const roleSeen = [
      next(o.socket, 'groups:memberChanged'),
      next(adm.socket, 'groups:memberChanged'),
    ];
    const roleTold = next(adm.socket, 'groups:changed');
    expect(
      await call(o.socket, 'groups:setRole', {
        groupId: group.id,
        username: adm.username,
        role: 'admin',
      }),
    ).toEqual({ ok: true, data: { groupId: group.id, username: adm.username, role: 'admin' } });
    const roleChange = {
      groupId: group.id,
      username: adm.username,
      change: 'role',
      role: 'admin',
      by: o.username,
    };
    expect(await Promise.all(roleSeen)).toEqual([roleChange, roleChange]);
    expect((await roleTold).group.role).toBe('admin');

    const byAdmin = next(m.socket, 'groups:invited');
    ok(await call(adm.socket, 'groups:invite', { groupId: group.id, username: m.username }));
    expect((await byAdmin).invitation).toMatchObject({ groupId: group.id, inviter: adm.username });
    const seen = [next(o.socket, 'groups:memberChanged'), next(adm.socket, 'groups:memberChanged')];
    const inGroup = next(m.socket, 'groups:changed');
    ok(await call(m.socket, 'groups:accept', { groupId: group.id }));
    const join = {
      groupId: group.id,
      username: m.username,
      change: 'joined',
      role: 'member',
      by: m.username,
    };
    expect(await Promise.all(seen)).toEqual([join, join]);
    expect(await inGroup).toMatchObject({ group: { id: group.id, role: 'member', total: 3 } });

    expect(ok(await call(o.socket, 'groups:members', { groupId: group.id }))).toEqual([
      { username: o.username, role: 'owner', status: 'online', publicKey: null },
      { username: adm.username, role: 'admin', status: 'online', publicKey: null },
      { username: m.username, role: 'member', status: 'online', publicKey: null },
    ]);
  });

  it('refuses invitations from plain members and outsiders, and bad invitees', async () => {
    const o = await user(url, uname('own'));
    const m = await user(url, uname('mem'));
    const out = await user(url, uname('out'));
    const target = await user(url, uname('tgt'));
    const group = await makeGroup(o, 'strict', [m]);
    const targetTold = collect(target.socket, 'groups:changed');
    const targetInvited = collect(target.socket, 'groups:invited');

    const invite = (p: Person, username: string) =>
      call(p.socket, 'groups:invite', { groupId: group.id, username });
    expectError(await invite(m, target.username), 'FORBIDDEN');
    expectError(await invite(out, target.username), 'NOT_MEMBER');
    expectError(await invite(o, 'no-such-user'), 'NOT_FOUND');
    expectError(await invite(o, m.username), 'ALREADY_MEMBER');
    expectError(
      await call(o.socket, 'groups:invite', { groupId: 987_654, username: target.username }),
      'NOT_FOUND',
    );
    // Only the owner changes roles.
    expectError(
      await call(m.socket, 'groups:setRole', {
        groupId: group.id,
        username: m.username,
        role: 'admin',
      }),
      'FORBIDDEN',
    );
    await settle(target.socket);
    expect(targetTold).toEqual([]);
    expect(targetInvited).toEqual([]);
    expect(ok(await call(target.socket, 'groups:invitations', {}))).toEqual([]);
    expect(ok(await call(o.socket, 'groups:members', { groupId: group.id })).length).toBe(2);
  });

  it('kicking: the kicked hear why, the rest see them leave; roles limit who kicks whom', async () => {
    const o = await user(url, uname('own'));
    const a1 = await user(url, uname('adm'));
    const a2 = await user(url, uname('adm'));
    const m1 = await user(url, uname('mem'));
    const m2 = await user(url, uname('mem'));
    const group = await makeGroup(o, 'kicks', [a1, a2, m1, m2]);
    await promote(o, group.id, a1);
    await promote(o, group.id, a2);
    const kick = (p: Person, who: Person) =>
      call(p.socket, 'groups:kick', { groupId: group.id, username: who.username });

    expectError(await kick(a1, o), 'FORBIDDEN');
    expectError(await kick(a1, a2), 'FORBIDDEN');
    expectError(await kick(m1, m2), 'FORBIDDEN');
    expectError(await kick(a1, a1), 'SELF');
    expectError(await kick(o, o), 'SELF');

    const removed = next(m1.socket, 'groups:removed');
    // Filtered: the promotions above may still be on their way to m2.
    const isLeft = (d: { change: string }) => d.change === 'left';
    const left = [
      next(o.socket, 'groups:memberChanged', 5_000, isLeft),
      next(m2.socket, 'groups:memberChanged', 5_000, isLeft),
    ];
    expect(await kick(a1, m1)).toEqual({
      ok: true,
      data: { groupId: group.id, username: m1.username },
    });
    // `by` names who removed them: the admin, on both events.
    expect(await removed).toEqual({ groupId: group.id, reason: 'kicked', by: a1.username });
    const leftEvent = {
      groupId: group.id,
      username: m1.username,
      change: 'left',
      role: null,
      by: a1.username,
    };
    expect(await Promise.all(left)).toEqual([leftEvent, leftEvent]);
    expect(await groupsOf(m1)).toEqual([]);
    expectError(await call(m1.socket, 'groups:members', { groupId: group.id }), 'NOT_MEMBER');
    expectError(await kick(a1, m1), 'NOT_MEMBER');

    // The owner may remove an admin.
    const a2Removed = next(a2.socket, 'groups:removed');
    ok(await kick(o, a2));
    expect(await a2Removed).toEqual({ groupId: group.id, reason: 'kicked', by: o.username });
    expect(
      ok(await call(o.socket, 'groups:members', { groupId: group.id })).map((x) => x.username),
    ).toEqual([o.username, a1.username, m2.username]);
  });

  it('a member who leaves is gone; the others see it', async () => {
    const o = await user(url, uname('own'));
    const m = await user(url, uname('mem'));
    const group = await makeGroup(o, 'leavers', [m]);
    const removed = next(m.socket, 'groups:removed');
    const left = next(o.socket, 'groups:memberChanged');
    expect(await call(m.socket, 'groups:leave', { groupId: group.id })).toEqual({
      ok: true,
      data: { groupId: group.id, deleted: false, newOwner: null },
    });
    expect(await removed).toEqual({ groupId: group.id, reason: 'left', by: m.username });
    expect(await left).toEqual({
      groupId: group.id,
      username: m.username,
      change: 'left',
      role: null,
      by: m.username,
    });
    expect(await groupsOf(m)).toEqual([]);
    expect(await groupsOf(o)).toMatchObject([{ id: group.id, total: 1, online: 1 }]);
    expectError(await call(m.socket, 'groups:leave', { groupId: group.id }), 'NOT_MEMBER');
  });

  it('an owner who leaves hands over to the longest-standing admin, else member; the last one out deletes it', async () => {
    const o = await user(url, uname('own'));
    const early = await user(url, uname('early'));
    const adminA = await user(url, uname('admA'));
    const adminB = await user(url, uname('admB'));
    // `early` joins first but stays a member; admins outrank seniority.
    const group = await makeGroup(o, 'dynasty', [early, adminA, adminB]);
    await promote(o, group.id, adminB);
    await promote(o, group.id, adminA);

    const roleSeen = next(early.socket, 'groups:memberChanged', 5_000, (d) => d.role === 'owner');
    const told = next(adminA.socket, 'groups:changed', 5_000, (d) => d.group.role === 'owner');
    expect(ok(await call(o.socket, 'groups:leave', { groupId: group.id }))).toEqual({
      groupId: group.id,
      deleted: false,
      newOwner: adminA.username,
    });
    expect(await roleSeen).toEqual({
      groupId: group.id,
      username: adminA.username,
      change: 'role',
      role: 'owner',
      by: o.username,
    });
    expect((await told).group).toMatchObject({ owner: adminA.username, creator: o.username });
    expect(await groupsOf(early)).toEqual([
      {
        id: group.id,
        number: 1,
        name: 'dynasty',
        creator: o.username,
        owner: adminA.username,
        role: 'member',
        online: 3,
        total: 3,
        blocked: false,
        public: false,
      },
    ]);

    expect(ok(await call(adminA.socket, 'groups:leave', { groupId: group.id })).newOwner).toBe(
      adminB.username,
    );
    expect(ok(await call(adminB.socket, 'groups:leave', { groupId: group.id })).newOwner).toBe(
      early.username,
    );
    // The new owner holds every owner right, deleting included (checked below by leaving).
    expect((await groupsOf(early))[0]).toMatchObject({ owner: early.username, role: 'owner' });

    const gone = next(early.socket, 'groups:removed');
    expect(ok(await call(early.socket, 'groups:leave', { groupId: group.id }))).toEqual({
      groupId: group.id,
      deleted: true,
      newOwner: null,
    });
    expect(await gone).toEqual({ groupId: group.id, reason: 'left', by: early.username });
    expectError(await call(early.socket, 'groups:members', { groupId: group.id }), 'NOT_FOUND');
    const all = ok(await call(o.socket, 'groups:list', {}));
    expect(all).toEqual([]);
    // The creator may reuse the name of a group that no longer exists.
    ok(await call(o.socket, 'groups:create', { name: 'dynasty' }));
  });

  it('the owner deletes a group and every member hears it; nobody else may', async () => {
    const o = await user(url, uname('own'));
    const adm = await user(url, uname('adm'));
    const m = await user(url, uname('mem'));
    const out = await user(url, uname('out'));
    const group = await makeGroup(o, 'doomed', [adm, m]);
    await promote(o, group.id, adm);

    expectError(await call(adm.socket, 'groups:delete', { groupId: group.id }), 'FORBIDDEN');
    expectError(await call(m.socket, 'groups:delete', { groupId: group.id }), 'FORBIDDEN');
    expectError(await call(out.socket, 'groups:delete', { groupId: group.id }), 'NOT_MEMBER');
    expect(await groupsOf(m)).toHaveLength(1);

    const removed = [o, adm, m].map((p) => next(p.socket, 'groups:removed'));
    const ended = next(adm.socket, 'relation:ended', 5_000, (d) => d.username === m.username);
    expect(await call(o.socket, 'groups:delete', { groupId: group.id })).toEqual({
      ok: true,
      data: { groupId: group.id },
    });
    const deleted = { groupId: group.id, reason: 'deleted', by: o.username };
    expect(await Promise.all(removed)).toEqual([deleted, deleted, deleted]);
    expect(await ended).toEqual({ username: m.username, reason: 'group-deleted' });
    for (const p of [o, adm, m]) expect(await groupsOf(p)).toEqual([]);
    expectError(await call(o.socket, 'groups:delete', { groupId: group.id }), 'NOT_FOUND');
  });

  it('groups:list numbers from 1 and counts who is online', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    const c = await user(url, uname('cat'));
    const first = await makeGroup(b, 'first', [a, c]);
    const second = await makeGroup(a, 'second', [c]);
    const third = await makeGroup(c, 'third');
    ok(await call(c.socket, 'presence:set', { status: 'busy' }));
    await goOffline(server, b);

    expect(await groupsOf(a)).toEqual([
      {
        id: first.id,
        number: 1,
        name: 'first',
        creator: b.username,
        owner: b.username,
        role: 'member',
        online: 2,
        total: 3,
        blocked: false,
        public: false,
      },
      {
        id: second.id,
        number: 2,
        name: 'second',
        creator: a.username,
        owner: a.username,
        role: 'owner',
        online: 2,
        total: 2,
        blocked: false,
        public: false,
      },
    ]);
    expect((await groupsOf(c)).map((g) => [g.number, g.id, g.role])).toEqual([
      [1, first.id, 'member'],
      [2, second.id, 'member'],
      [3, third.id, 'owner'],
    ]);
  });

  it('groups:members shows roles and presence to members only', async () => {
    const o = await user(url, uname('own'));
    const away = await user(url, uname('away'));
    const off = await user(url, uname('off'));
    const out = await user(url, uname('out'));
    const group = await makeGroup(o, 'roster', [away, off]);
    ok(await call(away.socket, 'presence:set', { status: 'away' }));
    await goOffline(server, off);

    expect(ok(await call(away.socket, 'groups:members', { groupId: group.id }))).toEqual([
      { username: o.username, role: 'owner', status: 'online', publicKey: null },
      { username: away.username, role: 'member', status: 'away', publicKey: null },
      { username: off.username, role: 'member', status: 'offline', publicKey: null },
    ]);
    expectError(await call(out.socket, 'groups:members', { groupId: group.id }), 'NOT_MEMBER');
    expectError(await call(out.socket, 'groups:members', { groupId: 987_654 }), 'NOT_FOUND');
    expectError(await call(out.socket, 'groups:members', { groupId: -1 }), 'BAD_REQUEST');
  });

  it('a group holds at most groupMembersMax members: invitations wait, accepting takes a place', async () => {
    small = await startServer(dialect, { groupMembersMax: 3 });
    const o = await user(small.url, 'own');
    const [b, c, d, e] = [
      await user(small.url, 'bee'),
      await user(small.url, 'cee'),
      await user(small.url, 'dee'),
      await user(small.url, 'eee'),
    ];
    const group = await makeGroup(o, 'tiny', [b]);
    // Invitations do not count as members: three may wait for the one place left.
    for (const p of [c, d, e])
      ok(await call(o.socket, 'groups:invite', { groupId: group.id, username: p.username }));
    const extraUser = await user(small.url, 'fff');
    expectError(
      await call(o.socket, 'groups:invite', { groupId: group.id, username: extraUser.username }),
      'GROUP_FULL',
    );
    // Two acceptances at once for the last place: one gets it; the other keeps the invitation.
    const results = await Promise.all(
      [c, d].map((p) => call(p.socket, 'groups:accept', { groupId: group.id })),
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code)).sort()).toEqual(['GROUP_FULL', 'ok']);
    expect(await groupsOf(o)).toMatchObject([{ total: 3 }]);
    const [winner, loser] = results[0]!.ok ? [c, d] : [d, c];
    expect(ok(await call(loser.socket, 'groups:invitations', {}))).toHaveLength(1);
    expect(await groupsOf(loser)).toEqual([]);
    // A full group takes no new invitation either.
    expectError(
      await call(o.socket, 'groups:invite', { groupId: group.id, username: extraUser.username }),
      'GROUP_FULL',
    );
    // A place freed is a place to fill.
    ok(await call(winner.socket, 'groups:leave', { groupId: group.id }));
    ok(await call(loser.socket, 'groups:accept', { groupId: group.id }));
    expect(await groupsOf(loser)).toMatchObject([{ id: group.id, total: 3, role: 'member' }]);
  });
});
