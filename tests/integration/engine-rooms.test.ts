/**
 * Rooms through real engines and a real server, over real WebRTC: the directory, joining without
 * an invitation, group messages peer to peer with a stranger who joined, and what a room does not
 * give: a room-mate is not a friend, so their direct message is refused by the sender's engine
 * and dropped (never acked) by the receiver's, even from a modified client.
 */
import { expect, it } from 'vitest';
import type { EngineError } from '../../web/src/core/api.ts';
import { findMessage, serverPerTest, signedIn } from '../helpers/engine.ts';
import { handmadeUser, rawPeer } from '../helpers/handmade-peer.ts';
import { call, eventually, sleep, type TestServer } from '../helpers/server.ts';
import { ok } from '../helpers/social.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

it('an owner opens a room; a stranger finds it, joins, and talks in it, not privately', async () => {
  const bob = await signedIn(server.url, 'bob');
  const carol = await signedIn(server.url, 'carol');
  const group = await bob.engine.createGroup('茶馆 Tea House');
  expect(bob.engine.social.groups[0]?.public).toBe(false);
  expect((await carol.engine.rooms.list({ query: 'tea' })).rooms).toEqual([]);

  await bob.engine.rooms.setPublic(group.id, true);
  expect(bob.engine.social.groups[0]?.public).toBe(true);
  const { rooms, more } = await carol.engine.rooms.list({ query: '茶馆' });
  expect(more).toBe(false);
  expect(rooms).toEqual([
    {
      id: group.id,
      name: '茶馆 Tea House',
      creator: 'bob',
      owner: 'bob',
      online: 1,
      total: 1,
      member: false,
    },
  ]);
  // Only the owner and group admins open or close it.
  const notYours = await carol.engine.rooms.setPublic(group.id, false).catch((e: unknown) => e);
  expect((notYours as EngineError).wire.code).toBe('NOT_MEMBER');

  const joined = await carol.engine.rooms.join(group.id);
  expect(joined).toMatchObject({ id: group.id, role: 'member', public: true, total: 2 });
  expect(carol.engine.social.groups.map((g) => g.id)).toEqual([group.id]);
  expect((await carol.engine.rooms.list({ query: 'tea' })).rooms[0]).toMatchObject({
    member: true,
    online: 2,
  });

  const sent = await carol.engine.sendGroup(group.id, 'hello room');
  await eventually(
    async () => (await findMessage(bob.engine, `g:${group.id}`, sent.id)) !== undefined,
    15_000,
    'the room message at bob',
  );
  expect(await findMessage(bob.engine, `g:${group.id}`, sent.id)).toMatchObject({
    from: 'carol',
    text: 'hello room',
  });

  // Being in one room is no friendship: a direct message fails at the sender (the server would
  // not store it either) and never reaches bob.
  const direct = await carol.engine.sendPrivate('bob', 'psst');
  await eventually(
    async () => (await findMessage(carol.engine, 'u:bob', direct.id))?.state === 'failed',
    10_000,
    'the direct message failed',
  );
  expect(await bob.engine.history('u:carol')).toEqual([]);

  // Leaving is the group's leave; the room stays in the directory for others.
  await carol.engine.leaveGroup(group.id);
  await eventually(() => carol.engine.social.groups.length === 0, 5_000, 'left');
  expect((await carol.engine.rooms.list({ query: 'tea' })).rooms[0]).toMatchObject({
    member: false,
    total: 1,
  });
});

it('a modified client in the room gets its room frames taken and its direct ones dropped', async () => {
  const bob = await signedIn(server.url, 'bob');
  const group = await bob.engine.createGroup('lobby');
  await bob.engine.rooms.setPublic(group.id, true);
  // "aaron" sorts before "bob", so the hand-made side may open the channel (the engine's rule).
  const aaron = await handmadeUser(server.url, 'aaron');
  ok(await call(aaron.socket, 'rooms:join', { groupId: group.id }));
  await eventually(
    async () => (await bob.engine.groupMembers(group.id)).length === 2,
    5_000,
    'aaron in bob’s member list',
  );

  const { peer, frames, acked } = await rawPeer(aaron, 'bob');
  const base = { v: 1, type: 'msg', sentAt: Date.now() };
  peer.send(JSON.stringify({ ...base, id: 'dm1', conversation: 'private', text: 'psst' }));
  peer.send(
    JSON.stringify({ ...base, id: 'r1', conversation: 'group', groupId: group.id, text: 'hi all' }),
  );
  await eventually(() => acked('r1'), 10_000, 'the room frame acked');
  await sleep(300);
  expect(frames.filter((f) => f.type === 'ack').map((f) => f.id)).toEqual(['r1']);
  expect(await findMessage(bob.engine, `g:${group.id}`, 'r1')).toMatchObject({
    from: 'aaron',
    text: 'hi all',
  });
  expect(await bob.engine.history('u:aaron')).toEqual([]);
});
