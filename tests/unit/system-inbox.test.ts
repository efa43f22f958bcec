/**
 * The administrators' messages to me or to everyone live in one System conversation (`system`):
 * not a private chat with the admin, and an admin's own broadcast (the server sends it to everyone
 * online, the admin too) does not open a chat with themselves. One to a group lands in that
 * group's conversation, marked system, and nowhere else. Real Inbox and History over
 * fake-indexeddb, a fake server (tests/helpers/core-fakes.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SystemMessage } from '../../shared/events.ts';
import {
  groupConversation,
  parseConversation,
  SYSTEM_CONVERSATION,
} from '../../web/src/core/api.ts';
import { FakeServer, FakePeerNet, fakePeer, type FakePeer } from '../helpers/core-fakes.ts';

const peers: FakePeer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});

async function make(name: string, server = new FakeServer()) {
  server.connect(name);
  const peer = await fakePeer(name, server, new FakePeerNet());
  peers.push(peer);
  return { peer, server };
}

const system = (over: Partial<SystemMessage>): SystemMessage => ({
  id: 'a'.repeat(32),
  text: 'maintenance tonight',
  at: 5_000,
  from: 'root',
  group: null,
  broadcast: false,
  ...over,
});

describe('system messages', () => {
  it('land in the System conversation, each saying whom it was for', async () => {
    const { peer: bob } = await make('bob');
    bob.server.emit('system:message', system({ id: '1'.repeat(32), broadcast: true }));
    bob.server.emit('system:message', system({ id: '2'.repeat(32), text: 'to you', at: 6_000 }));
    await expect.poll(() => bob.messages.length).toBe(2);

    const conversations = await bob.history.conversations();
    expect(conversations.map((c) => c.id)).toEqual([SYSTEM_CONVERSATION]);
    expect(conversations[0]).toMatchObject({ system: true, unread: 2 });
    const stored = await bob.history.page(SYSTEM_CONVERSATION);
    expect(stored.map((m) => [m.from, m.system, m.systemTo])).toEqual([
      ['root', true, { kind: 'broadcast' }],
      ['root', true, { kind: 'me' }],
    ]);
  });

  it('one to a group lands in the group’s conversation, which stays answerable', async () => {
    const { peer: bob } = await make('bob');
    bob.server.emit(
      'system:message',
      system({ id: '3'.repeat(32), at: 7_000, group: { id: 7, name: '读书会', creator: 'carol' } }),
    );
    await expect.poll(() => bob.messages.length).toBe(1);

    const conversations = await bob.history.conversations();
    expect(conversations.map((c) => c.id)).toEqual([groupConversation(7)]);
    // Unread once, where the group talks; not a read-only System conversation.
    expect(conversations[0]).toMatchObject({ title: '读书会', unread: 1 });
    expect(conversations[0]?.system).toBeUndefined();
    const stored = await bob.history.page(groupConversation(7));
    expect(stored.map((m) => [m.from, m.system, m.systemTo, m.text])).toEqual([
      ['root', true, { kind: 'group', groupId: 7, name: '读书会' }, 'maintenance tonight'],
    ]);
    expect(await bob.history.page(SYSTEM_CONVERSATION)).toEqual([]);
  });

  it('an admin’s own broadcast, echoed back, is not a chat with themselves', async () => {
    const { peer: root } = await make('root');
    root.server.emit('system:message', system({ broadcast: true }));
    await expect.poll(() => root.messages.length).toBe(1);
    const conversations = await root.history.conversations();
    expect(conversations.map((c) => c.id)).toEqual([SYSTEM_CONVERSATION]);
    // Their own words, not news: nothing unread (another admin's broadcast would be).
    expect(conversations[0]?.unread).toBe(0);
    root.server.emit('system:message', system({ id: '6'.repeat(32), from: 'Admin2' }));
    await expect.poll(() => root.messages.length).toBe(2);
    expect((await root.history.conversations())[0]?.unread).toBe(1);
  });

  it('stored for an offline user, each goes to the same place, once', async () => {
    const { peer: bob, server } = await make('bob');
    const copy = { from: 'root', kind: 'system' as const, payload: 'while you were away' };
    server.deposit('bob', { ...copy, id: '4'.repeat(32), group: null });
    server.deposit('bob', {
      ...copy,
      id: '5'.repeat(32),
      group: { id: 9, name: 'ops', creator: 'dave' },
    });
    await bob.core.inbox.pullOffline();
    // The same id delivered live again (a race between the store and a reconnect) is one message.
    bob.server.emit('system:message', system({ id: '4'.repeat(32), text: 'while you were away' }));

    await expect.poll(() => server.mailbox.get('bob')?.length ?? 0).toBe(0);
    const stored = await bob.history.page(SYSTEM_CONVERSATION);
    expect(stored.map((m) => [m.text, m.systemTo])).toEqual([
      ['while you were away', { kind: 'me' }],
    ]);
    const inGroup = await bob.history.page(groupConversation(9));
    expect(inGroup.map((m) => [m.id, m.system, m.systemTo])).toEqual([
      ['5'.repeat(32), true, { kind: 'group', groupId: 9, name: 'ops' }],
    ]);
    expect((await bob.history.conversations()).map((c) => c.id).sort()).toEqual(
      [groupConversation(9), SYSTEM_CONVERSATION].sort(),
    );
  });

  it('the conversation key parses as its own kind, never as a user named "system"', () => {
    expect(parseConversation(SYSTEM_CONVERSATION)).toEqual({ kind: 'system' });
    expect(parseConversation('u:system')).toEqual({ kind: 'private', username: 'system' });
  });
});
