/**
 * web/src/core/files/store.ts: a batch of chunks is one row (one Blob, so Chromium writes one file
 * a batch rather than one a chunk), a file reads back whole from such rows and from the one-chunk
 * rows earlier versions wrote, each batch keeps its chunks' digests (read back after a reopen, for
 * the content hash), and a batch that is not one run ending at its confirmed count is refused. Real Dexie over fake-indexeddb.
 */
import { createHash } from 'node:crypto';
import { Dexie } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { FileStore, type FileRecord } from '../../web/src/core/files/store.ts';

const CHUNK = 1024;

const record = (key: string, size: number): FileRecord => ({
  key,
  id: key.split(':')[2] ?? key,
  direction: 'in',
  peer: 'alice',
  conversation: 'u:alice',
  name: 'a.bin',
  size,
  mime: 'application/octet-stream',
  chunkSize: CHUNK,
  sentAt: 1,
  confirmed: 0,
  state: 'active',
});

/** Chunk `index` of a file: bytes that say where they are, so a misplaced chunk shows. */
const chunk = (index: number, size = CHUNK) => {
  const data = Uint8Array.from({ length: size }, (_, i) => (index * 7 + i) & 255);
  return { index, data, digest: new Uint8Array(createHash('sha256').update(data).digest()) };
};

const bytesOf = async (blob: Blob | null) =>
  blob ? Array.from(new Uint8Array(await blob.arrayBuffer())) : null;

describe('FileStore', () => {
  it('stores a batch as one row and reads the file back whole, in order', async () => {
    const platform = { indexedDB: new IDBFactory(), IDBKeyRange };
    const store = await FileStore.open('bob', platform);
    const size = 5 * CHUNK + 100;
    const key = 'in:alice:f1';
    await store.put(record(key, size));
    const chunks = [0, 1, 2, 3, 4].map((i) => chunk(i)).concat(chunk(5, 100));
    await store.addChunks(key, chunks.slice(0, 3), 3);
    await store.addChunks(key, chunks.slice(3), 6);
    expect((await store.get(key))?.confirmed).toBe(6);

    const rows: number[] = [];
    await store.eachChunk(key, 6, async (blob) => {
      rows.push(blob.size);
    });
    expect(rows).toEqual([3 * CHUNK, 2 * CHUNK + 100]);

    await store.put({ ...(await store.get(key))!, state: 'done' });
    const whole = chunks.flatMap((c) => Array.from(c.data));
    expect(await bytesOf(await store.blob(key))).toEqual(whole);
    store.close();
  });

  it('reads the one-chunk rows earlier versions wrote', async () => {
    const platform = { indexedDB: new IDBFactory(), IDBKeyRange };
    const store = await FileStore.open('bob', platform);
    const key = 'in:alice:old';
    await store.put({ ...record(key, 3 * CHUNK), confirmed: 3, state: 'done' });
    store.close();
    // The rows as the version that stored a Blob per chunk wrote them.
    const db = new Dexie('p2sp-files-bob', platform);
    db.version(1).stores({ files: 'key, state', chunks: '[key+index]' });
    await db.open();
    await db
      .table('chunks')
      .bulkPut([0, 1, 2].map((i) => ({ key, index: i, data: new Blob([chunk(i).data]) })));
    db.close();

    const again = await FileStore.open('bob', platform);
    expect(await bytesOf(await again.blob(key))).toEqual(
      [0, 1, 2].flatMap((i) => Array.from(chunk(i).data)),
    );
    again.close();
  });

  it('refuses a batch with a gap, or one that does not end at the confirmed count', async () => {
    const store = await FileStore.open('bob', { indexedDB: new IDBFactory(), IDBKeyRange });
    const key = 'in:alice:f2';
    await store.put(record(key, 4 * CHUNK));
    await expect(store.addChunks(key, [chunk(0), chunk(2)], 3)).rejects.toThrow(/one run/);
    await expect(store.addChunks(key, [chunk(0), chunk(1)], 3)).rejects.toThrow(/one run/);
    expect((await store.get(key))?.confirmed).toBe(0);
    let rows = 0;
    await store.eachChunk(key, 4, async () => {
      rows++;
    });
    expect(rows).toBe(0);
    store.close();
  });

  it('keeps the digests of each batch, read back in order after a reopen; none for old rows', async () => {
    const platform = { indexedDB: new IDBFactory(), IDBKeyRange };
    const store = await FileStore.open('bob', platform);
    const key = 'in:alice:d1';
    await store.put(record(key, 70 * CHUNK + 10));
    const chunks = Array.from({ length: 71 }, (_, i) => chunk(i, i === 70 ? 10 : CHUNK));
    // Batches that cross the store's read pages, so paging cannot drop or repeat one.
    for (const [from, to] of [
      [0, 16],
      [16, 60],
      [60, 70],
      [70, 71],
    ] as const)
      await store.addChunks(key, chunks.slice(from, to), to);
    store.close();

    const again = await FileStore.open('bob', platform);
    const all = (n: number) => Array.from(chunks.slice(0, n).flatMap((c) => Array.from(c.digest)));
    expect(Array.from((await again.digests(key, 71)) ?? [])).toEqual(all(71));
    expect(Array.from((await again.digests(key, 20)) ?? [])).toEqual(all(20));
    // Asking past what is stored says so rather than handing back zeros.
    expect(await again.digests(key, 72)).toBeNull();
    await expect(
      again.addChunks(key, [{ ...chunk(71), digest: new Uint8Array(31) }], 72),
    ).rejects.toThrow(/32 bytes/);
    again.close();

    // Rows as a version before the content hash wrote them: no digests, so null (hash the data).
    const db = new Dexie('p2sp-files-bob', platform);
    db.version(1).stores({ files: 'key, state', chunks: '[key+index]' });
    await db.open();
    await db.table('files').put({ ...record('in:alice:old2', 2 * CHUNK), confirmed: 2 });
    await db
      .table('chunks')
      .bulkPut(
        [0, 1].map((i) => ({ key: 'in:alice:old2', index: i, data: new Blob([chunk(i).data]) })),
      );
    db.close();
    const third = await FileStore.open('bob', platform);
    expect(await third.digests('in:alice:old2', 2)).toBeNull();
    third.close();
  });
});
