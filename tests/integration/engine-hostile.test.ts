/**
 * A hand-made peer (raw socket + simple-peer) talking to a real engine: frames are checked, the
 * sender is the connection's server-stamped name, and group messages need current membership.
 */
import wrtc from '@roamhq/wrtc';
import Peer, { type Instance, type Options } from 'simple-peer';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  destroyEngines,
  findMessage,
  joinGroup,
  signedIn,
  waitForState,
} from '../helpers/engine.ts';
import {
  call,
  closeAllSockets,
  connectSocket,
  eventually,
  register,
  sleep,
  startServer,
  type ClientSocket,
  type TestServer,
} from '../helpers/server.ts';

let server: TestServer;
let peer: Instance | null = null;

beforeEach(async () => {
  server = await startServer('sqlite');
});

afterEach(async () => {
  peer?.destroy();
  await destroyEngines();
  closeAllSockets();
  await server.close();
});

/** `aaron` sorts before `bob`, so (by the engine's rule) the hand-made side initiates. */
async function rawPeer(
  socket: ClientSocket,
  to: string,
): Promise<{ peer: Instance; frames: unknown[] }> {
  const sid = 'handmade1';
  const p = new Peer({ initiator: true, trickle: true, wrtc: wrtc as unknown as Options['wrtc'] });
  peer = p;
  const frames: unknown[] = [];
  p.on(
    'signal',
    (data) => void call(socket, 'signal:send', { to, signal: { v: 1, sid, data: { ...data } } }),
  );
  socket.on('signal', ({ signal }) => {
    if (signal.sid === sid && signal.data)
      p.signal(signal.data as Parameters<Instance['signal']>[0]);
  });
  p.on('data', (d: Uint8Array) => frames.push(JSON.parse(new TextDecoder().decode(d))));
  await new Promise<void>((resolve, reject) => {
    p.once('connect', () => resolve());
    p.once('error', reject);
  });
  return { peer: p, frames };
}

it('drops bad frames and group messages from non-members; stamps the sender from the connection', async () => {
  const bob = await signedIn(server.url, 'bob');
  const carol = await signedIn(server.url, 'carol');
  const aaronAuth = await register(server.url, 'aaron');
  const aaron = await connectSocket(server.url, aaronAuth.token);
  await call(aaron, 'friends:request', { username: 'bob' });
  await eventually(() => bob.engine.social.incoming.includes('aaron'));
  await bob.engine.respondFriend('aaron', true);
  const group = await carol.engine.createGroup('no aaron here');
  await joinGroup(carol.engine, bob.engine, group.id);

  const { peer: p, frames } = await rawPeer(aaron, 'bob');
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
  const aaronAuth = await register(server.url, 'aaron');
  const aaron = await connectSocket(server.url, aaronAuth.token);
  await call(aaron, 'friends:request', { username: 'bob' });
  await eventually(() => bob.engine.social.incoming.includes('aaron'));
  await bob.engine.respondFriend('aaron', true);
  const { frames } = await rawPeer(aaron, 'bob');
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
