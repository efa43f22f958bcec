/**
 * Where files live on this device: a Dexie database of its own per user (`p2sp-files-<user>`),
 * apart from the chat history so clearing files never touches messages and a large blob table
 * never slows the history's queries. Each batch of received chunks is a row, stored as a Blob
 * (Chromium keeps IndexedDB blobs on disk), so neither receiving nor opening a file holds it whole
 * in memory: `blob` stitches the stored blobs into one without reading them.
 */
import { Dexie, type Table } from 'dexie';
import { DIGEST_BYTES } from './digest.ts';
import type { FileProblem } from './problem.ts';

export interface FileRecord {
  /** `in:<peer>:<id>` or `out:<peer>:<id>`: a peer picks the ids, so the peer is part of the key. */
  key: string;
  id: string;
  direction: 'in' | 'out';
  peer: string;
  conversation: `u:${string}` | `g:${number}`;
  name: string;
  size: number;
  mime: string;
  chunkSize: number;
  sentAt: number;
  thumb?: { mime: string; data: string };
  /** Chunks stored and checked, from the first (incoming), or confirmed by the peer (outgoing). */
  confirmed: number;
  /** 'interrupted': an outgoing file whose page reloaded mid-transfer, until it is picked again. */
  state: 'active' | 'done' | 'cancelled' | 'failed' | 'interrupted';
  /** A string in rows written before problems were data (problem.ts `storedProblem`). */
  error?: FileProblem | string;
  /** The content hash the file checked against (digest.ts), once done; older versions: SHA-256. */
  sha256?: string;
  /** Outgoing: SHA-256 of the first chunk, to tell the same file when it is picked again. */
  head?: string;
}

/** A received chunk as it is stored: its data and the SHA-256 the receiver computed over it. */
export interface StoredChunk {
  index: number;
  data: Uint8Array;
  digest: Uint8Array;
}

/**
 * A run of consecutive chunks stored in one batch, keyed by its first chunk's index (a row of
 * one chunk, as earlier versions wrote, is the same thing). One Blob a batch rather than one a
 * chunk: Chromium keeps each IndexedDB blob in a file of its own, and a file per 64 KiB chunk cost
 * the browser process more than the whole data channel did (BENCHMARKS.md, section 12).
 */
interface ChunkRow {
  key: string;
  index: number;
  data: Blob;
  /**
   * The SHA-256 of each chunk of the run, concatenated: what the file's content hash is computed
   * from, kept with the data so a resume after a reload still has them. Absent in rows written
   * before the content hash (digest.ts).
   */
  digests?: Uint8Array;
}

type Db = Dexie & { files: Table<FileRecord, string>; chunks: Table<ChunkRow, [string, number]> };

export interface StorePlatform {
  indexedDB?: IDBFactory | undefined;
  IDBKeyRange?: typeof IDBKeyRange | undefined;
  /**
   * Where files live instead of IndexedDB: the terminal's fake-indexeddb holds everything in memory
   * and cannot write Blobs to its history file, so it keeps files on disk (terminal/file-store.ts).
   */
  openFileStorage?: ((user: string) => Promise<FileStorage>) | undefined;
}

/** What transfers.ts needs of a place to keep files; `FileStore` is the browser's. */
export interface FileStorage {
  close(): void;
  all(): Promise<FileRecord[]>;
  get(key: string): Promise<FileRecord | undefined>;
  put(record: FileRecord): Promise<unknown>;
  /**
   * Stores a run of chunks, their digests and the new confirmed count: all or none; refused unless
   * active.
   */
  addChunks(key: string, chunks: StoredChunk[], confirmed: number): Promise<void>;
  /**
   * The stored digests of chunks 0 to `upTo - 1`, concatenated; null when some of them are not
   * stored (data written by a version that kept none), so the caller hashes the data again.
   */
  digests(key: string, upTo: number): Promise<Uint8Array | null>;
  eachChunk(key: string, upTo: number, each: (data: Blob) => Promise<void>): Promise<void>;
  /** A received file, whole, without reading it into memory; null unless done. */
  blob(key: string): Promise<Blob | null>;
  deleteChunks(key: string): Promise<void>;
  remove(key: string): Promise<void>;
  usage(): Promise<{ files: number; bytes: number }>;
  clear(keep: (key: string) => boolean): Promise<void>;
  /** Whether `size` more bytes fit; without it the browser's storage estimate decides. */
  room?(size: number): Promise<boolean>;
}

/** Rows read per transaction when a file is hashed or opened: bounded memory, few round trips. */
const READ_PAGE = 64;

export class FileStore implements FileStorage {
  private constructor(private readonly db: Db) {}

