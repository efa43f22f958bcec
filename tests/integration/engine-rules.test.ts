/**
 * The server's decisions bind the peers, tested from the attacker's side: a modified client (a raw
 * socket and a hand-made simple-peer) keeps an open data channel to a real engine and sends what
 * the server no longer allows. The receiving engine drops it, shows nothing and sends no ack; the
 * honest engine refuses to send it in the first place.
 */
import { expect, it } from 'vitest';
import { encodeFrame } from '../../shared/peer-wire.ts';
import { EngineError } from '../../web/src/core/api.ts';
import {
  findMessage,
  serverPerTest,
  signedIn,
  startEngine,
  waitForState,
} from '../helpers/engine.ts';
import { call, eventually, sleep, type TestServer } from '../helpers/server.ts';
import { handmadeUser, rawPeer, sealAs, type HandmadeUser } from '../helpers/handmade-peer.ts';
import { adminUser, ok } from '../helpers/social.ts';

/** The messages of a history, without its group-event lines (joins, the block itself). */
const messageIds = (history: { id: string; event?: unknown }[]) =>
  history.filter((m) => !m.event).map((m) => m.id);

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

type Frame = { type?: string; id?: string };

/** A hand-made channel to `to`, with a builder of `msg` frames the test sends on it. */
async function rawPeerWithFrames(user: HandmadeUser, to: string) {
  const raw = await rawPeer(user, to);
  const msg = (id: string, groupId?: number) =>
    encodeFrame(
      groupId === undefined
        ? { v: 1, type: 'msg', id, conversation: 'private', text: id, sentAt: Date.now() }
        : { v: 1, type: 'msg', id, conversation: 'group', groupId, text: id, sentAt: Date.now() },
    );
  return { ...raw, msg };
}

/** aaron (hand-made) and bob (a real engine), friends, so their channel outlives any group. */
async function aaronAndBob() {
  const bob = await signedIn(server.url, 'bob');
  const aaronUser = await handmadeUser(server.url, 'aaron');
  const aaron = aaronUser.socket;
  ok(await call(aaron, 'friends:request', { username: 'bob' }));
  await eventually(() => bob.engine.social.incoming.includes('aaron'));
  await bob.engine.respondFriend('aaron', true);
  return { bob, aaron, aaronUser };
}

/**
 * Sends `refused` frames, then a frame that is allowed, and waits for the allowed one's ack: the
 * channel works, and the refused ones had their turn (plus a moment for a slow membership check).
 */
async function expectDropped(
  raw: Awaited<ReturnType<typeof rawPeerWithFrames>>,
  refused: string[],
  control: string,
) {
  for (const frame of refused) raw.peer.send(frame);
  raw.peer.send(control);
  const controlId = (JSON.parse(control) as Frame).id!;
  await eventually(() => raw.acked(controlId), 5_000, 'the allowed frame acked');
  await sleep(300);
  const acks = raw.frames.filter((f) => f.type === 'ack').map((f) => f.id);
  for (const frame of refused) expect(acks).not.toContain((JSON.parse(frame) as Frame).id);
}

it('a blocked group: the receiver drops what a modified client sends to it, and the honest client refuses to send', async () => {
  const { bob, aaron, aaronUser } = await aaronAndBob();
  const root = await adminUser(server, 'root');
  const group = await bob.engine.createGroup('crew');
  await bob.engine.inviteToGroup(group.id, 'aaron');
  ok(await call(aaron, 'groups:accept', { groupId: group.id }));
  const raw = await rawPeerWithFrames(aaronUser, 'bob');
  const conv = `g:${group.id}` as const;

  // Before the block the same kind of frame is stored and acked: the path works.
  raw.peer.send(raw.msg('before', group.id));
  await eventually(() => raw.acked('before'), 5_000, 'ack before the block');

  ok(await call(root.socket, 'admin:blockGroup', { group: 'crew', creator: 'bob' }));
  // At once, before any list is read again: the event itself binds.
  await expectDropped(raw, [raw.msg('racing', group.id)], raw.msg('p-after-block'));
  await eventually(() => bob.engine.social.groups[0]?.blocked === true, 5_000, 'group list');
  await expectDropped(raw, [raw.msg('later', group.id)], raw.msg('p-later'));
  expect(messageIds(await bob.engine.history(conv))).toEqual(['before']);

  // Bob's own engine does not send to it, neither by the API nor by the command line.
  const before = raw.frames.filter((f) => f.type === 'msg').length;
  const refused = await bob.engine.sendGroup(group.id, 'hello?').catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(EngineError);
  expect((refused as EngineError).wire.code).toBe('GROUP_BLOCKED');
  const command = await bob.engine.runCommand(`/sendgroup ${group.number} still there?`);
  expect(command.ok).toBe(false);
  await sleep(300);
  expect(raw.frames.filter((f) => f.type === 'msg')).toHaveLength(before);
  expect(messageIds(await bob.engine.history(conv))).toEqual(['before']);
});

