/**
 * Friends, presence and public keys over real sockets: requests and answers, the error catalogue,
 * removal ending the relation, and presence reaching friends and group peers only.
 */
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits.ts';
import { DIALECTS, call, collect, next, user, type TestServer } from '../helpers/server.ts';
import {
  befriend,
  comeBack,
  expectError,
  goOffline,
  makeGroup,
  offlineUser,
  ok,
  settle,
  uname,
  sharedServer,
} from '../helpers/social.ts';

describe.each(DIALECTS)('friends (%s)', (dialect) => {
  let server: TestServer;
  let url: string;

  sharedServer(dialect, (s) => {
    server = s;
    url = s.url;
  });

  it('a request is seen by the other side; accepting makes both friends', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));

    const requested = next(b.socket, 'friends:requested');
    expect(await call(a.socket, 'friends:request', { username: b.username })).toEqual({
      ok: true,
      data: { username: b.username, state: 'pending' },
    });
    expect(await requested).toEqual({ from: a.username });
    expect(ok(await call(b.socket, 'friends:list', {}))).toEqual({
      friends: [],
      incoming: [a.username],
      outgoing: [],
    });

    const aAdded = next(a.socket, 'friends:added');
    const bAdded = next(b.socket, 'friends:added');
    expect(await call(b.socket, 'friends:respond', { username: a.username, accept: true })).toEqual(
      { ok: true, data: { username: a.username, state: 'friends' } },
    );
    expect(await aAdded).toEqual({
      friend: { username: b.username, status: 'online', publicKey: null },
    });
    expect(await bAdded).toEqual({
      friend: { username: a.username, status: 'online', publicKey: null },
    });
    expect(ok(await call(a.socket, 'friends:list', {}))).toEqual({
      friends: [{ username: b.username, status: 'online', publicKey: null }],
      incoming: [],
      outgoing: [],
    });
  });

  it('declining tells the requester, leaves no friendship, and a new request may follow', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    ok(await call(a.socket, 'friends:request', { username: b.username }));

    const declined = next(a.socket, 'friends:declined');
    const added = collect(a.socket, 'friends:added');
    expect(
      await call(b.socket, 'friends:respond', { username: a.username, accept: false }),
    ).toEqual({ ok: true, data: { username: a.username, state: 'declined' } });
    expect(await declined).toEqual({ username: b.username });

    const empty = { friends: [], incoming: [], outgoing: [] };
    expect(ok(await call(a.socket, 'friends:list', {}))).toEqual(empty);
    expect(ok(await call(b.socket, 'friends:list', {}))).toEqual(empty);
    // Answering twice: the request is gone.
    expectError(
      await call(b.socket, 'friends:respond', { username: a.username, accept: true }),
      'NOT_FOUND',
    );
    await settle(a.socket);
    expect(added).toEqual([]);
    expect(ok(await call(a.socket, 'friends:request', { username: b.username }))).toEqual({
      username: b.username,
      state: 'pending',
    });
  });

  it('asking someone who already asked you makes you friends', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    ok(await call(a.socket, 'friends:request', { username: b.username }));

    const aAdded = next(a.socket, 'friends:added');
    const bAdded = next(b.socket, 'friends:added');
    // Usernames are matched without regard to case.
    expect(await call(b.socket, 'friends:request', { username: a.username.toUpperCase() })).toEqual(
      { ok: true, data: { username: a.username, state: 'friends' } },
    );
    expect((await aAdded).friend.username).toBe(b.username);
    expect((await bAdded).friend.username).toBe(a.username);
    for (const [me, other] of [
      [a, b],
      [b, a],
    ] as const) {
      expect(ok(await call(me.socket, 'friends:list', {}))).toEqual({
        friends: [{ username: other.username, status: 'online', publicKey: null }],
        incoming: [],
        outgoing: [],
      });
    }
  });

  it('two people asking each other at the same moment become friends', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    const results = await Promise.all([
      call(a.socket, 'friends:request', { username: b.username }),
      call(b.socket, 'friends:request', { username: a.username }),
    ]);
    expect(results.map((r) => (r.ok ? r.data.state : r.error.code)).sort()).toEqual([
      'friends',
      'pending',
    ]);
    expect(ok(await call(a.socket, 'friends:list', {}))).toEqual({
      friends: [{ username: b.username, status: 'online', publicKey: null }],
      incoming: [],
      outgoing: [],
    });
  });

  it('refuses requests to nobody, to yourself, to a friend, and twice', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    const c = await user(url, uname('cat'));
    const requested = collect(b.socket, 'friends:requested');

    const missing = await call(a.socket, 'friends:request', { username: 'nobody-here' });
    expectError(missing, 'NOT_FOUND');
    expectError(
      await call(a.socket, 'friends:request', { username: a.username.toUpperCase() }),
      'SELF',
    );

    ok(await call(a.socket, 'friends:request', { username: b.username }));
    expectError(
      await call(a.socket, 'friends:request', { username: b.username }),
      'REQUEST_PENDING',
    );

    await befriend(a, c);
    expectError(
      await call(a.socket, 'friends:request', { username: c.username }),
      'ALREADY_FRIENDS',
    );
    expectError(
      await call(c.socket, 'friends:request', { username: a.username }),
      'ALREADY_FRIENDS',
    );

    expectError(await call(a.socket, 'friends:request', {} as never), 'BAD_REQUEST');
    expectError(
      await call(a.socket, 'friends:request', { username: 'x'.repeat(LIMITS.usernameMax + 1) }),
      'BAD_REQUEST',
    );
    expectError(
      await call(a.socket, 'friends:respond', { username: c.username, accept: true }),
      'NOT_FOUND',
    );
    expectError(await call(b.socket, 'friends:remove', { username: c.username }), 'NOT_FRIENDS');

    await settle(b.socket);
    // The pending request was announced once, not once per attempt.
    expect(requested).toEqual([{ from: a.username }]);
    expect(ok(await call(a.socket, 'friends:list', {}))).toEqual({
      friends: [{ username: c.username, status: 'online', publicKey: null }],
      incoming: [],
      outgoing: [b.username],
    });
  });

  it('removing a friend tells both sides and ends the relation', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    await befriend(a, b);

    const events = [
      next(a.socket, 'friends:removed'),
      next(b.socket, 'friends:removed'),
      next(a.socket, 'relation:ended'),
      next(b.socket, 'relation:ended'),
    ];
    expect(await call(a.socket, 'friends:remove', { username: b.username })).toEqual({
      ok: true,
      data: { username: b.username },
    });
    expect(await Promise.all(events)).toEqual([
      { username: b.username },
      { username: a.username },
      { username: b.username, reason: 'unfriended' },
      { username: a.username, reason: 'unfriended' },
    ]);
    const empty = { friends: [], incoming: [], outgoing: [] };
    expect(ok(await call(a.socket, 'friends:list', {}))).toEqual(empty);
    expect(ok(await call(b.socket, 'friends:list', {}))).toEqual(empty);
    expectError(await call(b.socket, 'friends:remove', { username: a.username }), 'NOT_FRIENDS');
  });

  it('removing an ex-friend who shares a group does not end the relation', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    await befriend(a, b);
    await makeGroup(a, 'both', [b]);

    const ended = collect(b.socket, 'relation:ended');
    const removed = next(b.socket, 'friends:removed');
    ok(await call(a.socket, 'friends:remove', { username: b.username }));
    expect(await removed).toEqual({ username: a.username });
    await settle(b.socket);
    expect(ended).toEqual([]);
  });

  it('withdrawing a pending request is a remove', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    ok(await call(a.socket, 'friends:request', { username: b.username }));
    ok(await call(a.socket, 'friends:remove', { username: b.username }));
    expect(ok(await call(b.socket, 'friends:list', {}))).toEqual({
      friends: [],
      incoming: [],
      outgoing: [],
    });
  });

  it('friends:list shows presence and both directions of pending requests', async () => {
    const me = await user(url, uname('me'));
    const away = await user(url, uname('away'));
    const gone = await user(url, uname('gone'));
    const asker = await user(url, uname('asker'));
    const asked = await offlineUser(url, uname('asked'));
    await befriend(me, away);
    await befriend(me, gone);
    ok(await call(away.socket, 'presence:set', { status: 'away' }));
    await goOffline(server, gone);
    ok(await call(asker.socket, 'friends:request', { username: me.username }));
    ok(await call(me.socket, 'friends:request', { username: asked.username }));

    expect(ok(await call(me.socket, 'friends:list', {}))).toEqual({
      // ordered by username
      friends: [
        { username: away.username, status: 'away', publicKey: null },
        { username: gone.username, status: 'offline', publicKey: null },
      ],
      incoming: [asker.username],
      outgoing: [asked.username],
    });
  });

  it('presence changes reach friends and group peers live, and nobody else', async () => {
    const watcher = await user(url, uname('friend'));
    const peer = await user(url, uname('peer'));
    const stranger = await user(url, uname('stranger'));
    let b = await user(url, uname('bob'));
    await befriend(watcher, b);
    const club = await makeGroup(b, 'club', [peer]);
    const strangerSaw = collect(stranger.socket, 'presence:changed');
    const watcherSaw = collect(watcher.socket, 'presence:changed');

    const isB = (d: { username: string }) => d.username === b.username;
    let seen = [next(watcher.socket, 'presence:changed'), next(peer.socket, 'presence:changed')];
    expect(ok(await call(b.socket, 'presence:set', { status: 'away' }))).toEqual({
      status: 'away',
    });
    expect(await Promise.all(seen)).toEqual([
      { username: b.username, status: 'away' },
      { username: b.username, status: 'away' },
    ]);

    seen = [
      next(watcher.socket, 'presence:changed', 5_000, isB),
      next(peer.socket, 'presence:changed', 5_000, isB),
    ];
    b.socket.close();
    expect(await Promise.all(seen)).toEqual([
      { username: b.username, status: 'offline' },
      { username: b.username, status: 'offline' },
    ]);

    seen = [
      next(watcher.socket, 'presence:changed', 5_000, isB),
      next(peer.socket, 'presence:changed', 5_000, isB),
    ];
    b = await comeBack(url, b.username);
    expect(await Promise.all(seen)).toEqual([
      { username: b.username, status: 'online' },
      { username: b.username, status: 'online' },
    ]);
    // The away status belonged to the old session: a new one starts online.
    expect(ok(await call(peer.socket, 'groups:members', { groupId: club.id }))).toEqual([
      { username: b.username, role: 'owner', status: 'online', publicKey: null },
      { username: peer.username, role: 'member', status: 'online', publicKey: null },
    ]);

    await settle(stranger.socket);
    await settle(watcher.socket);
    expect(strangerSaw).toEqual([]);
    expect(watcherSaw.map((d) => d.status)).toEqual(['away', 'offline', 'online']);
  });

  it('an ex-friend no longer sees presence', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    await befriend(a, b);
    ok(await call(a.socket, 'friends:remove', { username: b.username }));
    const saw = collect(a.socket, 'presence:changed');
    ok(await call(b.socket, 'presence:set', { status: 'busy' }));
    await settle(a.socket);
    expect(saw).toEqual([]);
  });

  it('a published key is shown to friends and group peers; a new one replaces it', async () => {
    const a = await user(url, uname('ann'));
    const friend = await user(url, uname('friend'));
    const peer = await user(url, uname('peer'));
    await befriend(a, friend);
    const group = await makeGroup(peer, 'keys', [a]);
    const key = 'pk:' + 'A'.repeat(100);

    expect(await call(a.socket, 'keys:publish', { publicKey: key, backup: 'wrapped-1' })).toEqual({
      ok: true,
      data: { publicKey: key },
    });
    expect(ok(await call(friend.socket, 'friends:list', {})).friends).toEqual([
      { username: a.username, status: 'online', publicKey: key },
    ]);
    expect(ok(await call(peer.socket, 'groups:members', { groupId: group.id }))).toEqual([
      { username: peer.username, role: 'owner', status: 'online', publicKey: null },
      { username: a.username, role: 'member', status: 'online', publicKey: key },
    ]);

    expectError(
      await call(a.socket, 'keys:publish', {
        publicKey: 'k'.repeat(LIMITS.publicKeyMax + 1),
        backup: 'wrapped-2',
      }),
      'BAD_REQUEST',
    );
    ok(await call(a.socket, 'keys:publish', { publicKey: 'pk:second', backup: 'wrapped-2' }));
    expect(ok(await call(friend.socket, 'friends:list', {})).friends).toEqual([
      { username: a.username, status: 'online', publicKey: 'pk:second' },
    ]);
  });
});
