/**
 * The chat engine against a real server, with real WebRTC data channels between engines: private
 * and group messages travel browser to browser, and the server relays only signals.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../shared/peer-wire.ts';
import {
  befriend,
  findMessage,
  joinGroup,
  serverPerTest,
  signedIn,
  spyOnServer,
  startEngine,
  waitForState,
} from '../helpers/engine.ts';
import { connectSocket, call, eventually, sleep, type TestServer } from '../helpers/server.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

const offlineRows = () => server.app.store.db.selectFrom('offline_messages').selectAll().execute();

describe('engine: direct messages', () => {
  it('delivers a private message over a data channel; the server only relays signals', async () => {
    const events = spyOnServer(server);
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);

    const mark = events.length;
    const text = `over webrtc ${Math.random().toString(36).slice(2)}`;
    const sent = await alice.engine.sendPrivate('bob', text);
    expect(sent.state).toBe('sending');
    const done = await waitForState(alice.engine, 'u:bob', sent.id, [
      'delivered',
      'stored',
      'failed',
    ]);

    expect(done.state).toBe('delivered');
    const got = await findMessage(bob.engine, 'u:alice', sent.id);
    expect(got).toMatchObject({ from: 'alice', text, conversation: 'u:alice' });
    expect(got?.viaServer).toBeUndefined();
    expect(alice.engine.link('bob')).toBe('direct');
    expect((await bob.engine.conversations())[0]).toMatchObject({ id: 'u:alice', unread: 1 });

    // The proof: no stored copy, no event anywhere carrying the text, and between the two of them
    // the server saw only signal:send in and relayed only signal out.
    expect(await offlineRows()).toHaveLength(0);
    expect(events.filter((e) => e.json.includes(text))).toEqual([]);
    const after = events.slice(mark);
    expect(new Set(after.filter((e) => e.direction === 'in').map((e) => e.event))).toEqual(
      new Set(['signal:send']),
    );
    expect(new Set(after.filter((e) => e.direction === 'out').map((e) => e.event))).toEqual(
      new Set(['signal']),
    );

    // The channel is reused: a reply from the other side needs no new signals.
    const mark2 = events.length;
    const reply = await bob.engine.sendPrivate('alice', 'right back at you');
    expect(
      (await waitForState(bob.engine, 'u:alice', reply.id, ['delivered', 'stored', 'failed']))
        .state,
    ).toBe('delivered');
    expect(events.slice(mark2)).toEqual([]);
  });

  it('fans a group message out to online members directly and stores a copy for the offline one', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    const carol = await signedIn(server.url, 'carol');
    // A member who signed in once (so has published keys), joined, and is offline now.
    const daveBefore = await signedIn(server.url, 'dave');
    const group = await alice.engine.createGroup('crew');
    for (const p of [bob, carol, daveBefore]) await joinGroup(alice.engine, p.engine, group.id);
    const daveId = daveBefore.engine.session.user?.id;
    await daveBefore.engine.destroy();
    await eventually(() => !server.app.presence.isOnline(daveId ?? 0));
    const conv = `g:${group.id}` as const;

    const sent = await alice.engine.sendGroup(group.id, 'hello crew');
    const done = await waitForState(alice.engine, conv, sent.id, ['delivered', 'stored', 'failed']);
    expect({ state: done.state, error: done.error, fanout: done.fanout }).toEqual({
      state: 'stored',
      error: undefined,
      fanout: { delivered: 2, stored: 1, total: 3 },
    });
    for (const member of [bob, carol]) {
      await eventually(async () => (await findMessage(member.engine, conv, sent.id)) !== undefined);
      expect(await findMessage(member.engine, conv, sent.id)).toMatchObject({
        from: 'alice',
        text: 'hello crew',
      });
    }
    expect((await offlineRows()).map((r) => r.msg_id)).toEqual([sent.id]);

    // On a new device: the keys come from the backup, and the stored copy opens with them.
    const dave = startEngine(server.url);
    await dave.login('dave', 'correct horse battery');
    await eventually(async () => (await dave.history(conv)).length === 1, 10_000, 'dave receives');
    expect((await dave.history(conv))[0]).toMatchObject({
      id: sent.id,
      from: 'alice',
      viaServer: true,
    });
    await eventually(async () => (await offlineRows()).length === 0, 5_000, 'stored copy acked');
  });

  it('stores a re-sent id once and acks it', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    const sent = await alice.engine.sendPrivate('bob', 'only once');
    await waitForState(alice.engine, 'u:bob', sent.id, ['delivered']);
    const seen: string[] = [];
    bob.engine.on((e) => {
      if (e.type === 'message' && e.message.id === sent.id) seen.push(e.message.id);
    });

    // Alice's browser closes before it heard... and the same message arrives again via the store.
    const token = alice.profile.tokenStore.get()!;
    await alice.engine.destroy();
    const raw = await connectSocket(server.url, token);
    const payload = encodeFrame({
      v: 1,
      type: 'msg',
      id: sent.id,
      conversation: 'private',
      text: 'only once',
      sentAt: sent.sentAt,
    });
    const res = await call(raw, 'offline:store', { id: sent.id, to: { username: 'bob' }, payload });
    expect(res.ok).toBe(true);

    await eventually(async () => (await offlineRows()).length === 0, 5_000, 'bob acks the copy');
    const copies = (await bob.engine.history('u:alice')).filter((m) => m.id === sent.id);
    expect(copies).toHaveLength(1);
    expect(copies[0]?.viaServer).toBeUndefined();
    expect(seen).toEqual([]);
  });
});

describe('engine: idle channels', () => {
  it('keeps a channel open while messages flow and closes it once it has been quiet', async () => {
    const alice = await signedIn(server.url, 'alice', { idleCloseMs: 1_000 });
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    const links: string[] = [];
    alice.engine.on((e) => {
      if (e.type === 'link' && e.username === 'bob') links.push(e.link);
    });

    // Traffic for twice the idle time: the channel stays the same one, open throughout.
    for (let i = 0; i < 20; i++) {
      const sent = await alice.engine.sendPrivate('bob', `keep-alive ${i}`);
      await waitForState(alice.engine, 'u:bob', sent.id, ['delivered']);
      expect(alice.engine.link('bob')).toBe('direct');
      await sleep(100);
    }
    expect(links).toEqual(['connecting', 'direct']);
    await eventually(() => alice.engine.link('bob') === 'offline-store', 5_000, 'idle close');
    expect(links).toEqual(['connecting', 'direct', 'offline-store']);
  });
});
