/**
 * The terminal's files, on disk: the engine's `FileStorage` (web/src/core/files/store.ts) over a
 * folder beside the history file. The browser keeps chunks in IndexedDB; here fake-indexeddb would
 * hold every received byte in memory, and its history file cannot take Blobs, so each transfer is
 * three files: `<hash>.json` (the record, written to a temporary file and renamed), `<hash>.part`
 * (the data, each chunk written at its place) and `<hash>.sha` (each chunk's SHA-256, 32 bytes at
 * 32 times its index, what the content hash is computed from). A record's confirmed count is written only after
 * its chunks are synced, which is where a resume starts after a crash. The folder is named by a
 * hash of the transfer key because a peer picks the ids and its name is part of the key.
 */
import { createHash } from 'node:crypto';
import { constants, openAsBlob } from 'node:fs';
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  statfs,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { DIGEST_BYTES } from '../web/src/core/files/digest.ts';
import type { FileRecord, FileStorage, StoredChunk } from '../web/src/core/files/store.ts';

const STATES = new Set(['active', 'done', 'cancelled', 'failed']);

/** A record file that is not one of ours (hand-edited, truncated) is skipped, not trusted. */
function isRecord(v: unknown): v is FileRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.key === 'string' &&
    typeof r.id === 'string' &&
    (r.direction === 'in' || r.direction === 'out') &&
    typeof r.peer === 'string' &&
    typeof r.name === 'string' &&
    typeof r.mime === 'string' &&
    typeof r.conversation === 'string' &&
    Number.isSafeInteger(r.size) &&
    (r.size as number) >= 0 &&
    Number.isSafeInteger(r.chunkSize) &&
    (r.chunkSize as number) > 0 &&
    Number.isSafeInteger(r.confirmed) &&
    (r.confirmed as number) >= 0 &&
    typeof r.sentAt === 'number' &&
    STATES.has(r.state as string)
  );
}

const ignoreMissing = (err: unknown) => {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
};

