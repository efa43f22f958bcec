/**
 * web/src/core/history.ts: group commit (writes asked for together share one transaction, and each
 * caller hears back only after it commits) and the in-memory conversation list mirroring the disk.
 */
import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../shared/peer-wire.ts';
import type { ChatMessage } from '../../web/src/core/api.ts';
import { History } from '../../web/src/core/history.ts';

const platform = () => ({ indexedDB: new IDBFactory(), IDBKeyRange });

const received = (id: string, from = 'bob', sentAt = 1_000): ChatMessage => ({
  id,
  conversation: `u:${from}`,
  from,
  text: `text ${id}`,
  sentAt,
});

const own = (id: string, to = 'bob', sentAt = 2_000): ChatMessage => ({
  id,
  conversation: `u:${to}`,
  from: 'alice',
  text: id,
  sentAt,
  state: 'sending',
});

/** Counts read-write transactions by wrapping IDBDatabase.transaction. */
function countTransactions(factory: IDBFactory): { rw: () => number } {
  let rw = 0;
  const open = factory.open.bind(factory);
  factory.open = (...args: Parameters<IDBFactory['open']>) => {
    const req = open(...args);
    req.addEventListener('success', () => {
      const db = req.result;
      const tx = db.transaction.bind(db);
      db.transaction = ((names: string | string[], mode?: IDBTransactionMode, o?: object) => {
        if (mode === 'readwrite') rw++;
        return tx(names, mode, o as never);
      }) as typeof db.transaction;
    });
    return req;
  };
  return { rw: () => rw };
}

