/**
 * web/src/core/history.ts `markOwnReadInGroup`: who read my group message, kept on its row. Only
 * my own message of that group's conversation that reached the members takes a reader; readers
 * arriving at once all count, and an update built from an older copy (a delivery receipt's
 * fanout) keeps them.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../web/src/core/api.ts';
import { History } from '../../web/src/core/history.ts';

const platform = () => ({ indexedDB: new IDBFactory(), IDBKeyRange });

async function withOwn(state: ChatMessage['state'], extra: Partial<ChatMessage> = {}) {
  const h = await History.open('alice', platform());
  const message: ChatMessage = {
    id: 'm1',
    conversation: 'g:7',
    from: 'alice',
    text: 'for the crew',
    sentAt: 1_000,
    state: 'sending',
    ...extra,
  };
  await h.addOwn(message, 'crew');
  const settled = await h.settleOwn(message, {
    state,
    fanout: { delivered: 1, stored: 2, total: 3 },
  });
  return { h, settled };
}

describe('group readers', () => {
  it('adds each reader once, in order, and keeps them on disk', async () => {
    const { h } = await withOwn('stored');
    expect((await h.markOwnReadInGroup(7, 'bob', 'm1'))?.readBy).toEqual(['bob']);
    expect(await h.markOwnReadInGroup(7, 'BOB', 'm1')).toBeUndefined();
    expect((await h.markOwnReadInGroup(7, 'carol', 'm1'))?.readBy).toEqual(['bob', 'carol']);
    expect((await h.getOwn('m1'))?.readBy).toEqual(['bob', 'carol']);
  });

  it('counts readers arriving at once, and an update from an older copy keeps them', async () => {
    const { h, settled } = await withOwn('stored');
    await Promise.all([
      h.markOwnReadInGroup(7, 'bob', 'm1'),
      h.markOwnReadInGroup(7, 'carol', 'm1'),
      h.markOwnReadInGroup(7, 'dave', 'm1'),
    ]);
    // A receipt applied to the copy read before the readers came: the readers stay.
    const next = await h.settleOwn(settled, {
      state: 'stored',
      fanout: { delivered: 2, stored: 1, total: 3 },
    });
    expect(next.readBy).toEqual(['bob', 'carol', 'dave']);
    expect(await h.getOwn('m1')).toMatchObject({
      readBy: ['bob', 'carol', 'dave'],
      fanout: { delivered: 2, stored: 1, total: 3 },
    });
  });

  it('changes nothing for another group, a private message, one not out yet, or myself', async () => {
    const { h } = await withOwn('stored');
    expect(await h.markOwnReadInGroup(8, 'bob', 'm1')).toBeUndefined();
    expect(await h.markOwnReadInGroup(7, 'alice', 'm1')).toBeUndefined();
    expect(await h.markOwnReadInGroup(7, 'bob', 'nosuch')).toBeUndefined();
    const failed = await withOwn('failed');
    expect(await failed.h.markOwnReadInGroup(7, 'bob', 'm1')).toBeUndefined();
    const inPrivate = await withOwn('delivered', { conversation: 'u:bob' });
    expect(await inPrivate.h.markOwnReadInGroup(7, 'bob', 'm1')).toBeUndefined();
    // Bob's message with my id is not mine to list readers on.
    await h.addReceived(
      { id: 'b1', conversation: 'g:7', from: 'bob', text: 'hi', sentAt: 2_000 },
      'crew',
    );
    expect(await h.markOwnReadInGroup(7, 'carol', 'b1')).toBeUndefined();
    expect((await h.getOwn('m1'))?.readBy).toBeUndefined();
  });
});
