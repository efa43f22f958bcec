/**
 * P2P outlives the server: with the signaling server stopped, open data channels keep carrying
 * messages (sent, stored by the peer, acked); presence is unknown rather than a stale green; a
 * message that needs the offline store waits in the outbox; when the server is back, presence and
 * relationships are read again and what changed meanwhile is applied.
 */
import { expect, it } from 'vitest';
import {
  befriend,
  findMessage,
  joinGroup,
  restartOnSamePort,
  serverPerTest,
  signedIn,
  waitForState,
} from '../helpers/engine.ts';
import { eventually, type TestServer } from '../helpers/server.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

it('an open channel carries and acks messages while the server is down; presence is unknown, then reconciles', async () => {
  const alice = await signedIn(server.url, 'alice');
  const bob = await signedIn(server.url, 'bob');
  const carol = await signedIn(server.url, 'carol');
  await befriend(alice.engine, bob.engine);
  const first = await alice.engine.sendPrivate('bob', 'channel up');
  await waitForState(alice.engine, 'u:bob', first.id, ['delivered']);
  expect(alice.engine.presence('bob')).toBe('online');

  // Carol is linked to alice only through a group, which an administrator blocks without any
  // live notice (as the admin CLI writes it): alice learns it when she reads her lists again.
  const group = await alice.engine.createGroup('crew');
  await joinGroup(alice.engine, carol.engine, group.id);
  const hello = await carol.engine.sendGroup(group.id, 'hi crew');
  await waitForState(carol.engine, `g:${group.id}`, hello.id, ['delivered']);
  expect(alice.engine.link('carol')).toBe('direct');
  await server.app.store.db
    .updateTable('groups')
    .set({ blocked: 1 })
    .where('id', '=', group.id)
    .execute();

  await server.stop();
  await eventually(
    () =>
      alice.engine.session.phase === 'reconnecting' && bob.engine.session.phase === 'reconnecting',
    5_000,
    'both noticed',
  );
  expect(alice.engine.presence('bob')).toBe('unknown');
  expect(bob.engine.presence('alice')).toBe('unknown');

  const during = await alice.engine.sendPrivate('bob', 'while the server is away');
  expect(
    (await waitForState(alice.engine, 'u:bob', during.id, ['delivered', 'stored', 'failed'])).state,
  ).toBe('delivered');
  expect(await findMessage(bob.engine, 'u:alice', during.id)).toMatchObject({
    text: 'while the server is away',
  });
  const reply = await bob.engine.sendPrivate('alice', 'still here');
  expect(
    (await waitForState(bob.engine, 'u:alice', reply.id, ['delivered', 'stored', 'failed'])).state,
  ).toBe('delivered');
  expect(alice.engine.link('bob')).toBe('direct');

  await restartOnSamePort(server);
  await eventually(
    () => alice.engine.session.phase === 'ready' && bob.engine.session.phase === 'ready',
    15_000,
    'both back',
  );
  await eventually(() => alice.engine.presence('bob') === 'online', 5_000, 'bob online again');
  // The block made while alice was away: the group is blocked in her view and carol's channel,
  // which only that group allowed, is closed.
  await eventually(() => alice.engine.link('carol') === 'offline-store', 5_000, 'carol closed');
  expect(alice.engine.social.groups.find((g) => g.id === group.id)?.blocked).toBe(true);
  const after = await alice.engine.sendPrivate('bob', 'after the restart');
  expect(
    (await waitForState(alice.engine, 'u:bob', after.id, ['delivered', 'stored', 'failed'])).state,
  ).toBe('delivered');
});

it('a message that needs the offline store waits in the outbox while the server is away, then is stored', async () => {
  const alice = await signedIn(server.url, 'alice');
  const bob = await signedIn(server.url, 'bob');
  await befriend(alice.engine, bob.engine);
  await bob.engine.destroy();
  await eventually(() => alice.engine.presence('bob') === 'offline', 5_000, 'bob offline');

  await server.stop();
  await eventually(() => alice.engine.session.phase === 'reconnecting', 5_000, 'noticed');
  const states: string[] = [];
  alice.engine.on((e) => {
    if (e.type === 'message' && e.message.from === 'alice') states.push(e.message.state ?? '');
  });
  const sent = await alice.engine.sendPrivate('bob', 'for later');

  const restarted = await restartOnSamePort(server);
  const done = await waitForState(
    alice.engine,
    'u:bob',
    sent.id,
    ['stored', 'delivered', 'failed'],
    20_000,
  );
  expect(done.state).toBe('stored');
  // It waited: never failed on the way, only queued and then stored.
  expect(states).toEqual(['sending', 'stored']);
  const rows = await restarted.app.store.db.selectFrom('offline_messages').selectAll().execute();
  expect(rows.map((r) => r.msg_id)).toEqual([sent.id]);
});
