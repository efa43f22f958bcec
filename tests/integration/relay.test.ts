/**
 * The WebRTC signaling relay: only between people who may talk (friends, or members of a shared
 * unblocked group), only to someone online, stamped with the sender as the server knows them.
 */
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits.ts';
import { DIALECTS, call, collect, next, user, type TestServer } from '../helpers/server.ts';
import {
  adminUser,
  befriend,
  expectError,
  goOffline,
  makeGroup,
  offlineUser,
  ok,
  settle,
  uname,
  type Person,
  sharedServer,
} from '../helpers/social.ts';

const offer = { type: 'offer', sdp: 'v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\n' };

describe.each(DIALECTS)('signal relay (%s)', (dialect) => {
  let server: TestServer;
  let url: string;

  sharedServer(dialect, (s) => {
    server = s;
    url = s.url;
  });

  const send = (from: Person, to: string, signal: Record<string, unknown> = offer) =>
    call(from.socket, 'signal:send', { to, signal });

  it('relays between friends, stamped with the sender the server knows', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    const mallory = await user(url, uname('mallory'));
    await befriend(a, b);

    const got = next(b.socket, 'signal');
    expect(await send(a, b.username.toUpperCase())).toEqual({
      ok: true,
      data: { to: b.username },
    });
    expect(await got).toEqual({ from: a.username, signal: offer });

    // A client that names itself someone else is ignored: `from` is the server's to set.
    const forged = next(b.socket, 'signal');
    const payload = {
      to: b.username,
      from: mallory.username,
      signal: { type: 'answer', sdp: 'x' },
    };
    ok(await call(a.socket, 'signal:send', payload as never));
    expect(await forged).toEqual({ from: a.username, signal: { type: 'answer', sdp: 'x' } });

    // Both directions; an ICE candidate travels the same way.
    const back = next(a.socket, 'signal');
    const candidate = { type: 'candidate', candidate: { candidate: 'c', sdpMid: '0' } };
    ok(await send(b, a.username, candidate));
    expect(await back).toEqual({ from: b.username, signal: candidate });
  });

  it('relays between members of a shared group who are not friends', async () => {
    const o = await user(url, uname('own'));
    const m = await user(url, uname('mem'));
    const n = await user(url, uname('mem'));
    await makeGroup(o, 'mesh', [m, n]);
    const got = next(n.socket, 'signal');
    ok(await send(m, n.username));
    expect(await got).toEqual({ from: m.username, signal: offer });
  });

  it('refuses strangers, offline friends, yourself and nobody; the recipient gets nothing', async () => {
    const a = await user(url, uname('ann'));
    const stranger = await user(url, uname('str'));
    const friend = await user(url, uname('fri'));
    await befriend(a, friend);
    const strangerGot = collect(stranger.socket, 'signal');

    expectError(await send(a, stranger.username), 'NOT_FRIENDS');
    expectError(await send(stranger, a.username), 'NOT_FRIENDS');
    expectError(await send(a, a.username), 'SELF');
    expectError(await send(a, 'nobody-at-all'), 'NOT_FOUND');

    await goOffline(server, friend);
    expectError(await send(a, friend.username), 'OFFLINE');
    // A stranger learns nothing about presence: offline or not, the answer is NOT_FRIENDS.
    const absent = await offlineUser(url, uname('abs'));
    expectError(await send(a, absent.username), 'NOT_FRIENDS');

    await settle(stranger.socket);
    expect(strangerGot).toEqual([]);
  });

  it('refuses oversized and malformed signals', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    await befriend(a, b);
    const got = collect(b.socket, 'signal');

    const big = { type: 'offer', sdp: 'x'.repeat(LIMITS.signalMax) };
    expectError(await send(a, b.username, big), 'BAD_REQUEST');
    expectError(await call(a.socket, 'signal:send', { to: b.username } as never), 'BAD_REQUEST');
    expectError(
      await call(a.socket, 'signal:send', { to: b.username, signal: 'offer' } as never),
      'BAD_REQUEST',
    );
    // Just under the cap goes through.
    const fits = { sdp: 'y'.repeat(LIMITS.signalMax - JSON.stringify({ sdp: '' }).length) };
    ok(await send(a, b.username, fits));
    await settle(b.socket);
    expect(got).toEqual([{ from: a.username, signal: fits }]);
  });

  it('stops after unfriending', async () => {
    const a = await user(url, uname('ann'));
    const b = await user(url, uname('bob'));
    await befriend(a, b);
    ok(await send(a, b.username));
    ok(await call(b.socket, 'friends:remove', { username: a.username }));
    expectError(await send(a, b.username), 'NOT_FRIENDS');
    expectError(await send(b, a.username), 'NOT_FRIENDS');
  });

  it('stops when the shared group is blocked by an admin, unless they are friends too', async () => {
    const root = await adminUser(server, uname('root'));
    const o = await user(url, uname('own'));
    const m = await user(url, uname('mem'));
    const pal = await user(url, uname('pal'));
    await makeGroup(o, 'banned', [m, pal]);
    await befriend(o, pal);
    ok(await send(m, o.username));

    const ended = next(m.socket, 'relation:ended', 5_000, (d) => d.username === o.username);
    ok(await call(root.socket, 'admin:blockGroup', { group: 'banned', creator: o.username }));
    expect(await ended).toEqual({ username: o.username, reason: 'group-blocked' });
    expectError(await send(m, o.username), 'NOT_FRIENDS');
    expectError(await send(o, m.username), 'NOT_FRIENDS');
    expectError(await send(m, pal.username), 'NOT_FRIENDS');
    // Friendship is its own permission.
    const got = next(pal.socket, 'signal');
    ok(await send(o, pal.username));
    expect(await got).toEqual({ from: o.username, signal: offer });

    ok(await call(root.socket, 'admin:unblockGroup', { group: 'banned', creator: o.username }));
    ok(await send(m, o.username));
  });
});
