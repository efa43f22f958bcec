/**
 * Who may reach whom, from the attacker's side: a group invitation is not a membership until the
 * invitee accepts it (no relay, no presence, no mailbox before), a declined or withdrawn one leaves
 * nothing, one sender cannot fill a mailbox, and a blocked group gets no mail by any path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ack } from '../../shared/errors.ts';
import {
  DIALECTS,
  call,
  collect,
  next,
  startServer,
  user,
  type ClientSocket,
  type TestServer,
} from '../helpers/server.ts';
import {
  addOfflineMember,
  adminUser,
  befriend,
  comeBack,
  expectError,
  goOffline,
  groupsOf,
  makeGroup,
  offlineUser,
  ok,
  settle,
  uname,
  type Person,
  sharedServer,
} from '../helpers/social.ts';

const offer = { type: 'offer', sdp: 'v=0' };
const pull = async (s: ClientSocket) => ok(await call(s, 'offline:pull', {}));
const codes = (res: Ack<{ results: { ok: boolean; error?: { code: string } }[] }>) =>
  ok(res).results.map((r) => (r.ok ? 'ok' : r.error?.code));

/** Every (recipient, sender) share kept by the triggers next to the messages really waiting. */
async function sharesAgainstRows(server: TestServer) {
  const { db } = server.app.store;
  const kept = await db
    .selectFrom('mailbox_senders')
    .select(['user_id', 'sender_id', 'count'])
    .where('count', '!=', 0)
    .orderBy('user_id')
    .orderBy('sender_id')
    .execute();
  const real = await db
    .selectFrom('offline_messages')
    .select(['recipient_id as user_id', 'sender_id', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy(['recipient_id', 'sender_id'])
    .orderBy('recipient_id')
    .orderBy('sender_id')
    .execute();
  return { kept, real: real.map((r) => ({ ...r, count: Number(r.count) })) };
}

describe.each(DIALECTS)('consent and reach (%s)', (dialect) => {
  let server: TestServer;
  let url: string;
  let extra: TestServer | undefined;
  sharedServer(dialect, (s) => {
    server = s;
    url = s.url;
  });
  afterEach(async () => {
    await extra?.close();
    extra = undefined;
  });

  it("a stranger's invitation gives them no relay, no presence and no mailbox until accepted", async () => {
    const stranger = await user(url, uname('str'));
    const victim = await user(url, uname('vic'));
    const group = ok(await call(stranger.socket, 'groups:create', { name: 'trap' }));
    const invited = next(victim.socket, 'groups:invited');
    ok(
      await call(stranger.socket, 'groups:invite', {
        groupId: group.id,
        username: victim.username,
      }),
    );
    expect((await invited).invitation).toMatchObject({
      groupId: group.id,
      inviter: stranger.username,
    });

    // No relay either way.
    const victimSignals = collect(victim.socket, 'signal');
    expectError(
      await call(stranger.socket, 'signal:send', { to: victim.username, signal: offer }),
      'NOT_FRIENDS',
    );
    expectError(
      await call(victim.socket, 'signal:send', { to: stranger.username, signal: offer }),
      'NOT_FRIENDS',
    );
    // No presence either way.
    const strangerSaw = collect(stranger.socket, 'presence:changed');
    const victimSaw = collect(victim.socket, 'presence:changed');
    ok(await call(victim.socket, 'presence:set', { status: 'away' }));
    ok(await call(stranger.socket, 'presence:set', { status: 'busy' }));
    // Not a member: no member list, no place in the group's counts or the victim's numbering.
    expectError(await call(victim.socket, 'groups:members', { groupId: group.id }), 'NOT_MEMBER');
    expect(await groupsOf(victim)).toEqual([]);
    expect(await groupsOf(stranger)).toMatchObject([{ id: group.id, total: 1, online: 1 }]);
    // No mailbox: not as the group's member, not through a group copy, not privately.
    expectError(
      await call(stranger.socket, 'offline:store', {
        id: 'spam-1',
        to: { groupId: group.id, username: victim.username },
        payload: 'x',
      }),
      'NOT_MEMBER',
    );
    await goOffline(server, victim);
    expect(
      codes(
        await call(stranger.socket, 'offline:storeMany', {
          items: [
            { id: 'spam-2', to: { groupId: group.id }, payload: 'x' },
            { id: 'spam-3', to: { username: victim.username }, payload: 'x' },
          ],
        }),
      ),
    ).toEqual(['ok', 'NOT_FRIENDS']);
    expect(await server.app.services.offline.waiting(victim.user.id)).toBe(0);
    await settle(stranger.socket);
    expect(victimSignals).toEqual([]);
    expect(victimSaw).toEqual([]);
    expect(strangerSaw.filter((p) => p.username === victim.username)).toEqual([]);

    // The invitation waits for them at sign-in; accepting is what makes them a member.
    const back = await comeBack(url, victim.username);
    expect(ok(await call(back.socket, 'groups:invitations', {}))).toEqual([
      {
        groupId: group.id,
        name: 'trap',
        creator: stranger.username,
        inviter: stranger.username,
        at: expect.any(Number),
      },
    ]);
    ok(await call(back.socket, 'groups:accept', { groupId: group.id }));
    ok(await call(stranger.socket, 'signal:send', { to: victim.username, signal: offer }));
    expect(await groupsOf(stranger)).toMatchObject([{ id: group.id, total: 2 }]);
  });

  it('a declined invitation leaves nothing, and answering one that does not exist is NOT_FOUND', async () => {
    const o = await user(url, uname('own'));
    const v = await user(url, uname('vic'));
    const group = await makeGroup(o, 'declined');
    ok(await call(o.socket, 'groups:invite', { groupId: group.id, username: v.username }));
    const ended = next(v.socket, 'groups:inviteEnded');
    expect(await call(v.socket, 'groups:decline', { groupId: group.id })).toEqual({
      ok: true,
      data: { groupId: group.id },
    });
    expect(await ended).toEqual({ groupId: group.id, reason: 'declined' });
    expect(ok(await call(v.socket, 'groups:invitations', {}))).toEqual([]);
    expect(await groupsOf(v)).toEqual([]);
    expect(await groupsOf(o)).toMatchObject([{ total: 1 }]);
    const rows = await server.app.store.db
      .selectFrom('group_invitations')
      .select('user_id')
      .where('group_id', '=', group.id)
      .execute();
    expect(rows).toEqual([]);
    expectError(await call(v.socket, 'groups:accept', { groupId: group.id }), 'NOT_FOUND');
    expectError(await call(v.socket, 'groups:decline', { groupId: group.id }), 'NOT_FOUND');
    expectError(await call(v.socket, 'groups:accept', { groupId: 987_654 }), 'NOT_FOUND');
    expectError(
      await call(v.socket, 'signal:send', { to: o.username, signal: offer }),
      'NOT_FRIENDS',
    );
    // Asking again is a new invitation.
    ok(await call(o.socket, 'groups:invite', { groupId: group.id, username: v.username }));
    expect(ok(await call(v.socket, 'groups:invitations', {}))).toHaveLength(1);
  });

  it('invitations die with the group, when their inviter is demoted or removed, and when withdrawn', async () => {
    const o = await user(url, uname('own'));
    const adm = await user(url, uname('adm'));
    const adm2 = await user(url, uname('adm'));
    const [x, y, z] = [
      await user(url, uname('x')),
      await user(url, uname('y')),
      await user(url, uname('z')),
    ];
    const group = await makeGroup(o, 'fragile', [adm, adm2]);
    for (const p of [adm, adm2])
      ok(
        await call(o.socket, 'groups:setRole', {
          groupId: group.id,
          username: p.username,
          role: 'admin',
        }),
      );
    ok(await call(adm.socket, 'groups:invite', { groupId: group.id, username: x.username }));
    ok(await call(adm2.socket, 'groups:invite', { groupId: group.id, username: z.username }));
    ok(await call(o.socket, 'groups:invite', { groupId: group.id, username: y.username }));

    const xEnded = next(x.socket, 'groups:inviteEnded');
    ok(
      await call(o.socket, 'groups:setRole', {
        groupId: group.id,
        username: adm.username,
        role: 'member',
      }),
    );
    expect(await xEnded).toEqual({ groupId: group.id, reason: 'withdrawn' });
    expect(ok(await call(x.socket, 'groups:invitations', {}))).toEqual([]);
    expectError(await call(x.socket, 'groups:accept', { groupId: group.id }), 'NOT_FOUND');

    const zEnded = next(z.socket, 'groups:inviteEnded');
    ok(await call(o.socket, 'groups:kick', { groupId: group.id, username: adm2.username }));
    expect(await zEnded).toEqual({ groupId: group.id, reason: 'withdrawn' });
    expectError(await call(z.socket, 'groups:accept', { groupId: group.id }), 'NOT_FOUND');

    // Removing someone only invited withdraws the invitation; a plain member may not.
    const w = await user(url, uname('w'));
    ok(await call(o.socket, 'groups:invite', { groupId: group.id, username: w.username }));
    expectError(
      await call(adm.socket, 'groups:kick', { groupId: group.id, username: w.username }),
      'FORBIDDEN',
    );
    const wEnded = next(w.socket, 'groups:inviteEnded');
    ok(await call(o.socket, 'groups:kick', { groupId: group.id, username: w.username }));
    expect(await wEnded).toEqual({ groupId: group.id, reason: 'withdrawn' });
    expectError(await call(w.socket, 'groups:accept', { groupId: group.id }), 'NOT_FOUND');
    expectError(
      await call(o.socket, 'groups:kick', { groupId: group.id, username: w.username }),
      'NOT_MEMBER',
    );

    // y's invitation (the owner's) outlived both; it goes with the group.
    expect(ok(await call(y.socket, 'groups:invitations', {}))).toHaveLength(1);
    const yEnded = next(y.socket, 'groups:inviteEnded');
    ok(await call(o.socket, 'groups:delete', { groupId: group.id }));
    expect(await yEnded).toEqual({ groupId: group.id, reason: 'group-deleted' });
    expect(ok(await call(y.socket, 'groups:invitations', {}))).toEqual([]);
    expect(await groupsOf(y)).toEqual([]);
  });

  it('one sender cannot fill a mailbox: the others still get in', async () => {
    extra = await startServer(dialect, { offlineMaxPerUser: 5, offlineMaxPerSender: 2 });
    const [a, b, v] = [
      await user(extra.url, uname('ann')),
      await user(extra.url, uname('bob')),
      await user(extra.url, uname('vic')),
    ];
    await befriend(a, v);
    await befriend(b, v);
    const group = await makeGroup(a, 'flood', [v]);
    await goOffline(extra, v);
    const many = (p: Person, ids: string[]) =>
      call(p.socket, 'offline:storeMany', {
        items: ids.map((id) => ({ id, to: { username: v.username }, payload: id })),
      });

    // A whole batch past the share: the share fits, the rest is refused, a retry is not new.
    expect(codes(await many(a, ['a1', 'a2', 'a3', 'a1']))).toEqual([
      'ok',
      'ok',
      'QUOTA_EXCEEDED',
      'ok',
    ]);
    const refused = await call(a.socket, 'offline:store', {
      id: 'a4',
      to: { username: v.username },
      payload: 'a4',
    });
    expectError(refused, 'QUOTA_EXCEEDED');
    expect(refused.ok ? '' : refused.error.message).toMatch(/most one sender may/);
    // Nor through the group: the copy for v is skipped, or refused when v is named.
    expect(
      ok(
        await call(a.socket, 'offline:store', {
          id: 'g1',
          to: { groupId: group.id },
          payload: 'g',
        }),
      ).copies,
    ).toBe(0);
    expectError(
      await call(a.socket, 'offline:store', {
        id: 'g2',
        to: { groupId: group.id, username: v.username },
        payload: 'g',
      }),
      'QUOTA_EXCEEDED',
    );
    // A friend still gets in.
    expect(codes(await many(b, ['b1', 'b2']))).toEqual(['ok', 'ok']);
    expect(await extra.app.services.offline.waiting(v.user.id)).toBe(4);
    const { kept, real } = await sharesAgainstRows(extra);
    expect(kept).toEqual(real);

    // An ack gives the sender back exactly that place.
    const back = await comeBack(extra.url, v.username);
    expect((await pull(back.socket)).messages.map((m) => m.id)).toEqual(['a1', 'a2', 'b1', 'b2']);
    ok(await call(back.socket, 'offline:ack', { ids: ['a1'] }));
    await goOffline(extra, back);
    expect(codes(await many(a, ['a5', 'a6']))).toEqual(['ok', 'QUOTA_EXCEEDED']);
    const after = await sharesAgainstRows(extra);
    expect(after.kept).toEqual(after.real);
  });

  it("a blocked group's stored mail is not handed out, and admin:sendGroup to it is refused", async () => {
    const root = await adminUser(server, uname('root'));
    const o = await user(url, uname('own'));
    const m = await user(url, uname('mem'));
    const off = await offlineUser(url, uname('off'));
    const group = await makeGroup(o, 'banned', [m]);
    await addOfflineMember(server, o, group.id, off);
    expect(
      ok(
        await call(o.socket, 'offline:store', {
          id: 'before',
          to: { groupId: group.id },
          payload: 'x',
        }),
      ).copies,
    ).toBe(1);
    // An admin message stored before the block is the admin's, not the group's traffic: it stays.
    expect(
      ok(
        await call(root.socket, 'admin:sendGroup', {
          group: 'banned',
          creator: o.username,
          text: 'warning',
        }),
      ),
    ).toEqual({ live: 2, stored: 1 });
    expect(await server.app.services.offline.waiting(off.user.id)).toBe(2);

    ok(await call(root.socket, 'admin:blockGroup', { group: 'banned', creator: o.username }));
    // The group's stored mail went with the block.
    expect(await server.app.services.offline.waiting(off.user.id)).toBe(1);
    const memberGot = collect(m.socket, 'system:message');
    expectError(
      await call(root.socket, 'admin:sendGroup', {
        group: 'banned',
        creator: o.username,
        text: 'more',
      }),
      'GROUP_BLOCKED',
    );
    // A copy a store racing the block left behind is not handed out either.
    await server.app.store.db
      .insertInto('offline_messages')
      .values({
        recipient_id: off.user.id,
        msg_id: 'raced',
        sender_id: o.user.id,
        kind: 'group',
        group_id: group.id,
        group_name: 'banned',
        group_creator: o.username,
        payload: 'x',
        created_at: Date.now(),
      })
      .execute();

    const back = await comeBack(url, off.username);
    const { messages } = await pull(back.socket);
    expect(messages.map((msg) => [msg.kind, msg.payload])).toEqual([['system', 'warning']]);
    expect(await groupsOf(back)).toMatchObject([{ id: group.id, blocked: true }]);
    await settle(m.socket);
    expect(memberGot).toEqual([]);
  });
});