it('a deleted group, a removed sender, a receiver who was removed: all dropped without an ack', async () => {
  const { bob, aaron, aaronUser } = await aaronAndBob();
  const deleted = await bob.engine.createGroup('gone soon');
  await bob.engine.inviteToGroup(deleted.id, 'aaron');
  ok(await call(aaron, 'groups:accept', { groupId: deleted.id }));
  const kicked = await bob.engine.createGroup('aaron leaves');
  await bob.engine.inviteToGroup(kicked.id, 'aaron');
  ok(await call(aaron, 'groups:accept', { groupId: kicked.id }));
  const theirs = ok(await call(aaron, 'groups:create', { name: 'bob leaves' }));
  ok(await call(aaron, 'groups:invite', { groupId: theirs.id, username: 'bob' }));
  await eventually(
    () => bob.engine.social.invitations.some((i) => i.groupId === theirs.id),
    5_000,
    'invitation',
  );
  await bob.engine.respondGroupInvite(theirs.id, true);
  await eventually(() => bob.engine.social.groups.length === 3, 5_000, 'three groups');
  const raw = await rawPeerWithFrames(aaronUser, 'bob');
  for (const g of [deleted, kicked, theirs]) raw.peer.send(raw.msg(`ok${g.id}`, g.id));
  for (const g of [deleted, kicked, theirs])
    await eventually(() => raw.acked(`ok${g.id}`), 5_000, `group ${g.id} works`);

  await bob.engine.deleteGroup(deleted.id);
  await bob.engine.kickFromGroup(kicked.id, 'aaron');
  ok(await call(aaron, 'groups:kick', { groupId: theirs.id, username: 'bob' }));
  await eventually(() => bob.engine.social.groups.length === 1, 5_000, 'only his own left');

  await expectDropped(
    raw,
    [deleted, kicked, theirs].map((g) => raw.msg(`no${g.id}`, g.id)),
    raw.msg('private-ok'),
  );
  for (const g of [deleted, kicked, theirs])
    expect(await findMessage(bob.engine, `g:${g.id}`, `no${g.id}`)).toBeUndefined();
});

it('a private frame from someone who is not a friend (they only share a group) is dropped', async () => {
  const bob = await signedIn(server.url, 'bob');
  const aaronUser = await handmadeUser(server.url, 'aaron');
  const aaron = aaronUser.socket;
  const group = await bob.engine.createGroup('acquaintances');
  await bob.engine.inviteToGroup(group.id, 'aaron');
  ok(await call(aaron, 'groups:accept', { groupId: group.id }));
  const raw = await rawPeerWithFrames(aaronUser, 'bob'); // the server relays: a shared group allows a channel

  await expectDropped(raw, [raw.msg('private-no')], raw.msg('group-ok', group.id));
  expect(await findMessage(bob.engine, 'u:aaron', 'private-no')).toBeUndefined();
});

