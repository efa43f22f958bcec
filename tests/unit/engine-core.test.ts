/**
 * The engine's state machines (delivery, inbox, social, the relationships view) with two or more
 * fake peers wired to each other in process (STYLE 12): no WebRTC and no server, so each case is
 * fast and deterministic. The slower tests in tests/integration/engine-*.test.ts run the same code
 * over real data channels and a real server.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, frames } from '../../shared/peer-wire.ts';
import { generateIdentity, type Identity } from '../../web/src/core/e2ee/identity.ts';
import { noticeText } from '../../web/src/core/notices.ts';
import {
  FakePeerNet,
  FakeServer,
  fakePeer,
  sealedCopy,
  until,
  type FakePeer,
} from '../helpers/core-fakes.ts';

const peers: FakePeer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});

async function world(names: string[], options: { directTimeoutMs?: number } = {}) {
  const server = new FakeServer();
  const net = new FakePeerNet();
  // Everyone has published keys, including those the test never makes an engine for.
  const identities = new Map<string, Identity>();
  for (const name of names) {
    server.connect(name);
    const identity = generateIdentity();
    identities.set(name, identity);
    server.publicKeys.set(name, identity.bundle);
  }
  const make = async (name: string, extra: { indexedDB?: IDBFactory; signIn?: boolean } = {}) => {
    const identity = identities.get(name);
    const peer = await fakePeer(name, server, net, {
      ...options,
      ...extra,
      ...(identity ? { identity } : {}),
    });
    peers.push(peer);
    return peer;
  };
  return { server, net, make };
}

const msgFrame = (id: string, text: string, groupId?: number) =>
  frames.msg({ id, text, sentAt: 1_000 }, groupId);

const acksFrom = (net: FakePeerNet, from: string, id: string) =>
  net.sent.filter((s) => s.from === from && s.frame.type === 'ack' && s.frame.id === id).length;

describe('delivery', () => {
  it('a private message is sending, then delivered on the peer’s ack, and leaves the outbox', async () => {
    const { server, net, make } = await world(['alice', 'bob']);
    server.befriend('alice', 'bob');
    const alice = await make('alice');
    const bob = await make('bob');

    const sent = await alice.core.delivery.sendPrivate('bob', 'hi bob');
    expect(sent.state).toBe('sending');
    await until(() => alice.messages.some((m) => m.state === 'delivered'), 'delivered');

    expect(alice.messages.map((m) => m.state)).toEqual(['sending', 'delivered']);
    expect(await alice.history.outbox()).toEqual([]);
    expect(await alice.history.getOwn(sent.id)).toMatchObject({ state: 'delivered' });
    expect(await bob.history.page('u:alice')).toMatchObject([
      { id: sent.id, from: 'alice', text: 'hi bob' },
    ]);
    expect(acksFrom(net, 'bob', sent.id)).toBe(1);
    expect(alice.server.count('offline:store')).toBe(0);
  });

  it('falls back to the offline store when no ack comes in time; the receiver gets it at sign-in', async () => {
    const { server, net, make } = await world(['alice', 'bob'], { directTimeoutMs: 50 });
    server.befriend('alice', 'bob');
    const alice = await make('alice');
    const bob = await make('bob');
    // Bob's channel takes the frame and never answers.
    net.drop = (_from, to) => to === 'bob';

    const sent = await alice.core.delivery.sendPrivate('bob', 'are you there');
    await until(() => alice.messages.some((m) => m.state === 'stored'), 'stored');
    expect(alice.messages.map((m) => m.state)).toEqual(['sending', 'stored']);
    expect(await alice.history.outbox()).toEqual([]);
    const [copy] = server.mailbox.get('bob') ?? [];
    expect(copy).toMatchObject({ id: sent.id, from: 'alice', kind: 'private' });
    // The server holds ciphertext only: neither the text nor the frame's JSON is in it.
    expect(copy?.payload).toMatch(/^e1\./);
    expect(copy?.payload).not.toContain('are you there');
    expect(() => JSON.parse(copy?.payload ?? '')).toThrow();

    await bob.core.inbox.pullOffline();
    expect(await bob.history.page('u:alice')).toMatchObject([
      { id: sent.id, text: 'are you there', viaServer: true },
    ]);
    expect(server.mailbox.get('bob')).toEqual([]);
  });

  it('keeps a message in the outbox while nothing can take it, and resends it at the next sign-in', async () => {
    const { server, net, make } = await world(['alice', 'bob']);
    server.befriend('alice', 'bob');
    const profile = new IDBFactory();
    const first = await make('alice', { indexedDB: profile });
    await make('bob');
    net.setReachable('bob', false);
    first.server.connected = false;

    const sent = await first.core.delivery.sendPrivate('bob', 'later');
    await until(async () => (await first.history.outbox()).length === 1, 'in the outbox');
    // Nothing can take it: it stays sending, with no outcome announced.
    expect(first.messages.map((m) => m.state)).toEqual(['sending']);
    first.close();

    // The tab comes back (same IndexedDB), the server and Bob are there again.
    net.setReachable('bob', true);
    first.server.connected = true;
    const again = await make('alice', { indexedDB: profile });
    await again.core.drain();
    await until(() => again.messages.some((m) => m.state === 'delivered'), 'resent and delivered');
    expect(await again.history.outbox()).toEqual([]);
    expect(await again.history.getOwn(sent.id)).toMatchObject({ state: 'delivered' });
  });

  it('the receiver stores a resent id once and acks every copy', async () => {
    const { server, net, make } = await world(['alice', 'bob']);
    server.befriend('alice', 'bob');
    await make('alice');
    const bob = await make('bob');
    const alice = net.channels('alice');
    const frame = encodeFrame(msgFrame('a1b2', 'once'));

    await alice.send('bob', frame, Date.now() + 1_000);
    await until(() => acksFrom(net, 'bob', 'a1b2') === 1, 'first ack');
    await alice.send('bob', frame, Date.now() + 1_000);
    await until(() => acksFrom(net, 'bob', 'a1b2') === 2, 'second ack');

    expect(await bob.history.page('u:alice')).toHaveLength(1);
    expect(bob.messages.map((m) => m.id)).toEqual(['a1b2']);
  });
});

describe('inbox: what the receiver refuses', () => {
  it('a frame the relationships view refuses is neither stored nor acked', async () => {
    const { server, net, make } = await world(['bob', 'carol', 'dave']);
    const groupId = server.createGroup('crew', 'bob', ['dave']);
    const bob = await make('bob');
    await make('carol');
    await make('dave');
    const carol = net.channels('carol');

    // Carol is no friend of Bob's and not in his group; a group Bob is not in does not count either.
    await carol.send('bob', encodeFrame(msgFrame('c1', 'private, not a friend')), Date.now() + 1e3);
    await carol.send('bob', encodeFrame(msgFrame('c2', 'not a member', groupId)), Date.now() + 1e3);
    await carol.send('bob', encodeFrame(msgFrame('c3', 'not his group', 999)), Date.now() + 1e3);
    // A member's message after them waits on the same member list: once it is in, they are decided.
    const dave = net.channels('dave');
    await dave.send('bob', encodeFrame(msgFrame('d1', 'member', groupId)), Date.now() + 1e3);
    await until(() => acksFrom(net, 'bob', 'd1') === 1, 'the member acked');

    expect(bob.messages.map((m) => m.id)).toEqual(['d1']);
    expect((await bob.history.conversations()).map((c) => c.id)).toEqual([`g:${groupId}`]);
    expect(net.sent.filter((s) => s.from === 'bob' && s.to === 'carol')).toEqual([]);
  });

  it('a stored copy from someone who is no longer a friend is dropped, and acked to the server', async () => {
    const { server, make } = await world(['alice', 'bob']);
    const bob = await make('bob');
    server.deposit('bob', {
      id: 'e1',
      from: 'alice',
      kind: 'private',
      group: null,
      payload: encodeFrame(msgFrame('e1', 'from before the unfriending')),
    });

    await bob.core.inbox.pullOffline();
    expect(bob.messages).toEqual([]);
    expect(server.mailbox.get('bob')).toEqual([]);
  });

  it('a member who left is refused from the moment the event arrives', async () => {
    const { server, net, make } = await world(['alice', 'bob', 'carol']);
    const groupId = server.createGroup('crew', 'bob', ['alice', 'carol']);
    const bob = await make('bob');
    await make('alice');
    await make('carol');
    const alice = net.channels('alice');

    await alice.send('bob', encodeFrame(msgFrame('m1', 'still in', groupId)), Date.now() + 1e3);
    await until(() => acksFrom(net, 'bob', 'm1') === 1, 'first acked');
    server.removeMember(groupId, 'alice');
    bob.server.emit('groups:memberChanged', {
      groupId,
      username: 'alice',
      change: 'left',
      role: null,
      by: 'alice',
    });
    await alice.send('bob', encodeFrame(msgFrame('m2', 'gone', groupId)), Date.now() + 1e3);
    const carol = net.channels('carol');
    await carol.send('bob', encodeFrame(msgFrame('k1', 'after', groupId)), Date.now() + 1e3);
    await until(() => acksFrom(net, 'bob', 'k1') === 1, 'the member after acked');

    expect(bob.messages.filter((m) => !m.event).map((m) => m.id)).toEqual(['m1', 'k1']);
    // The leave is a line of the conversation, in history, from the server's event alone.
    expect(bob.messages.filter((m) => m.event).map((m) => [m.from, m.event])).toEqual([
      ['', { kind: 'left', username: 'alice' }],
    ]);
    expect(acksFrom(net, 'bob', 'm2')).toBe(0);
  });
});

describe('group fan-out', () => {
  it('counts who got it directly and who gets a stored copy', async () => {
    // Long enough for bob's first receipt (loading the members, checking their keys) on a busy
    // machine; carol's silence takes it all.
    const { server, net, make } = await world(['alice', 'bob', 'carol', 'dave'], {
      directTimeoutMs: 500,
    });
    const groupId = server.createGroup('crew', 'alice', ['bob', 'carol', 'dave']);
    server.presence.set('dave', 'offline');
    const alice = await make('alice');
    const bob = await make('bob');
    await make('carol');
    net.drop = (_from, to) => to === 'carol'; // online, but never acks

    const sent = await alice.core.delivery.sendGroup(groupId, 'hello crew');
    await until(() => alice.messages.length === 2, 'an outcome');

    expect(alice.messages[1]).toMatchObject({
      id: sent.id,
      state: 'stored',
      fanout: { delivered: 1, stored: 2, total: 3 },
    });
    expect(await bob.history.page(`g:${groupId}`)).toMatchObject([{ text: 'hello crew' }]);
    expect(server.mailbox.get('carol')).toMatchObject([{ id: sent.id, kind: 'group' }]);
    expect(server.mailbox.get('dave')).toMatchObject([{ id: sent.id, kind: 'group' }]);
    expect(server.mailbox.get('bob')).toBeUndefined();
  });

  it('is delivered when every member acks', async () => {
    const { server, make } = await world(['alice', 'bob', 'carol']);
    const groupId = server.createGroup('crew', 'alice', ['bob', 'carol']);
    const alice = await make('alice');
    await make('bob');
    await make('carol');

    await alice.core.delivery.sendGroup(groupId, 'all here');
    await until(() => alice.messages.length === 2, 'an outcome');
    expect(alice.messages[1]).toMatchObject({
      state: 'delivered',
      fanout: { delivered: 2, stored: 0, total: 2 },
    });
  });
});

describe("social: the server's events", () => {
  it('keeps requests, friends and presence in step with the events', async () => {
    const { server, make } = await world(['alice', 'bob']);
    const alice = await make('alice');
    const { social } = alice.core;

    alice.server.emit('friends:requested', { from: 'bob' });
    expect(social.state.incoming).toEqual(['bob']);
    alice.server.emit('friends:added', {
      friend: { username: 'bob', status: 'online', publicKey: null },
    });
    expect(social.state.incoming).toEqual([]);
    expect(social.friend('bob')).toMatchObject({ status: 'online' });
    server.befriend('alice', 'bob');

    alice.server.emit('presence:changed', { username: 'bob', status: 'away' });
    expect(social.friend('bob')?.status).toBe('away');

    alice.server.emit('friends:removed', { username: 'bob' });
    expect(social.state.friends).toEqual([]);
    expect(alice.core.relationships.verdict('bob', { kind: 'private' })).toMatchObject({
      ok: false,
      code: 'NOT_FRIENDS',
    });
  });

  it('a group removed or blocked by the server cannot be sent to', async () => {
    const { server, make } = await world(['alice', 'bob']);
    const groupId = server.createGroup('crew', 'alice', ['bob']);
    const alice = await make('alice');
    expect(alice.core.relationships.mayUseGroup(groupId).ok).toBe(true);

    const info = alice.core.social.group(groupId);
    if (!info) throw new Error('group not loaded');
    const { number: _number, ...group } = info;
    alice.server.emit('groups:changed', { group: { ...group, blocked: true } });
    await expect(alice.core.delivery.sendGroup(groupId, 'x')).rejects.toMatchObject({
      wire: { code: 'GROUP_BLOCKED' },
    });
    alice.server.emit('groups:removed', { groupId, reason: 'deleted', by: 'alice' });
    await expect(alice.core.delivery.sendGroup(groupId, 'x')).rejects.toMatchObject({
      wire: { code: 'NOT_MEMBER' },
    });
  });
});

describe('inbox: forged or corrupt stored copies', () => {
  it('are dropped and acked, and each is reported as an error notice', async () => {
    const { server, make } = await world(['alice', 'bob']);
    server.befriend('alice', 'bob');
    const groupId = server.createGroup('crew', 'alice', ['bob']);
    const otherGroup = server.createGroup('other', 'alice', ['bob']);
    const alice = await make('alice');
    const bob = await make('bob');
    const crew = { id: groupId, name: 'crew', creator: 'alice' };
    const copy = (id: string, payload: string, group: typeof crew | null = null) =>
      server.deposit('bob', {
        id,
        from: 'alice',
        kind: group ? 'group' : 'private',
        group,
        payload,
      });
    // What a modified client of alice's could seal: well sealed, but not what the envelope says.
    const sealed = (id: string, plaintext: string, group?: number) =>
      sealedCopy(alice, bob, id, plaintext, group);
    copy('s1', sealed('s1', encodeFrame(msgFrame('other-id', 'id swapped'))));
    copy(
      's2',
      sealed('s2', encodeFrame(msgFrame('s2', 'group swapped', otherGroup)), groupId),
      crew,
    );
    copy('s3', sealed('s3', encodeFrame(msgFrame('s3', 'group frame, private envelope', groupId))));
    copy('s4', sealed('s4', 'not a frame'));
    // What the server (or anyone but alice) could make: a plain frame, a copy sealed for another
    // id, a copy with one byte changed.
    copy('s6', encodeFrame(msgFrame('s6', 'unsealed')));
    copy('s7', sealed('other', encodeFrame(msgFrame('s7', 'sealed for another id'))));
    const good = sealed('s8', encodeFrame(msgFrame('s8', 'tampered')));
    copy('s8', good.slice(0, -2) + (good.at(-2) === 'A' ? 'B' : 'A') + good.at(-1));
    copy('s5', sealed('s5', encodeFrame(msgFrame('s5', 'the good one', groupId)), groupId), crew);

    await bob.core.inbox.pullOffline();

    expect(bob.messages.map((m) => m.text)).toEqual(['the good one']);
    expect(server.mailbox.get('bob')).toEqual([]);
    expect(bob.notices).toHaveLength(7);
    expect(bob.notices.every((n) => n.level === 'error')).toBe(true);
    expect(bob.notices.map((n) => n.notice)).toEqual(
      (
        [
          'id-differs',
          'group-differs',
          'group-as-private',
          'not-a-message',
          'integrity',
          'integrity',
          'integrity',
        ] as const
      ).map((cause) => ({ kind: 'stored-dropped', from: 'alice', cause })),
    );
    // Worded where shown, in the reader's language.
    expect(noticeText(bob.notices[0]?.notice, 'en')).toBe(
      'A stored message from alice was dropped: its id differs from the stored one.',
    );
    expect(noticeText(bob.notices[0]?.notice, 'zh')).toBe(
      '一条来自 alice 的存储消息已被丢弃：其编号与存储的编号不同。',
    );
    expect(bob.keys.rejected).toBe(3);
  });

  it('a copy refused by the relationships view is dropped without a notice (it was honest)', async () => {
    const { server, make } = await world(['alice', 'bob']);
    const bob = await make('bob');
    server.deposit('bob', {
      id: 'r1',
      from: 'alice',
      kind: 'private',
      group: null,
      payload: encodeFrame(msgFrame('r1', 'sent before the unfriending')),
    });
    await bob.core.inbox.pullOffline();
    expect(bob.messages).toEqual([]);
    expect(bob.notices).toEqual([]);
  });
});

describe('keys', () => {
  it('a key change waits for me; once accepted, later updates do not bring the old key back', async () => {
    const { server, make } = await world(['alice', 'bob']);
    server.befriend('alice', 'bob');
    const alice = await make('alice');
    const keyring = alice.keys.keyring;
    await until(() => keyring?.trust('bob').state === 'pinned', 'bob pinned');
    const old = keyring?.keyFor('bob')?.bundle;

    const newer = generateIdentity().bundle;
    server.publicKeys.set('bob', newer);
    alice.server.emit('keys:changed', { username: 'bob', publicKey: newer });
    await until(() => keyring?.trust('bob').state === 'changed', 'the change');
    // Anything else that changes the friends list (presence) shows the keyring the list again.
    alice.server.emit('presence:changed', { username: 'bob', status: 'away' });
    expect(keyring?.trust('bob').state).toBe('changed');
    expect(() => alice.keys.seal({ to: 'bob', id: 'x1' }, 'hi')).toThrow(/security key changed/);

    await keyring?.accept('bob');
    alice.server.emit('presence:changed', { username: 'bob', status: 'online' });
    await alice.core.social.refresh();
    expect(keyring?.trust('bob').state).toBe('pinned');
    expect(keyring?.keyFor('bob')?.bundle).toBe(newer);
    expect(newer).not.toBe(old);
  });

  it('a copy sealed with a changed key waits on the device, and shows once the key is accepted', async () => {
    const { server, make } = await world(['alice', 'bob']);
    server.befriend('alice', 'bob');
    const bob = await make('bob');
    await until(() => bob.keys.keyring?.trust('alice').state === 'pinned', 'alice pinned');
    // Alice on a new device without her backup: new keys, and a message stored with them.
    const aliceNew = { username: 'alice', identity: generateIdentity() };
    server.publicKeys.set('alice', aliceNew.identity.bundle);
    bob.server.emit('keys:changed', { username: 'alice', publicKey: aliceNew.identity.bundle });
    await until(() => bob.keys.keyring?.trust('alice').state === 'changed', 'the change');
    server.deposit('bob', {
      id: 'n1',
      from: 'alice',
      kind: 'private',
      group: null,
      payload: sealedCopy(aliceNew, bob, 'n1', encodeFrame(msgFrame('n1', 'new phone, who dis'))),
    });

    await bob.core.inbox.pullOffline();
    expect(bob.messages).toEqual([]);
    expect(bob.notices).toEqual([]);
    expect(server.mailbox.get('bob')).toEqual([]); // acked: the device holds it now

    await bob.keys.keyring?.accept('alice');
    await bob.core.keyAccepted('alice');
    expect(bob.messages.map((m) => m.text)).toEqual(['new phone, who dis']);
  });
});
