/**
 * web/src/core/history.ts: group commit (writes asked for together share one transaction, and each
 * caller hears back only after it commits) and the in-memory conversation list mirroring the disk.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../web/src/core/api.ts';
import { History, type OutboxItem } from '../../web/src/core/history.ts';

const platform = () => ({ indexedDB: new IDBFactory(), IDBKeyRange });

const received = (id: string, from = 'bob', sentAt = 1_000): ChatMessage => ({
  id,
  conversation: `u:${from}`,
  from,
  text: `text ${id}`,
  sentAt,
});

function own(id: string, to = 'bob'): { message: ChatMessage; item: OutboxItem } {
  return {
    message: {
      id,
      conversation: `u:${to}`,
      from: 'alice',
      text: id,
      sentAt: 2_000,
      state: 'sending',
    },
    item: {
      id,
      target: { kind: 'private', username: to },
      frame: `{"id":"${id}"}`,
      queuedAt: 2_000,
    },
  };
}

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
    await Promise.all([h.addOwn(x.message, 'bob', x.item), h.addOwn(y.message, 'bob', y.item)]);
    expect((await h.outbox()).map((i) => i.id)).toEqual(['x', 'y']);
    const [settled, kept] = await Promise.all([
      h.settleOwn('y', { state: 'delivered', error: undefined }),
      h.updateOwn('x', { state: 'failed', error: 'try later' }),
    ]);
    expect(settled?.state).toBe('delivered');
    expect(kept?.error).toBe('try later');
    expect((await h.outbox()).map((i) => i.id)).toEqual(['x']);
    expect((await h.conversations())[0]?.lastMessage).toMatchObject({
      id: 'y',
      state: 'delivered',
    });
    expect(await h.updateOwn('nope', { state: 'delivered' })).toBeUndefined();
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
    expect((await again.outbox()).map((i) => i.id)).toEqual(['x']);
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
