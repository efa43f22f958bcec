import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { FifoLock } from '../../signaling/storage/sqlite-dialect.ts';
import { openStore, type Store } from '../../signaling/storage/db.ts';

describe('FifoLock', () => {
  it('hands the lock to waiters in the order they asked, one at a time', async () => {
    const lock = new FifoLock();
    const order: number[] = [];
    let holders = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await lock.acquire();
        holders++;
        most = Math.max(most, holders);
        order.push(i);
        await Promise.resolve(); // hold it across a microtask, as a query does
        holders--;
        lock.release();
      }),
    );
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(most).toBe(1);
    expect(lock.waiting).toBe(0);
  });

  it('is free again after the last release, and survives a long queue', async () => {
    const lock = new FifoLock();
    await lock.acquire();
    const n = 5_000; // past the compaction threshold of the queue
    let done = 0;
    const waiters = Array.from({ length: n }, () =>
      lock.acquire().then(() => {
        done++;
        lock.release();
      }),
    );
    expect(lock.waiting).toBe(n);
    lock.release();
    await Promise.all(waiters);
    expect(done).toBe(n);
    expect(lock.waiting).toBe(0);
    // Free: the next acquire does not wait.
    let got = false;
    void lock.acquire().then(() => (got = true));
    await Promise.resolve();
    expect(got).toBe(true);
  });
});

describe('the SQLite store under concurrent queries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'p2sp-fifo-'));
  let store: Store | undefined;
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs many queries and transactions at once without interleaving a transaction', async () => {
    store = await openStore(`sqlite:${join(dir, 'chat.db')}`);
    const db = store.db;
    await sql`create table counter (n integer not null)`.execute(db);
    await sql`insert into counter (n) values (0)`.execute(db);
    // Each transaction reads, yields, then writes n+1: any interleaving would lose increments.
    const bump = () =>
      db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ n: number }>`select n from counter`.execute(trx);
        await new Promise((r) => setImmediate(r));
        await sql`update counter set n = ${(rows[0]?.n ?? 0) + 1}`.execute(trx);
      });
    const reads = Array.from({ length: 200 }, () => sql`select n from counter`.execute(db));
    const failing = db
      .transaction()
      .execute(async (trx) => {
        await sql`update counter set n = n + 1000`.execute(trx);
        throw new Error('roll me back');
      })
      .catch((e: Error) => e.message);
    await Promise.all([...Array.from({ length: 100 }, bump), ...reads]);
    expect(await failing).toBe('roll me back');
    const { rows } = await sql<{ n: number }>`select n from counter`.execute(db);
    expect(rows[0]?.n).toBe(100);
  });

  it('reads committed rows only on the synchronous read connection', async () => {
    const db = (store as Store).db;
    const reader = (store as Store).reader;
    expect(reader).toBeDefined();
    const count = () => reader?.all<{ n: number }>('select n from counter', [])[0]?.n;
    const before = count();
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const trx = db.transaction().execute(async (t) => {
      await sql`update counter set n = n + 1`.execute(t);
      await held; // the write transaction stays open while we read
    });
    await new Promise((r) => setImmediate(r));
    expect(count()).toBe(before); // not the open transaction's update
    release();
    await trx;
    expect(count()).toBe((before ?? 0) + 1);
  });

  it('has no read connection for an in-memory database', async () => {
    const mem = await openStore(':memory:');
    try {
      expect(mem.reader).toBeUndefined();
    } finally {
      await mem.close();
    }
  });
});
