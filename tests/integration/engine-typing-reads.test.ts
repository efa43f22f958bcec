/**
 * Typing indicators and read receipts (issue 12) between real engines over real WebRTC, and from a
 * hand-made peer (a modified client) that sends what it likes: only the peer a message went to can
 * mark it read, only in their own private conversation or a group they are in, and the setting
 * turns both ways off.
 */
import { describe, expect, it } from 'vitest';
import type { ChatEngine, EngineEvent } from '../../web/src/core/api.ts';
import {
  befriend,
  findMessage,
  joinGroup,
  serverPerTest,
  signedIn,
  waitForState,
} from '../helpers/engine.ts';
import { handmadeUser, rawPeer } from '../helpers/handmade-peer.ts';
import { call, eventually, sleep, type TestServer } from '../helpers/server.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

const typingEvents = (engine: ChatEngine) => {
  const seen: Extract<EngineEvent, { type: 'typing' }>[] = [];
  engine.on((e) => {
    if (e.type === 'typing') seen.push(e);
  });
  return seen;
};

const delivered = async (engine: ChatEngine, to: string, text: string) => {
  const sent = await engine.sendPrivate(to, text);
  const done = await waitForState(engine, `u:${to}`, sent.id, ['delivered', 'stored', 'failed']);
  expect(done.state).toBe('delivered');
  return sent;
};

describe('typing indicators', () => {
  it('shows the friend typing, throttled, and stops when the box is emptied', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    await delivered(alice.engine, 'bob', 'hi'); // the channel is open
    const seen = typingEvents(bob.engine);

    alice.engine.typing('u:bob', 'h');
    alice.engine.typing('u:bob', 'he');
    alice.engine.typing('u:bob', 'hel');
    await eventually(() => bob.engine.typingIn('u:alice').includes('alice'), 5_000, 'typing');
    expect(seen).toEqual([{ type: 'typing', conversation: 'u:alice', usernames: ['alice'] }]);
    // A command is not typing: the box holding one reads as emptied.
    alice.engine.typing('u:bob', '/help');
    await eventually(() => bob.engine.typingIn('u:alice').length === 0, 5_000, 'stop');
    expect(seen.at(-1)).toEqual({ type: 'typing', conversation: 'u:alice', usernames: [] });
    // Nothing was shown anywhere else.
    expect(bob.engine.typingIn('u:bob')).toEqual([]);
  });

  it('a message from the typer ends the indicator without a stop frame', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    await delivered(alice.engine, 'bob', 'hi');
    alice.engine.typing('u:bob', 'on my way');
    await eventually(() => bob.engine.typingIn('u:alice').length === 1, 5_000, 'typing');
    await delivered(alice.engine, 'bob', 'on my way');
    expect(bob.engine.typingIn('u:alice')).toEqual([]);
  });
});

describe('read receipts', () => {
  it('marks my messages read once the friend has seen them, and keeps it in history', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    const m1 = await delivered(alice.engine, 'bob', 'first');
    const m2 = await delivered(alice.engine, 'bob', 'second');

    await bob.engine.readReceipt('u:alice');
    await waitForState(alice.engine, 'u:bob', m2.id, ['read'], 5_000);
    expect((await findMessage(alice.engine, 'u:bob', m1.id))?.state).toBe('read');
    // The conversation list's preview follows.
    expect((await alice.engine.conversations())[0]?.lastMessage).toMatchObject({
      id: m2.id,
      state: 'read',
    });
    // Bob's own copy of alice's messages is not touched, and bob's own message is not read.
    const reply = await delivered(bob.engine, 'alice', 'reply');
    await sleep(500);
    expect((await findMessage(bob.engine, 'u:alice', reply.id))?.state).toBe('delivered');
  });

  it('with the setting off neither sends one nor takes one', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    const m1 = await delivered(alice.engine, 'bob', 'one');

    // Bob off: he sends nothing.
    bob.engine.setReadReceipts(false);
    await bob.engine.readReceipt('u:alice');
    await sleep(1_000);
    expect((await findMessage(alice.engine, 'u:bob', m1.id))?.state).toBe('delivered');

    // Bob on, alice off: alice ignores his.
    bob.engine.setReadReceipts(true);
    alice.engine.setReadReceipts(false);
    await bob.engine.readReceipt('u:alice');
    await sleep(1_000);
    expect((await findMessage(alice.engine, 'u:bob', m1.id))?.state).toBe('delivered');

    // Both on: the next look marks it (so the two checks above could have failed).
    alice.engine.setReadReceipts(true);
    const m2 = await delivered(alice.engine, 'bob', 'two');
    await bob.engine.readReceipt('u:alice');
    await waitForState(alice.engine, 'u:bob', m2.id, ['read'], 5_000);
    expect((await findMessage(alice.engine, 'u:bob', m1.id))?.state).toBe('read');
  });
});

