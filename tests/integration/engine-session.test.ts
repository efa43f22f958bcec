/**
 * The engine's session and persistence against a real server: offline delivery, the outbox across
 * an engine restart, being signed out from elsewhere, and riding out a server restart.
 */
import { describe, expect, it } from 'vitest';
import { TERMINAL_TEXT } from '../../terminal/text.ts';
import {
  befriend,
  browser,
  findMessage,
  restartOnSamePort,
  serverPerTest,
  signedIn,
  startEngine,
  waitForState,
} from '../helpers/engine.ts';
import { connectSocket, eventually, login, sleep, type TestServer } from '../helpers/server.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

const offlineRows = (s: TestServer = server) =>
  s.app.store.db.selectFrom('offline_messages').selectAll().execute();

describe('engine: offline and outbox', () => {
  it('stores a message for an offline friend, who receives it on sign-in; the copy is then deleted', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    await bob.engine.destroy();
    await eventually(
      () => alice.engine.social.friends[0]?.status === 'offline',
      5_000,
      'bob offline',
    );

    const sent = await alice.engine.sendPrivate('bob', 'while you were out');
    expect(
      (await waitForState(alice.engine, 'u:bob', sent.id, ['stored', 'delivered', 'failed'])).state,
    ).toBe('stored');
    expect((await offlineRows()).map((r) => r.msg_id)).toEqual([sent.id]);

    // Bob's browser again: same IndexedDB and token, a new engine that resumes without a password.
    const bob2 = startEngine(server.url, bob.profile);
    expect(await bob2.resume()).toBe(true);
    await eventually(
      async () => (await findMessage(bob2, 'u:alice', sent.id)) !== undefined,
      10_000,
      'delivery',
    );
    expect(await findMessage(bob2, 'u:alice', sent.id)).toMatchObject({
      text: 'while you were out',
      viaServer: true,
    });
    await eventually(
      async () => (await offlineRows()).length === 0,
      5_000,
      'server copy deleted after ack',
    );
  });

  it('keeps an unsent message in the outbox across an engine restart and sends it afterwards', async () => {
    const alice = await signedIn(server.url, 'alice', { directTimeoutMs: 4_000 });
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    // Bob is online, but through a bare socket that never answers WebRTC signals: unreachable.
    const bobToken = bob.profile.tokenStore.get()!;
    await bob.engine.destroy();
    const bare = await connectSocket(server.url, bobToken);
    await eventually(
      () => alice.engine.social.friends[0]?.status === 'online',
      5_000,
      'bob online',
    );

    const sent = await alice.engine.sendPrivate('bob', 'survives a closed tab');
    await sleep(500);
    await alice.engine.destroy(); // mid-attempt: no channel, not yet stored
    expect(await offlineRows()).toHaveLength(0);

    bare.close();
    const bob2 = startEngine(server.url, bob.profile);
    expect(await bob2.resume()).toBe(true);
    const alice2 = startEngine(server.url, alice.profile);
    expect(await alice2.resume()).toBe(true);

    const done = await waitForState(alice2, 'u:bob', sent.id, ['delivered', 'stored', 'failed']);
    expect(done.state).toBe('delivered');
    await eventually(
      async () => (await findMessage(bob2, 'u:alice', sent.id)) !== undefined,
      5_000,
      'bob has it',
    );
    expect((await bob2.history('u:alice')).filter((m) => m.id === sent.id)).toHaveLength(1);
  });
});

describe('engine: session', () => {
  it("signs out with the server's reason when the same user logs in elsewhere, and stays out", async () => {
    const alice = await signedIn(server.url, 'alice');
    await login(server.url, 'alice');
    await eventually(() => alice.engine.session.phase === 'signed-out', 5_000, 'signed out');
    expect(alice.engine.session.endedBecause).toEqual({
      reason: 'elsewhere',
      message: expect.stringContaining('somewhere else'),
    });
    expect(alice.profile.tokenStore.get()).toBeNull();
    await sleep(1_500);
    expect(alice.engine.session.phase).toBe('signed-out');
  });

  it('a resumed session on a device without the keys ends with keys-locked, worded in both languages', async () => {
    const alice = await signedIn(server.url, 'alice');
    const token = alice.profile.tokenStore.get()!;
    await alice.engine.destroy();
    // The same token in a browser profile that never held her keys (its IndexedDB is empty).
    const bare = browser();
    bare.tokenStore.set(token);
    const again = startEngine(server.url, bare);
    await again.resume();
    await eventually(() => again.session.phase === 'signed-out', 10_000, 'signed out');
    expect(again.session.endedBecause).toEqual({
      reason: 'keys-locked',
      message: 'Sign in with your password to unlock your messages on this device.',
    });
    expect(bare.tokenStore.get()).toBeNull();
    expect(TERMINAL_TEXT.en.ended(again.session.endedBecause?.reason)).toBe(
      'sign in with your password to unlock your messages on this device',
    );
    expect(TERMINAL_TEXT.zh.ended(again.session.endedBecause?.reason)).toBe(
      '请用密码登录，以在此设备上解锁你的消息',
    );
  });

  it('reconnects after a server restart without a new login, and messaging still works', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    const tokens = [alice.profile.tokenStore.get(), bob.profile.tokenStore.get()];
    const phases: string[] = [];
    alice.engine.on((e) => {
      if (e.type === 'session') phases.push(e.session.phase);
    });

    const restarted = await restartOnSamePort(server);
    await eventually(() => phases.includes('reconnecting'), 5_000, 'noticed the restart');
    await eventually(
      () => alice.engine.session.phase === 'ready' && bob.engine.session.phase === 'ready',
      15_000,
      'both back',
    );
    expect([alice.profile.tokenStore.get(), bob.profile.tokenStore.get()]).toEqual(tokens);
    expect(alice.engine.session.endedBecause).toBeNull();
    expect(alice.engine.session.user?.username).toBe('alice');

    await eventually(
      () => alice.engine.social.friends[0]?.status === 'online',
      5_000,
      'bob online again',
    );
    const sent = await alice.engine.sendPrivate('bob', 'after the restart');
    expect(
      (await waitForState(alice.engine, 'u:bob', sent.id, ['delivered', 'stored', 'failed'])).state,
    ).toBe('delivered');
    expect(await offlineRows(restarted)).toHaveLength(0);
  });
});