it('copies in the offline store for a group blocked, or a friendship ended, since are dropped at sign-in', async () => {
  const { bob, aaron, aaronUser } = await aaronAndBob();
  const root = await adminUser(server, 'root');
  const carolUser = await handmadeUser(server.url, 'carol');
  const carol = carolUser.socket;
  ok(await call(carol, 'friends:request', { username: 'bob' }));
  await eventually(() => bob.engine.social.incoming.includes('carol'));
  await bob.engine.respondFriend('carol', true);
  const group = await bob.engine.createGroup('crew');
  await bob.engine.inviteToGroup(group.id, 'aaron');
  ok(await call(aaron, 'groups:accept', { groupId: group.id }));
  await bob.engine.destroy();
  await eventually(() => !server.app.presence.isOnline(bob.engine.session.user!.id), 5_000);

  const listed = ok(await call(aaron, 'friends:list', {})).friends.find(
    (f) => f.username === 'bob',
  );
  const bobKey = { username: 'bob', bundle: listed?.publicKey ?? '' };
  // Sealed properly: what is refused here is the relationship, not the crypto.
  const store = (
    user: HandmadeUser,
    id: string,
    to: { username: string } | { groupId: number },
  ) => {
    const groupId = 'groupId' in to ? to.groupId : undefined;
    const frame = encodeFrame(
      groupId !== undefined
        ? { v: 1, type: 'msg', id, conversation: 'group', groupId, text: id, sentAt: 1 }
        : { v: 1, type: 'msg', id, conversation: 'private', text: id, sentAt: 1 },
    );
    const payload = sealAs(user, bobKey, id, frame, groupId);
    const target = groupId !== undefined ? { groupId, username: 'bob' } : to;
    return call(user.socket, 'offline:store', { id, to: target, payload });
  };
  ok(await store(aaronUser, 'group-stored', { groupId: group.id }));
  ok(await store(carolUser, 'carol-stored', { username: 'bob' }));
  ok(await store(aaronUser, 'aaron-stored', { username: 'bob' }));
  ok(await call(root.socket, 'admin:blockGroup', { group: 'crew', creator: 'bob' }));
  ok(await call(carol, 'friends:remove', { username: 'bob' }));

  const bob2 = startEngine(server.url, bob.profile);
  expect(await bob2.resume()).toBe(true);
  // Pulled in the order stored: once aaron's private copy (stored last) is in, the others were seen.
  await eventually(
    async () => (await findMessage(bob2, 'u:aaron', 'aaron-stored')) !== undefined,
    10_000,
    'the allowed copy',
  );
  expect(await bob2.history(`g:${group.id}`)).toEqual([]);
  expect(await bob2.history('u:carol')).toEqual([]);
  const rows = () => server.app.store.db.selectFrom('offline_messages').selectAll().execute();
  await eventually(async () => (await rows()).length === 0, 5_000, 'all copies acked');
});

it("a banned user's channels close on every contact's side at once, and nothing they send is taken", async () => {
  const { bob, aaron, aaronUser } = await aaronAndBob();
  const carol = await signedIn(server.url, 'carol');
  const root = await adminUser(server, 'root');
  // Carol knows aaron only through a group: she is told too.
  const group = await carol.engine.createGroup('with aaron');
  await carol.engine.inviteToGroup(group.id, 'aaron');
  ok(await call(aaron, 'groups:accept', { groupId: group.id }));
  const toBob = await rawPeerWithFrames(aaronUser, 'bob');
  const toCarol = await rawPeerWithFrames(aaronUser, 'carol');
  await eventually(
    () => bob.engine.link('aaron') === 'direct' && carol.engine.link('aaron') === 'direct',
    5_000,
    'both channels open',
  );
  // A modified client ignores its own session's end: aaron's side never closes anything.
  const ended = new Promise((r) => aaron.once('session:ended', r));

  const res = await fetch(`${server.url}/api/admin/users/aaron/block`, {
    method: 'POST',
    headers: { authorization: `Bearer ${root.token}` },
  });
  expect(res.status).toBe(200);
  await ended;
  await eventually(
    () =>
      bob.engine.link('aaron') === 'offline-store' &&
      carol.engine.link('aaron') === 'offline-store',
    5_000,
    'both contacts closed their channel',
  );
  for (const raw of [toBob, toCarol]) {
    await eventually(() => raw.peer.destroyed, 5_000, 'the banned side sees the close');
    try {
      raw.peer.send(raw.msg('after-ban'));
    } catch {
      // closed: what a ban should do
    }
  }
  // No new channel either: the server dropped aaron's socket, so it relays nothing for him.
  expect(aaron.connected).toBe(false);
  await sleep(300);
  expect(await findMessage(bob.engine, 'u:aaron', 'after-ban')).toBeUndefined();
  expect(await findMessage(carol.engine, 'u:aaron', 'after-ban')).toBeUndefined();
  const refused = await bob.engine.sendPrivate('aaron', 'are you there?');
  const outcome = await waitForState(bob.engine, 'u:aaron', refused.id, [
    'delivered',
    'stored',
    'failed',
  ]);
  expect(outcome.state).toBe('failed');
  expect(toBob.frames.filter((f) => f.type === 'msg')).toEqual([]);
});
