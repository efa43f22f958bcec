/**
 * A hand-made peer (raw socket + simple-peer) talking to a real engine: frames are checked, the
 * sender is the connection's server-stamped name, and group messages need current membership.
 */
import { expect, it } from 'vitest';
import {
  findMessage,
  joinGroup,
  serverPerTest,
  signedIn,
  waitForState,
} from '../helpers/engine.ts';
import { call, eventually, sleep, type TestServer } from '../helpers/server.ts';
import { handmadeUser, rawPeer } from '../helpers/handmade-peer.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

it('drops bad frames and group messages from non-members; stamps the sender from the connection', async () => {
  const bob = await signedIn(server.url, 'bob');
  const carol = await signedIn(server.url, 'carol');
  const aaronUser = await handmadeUser(server.url, 'aaron');
  const aaron = aaronUser.socket;
  await call(aaron, 'friends:request', { username: 'bob' });
  await eventually(() => bob.engine.social.incoming.includes('aaron'));
  await bob.engine.respondFriend('aaron', true);
  const group = await carol.engine.createGroup('no aaron here');
  await joinGroup(carol.engine, bob.engine, group.id);

  const { peer: p, frames } = await rawPeer(aaronUser, 'bob');
  const base = { v: 1, type: 'msg', sentAt: Date.now() };
  p.send('not json at all');
  p.send(
    JSON.stringify({ ...base, id: 'g1', conversation: 'group', groupId: group.id, text: 'sneaky' }),
  );
  p.send(JSON.stringify({ ...base, v: 9, id: 'v9', conversation: 'private', text: 'future' }));
  p.send(
    JSON.stringify({
      ...base,
      id: 'p1',
      conversation: 'private',
      text: '<b>hi</b>',
      from: 'carol',
    }),
  );

  await eventually(
    () => frames.some((f) => (f as { type?: string }).type === 'ack'),
    5_000,
    'an ack',
  );
  await sleep(300);
  const acks = frames.filter((f) => (f as { type?: string }).type === 'ack');
  expect(acks).toEqual([{ v: 1, type: 'ack', id: 'p1' }]);
  expect(frames).toContainEqual({ v: 1, type: 'hello', username: 'bob' });
  expect(await findMessage(bob.engine, 'u:aaron', 'p1')).toMatchObject({
    from: 'aaron',
    text: '<b>hi</b>',
  });
  expect(await bob.engine.history(`g:${group.id}`)).toEqual([]);
  expect(await bob.engine.history('u:carol')).toEqual([]);
});

it('stops waiting for an ack at the deadline and stores the messages for a peer that never acks', async () => {
  const bob = await signedIn(server.url, 'bob', { directTimeoutMs: 1_000 });
  const aaronUser = await handmadeUser(server.url, 'aaron');
  const aaron = aaronUser.socket;
  await call(aaron, 'friends:request', { username: 'bob' });
  await eventually(() => bob.engine.social.incoming.includes('aaron'));
  await bob.engine.respondFriend('aaron', true);
  const { frames } = await rawPeer(aaronUser, 'bob');
  await eventually(() => bob.engine.link('aaron') === 'direct', 5_000, 'channel open');

  const sent = await Promise.all(
    ['one', 'two', 'three'].map((text) => bob.engine.sendPrivate('aaron', text)),
  );
  for (const m of sent) {
    const done = await waitForState(bob.engine, 'u:aaron', m.id, ['delivered', 'stored', 'failed']);
    expect(done.state).toBe('stored');
  }
  // They did go over the channel first; only the missing acks sent them to the store.
  const msgIds = frames
    .filter((f) => (f as { type?: string }).type === 'msg')
    .map((f) => (f as { id: string }).id);
  expect(msgIds.sort()).toEqual(sent.map((m) => m.id).sort());
});