  static async open(user: string, platform: StorePlatform): Promise<FileStore> {
    const db = new Dexie(`p2sp-files-${user}`, {
      ...(platform.indexedDB ? { indexedDB: platform.indexedDB } : {}),
      ...(platform.IDBKeyRange ? { IDBKeyRange: platform.IDBKeyRange } : {}),
    }) as Db;
    db.version(1).stores({ files: 'key, state', chunks: '[key+index]' });
    await db.open();
    return new FileStore(db);
  }

  close(): void {
    this.db.close();
  }

  all(): Promise<FileRecord[]> {
    return this.db.files.toArray();
  }

  get(key: string): Promise<FileRecord | undefined> {
    return this.db.files.get(key);
  }

  put(record: FileRecord): Promise<string> {
    return this.db.files.put(record);
  }

  /**
   * Stores a run of consecutive chunks (one row) and the new confirmed count in one transaction:
   * both or neither.
   */
  async addChunks(key: string, chunks: StoredChunk[], confirmed: number): Promise<void> {
    const first = chunks[0];
    if (!first) return;
    if (
      chunks.some((c, i) => c.index !== first.index + i) ||
      confirmed !== first.index + chunks.length
    )
      throw new Error('a batch of chunks must be one run ending at the confirmed count');
    if (chunks.some((c) => c.digest.byteLength !== DIGEST_BYTES))
      throw new Error('a chunk digest is 32 bytes');
    const data = new Blob(chunks.map((c) => c.data as BlobPart));
    const digests = new Uint8Array(chunks.length * DIGEST_BYTES);
    chunks.forEach((c, i) => digests.set(c.digest, i * DIGEST_BYTES));
    await this.db.transaction('rw', this.db.files, this.db.chunks, async () => {
      const record = await this.db.files.get(key);
      if (!record || record.state !== 'active') throw new Error('the transfer is no longer active');
      await this.db.chunks.put({ key, index: first.index, data, digests });
      await this.db.files.update(key, { confirmed });
    });
  }

  async digests(key: string, upTo: number): Promise<Uint8Array | null> {
    const out = new Uint8Array(upTo * DIGEST_BYTES);
    let next = 0;
    for (let from = 0; from < upTo; from += READ_PAGE) {
      const rows = await this.db.chunks
        .where('[key+index]')
        .between([key, from], [key, Math.min(upTo, from + READ_PAGE)], true, false)
        .toArray();
      for (const row of rows) {
        const d = row.digests;
        if (row.index !== next || !(d instanceof Uint8Array) || d.byteLength % DIGEST_BYTES !== 0)
          return null;
        const count = Math.min(d.byteLength / DIGEST_BYTES, upTo - next);
        out.set(d.subarray(0, count * DIGEST_BYTES), next * DIGEST_BYTES);
        next += count;
      }
    }
    return next === upTo ? out : null;
  }

  /** Calls `each` with every stored run of chunks of `key` below `upTo`, in order, a page at a time. */
  async eachChunk(key: string, upTo: number, each: (data: Blob) => Promise<void>): Promise<void> {
    for (let from = 0; from < upTo; from += READ_PAGE) {
      const rows = await this.db.chunks
        .where('[key+index]')
        .between([key, from], [key, Math.min(upTo, from + READ_PAGE)], true, false)
        .toArray();
      for (const row of rows) await each(row.data);
    }
  }

  /** The whole received file as one Blob, built from the stored chunk blobs. */
  async blob(key: string): Promise<Blob | null> {
    const record = await this.db.files.get(key);
    if (!record || record.direction !== 'in' || record.state !== 'done') return null;
    const parts: Blob[] = [];
    await this.eachChunk(key, record.confirmed, async (data) => {
      parts.push(data);
    });
    return new Blob(parts, { type: record.mime });
  }

  async deleteChunks(key: string): Promise<void> {
    await this.db.chunks
      .where('[key+index]')
      .between([key, Dexie.minKey], [key, Dexie.maxKey])
      .delete();
  }

  async remove(key: string): Promise<void> {
    await this.db.transaction('rw', this.db.files, this.db.chunks, async () => {
      await this.deleteChunks(key);
      await this.db.files.delete(key);
    });
  }

  /** Bytes of received file data kept on this device (what the quota view shows). */
  async usage(): Promise<{ files: number; bytes: number }> {
    const received = await this.db.files.filter((f) => f.direction === 'in').toArray();
    let bytes = 0;
    for (const f of received) bytes += Math.min(f.size, f.confirmed * f.chunkSize);
    return { files: received.length, bytes };
  }

  /** Deletes every file (received data and the records of sent ones) that is not moving now. */
  async clear(keep: (key: string) => boolean): Promise<void> {
    const all = await this.db.files.toArray();
    for (const f of all) if (!keep(f.key)) await this.remove(f.key);
  }
}
