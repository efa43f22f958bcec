/**
 * web/src/core/history.ts `delete` (issue 12: a failed message can be deleted): the row goes, with
 * its search index entries and its outbox mark, through the same batched write path as every other
 * write; the conversation preview falls back to the newest message left. Real Dexie over
 * fake-indexeddb.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ConversationId } from '../../web/src/core/api.ts';
import { History } from '../../web/src/core/history.ts';

const platform = () => ({ indexedDB: new IDBFactory(), IDBKeyRange });

const own = (
  id: string,
  conversation: ConversationId,
  text: string,
  sentAt: number,
): ChatMessage => ({
  id,
  conversation,
  from: 'alice',
  text,
  sentAt,
  state: 'sending',
});

describe('History.delete', () => {
  it('removes the row, its search entries and its outbox mark; the preview falls back', async () => {
    const p = platform();
    const h = await History.open('alice', p);
    const before = {
      id: 'r1',
      conversation: 'u:bob' as const,
      from: 'bob',
      text: '早上好',
      sentAt: 10,
    };
    await h.addReceived(before, 'bob');
    const failed = own('f1', 'u:bob', '发送失败的消息 unsent words', 20);
    await h.addOwn(failed, 'bob');
    const settled = await h.settleOwn(failed, { state: 'failed', error: 'QUOTA_EXCEEDED' });
    expect((await h.search('失败')).hits.map((x) => x.message.id)).toEqual(['f1']);
    expect((await h.conversations())[0]?.lastMessage?.id).toBe('f1');

    await h.delete(settled);
    expect(await h.getOwn('f1')).toBeUndefined();
    expect((await h.page('u:bob')).map((m) => m.id)).toEqual(['r1']);
    expect((await h.search('失败')).hits).toEqual([]);
    expect((await h.search('unsent')).hits).toEqual([]);
    expect(await h.outbox()).toEqual([]);
    const [conv] = await h.conversations();
    expect(conv?.lastMessage).toEqual(before);
    h.close();

    // What is on disk agrees with the memory copy after a reopen.
    const again = await History.open('alice', p);
    expect((await again.conversations())[0]?.lastMessage).toEqual(before);
    expect(await again.getOwn('f1')).toBeUndefined();
    again.close();
  });

  it('takes a message still in the outbox out of it, and leaves an emptied conversation without a preview', async () => {
    const h = await History.open('alice', platform());
    const m = own('o1', 'g:7', 'only one', 5);
    await h.addOwn(m, 'crew');
    const failed = await h.updateOwn(m, { state: 'failed', error: 'the server did not answer' });
    expect((await h.outbox()).map((x) => x.id)).toEqual(['o1']);
    await h.delete(failed);
    expect(await h.outbox()).toEqual([]);
    expect(await h.page('g:7')).toEqual([]);
    // The conversation keeps its name (and unread count), with nothing to preview.
    expect(await h.conversations()).toEqual([
      { id: 'g:7', title: 'crew', unread: 0, lastMessage: null },
    ]);
    h.close();
  });

  it('within one batch: the last op on a row wins, and other rows are untouched', async () => {
    const h = await History.open('alice', platform());
    const a = own('a', 'u:bob', 'first', 1);
    const b = own('b', 'u:bob', 'second', 2);
    const c = own('c', 'u:carol', 'third', 3);
    await Promise.all([h.addOwn(a, 'bob'), h.addOwn(b, 'bob'), h.addOwn(c, 'carol')]);
    // Same microtask burst: one transaction. Deleting b then writing b again keeps b; a goes.
    await Promise.all([
      h.delete(a),
      h.delete(b),
      h.settleOwn(b, { state: 'delivered' }),
      h.markRead('u:carol'),
    ]);
    expect((await h.page('u:bob')).map((m) => [m.id, m.state])).toEqual([['b', 'delivered']]);
    expect((await h.page('u:carol')).map((m) => m.id)).toEqual(['c']);
    const convs = await h.conversations();
    expect(convs.find((x) => x.id === 'u:bob')?.lastMessage?.id).toBe('b');
    expect(convs.find((x) => x.id === 'u:carol')?.lastMessage?.id).toBe('c');
    // Deleting what is not there (twice, or a received message's key under my name) is a no-op.
    await h.delete(a);
    await h.delete({ ...c, from: 'mallory' });
    expect((await h.page('u:carol')).map((m) => m.id)).toEqual(['c']);
    expect((await h.conversations()).find((x) => x.id === 'u:carol')?.lastMessage?.id).toBe('c');
    h.close();
  });

  it('an older message deleted leaves the newer preview alone', async () => {
    const h = await History.open('alice', platform());
    const old = own('old', 'u:bob', 'older', 1);
    const recent = own('new', 'u:bob', 'newer', 2);
    await h.addOwn(old, 'bob');
    await h.addOwn(recent, 'bob');
    await h.delete(old);
    expect((await h.conversations())[0]?.lastMessage?.id).toBe('new');
    expect((await h.page('u:bob')).map((m) => m.id)).toEqual(['new']);
    h.close();
  });
});