describe('History group commit', () => {
  it('stores writes asked for together in one transaction, deduping within the batch', async () => {
    const p = platform();
    const counter = countTransactions(p.indexedDB);
    const h = await History.open('alice', p);
    const before = counter.rw();
    const results = await Promise.all([
      h.addReceived(received('a'), 'bob'),
      h.addReceived(received('b'), 'bob'),
      h.addReceived(received('a'), 'bob'),
      h.addReceived(received('c', 'carol', 3_000), 'carol'),
    ]);
    expect(results).toEqual([true, true, false, true]);
    expect(counter.rw() - before).toBe(1);
    // A duplicate of a stored message, in a later batch.
    expect(await h.addReceived(received('b'), 'bob')).toBe(false);
    const convs = await h.conversations();
    expect(convs.map((c) => [c.id, c.unread, c.lastMessage?.id])).toEqual([
      ['u:carol', 1, 'c'],
      ['u:bob', 2, 'b'],
    ]);
    expect((await h.page('u:bob')).map((m) => m.id)).toEqual(['a', 'b']);
    h.close();
  });

  it('coalesces writes asked for while a transaction is in flight into the next one', async () => {
    const p = platform();
    const counter = countTransactions(p.indexedDB);
    const h = await History.open('alice', p);
    const before = counter.rw();
    const first = h.addReceived(received('1'), 'bob');
    // Separate macrotasks, as data-channel frames arrive, while the first write is in flight.
    const later = await new Promise<Promise<boolean>[]>((resolve) =>
      setTimeout(() => resolve(['2', '3', '4'].map((id) => h.addReceived(received(id), 'bob'))), 0),
    );
    expect(await Promise.all([first, ...later])).toEqual([true, true, true, true]);
    expect(counter.rw() - before).toBeLessThanOrEqual(2);
    expect((await h.conversations())[0]?.unread).toBe(4);
    h.close();
  });

  it('settles an own message: state and outbox removal together; the list survives a reopen', async () => {
    const p = platform();
    const h = await History.open('alice', p);
    const x = own('x');
    const y = own('y');
    await Promise.all([h.addOwn(x, 'bob'), h.addOwn(y, 'bob')]);
    expect(await h.outbox()).toEqual([x, y]);
    const [settled, kept] = await Promise.all([
      h.settleOwn(y, { state: 'delivered', error: undefined }),
      h.updateOwn(x, { state: 'failed', error: 'try later' }),
    ]);
    expect(settled?.state).toBe('delivered');
    expect(kept?.error).toBe('try later');
    expect((await h.outbox()).map((m) => m.id)).toEqual(['x']);
    expect((await h.conversations())[0]?.lastMessage).toEqual({ ...y, state: 'delivered' });
    expect(await h.page('u:bob')).toEqual([
      { ...x, state: 'failed', error: 'try later' },
      { ...y, state: 'delivered' },
    ]);
    await h.markRead('u:bob');
    h.close();

    const again = await History.open('alice', p);
    expect(await again.conversations()).toEqual([
      expect.objectContaining({
        id: 'u:bob',
        unread: 0,
        lastMessage: expect.objectContaining({ id: 'y', state: 'delivered' }),
      }),
    ]);
    expect((await again.getOwn('x'))?.state).toBe('failed');
    expect((await again.outbox()).map((m) => m.id)).toEqual(['x']);
    again.close();
  });

  it('rejects every caller of a batch when its transaction cannot run', async () => {
    const h = await History.open('alice', platform());
    h.close();
    const results = await Promise.allSettled([
      h.addReceived(received('a'), 'bob'),
      h.markRead('u:bob'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

/** The object stores and the messages store's indexes of a database, read without Dexie. */
async function layout(factory: IDBFactory, name: string) {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = factory.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const stores = [...db.objectStoreNames].sort();
  const tx = db.transaction('messages', 'readonly');
  const indexes = [...tx.objectStore('messages').indexNames].sort();
  db.close();
  return { stores, indexes };
}

describe('History schema', () => {
  it('keeps the outbox on the message rows: one row per message, across a reopen', async () => {
    const p = platform();
    const h = await History.open('alice', p);
    const [a, b, c] = [own('a', 'bob', 1), own('b', 'bob', 2), own('c', 'carol', 3)];
    await Promise.all([h.addOwn(a, 'bob'), h.addOwn(b, 'bob'), h.addOwn(c, 'carol')]);
    await h.settleOwn(b, { state: 'stored', error: undefined });
    h.close();

    expect(await layout(p.indexedDB, 'p2sp-alice')).toEqual({
      stores: ['conversations', 'messages'],
      indexes: ['[conversation+sentAt]', 'outboxAt', 'terms'],
    });
    const again = await History.open('alice', p);
    // Oldest first, as the outbox resends them; callers never see the storage-only mark.
    expect(await again.outbox()).toEqual([a, c]);
    expect(await again.getOwn('b')).toEqual({ ...b, state: 'stored' });
    await again.settleOwn(a, { state: 'delivered', error: undefined });
    await again.settleOwn(c, { state: 'failed', error: 'no such user' });
    again.close();
    const last = await History.open('alice', p);
    expect(await last.outbox()).toEqual([]);
    expect((await last.page('u:bob')).map((m) => [m.id, m.state])).toEqual([
      ['a', 'delivered'],
      ['b', 'stored'],
    ]);
    last.close();
  });

  it('upgrades a version 1 database: its outbox rows move onto the messages and the table goes', async () => {
    const p = platform();
    // What the previous release wrote: a message row and an outbox row per unsent own message.
    const v1 = new Dexie('p2sp-alice', p);
    v1.version(1).stores({
      messages: '[from+id], id, [conversation+sentAt]',
      conversations: 'id, updatedAt',
      outbox: 'id, queuedAt',
    });
    const pending = own('p1', 'bob', 10);
    const sent = { ...own('s1', 'bob', 5), state: 'delivered' as const };
    const frame = (id: string, sentAt: number, text: string) =>
      encodeFrame({ v: 1, type: 'msg', id, conversation: 'group', groupId: 7, text, sentAt });
    await v1.table('messages').bulkPut([sent, pending, received('r1', 'bob', 7)]);
    await v1.table('conversations').put({
      id: 'u:bob',
      title: 'bob',
      unread: 1,
      lastMessage: pending,
      updatedAt: 10,
    });
    await v1.table('outbox').bulkPut([
      {
        id: 'p1',
        target: { kind: 'private', username: 'bob' },
        frame: encodeFrame({
          v: 1,
          type: 'msg',
          id: 'p1',
          conversation: 'private',
          text: pending.text,
          sentAt: 10,
        }),
        queuedAt: 10,
      },
      // An outbox row whose message row is missing: rebuilt from its frame.
      {
        id: 'g1',
        target: { kind: 'group', groupId: 7 },
        frame: frame('g1', 20, 'to the group'),
        queuedAt: 20,
      },
    ]);
    v1.close();

    const h = await History.open('alice', p);
    expect(await h.outbox()).toEqual([
      pending,
      {
        id: 'g1',
        conversation: 'g:7',
        from: 'alice',
        text: 'to the group',
        sentAt: 20,
        state: 'sending',
      },
    ]);
    expect((await h.page('u:bob')).map((m) => m.id)).toEqual(['s1', 'r1', 'p1']);
    expect(await h.conversations()).toEqual([
      { id: 'u:bob', title: 'bob', unread: 1, lastMessage: pending },
    ]);
    // The upgraded outbox works like a new one.
    const delivered = await h.settleOwn(pending, { state: 'delivered', error: undefined });
    expect(delivered).toEqual({ ...pending, state: 'delivered' });
    expect((await h.outbox()).map((m) => m.id)).toEqual(['g1']);
    h.close();
    expect(await layout(p.indexedDB, 'p2sp-alice')).toEqual({
      stores: ['conversations', 'messages'],
      indexes: ['[conversation+sentAt]', 'outboxAt', 'terms'],
    });
  });

  it('settles a message queued in the same batch in one row write, never before the row', async () => {
    const p = platform();
    const h = await History.open('alice', p);
    const x = own('x');
    // The ack can arrive before the own write started: both land in one transaction, in order.
    const [, settled] = await Promise.all([
      h.addOwn(x, 'bob'),
      h.settleOwn(x, { state: 'delivered', error: undefined }),
    ]);
    expect(settled).toEqual({ ...x, state: 'delivered' });
    expect(await h.outbox()).toEqual([]);
    expect(await h.getOwn('x')).toEqual({ ...x, state: 'delivered' });
    expect((await h.conversations())[0]?.lastMessage).toEqual({ ...x, state: 'delivered' });
    h.close();
  });
});
