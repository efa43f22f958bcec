/**
 * web/src/core/history.ts search: the index written with each message row, the version 4 upgrade
 * that indexes history stored before it, search across conversations, and the window around a
 * message that opens a result in context. Real Dexie over fake-indexeddb.
 */
import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ConversationId } from '../../web/src/core/api.ts';
import { History, type SearchCursor } from '../../web/src/core/history.ts';

const platform = () => ({ indexedDB: new IDBFactory(), IDBKeyRange });

const msg = (
  id: string,
  conversation: ConversationId,
  from: string,
  text: string,
  sentAt: number,
): ChatMessage => ({ id, conversation, from, text, sentAt });

describe('History search', () => {
  it('finds a Chinese word inside a sentence across conversations, newest first', async () => {
    const h = await History.open('alice', platform());
    await Promise.all([
      h.addReceived(msg('a1', 'u:bob', 'bob', '明天我们去公园散步吧', 10), 'bob'),
      h.addReceived(msg('a2', 'g:3', 'carol', '公园里人很多', 20), '周末小组'),
      h.addReceived(msg('a3', 'u:bob', 'bob', '公交车来了', 30), 'bob'),
      h.addOwn({ ...msg('a4', 'u:bob', 'alice', 'the park is nice', 40), state: 'sending' }, 'bob'),
    ]);
    const { hits, more } = await h.search('公园');
    expect(more).toBeNull();
    expect(hits.map((x) => [x.message.id, x.title])).toEqual([
      ['a2', '周末小组'],
      ['a1', 'bob'],
    ]);
    // A hit is the message as callers see it: no index entries, no outbox mark.
    expect(hits[1]?.message).toEqual(msg('a1', 'u:bob', 'bob', '明天我们去公园散步吧', 10));
    expect((await h.search('park')).hits.map((x) => x.message.id)).toEqual(['a4']);
    expect((await h.search('pa')).hits.map((x) => x.message.id)).toEqual(['a4']);
    expect((await h.search('公园散步')).hits.map((x) => x.message.id)).toEqual(['a1']);
    expect((await h.search('公散')).hits).toEqual([]);
    expect((await h.search(' ,. ')).hits).toEqual([]);
    h.close();
  });

  it('keeps a settled own message findable (the update rewrites its index entries)', async () => {
    const h = await History.open('alice', platform());
    const m = { ...msg('o1', 'u:bob', 'alice', '发送失败的消息', 5), state: 'sending' as const };
    await h.addOwn(m, 'bob');
    await h.updateOwn(m, { state: 'failed', error: 'offline' });
    await h.settleOwn(m, { state: 'delivered', error: undefined });
    const [hit] = (await h.search('失败')).hits;
    expect(hit?.message).toEqual({ ...m, state: 'delivered' });
    h.close();
  });

  it('indexes history stored before version 4 when it opens', async () => {
    const p = platform();
    const v3 = new Dexie('p2sp-alice', p);
    v3.version(3).stores({
      messages: '[from+id], [conversation+sentAt], outboxAt',
      conversations: 'id, updatedAt',
    });
    await v3
      .table('messages')
      .bulkPut([
        msg('old1', 'u:bob', 'bob', '旧消息：周末去爬山', 1),
        msg('old2', 'u:bob', 'bob', 'Old message about hiking', 2),
      ]);
    v3.close();
    const h = await History.open('alice', p);
    expect((await h.search('爬山')).hits.map((x) => x.message.id)).toEqual(['old1']);
    expect((await h.search('HIKING')).hits.map((x) => x.message.id)).toEqual(['old2']);
    h.close();
  });

  it('opens a result in context: messages on each side, and says where the ends are', async () => {
    const h = await History.open('alice', platform());
    const all = Array.from({ length: 30 }, (_, i) =>
      msg(`m${i}`, 'u:bob', 'bob', `message ${i}`, 100 + i),
    );
    await Promise.all([
      ...all.map((m) => h.addReceived(m, 'bob')),
      h.addReceived(msg('x', 'u:carol', 'carol', 'elsewhere', 115), 'carol'),
    ]);
    const w = await h.around('u:bob', { id: 'm15', sentAt: 115 }, 5);
    expect(w.messages.map((m) => m.id)).toEqual([
      'm10',
      'm11',
      'm12',
      'm13',
      'm14',
      'm15',
      'm16',
      'm17',
      'm18',
      'm19',
      'm20',
    ]);
    expect(w).toMatchObject({ reachedStart: false, reachedEnd: false });
    expect(await h.around('u:bob', { id: 'm1', sentAt: 101 }, 5)).toMatchObject({
      reachedStart: true,
      reachedEnd: false,
    });
    expect((await h.pageAfter('u:bob', 127, 10)).map((m) => m.id)).toEqual(['m28', 'm29']);
    h.close();
  });

  it('pages through a term in more messages than one page, newest first, none twice', async () => {
    const h = await History.open('alice', platform());
    await Promise.all(
      Array.from({ length: 700 }, (_, i) =>
        h.addReceived(msg(`c${i}`, i % 2 ? 'u:bob' : 'g:1', 'bob', `common word ${i}`, i), 'bob'),
      ),
    );
    // No time budget: fake-indexeddb is slow, and this checks what a page holds.
    const first = await h.search('common', { limit: 10, budgetMs: Infinity });
    expect(first.hits.map((x) => x.message.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `c${699 - i}`),
    );
    expect(first.more).not.toBeNull();
    const seen = [...first.hits.map((x) => x.message.id)];
    let more = first.more;
    for (let pages = 0; more && pages < 100; pages++) {
      const page = await h.search('common', { limit: 64, olderThan: more, budgetMs: Infinity });
      seen.push(...page.hits.map((x) => x.message.id));
      more = page.more;
    }
    expect(more).toBeNull();
    expect(seen).toEqual(Array.from({ length: 700 }, (_, i) => `c${699 - i}`));
    h.close();
  });

  it('finds the few messages holding two common words, however far back', async () => {
    const h = await History.open('alice', platform());
    const both = [5, 333, 901];
    await Promise.all(
      Array.from({ length: 1_200 }, (_, i) => {
        const text = both.includes(i)
          ? `deploy the build 上线了 ${i}`
          : i % 2
            ? `deploy step ${i}`
            : `今天上线 ${i}`;
        return h.addReceived(msg(`m${i}`, 'u:bob', 'bob', text, 1_000 + i), 'bob');
      }),
    );
    const { hits, more } = await h.search('deploy 上线', { budgetMs: Infinity });
    expect(hits.map((x) => x.message.id)).toEqual(['m901', 'm333', 'm5']);
    expect(more).toBeNull();
    // Out of time at once, each call still moves on: paging finds the same three, in order.
    const paged: string[] = [];
    let cursor: SearchCursor | null = null;
    for (let calls = 0; calls < 200; calls++) {
      const page = await h.search('deploy 上线', {
        budgetMs: 0,
        ...(cursor ? { olderThan: cursor } : {}),
      });
      paged.push(...page.hits.map((x) => x.message.id));
      cursor = page.more;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(paged).toEqual(['m901', 'm333', 'm5']);
    h.close();
  });

  it('pages through many messages sent in the same millisecond', async () => {
    const h = await History.open('alice', platform());
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        h.addReceived(msg(`t${String(i).padStart(3, '0')}`, 'u:bob', 'bob', `same ${i}`, 7), 'bob'),
      ),
    );
    const ids: string[] = [];
    let more: SearchCursor | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const page = await h.search('same', {
        limit: 50,
        budgetMs: Infinity,
        ...(more ? { olderThan: more } : {}),
      });
      ids.push(...page.hits.map((x) => x.message.id));
      more = page.more;
      if (!more) break;
    }
    expect(ids).toEqual(
      Array.from({ length: 300 }, (_, i) => `t${String(299 - i).padStart(3, '0')}`),
    );
    h.close();
  });

  it('expands a prefix to the words under it and takes a malformed cursor as the start', async () => {
    const h = await History.open('alice', platform());
    await Promise.all([
      h.addReceived(msg('p1', 'u:bob', 'bob', 'concert tonight', 1), 'bob'),
      h.addReceived(msg('p2', 'u:bob', 'bob', 'a concerto', 2), 'bob'),
      h.addReceived(msg('p3', 'u:bob', 'bob', 'conceal it', 3), 'bob'),
      h.addReceived(msg('p4', 'u:bob', 'bob', 'the concert, the concerts', 4), 'bob'),
      h.addReceived(msg('p5', 'u:bob', 'bob', 'cons', 5), 'bob'),
    ]);
    expect((await h.search('concer')).hits.map((x) => x.message.id)).toEqual(['p4', 'p2', 'p1']);
    expect((await h.search('the conc')).hits.map((x) => x.message.id)).toEqual(['p4']);
    const bad = { sentAt: Number.NaN, key: 7 } as unknown as { sentAt: number; key: string };
    expect((await h.search('conc', { olderThan: bad })).hits.map((x) => x.message.id)).toEqual([
      'p4',
      'p3',
      'p2',
      'p1',
    ]);
    h.close();
  });
});