describe('read receipts in a group', () => {
  it('lists the members who saw my newest message; one with the setting off sends none', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    const carol = await signedIn(server.url, 'carol');
    const group = await alice.engine.createGroup('crew');
    await joinGroup(alice.engine, bob.engine, group.id);
    await joinGroup(alice.engine, carol.engine, group.id);
    const conversation = `g:${group.id}` as const;
    const sent = await alice.engine.sendGroup(group.id, 'for the crew');
    await waitForState(alice.engine, conversation, sent.id, ['delivered']);
    const readBy = async () => (await findMessage(alice.engine, conversation, sent.id))?.readBy;
    const changes: string[][] = [];
    alice.engine.on((e) => {
      if (e.type === 'message' && e.message.id === sent.id && e.message.readBy)
        changes.push(e.message.readBy);
    });
    // Both have it (so each has a channel to alice); carol keeps her receipts to herself.
    for (const p of [bob, carol])
      await eventually(async () => !!(await findMessage(p.engine, conversation, sent.id)), 5_000);
    carol.engine.setReadReceipts(false);
    await bob.engine.readReceipt(conversation);
    await carol.engine.readReceipt(conversation);
    await eventually(async () => (await readBy())?.length === 1, 5_000, 'bob read it');
    await sleep(800);
    expect(await readBy()).toEqual(['bob']);
    expect(changes.at(-1)).toEqual(['bob']);
    // Still delivered: "read" as a state is the private conversation's word.
    expect((await findMessage(alice.engine, conversation, sent.id))?.state).toBe('delivered');

    // Carol turns them on: her next look counts (so the check above could have failed).
    carol.engine.setReadReceipts(true);
    await carol.engine.readReceipt(conversation);
    await eventually(async () => (await readBy())?.length === 2, 5_000, 'carol read it');
    expect(await readBy()).toEqual(['bob', 'carol']);
    // Looking again changes nothing; bob's copy of alice's message is not his to mark.
    await bob.engine.readReceipt(conversation);
    await sleep(500);
    expect(await readBy()).toEqual(['bob', 'carol']);
    expect((await findMessage(bob.engine, conversation, sent.id))?.readBy).toBeUndefined();
    // The conversation list's preview follows.
    expect(
      (await alice.engine.conversations()).find((c) => c.id === conversation)?.lastMessage,
    ).toMatchObject({ id: sent.id, readBy: ['bob', 'carol'] });
  });
});