export class DiskFileStore implements FileStorage {
  readonly #records = new Map<string, FileRecord>();
  /** One chain of writes per transfer, so a record's writes land in the order they were made. */
  readonly #queues = new Map<string, Promise<unknown>>();

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<DiskFileStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const store = new DiskFileStore(dir);
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        const record: unknown = JSON.parse(await readFile(join(dir, name), 'utf8'));
        if (isRecord(record) && store.#base(record.key) + '.json' === name)
          store.#records.set(record.key, record);
      } catch {
        // Unreadable: left on disk for a person to look at, never loaded.
      }
    }
    return store;
  }

  #base(key: string): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 40);
  }

  /** Where a received file's bytes are (complete once its record says done). */
  partPath(key: string): string {
    return join(this.dir, `${this.#base(key)}.part`);
  }

  #digestPath(key: string): string {
    return join(this.dir, `${this.#base(key)}.sha`);
  }

  #recordPath(key: string): string {
    return join(this.dir, `${this.#base(key)}.json`);
  }

  #queue<T>(key: string, job: () => Promise<T>): Promise<T> {
    const before = this.#queues.get(key) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(job);
    this.#queues.set(key, run);
    void run
      .catch(() => undefined)
      .finally(() => {
        if (this.#queues.get(key) === run) this.#queues.delete(key);
      });
    return run;
  }

  async #writeRecord(record: FileRecord): Promise<void> {
    const path = this.#recordPath(record.key);
    const tmp = `${path}.tmp`;
    await writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
    await rename(tmp, path);
  }

  close(): void {
    // Nothing held open: each batch opens, writes, syncs and closes its file.
  }

  all(): Promise<FileRecord[]> {
    return Promise.resolve([...this.#records.values()].map((r) => structuredClone(r)));
  }

  get(key: string): Promise<FileRecord | undefined> {
    const r = this.#records.get(key);
    return Promise.resolve(r === undefined ? undefined : structuredClone(r));
  }

  put(record: FileRecord): Promise<string> {
    // A copy, as IndexedDB keeps one: the engine goes on changing its own object.
    const copy = structuredClone(record);
    this.#records.set(copy.key, copy);
    return this.#queue(copy.key, async () => {
      if (this.#records.get(copy.key) === copy) await this.#writeRecord(copy);
      return copy.key;
    });
  }

  addChunks(key: string, chunks: StoredChunk[], confirmed: number): Promise<void> {
    return this.#queue(key, async () => {
      const record = this.#records.get(key);
      if (!record || record.state !== 'active') throw new Error('the transfer is no longer active');
      if (chunks.some((c) => c.digest.byteLength !== DIGEST_BYTES))
        throw new Error('a chunk digest is 32 bytes');
      const write = async (path: string, at: (c: StoredChunk) => [Uint8Array, number]) => {
        const file = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
        try {
          for (const c of chunks) {
            const [bytes, position] = at(c);
            await file.write(bytes, 0, bytes.byteLength, position);
          }
          await file.datasync();
        } finally {
          await file.close();
        }
      };
      await write(this.partPath(key), (c) => [c.data, c.index * record.chunkSize]);
      await write(this.#digestPath(key), (c) => [c.digest, c.index * DIGEST_BYTES]);
      // Cancelled while the bytes went down: the cancelled record stays as it is.
      if (this.#records.get(key) !== record || record.state !== 'active') return;
      record.confirmed = confirmed;
      await this.#writeRecord(record);
    });
  }

  async digests(key: string, upTo: number): Promise<Uint8Array | null> {
    if (upTo <= 0) return new Uint8Array(0);
    let file;
    try {
      file = await open(this.#digestPath(key), 'r');
    } catch {
      return null; // Received by a version that kept no digests.
    }
    try {
      const out = new Uint8Array(upTo * DIGEST_BYTES);
      const { bytesRead } = await file.read(out, 0, out.byteLength, 0);
      return bytesRead === out.byteLength ? out : null;
    } finally {
      await file.close();
    }
  }

  async eachChunk(key: string, upTo: number, each: (data: Blob) => Promise<void>): Promise<void> {
    const record = this.#records.get(key);
    if (!record || upTo <= 0) return;
    const file = await open(this.partPath(key), 'r');
    try {
      const buffer = new Uint8Array(record.chunkSize);
      for (let i = 0; i < upTo; i++) {
        const { bytesRead } = await file.read(buffer, 0, record.chunkSize, i * record.chunkSize);
        if (bytesRead === 0) return;
        await each(new Blob([buffer.slice(0, bytesRead)]));
      }
    } finally {
      await file.close();
    }
  }

  async blob(key: string): Promise<Blob | null> {
    const record = this.#records.get(key);
    if (!record || record.direction !== 'in' || record.state !== 'done') return null;
    if (record.size === 0) return new Blob([], { type: record.mime });
    // Read from disk as it is consumed; reading fails if the file changed since (Node checks).
    return openAsBlob(this.partPath(key), { type: record.mime });
  }

  deleteChunks(key: string): Promise<void> {
    return this.#queue(key, async () => {
      await unlink(this.partPath(key)).catch(ignoreMissing);
      await unlink(this.#digestPath(key)).catch(ignoreMissing);
    });
  }

  remove(key: string): Promise<void> {
    this.#records.delete(key);
    return this.#queue(key, async () => {
      await unlink(this.partPath(key)).catch(ignoreMissing);
      await unlink(this.#digestPath(key)).catch(ignoreMissing);
      await unlink(this.#recordPath(key)).catch(ignoreMissing);
    });
  }

  usage(): Promise<{ files: number; bytes: number }> {
    let files = 0;
    let bytes = 0;
    for (const f of this.#records.values()) {
      if (f.direction !== 'in') continue;
      files++;
      bytes += Math.min(f.size, f.confirmed * f.chunkSize);
    }
    return Promise.resolve({ files, bytes });
  }

  async clear(keep: (key: string) => boolean): Promise<void> {
    for (const key of [...this.#records.keys()]) if (!keep(key)) await this.remove(key);
  }

  /** Free space on the disk the folder is on, less what incoming transfers still need. */
  async room(size: number): Promise<boolean> {
    try {
      const s = await statfs(this.dir);
      let owed = 0;
      for (const f of this.#records.values())
        if (f.direction === 'in' && f.state === 'active')
          owed += Math.max(0, f.size - f.confirmed * f.chunkSize);
      return s.bavail * s.bsize - owed > size;
    } catch {
      return true;
    }
  }
}