describe('read receipts from a modified client', () => {
  it('in a group: only a member, only for that group’s message, only for themselves', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    // Aaron is alice's friend and in her group; abe is her friend only.
    const aaronUser = await handmadeUser(server.url, 'aaron');
    const abeUser = await handmadeUser(server.url, 'abe');
    for (const u of [aaronUser, abeUser]) {
      await call(u.socket, 'friends:request', { username: 'alice' });
      await eventually(() => alice.engine.social.incoming.includes(u.username), 5_000, 'asked');
      await alice.engine.respondFriend(u.username, true);
    }
    const { peer: aaron } = await rawPeer(aaronUser, 'alice');
    const { peer: abe } = await rawPeer(abeUser, 'alice');
    const group = await alice.engine.createGroup('crew');
    await joinGroup(alice.engine, bob.engine, group.id);
    await alice.engine.inviteToGroup(group.id, 'aaron');
    await call(aaronUser.socket, 'groups:accept', { groupId: group.id });
    await eventually(
      () => alice.engine.social.groups.some((g) => g.id === group.id && g.total === 3),
      5_000,
      'aaron joined',
    );
    const conversation = `g:${group.id}` as const;
    const toBob = await delivered(alice.engine, 'bob', 'for bob only');
    const inGroup = await alice.engine.sendGroup(group.id, 'for the crew');
    // Bob acks, the hand-made client does not: stored for aaron, which counts as his to read.
    await waitForState(alice.engine, conversation, inGroup.id, ['stored']);
    const read = (id: string, groupId: number) =>
      JSON.stringify({ v: 1, type: 'read', id, groupId });

    aaron.send(read(toBob.id, group.id)); // a private message, not the group's
    aaron.send(read(inGroup.id, 999)); // a group aaron is not in
    aaron.send(JSON.stringify({ v: 1, type: 'read', id: inGroup.id, groupId: -1 })); // malformed
    abe.send(read(inGroup.id, group.id)); // not a member: cannot say he read it
    abe.send(JSON.stringify({ v: 1, type: 'read', id: inGroup.id, groupId: group.id, as: 'bob' }));
    await sleep(1_500);
    expect((await findMessage(alice.engine, conversation, inGroup.id))?.readBy).toBeUndefined();
    expect(await findMessage(alice.engine, 'u:bob', toBob.id)).toMatchObject({
      state: 'delivered',
    });
    expect((await findMessage(alice.engine, 'u:bob', toBob.id))?.readBy).toBeUndefined();

    // Aaron's own, for the group's message: that counts, for him and no one else, once.
    aaron.send(read(inGroup.id, group.id));
    aaron.send(read(inGroup.id, group.id));
    await eventually(
      async () => (await findMessage(alice.engine, conversation, inGroup.id))?.readBy?.length === 1,
      5_000,
      'aaron read it',
    );
    await sleep(500);
    expect((await findMessage(alice.engine, conversation, inGroup.id))?.readBy).toEqual(['aaron']);
  });

  it('cannot mark messages it was not sent, nor group messages; only its own', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    const aaronUser = await handmadeUser(server.url, 'aaron');
    await call(aaronUser.socket, 'friends:request', { username: 'alice' });
    await eventually(() => alice.engine.social.incoming.includes('aaron'), 5_000, 'request');
    await alice.engine.respondFriend('aaron', true);
    const { peer: aaron, frames } = await rawPeer(aaronUser, 'alice');
    const group = await alice.engine.createGroup('crew');
    await alice.engine.inviteToGroup(group.id, 'aaron');
    await call(aaronUser.socket, 'groups:accept', { groupId: group.id });
    await eventually(
      () => alice.engine.social.groups.some((g) => g.id === group.id && g.total === 2),
      5_000,
      'aaron joined',
    );

    const toBob = await delivered(alice.engine, 'bob', 'for bob only');
    // The hand-made client never acks: alice's messages to it end up stored for it.
    const toAaron = await alice.engine.sendPrivate('aaron', 'for aaron');
    const inGroup = await alice.engine.sendGroup(group.id, 'for the crew');
    await waitForState(alice.engine, 'u:aaron', toAaron.id, ['stored'], 15_000);
    await waitForState(alice.engine, `g:${group.id}`, inGroup.id, ['stored'], 15_000);
    expect(frames.some((f) => f.type === 'msg' && f.id === toAaron.id)).toBe(true);

    // Forged: bob's message id, the group message's id, ids that are no one's, bad frames.
    aaron.send(JSON.stringify({ v: 1, type: 'read', id: toBob.id }));
    aaron.send(JSON.stringify({ v: 1, type: 'read', id: inGroup.id }));
    aaron.send(JSON.stringify({ v: 1, type: 'read', id: 'nosuchmessage' }));
    aaron.send(JSON.stringify({ v: 1, type: 'read', id: toAaron.id, conversation: 'u:bob' }));
    aaron.send(JSON.stringify({ v: 1, type: 'read', id: '../../etc' }));
    await sleep(1_500);
    expect((await findMessage(alice.engine, 'u:bob', toBob.id))?.state).toBe('delivered');
    expect((await findMessage(alice.engine, `g:${group.id}`, inGroup.id))?.state).toBe('stored');
    // The fourth frame (extra key stripped) was a real read of aaron's own message: that one only.
    expect((await findMessage(alice.engine, 'u:aaron', toAaron.id))?.state).toBe('read');

    // A typing frame for a group alice is in but naming another group shows nothing.
    aaron.send(
      JSON.stringify({ v: 1, type: 'typing', conversation: 'group', groupId: 999, active: true }),
    );
    aaron.send(
      JSON.stringify({
        v: 1,
        type: 'typing',
        conversation: 'group',
        groupId: group.id,
        active: true,
      }),
    );
    await eventually(
      () => alice.engine.typingIn(`g:${group.id}`).includes('aaron'),
      5_000,
      'typing',
    );
    expect(alice.engine.typingIn('g:999')).toEqual([]);
  });

  it('is sent, with the newest id it got, only while the setting is on', async () => {
    const alice = await signedIn(server.url, 'alice');
    const aaronUser = await handmadeUser(server.url, 'aaron');
    await call(aaronUser.socket, 'friends:request', { username: 'alice' });
    await eventually(() => alice.engine.social.incoming.includes('aaron'), 5_000, 'request');
    await alice.engine.respondFriend('aaron', true);
    const { peer: aaron, frames, acked } = await rawPeer(aaronUser, 'alice');
    const base = { v: 1, type: 'msg', conversation: 'private', sentAt: Date.now() };
    aaron.send(JSON.stringify({ ...base, id: 'hm1', text: 'one' }));
    aaron.send(JSON.stringify({ ...base, id: 'hm2', text: 'two', sentAt: base.sentAt + 1 }));
    await eventually(() => acked('hm2'), 5_000, 'acked');

    alice.engine.setReadReceipts(false);
    await alice.engine.readReceipt('u:aaron');
    await sleep(800);
    expect(frames.filter((f) => f.type === 'read')).toEqual([]);

    alice.engine.setReadReceipts(true);
    await alice.engine.readReceipt('u:aaron');
    await eventually(() => frames.some((f) => f.type === 'read'), 5_000, 'read frame');
    expect(frames.filter((f) => f.type === 'read')).toEqual([{ v: 1, type: 'read', id: 'hm2' }]);
    // Once per id: looking again sends nothing new.
    await alice.engine.readReceipt('u:aaron');
    await sleep(500);
    expect(frames.filter((f) => f.type === 'read')).toHaveLength(1);
  });
});
