/**
 * File transfers, browser to browser, over the chat's data channel (issue 13).
 *
 * Sender: streams a File/Blob a chunk at a time (never read whole), a SHA-256 per chunk (the
 * file's content hash is computed from those: digest.ts), and keeps the channel full without
 * unbounded buffering: it writes while `bufferedAmount` is under a high-water mark and waits for
 * `bufferedamountlow` otherwise. A chat message goes out on the same ordered channel, so it waits behind at most that
 * much (about 10 ms at 28 MB/s) rather than behind the file.
 *
 * Receiver: grants a window of chunks (`file-accept`, then `file-ack` as chunks are committed), so
 * at most a window of data is in its memory; chunks go to IndexedDB (store.ts) in batches, each
 * batch with the new confirmed count in one transaction, which is where a resume starts from after
 * a dropped connection or a reload. It checks each chunk's hash (a bad one is asked for again),
 * the file's content hash (over the chunk digests it computed, stored with the batches) before it
 * shows the file done, and cuts off a sender that sends more than it announced or beyond the
 * window it was given.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { LIMITS } from '../../../../shared/limits.ts';
import {
  encodeChunk,
  encodeFrame,
  fileMime,
  fileName,
  PEER_WIRE_VERSION,
  type FileCancelReason,
  type FileChunk,
  type FileFrame,
  type FileOfferFrame,
} from '../../../../shared/peer-wire.ts';
import type { ConversationId, LinkState } from '../api.ts';
import { EngineError } from '../api.ts';
import { newMessageId } from '../ids.ts';
import { refusalError, type Exchange, type Verdict } from '../relationships.ts';
import { CONTENT_HASH, contentHash, DIGEST_BYTES, sha256Of } from './digest.ts';
import {
  FileStore,
  type FileRecord,
  type FileStorage,
  type StoredChunk,
  type StorePlatform,
} from './store.ts';
import { formatBytes, storedProblem, type CutOff, type FileProblem } from './problem.ts';

export { formatBytes };

/** What a front end sees of one transfer: one per (direction, peer, file). */
export interface FileTransfer {
  key: string;
  id: string;
  direction: 'in' | 'out';
  peer: string;
  conversation: ConversationId;
  name: string;
  size: number;
  mime: string;
  sentAt: number;
  thumb?: { mime: string; data: string } | undefined;
  state: TransferState;
  /** Bytes confirmed (stored by the receiver, checked against their hash). */
  bytes: number;
  /** Bytes a second, smoothed; 0 when not moving. */
  rate: number;
  /** Time left at the current rate, or null when it cannot be told. */
  etaMs: number | null;
  pausedByMe: boolean;
  pausedByPeer: boolean;
  /** Incoming: the sender reloaded and must pick the file again before it can go on. */
  peerLostFile: boolean;
  /** Why it failed, worded where it is shown (problem.ts `fileProblemText`). */
  error?: FileProblem | undefined;
}

export type TransferState =
  | 'offered'
  | 'moving'
  | 'paused'
  | 'waiting'
  | 'verifying'
  | 'done'
  | 'cancelled'
  | 'failed'
  | 'offline'
  | 'interrupted';

export interface FileChannels {
  /** Sends a control frame, opening a channel if needed (peers.send). */
  send(username: string, data: string, deadline: number): Promise<unknown>;
  /** Writes on the open channel now; false if there is none. */
  write(username: string, data: string | Uint8Array): boolean;
  buffered(username: string): number;
  /** Calls `listener` once the open channel's buffer runs low (or it closes). */
  drained(username: string, listener: () => void): void;
  link(username: string): LinkState;
}

export interface FilesDeps {
  channels: FileChannels;
  check(peer: string, exchange: Exchange): Promise<Verdict>;
  isOffline(username: string): boolean;
  groupMembers(groupId: number): Promise<{ username: string; status: string }[]>;
  me(): string;
  changed(transfer: FileTransfer): void;
  notice(problem: FileProblem, level: 'info' | 'error'): void;
  maxFileBytes: number;
  platform: StorePlatform;
  /** How long to try to reach a peer for a control frame. */
  connectMs: number;
}

export interface SendFileOptions {
  thumb?: { mime: 'image/jpeg' | 'image/png' | 'image/webp'; data: string } | undefined;
}

const CHUNK = LIMITS.fileChunkMax;
/** Chunks in flight a receiver allows: 4 MiB at most in its memory per transfer. */
const WINDOW = 64;
/** Stop writing above this much queued on the channel; `bufferedamountlow` fires below 64 KiB. */
const HIGH_WATER = 1024 * 1024;
/** Chunks committed to IndexedDB in one transaction. */
const BATCH = 16;
const BATCH_MS = 30;
/** Chunks read from the file at once by a sender: 1 MiB at the largest chunk size. */
const READ_AHEAD = 16;
/** Bad chunks (hash mismatch, gaps) tolerated in one transfer before it is given up as corrupt. */
const BAD_MAX = 16;
/** Live incoming transfers one peer may have with me at once. */
const INCOMING_PER_PEER = 8;
const PROGRESS_MS = 200;
/** Tries to reach a peer after the link went, 1 s apart at first, then 8 s: about a minute. */
const RETRIES = 10;

interface Base {
  record: FileRecord;
  chunks: number;
  pausedByMe: boolean;
  pausedByPeer: boolean;
  rate: number;
  rateAt: number;
  rateBytes: number;
  emittedAt: number;
  linkDown: boolean;
  /** A try to reach the peer again after the link went (either end may be the one to get through). */
  retry: ReturnType<typeof setTimeout> | null;
  retries: number;
}

interface Outgoing extends Base {
  direction: 'out';
  blob: Blob;
  /** Next chunk to write; the receiver confirmed everything below `acked`. */
  next: number;
  acked: number;
  window: number;
  accepted: boolean;
  endSent: boolean;
  pumping: boolean;
  /** Each chunk's SHA-256 at 32 times its index, once `digested[index]` says it is there. */
  digests: Uint8Array;
  digested: Uint8Array;
}

interface Incoming extends Base {
  direction: 'in';
  /** Next chunk expected: every one below is stored or in `pending`. */
  expect: number;
  /** The sender may send chunks below this (my last accept/ack). */
  granted: number;
  pending: StoredChunk[];
  flushing: Promise<void> | null;
  flushTimer: ReturnType<typeof setTimeout> | null;
  endHash: string | null;
  bad: number;
  dups: number;
  /** Whether I have told the sender where to start (a first `file-accept`, then `file-resume`). */
  answered: boolean;
  peerLostFile: boolean;
}

type Transfer = Outgoing | Incoming;

interface FileMeta {
  id: string;
  name: string;
  size: number;
  mime: string;
  thumb?: FileRecord['thumb'] | undefined;
}

const keyOf = (direction: 'in' | 'out', peer: string, id: string) => `${direction}:${peer}:${id}`;
/** A frame the sender of a file sends about it (the receiver's incoming transfer). */
const fromSender = (frame: FileFrame): boolean =>
  frame.type === 'file-offer' ||
  frame.type === 'file-end' ||
  ((frame.type === 'file-cancel' || frame.type === 'file-pause' || frame.type === 'file-resume') &&
    frame.role === 'sender');
const chunkCount = (size: number, chunkSize: number) => Math.ceil(size / chunkSize);
const v = PEER_WIRE_VERSION;

export class Files {
  readonly #live = new Map<string, Transfer>();
  /** Incoming offers still being taken in, by key, with the frames queued behind them (onFrame). */
  readonly #offersArriving = new Map<string, Promise<void>>();
  #store: FileStorage | null = null;
  /** Each incoming transfer's chunks being hashed, taken in arrival order (onChunk). */
  readonly #arrivals = new WeakMap<Incoming, Promise<void>>();
  /** Each outgoing transfer's last read of its file (#chunkData). */
  readonly #readAhead = new WeakMap<Outgoing, { start: number; bytes: Uint8Array }>();

  constructor(private readonly deps: FilesDeps) {}

  // --- lifecycle -------------------------------------------------------------------------------

  async signedIn(user: string): Promise<void> {
    this.#store ??= await (this.deps.platform.openFileStorage?.(user) ??
      FileStore.open(user, this.deps.platform));
    for (const record of await this.#store.all()) {
      if (record.state !== 'active' || this.#live.has(record.key)) continue;
      if (record.direction === 'out') {
        // The File object did not survive the reload: nothing to send from until the user picks
        // it again (resend). Its bytes are not kept here: a copy of every file sent would double
        // what files take on this device, against a quota shared with the received ones, for
        // the rare reload mid-transfer; the receiver keeps its chunks, so picking it again costs
        // only what was not confirmed yet.
        record.state = 'interrupted';
        delete record.error;
        await this.#store.put(record);
        continue;
      }
      const t = this.#incoming(record);
      t.linkDown = true;
      this.#live.set(record.key, t);
      this.#emit(t, true);
      this.#askResume(t);
    }
  }

  signedOut(): void {
    for (const t of this.#live.values()) this.#stopTimers(t);
    this.#live.clear();
    this.#offersArriving.clear();
    this.#store?.close();
    this.#store = null;
  }

  // --- the front end's calls ---------------------------------------------------------------------

  async sendPrivate(to: string, blob: Blob, name: string, options: SendFileOptions = {}) {
    const verdict = await this.deps.check(to, { kind: 'private' });
    if (!verdict.ok) throw refusalError(verdict);
    const meta = this.#meta(blob, name, options);
    if (this.deps.isOffline(to))
      throw new EngineError({
        code: 'OFFLINE',
        message: `files go directly: ${to} is offline`,
        details: { reason: 'file', username: to },
      });
    return this.#start(to, `u:${to}`, blob, meta);
  }

  /** One transfer per online member, each with its own state; offline members get an 'offline' one. */
  async sendGroup(groupId: number, blob: Blob, name: string, options: SendFileOptions = {}) {
    const meta = this.#meta(blob, name, options);
    const me = this.deps.me();
    const members = (await this.deps.groupMembers(groupId)).filter((m) => m.username !== me);
    const out: FileTransfer[] = [];
    for (const member of members) {
      const verdict = await this.deps.check(member.username, { kind: 'group', groupId });
      if (!verdict.ok) continue;
      if (member.status === 'offline') {
        const record = this.#record('out', member.username, `g:${groupId}`, meta);
        record.state = 'failed';
        record.error = { reason: 'offline', username: member.username };
        await this.#requireStore().put(record);
        const view = { ...this.#viewOf(record), state: 'offline' as const };
        this.deps.changed(view);
        out.push(view);
        continue;
      }
      out.push(await this.#start(member.username, `g:${groupId}`, blob, meta));
    }
    return out;
  }

  pause(key: string): void {
    const t = this.#live.get(key);
    if (!t || t.pausedByMe) return;
    t.pausedByMe = true;
    this.#write(t, { v, type: 'file-pause', id: t.record.id, role: this.#role(t) });
    this.#emit(t, true);
  }

  resume(key: string): void {
    const t = this.#live.get(key);
    if (!t || !t.pausedByMe) return;
    t.pausedByMe = false;
    if (t.direction === 'in') this.#askResume(t);
    else void this.#control(t, { v, type: 'file-resume', id: t.record.id, role: 'sender' });
    this.#emit(t, true);
  }

  async cancel(key: string): Promise<void> {
    const t = this.#live.get(key);
    if (!t) return;
    this.#write(t, {
      v,
      type: 'file-cancel',
      id: t.record.id,
      role: this.#role(t),
      reason: 'cancelled',
    });
    await this.#finish(t, 'cancelled');
  }

  /** Every transfer this device knows, newest first. */
  async list(): Promise<FileTransfer[]> {
    const records = this.#store ? await this.#store.all() : [];
    return records
      .map((r) => {
        const live = this.#live.get(r.key);
        return live ? this.#view(live) : this.#viewOf(r);
      })
      .sort((a, b) => b.sentAt - a.sentAt);
  }

  /** A received file, whole (built from its stored chunks, not read into memory). */
  blob(key: string): Promise<Blob | null> {
    return this.#store ? this.#store.blob(key) : Promise.resolve(null);
  }

  usage(): Promise<{ files: number; bytes: number }> {
    return this.#store ? this.#store.usage() : Promise.resolve({ files: 0, bytes: 0 });
  }

  /** Deletes every stored file that is not moving now. */
  async clear(): Promise<void> {
    await this.#store?.clear((key) => this.#live.has(key));
  }

  async remove(key: string): Promise<void> {
    if (this.#live.has(key)) await this.cancel(key);
    const record = await this.#store?.get(key);
    // The receiver of an interrupted file is waiting for it: tell it the file will not come.
    if (record?.state === 'interrupted')
      this.#writeTo(record.peer, {
        v,
        type: 'file-cancel',
        id: record.id,
        role: 'sender',
        reason: 'cancelled',
      });
    await this.#store?.remove(key);
  }

  async resend(key: string, blob: Blob): Promise<FileTransfer> {
    const record = await this.#requireStore().get(key);
    if (
      !record ||
      record.direction !== 'out' ||
      record.state !== 'interrupted' ||
      this.#live.has(key)
    )
      throw new EngineError({
        code: 'BAD_REQUEST',
        message: 'no interrupted file to send again',
        details: { reason: 'no-interrupted-file' },
      });
    // The same bytes, not only the same name: the receiver's stored chunks are of that file. (Its
    // check of the content hash at the end is what binds; this says so before anything moves.)
    if (
      blob.size !== record.size ||
      (record.head !== undefined && (await headOf(blob)) !== record.head)
    )
      throw new EngineError({
        code: 'BAD_REQUEST',
        message: `this is not ${record.name}: pick the same file again`,
        details: { reason: 'other-file', name: record.name },
      });
    record.state = 'active';
    await this.#store?.put(record);
    const t = this.#outgoing(record, blob);
    this.#live.set(key, t);
    this.#emit(t, true);
    void this.#offer(t);
    return this.#view(t);
  }

  // --- links -------------------------------------------------------------------------------------

  onLink(username: string, link: LinkState): void {
    for (const t of this.#live.values()) {
      if (t.record.peer !== username) continue;
      if (link === 'offline-store') {
        t.linkDown = true;
        this.#emit(t, true);
        this.#scheduleRetry(t);
      } else if (link === 'direct' && t.linkDown) {
        t.linkDown = false;
        t.retries = 0;
        // Whoever reconnected, both ends say where they are; the receiver's word sets the place.
        if (t.direction === 'in') this.#askResume(t);
        else if (t.accepted)
          void this.#control(t, { v, type: 'file-resume', id: t.record.id, role: 'sender' });
        else void this.#offer(t);
      }
    }
  }

  // --- frames from a peer ------------------------------------------------------------------------

  onFrame(from: string, frame: FileFrame): void {
    const run = () =>
      this.#onFrame(from, frame).catch((err: unknown) => {
        console.warn('file frame from', from, err);
      });
    // Taking an offer in waits on the store before the transfer exists, and the sender's next
    // frame can come within milliseconds (a cancel as it signs out): frames about a file whose
    // offer is still arriving wait for it, in order, rather than find nothing and be dropped.
    const key = fromSender(frame) ? keyOf('in', from, frame.id) : null;
    const before = key === null ? undefined : this.#offersArriving.get(key);
    if (key === null || (before === undefined && frame.type !== 'file-offer')) {
      void run();
      return;
    }
    const done = before === undefined ? run() : before.then(run);
    this.#offersArriving.set(key, done);
    void done.then(() => {
      if (this.#offersArriving.get(key) === done) this.#offersArriving.delete(key);
    });
  }

  async #onFrame(from: string, frame: FileFrame): Promise<void> {
    switch (frame.type) {
      case 'file-offer':
        return this.#onOffer(from, frame);
      case 'file-accept': {
        const t = this.#out(from, frame.id);
        if (!t) return;
        if (frame.digest !== CONTENT_HASH) {
          // An older client, which would check another digest and fail the file at its end.
          this.#write(t, {
            v,
            type: 'file-cancel',
            id: t.record.id,
            role: 'sender',
            reason: 'refused',
          });
          return this.#finish(t, 'failed', { reason: 'peer-app-old', username: from });
        }
        t.accepted = true;
        this.#rewind(t, Math.min(frame.from, t.chunks));
        t.window = frame.window;
        t.linkDown = false;
        this.#emit(t, true);
        return this.#pump(t);
      }
      case 'file-ack': {
        const t = this.#out(from, frame.id);
        if (!t || !t.accepted) return;
        if (frame.upTo > t.chunks || frame.upTo < t.acked) return;
        t.acked = frame.upTo;
        t.window = frame.window;
        t.record.confirmed = t.acked;
        this.#progress(t);
        if (t.acked === t.chunks && t.endSent) return this.#finish(t, 'done');
        return this.#pump(t);
      }
      case 'file-pause': {
        const t = this.#peerTransfer(from, frame.id, frame.role);
        if (!t) return;
        t.pausedByPeer = true;
        if (t.direction === 'in') t.peerLostFile = frame.reason === 'file-closed';
        this.#emit(t, true);
        return;
      }
      case 'file-resume': {
        const t = this.#peerTransfer(from, frame.id, frame.role);
        if (!t) {
          if (frame.role !== 'receiver') return;
          // A receiver asking about a file I no longer have open (I reloaded): if it waits to be
          // picked again, the receiver should hold on to its chunks; otherwise it is gone.
          const record = await this.#store?.get(keyOf('out', from, frame.id));
          this.#writeTo(
            from,
            record?.state === 'interrupted'
              ? { v, type: 'file-pause', id: frame.id, role: 'sender', reason: 'file-closed' }
              : { v, type: 'file-cancel', id: frame.id, role: 'sender', reason: 'gone' },
          );
          return;
        }
        t.pausedByPeer = false;
        if (t.direction === 'in') t.peerLostFile = false;
        t.linkDown = false;
        if (t.direction === 'in') {
          if (!t.pausedByMe) this.#askResume(t);
        } else if (frame.from !== undefined) {
          const from = Math.min(frame.from, t.chunks);
          if (from < t.acked) return; // Already confirmed past it: a stale or lying resume.
          t.accepted = true;
          this.#rewind(t, from);
          void this.#pump(t);
        }
        this.#emit(t, true);
        return;
      }
      case 'file-cancel': {
        const t = this.#peerTransfer(from, frame.id, frame.role);
        if (!t) return;
        const why = frame.reason === 'cancelled' ? undefined : cancelProblem(frame.reason, from);
        return this.#finish(t, frame.reason === 'cancelled' ? 'cancelled' : 'failed', why);
      }
      case 'file-end': {
        const t = this.#in(from, frame.id);
        if (!t || t.endHash !== null) return;
        t.endHash = frame.sha256;
        return this.#maybeVerify(t);
      }
    }
  }

  onChunk(from: string, chunk: FileChunk): void {
    const t = this.#in(from, chunk.id);
    if (!t) return; // Late chunks of a cancelled transfer, or noise: dropped.
    // Checked on arrival, before anything is kept: what lies past the file or the window I granted
    // is cut off without queueing here (so at most a window of chunks waits below).
    if (chunk.index >= t.chunks || chunk.index >= t.granted) {
      this.#cutOff(t, 'oversent');
      return;
    }
    const expected =
      chunk.index === t.chunks - 1
        ? t.record.size - chunk.index * t.record.chunkSize
        : t.record.chunkSize;
    if (chunk.data.byteLength !== expected) {
      this.#cutOff(t, 'chunk-size');
      return;
    }
    // Copies: the channel's buffer is reused by the next message in some implementations. The
    // chunk is hashed at once (natively, off this thread where WebCrypto is there) and taken in
    // arrival order once its hash is known.
    const data = chunk.data.slice();
    const claimed = chunk.sha256.slice();
    const digest = sha256Of(data);
    const before = this.#arrivals.get(t) ?? Promise.resolve();
    const taken = before
      .then(async () => {
        const mine = await digest;
        this.#take(t, { index: chunk.index, data, digest: mine }, equalBytes(mine, claimed));
      })
      .catch((err: unknown) => console.warn('file chunk from', from, err));
    this.#arrivals.set(t, taken);
  }

  /** A chunk of the right size within the window, in arrival order: kept, or asked for again. */
  #take(t: Incoming, chunk: StoredChunk, intact: boolean): void {
    if (this.#live.get(t.record.key) !== t) return;
    const { index } = chunk;
    if (index < t.expect) {
      // After a resume the sender rewinds to my confirmed point; what was in flight repeats.
      if (++t.dups > t.chunks + WINDOW * 4) this.#cutOff(t, 'repeats');
      return;
    }
    if (index > t.expect || !intact) {
      // A gap or a damaged chunk: ask again from the first one missing.
      if (++t.bad > BAD_MAX) {
        this.#write(t, {
          v,
          type: 'file-cancel',
          id: t.record.id,
          role: 'receiver',
          reason: 'corrupt',
        });
        void this.#finish(t, 'failed', { reason: 'damaged-often' });
        return;
      }
      if (index === t.expect) this.#askResume(t);
      return;
    }
    t.pending.push(chunk);
    t.expect++;
    if (t.pending.length >= BATCH || t.expect === t.chunks) void this.#flush(t);
    else t.flushTimer ??= setTimeout(() => void this.#flush(t), BATCH_MS);
  }

  // --- sender ------------------------------------------------------------------------------------

  #meta(blob: Blob, name: string, options: SendFileOptions): FileMeta {
    if (blob.size > this.deps.maxFileBytes)
      throw new EngineError({
        code: 'BAD_REQUEST',
        message: `${name} is too large to send: files are limited to ${formatBytes(this.deps.maxFileBytes)}`,
        details: { reason: 'file-too-large', name, max: formatBytes(this.deps.maxFileBytes) },
      });
    const okName = fileName.safeParse(name);
    if (!okName.success)
      throw new EngineError({
        code: 'BAD_REQUEST',
        message: okName.error.issues[0]?.message ?? 'bad name',
        details: { field: 'fileName' },
      });
    const mime = fileMime.safeParse(blob.type).success ? blob.type : 'application/octet-stream';
    return { name, size: blob.size, mime, thumb: options.thumb, id: newMessageId() };
  }

  #record(
    direction: 'in' | 'out',
    peer: string,
    conversation: FileRecord['conversation'],
    meta: {
      id: string;
      name: string;
      size: number;
      mime: string;
      thumb?: FileRecord['thumb'] | undefined;
    },
    sentAt = Date.now(),
    chunkSize = CHUNK,
  ): FileRecord {
    return {
      key: keyOf(direction, peer, meta.id),
      id: meta.id,
      direction,
      peer,
      conversation,
      name: meta.name,
      size: meta.size,
      mime: meta.mime,
      chunkSize,
      sentAt,
      ...(meta.thumb ? { thumb: meta.thumb } : {}),
      confirmed: 0,
      state: 'active',
    };
  }

  async #start(
    to: string,
    conversation: FileRecord['conversation'],
    blob: Blob,
    meta: FileMeta,
  ): Promise<FileTransfer> {
    const record = { ...this.#record('out', to, conversation, meta), head: await headOf(blob) };
    await this.#requireStore().put(record);
    const t = this.#outgoing(record, blob);
    this.#live.set(record.key, t);
    this.#emit(t, true);
    void this.#offer(t);
    return this.#view(t);
  }

  /** A sender from the first chunk the receiver has not confirmed: it says where, on accept. */
  #outgoing(record: FileRecord, blob: Blob): Outgoing {
    const chunks = chunkCount(record.size, record.chunkSize);
    return {
      ...this.#base(record),
      direction: 'out',
      blob,
      next: 0,
      acked: 0,
      window: 0,
      accepted: false,
      endSent: false,
      pumping: false,
      digests: new Uint8Array(chunks * DIGEST_BYTES),
      digested: new Uint8Array(chunks),
    };
  }

  async #offer(t: Outgoing): Promise<void> {
    const { record } = t;
    const group = record.conversation.startsWith('g:')
      ? Number(record.conversation.slice(2))
      : undefined;
    const offer: FileOfferFrame = {
      v,
      type: 'file-offer',
      id: record.id,
      conversation: group === undefined ? 'private' : 'group',
      ...(group === undefined ? {} : { groupId: group }),
      name: record.name,
      size: record.size,
      mime: record.mime,
      chunkSize: record.chunkSize,
      digest: CONTENT_HASH,
      sentAt: record.sentAt,
      ...(record.thumb ? { thumb: record.thumb as FileOfferFrame['thumb'] & object } : {}),
    };
    await this.#control(t, offer);
  }

  /** A control frame that may need a channel opened first; failing that, the transfer waits. */
  async #control(t: Transfer, frame: FileFrame): Promise<void> {
    try {
      await this.deps.channels.send(
        t.record.peer,
        encodeFrame(frame),
        Date.now() + this.deps.connectMs,
      );
    } catch {
      if (!this.#live.has(t.record.key)) return;
      t.linkDown = true;
      this.#emit(t, true);
      this.#scheduleRetry(t);
    }
  }

  /**
   * Both ends try to reach the other after the link went, a bounded number of times: the one that
   * reloaded may not be able to (its first try can race the other side noticing the old channel is
   * dead), and a peer that is offline for a moment (a reload) is looked at again rather than given
   * up on. After that the transfer waits for the other end, or for a link opened for anything else.
   */
  #scheduleRetry(t: Transfer): void {
    if (t.retry || !this.#live.has(t.record.key) || t.retries >= RETRIES) return;
    t.retry = setTimeout(
      () => {
        t.retry = null;
        t.retries++;
        const peer = t.record.peer;
        if (!this.#live.has(t.record.key) || this.deps.channels.link(peer) === 'direct') return;
        if (this.deps.isOffline(peer)) return this.#scheduleRetry(t);
        if (t.direction === 'in') this.#askResume(t);
        else if (t.accepted)
          void this.#control(t, { v, type: 'file-resume', id: t.record.id, role: 'sender' });
        else void this.#offer(t);
      },
      1_000 * Math.min(8, 2 ** t.retries),
    );
  }

  /**
   * Goes on from where the receiver says (its accept or resume). The end goes again too: the one
   * sent may have been lost with the channel (a receiver with every chunk but no end waits for it
   * for ever), and a second one is ignored. The last chunk counts as confirmed only by the
   * receiver's final ack, after it checked the whole file, never by where it asks to go on from.
   */
  #rewind(t: Outgoing, from: number): void {
    t.next = from;
    t.acked = Math.max(0, Math.min(from, t.chunks - 1));
    t.endSent = false;
  }

  async #pump(t: Outgoing): Promise<void> {
    if (t.pumping) return;
    t.pumping = true;
    try {
      const peer = t.record.peer;
      while (this.#live.get(t.record.key) === t && !t.pausedByMe && !t.pausedByPeer) {
        if (t.next >= t.chunks) {
          if (t.endSent) return;
          const digest = await this.#contentHash(t);
          if (this.#live.get(t.record.key) !== t) return;
          if (t.next < t.chunks) continue; // Rewound meanwhile (a resume): the chunks go first.
          t.endSent = this.#write(t, { v, type: 'file-end', id: t.record.id, sha256: digest });
          if (t.endSent && t.acked === t.chunks) await this.#finish(t, 'done');
          return;
        }
        if (t.next >= t.acked + t.window) return; // The window is full: wait for an ack.
        if (this.deps.channels.buffered(peer) > HIGH_WATER) {
          await new Promise<void>((resolve) => this.deps.channels.drained(peer, resolve));
          if (this.deps.channels.link(peer) !== 'direct') return;
          continue;
        }
        const index = t.next;
        const data = await this.#chunkData(t, index);
        const digest = await sha256Of(data);
        if (t.next !== index || this.#live.get(t.record.key) !== t) continue; // Rewound meanwhile.
        t.digests.set(digest, index * DIGEST_BYTES);
        t.digested[index] = 1;
        let frame: Uint8Array;
        try {
          frame = encodeChunk({ id: t.record.id, index, sha256: digest, data });
        } catch {
          return; // Cannot happen for sizes #meta allowed; never write a frame a peer refuses.
        }
        if (!this.deps.channels.write(peer, frame)) {
          t.linkDown = true;
          this.#emit(t, true);
          this.#scheduleRetry(t);
          return;
        }
        t.next = index + 1;
      }
    } finally {
      t.pumping = false;
    }
  }

  /**
   * Chunk `index` of the file. A Blob read is a round trip to the browser process (about as long
   * as hashing the chunk), so the file is read READ_AHEAD chunks at a time.
   */
  async #chunkData(t: Outgoing, index: number): Promise<Uint8Array> {
    const start = index * t.record.chunkSize;
    const end = Math.min(start + t.record.chunkSize, t.record.size);
    let read = this.#readAhead.get(t);
    if (!read || start < read.start || end > read.start + read.bytes.byteLength) {
      const upTo = Math.min(t.record.size, start + t.record.chunkSize * READ_AHEAD);
      read = { start, bytes: new Uint8Array(await t.blob.slice(start, upTo).arrayBuffer()) };
      this.#readAhead.set(t, read);
    }
    return read.bytes.subarray(start - read.start, end - read.start);
  }

  /**
   * The file's content hash, from the chunk digests sent; a chunk never sent (a receiver that
   * resumed past it) is read and hashed now.
   */
  async #contentHash(t: Outgoing): Promise<string> {
    for (let i = 0; i < t.chunks; i++) {
      if (t.digested[i]) continue;
      t.digests.set(await sha256Of(await this.#chunkData(t, i)), i * DIGEST_BYTES);
      t.digested[i] = 1;
    }
    return contentHash(t.digests);
  }

  // --- receiver ----------------------------------------------------------------------------------

  async #onOffer(from: string, offer: FileOfferFrame): Promise<void> {
    const key = keyOf('in', from, offer.id);
    const known = this.#live.get(key) ?? (await this.#store?.get(key));
    if (known) {
      // The sender lost my accept (a dropped channel), or picked the file again after a reload:
      // say again where we are. (An offer means it has the file, whatever it said before.)
      const live = this.#live.get(key);
      if (live && live.direction === 'in') {
        if (live.peerLostFile) live.pausedByPeer = false;
        live.peerLostFile = false;
        // An offer is answered with an accept (from where I am, with a window): a sender that
        // reloaded has no window of mine any more, and a resume frame carries none.
        live.answered = false;
        this.#askResume(live);
        this.#emit(live, true);
      }
      return;
    }
    const exchange: Exchange =
      offer.groupId === undefined ? { kind: 'private' } : { kind: 'group', groupId: offer.groupId };
    const verdict = await this.deps.check(from, exchange).catch(() => ({ ok: false as const }));
    if (!verdict.ok) return; // The server would not allow it: dropped, like a refused message.
    const refuse = (reason: FileCancelReason) =>
      this.#writeTo(from, { v, type: 'file-cancel', id: offer.id, role: 'receiver', reason });
    if (offer.digest !== CONTENT_HASH) {
      // An older client: its end digest is one this client no longer computes.
      refuse('refused');
      this.deps.notice({ reason: 'offer-app-old', username: from, name: offer.name }, 'info');
      return;
    }
    if (offer.size > this.deps.maxFileBytes) {
      refuse('too-large');
      this.deps.notice(
        {
          reason: 'offer-too-large',
          username: from,
          name: offer.name,
          size: offer.size,
          max: this.deps.maxFileBytes,
        },
        'info',
      );
      return;
    }
    const busy = [...this.#live.values()].filter(
      (t) => t.direction === 'in' && t.record.peer === from,
    );
    if (busy.length >= INCOMING_PER_PEER || !this.#store) {
      refuse('refused');
      return;
    }
    if (!(await (this.#store.room?.(offer.size) ?? roomFor(offer.size)))) {
      refuse('storage');
      this.deps.notice({ reason: 'offer-no-room', username: from, name: offer.name }, 'error');
      return;
    }
    const conversation: ConversationId =
      offer.groupId === undefined ? `u:${from}` : `g:${offer.groupId}`;
    const record = this.#record('in', from, conversation, offer, offer.sentAt, offer.chunkSize);
    await this.#store.put(record);
    const t = this.#incoming(record);
    this.#live.set(key, t);
    this.#emit(t, true);
    this.#askResume(t);
  }

  #incoming(record: FileRecord): Incoming {
    return {
      ...this.#base(record),
      direction: 'in',
      expect: record.confirmed,
      granted: 0,
      pending: [],
      flushing: null,
      flushTimer: null,
      endHash: null,
      bad: 0,
      dups: 0,
      answered: record.confirmed > 0,
      peerLostFile: false,
    };
  }

  /** Tells the sender where to go on from (accept at first, resume after that), with a window. */
  #askResume(t: Incoming): void {
    if (t.pausedByMe) return;
    // Anything not yet committed will be sent again: the place is what is stored.
    const from = t.record.confirmed + (t.flushing ? 0 : t.pending.length);
    t.expect = from;
    t.granted = from + WINDOW;
    const first = !t.answered;
    t.answered = true;
    const frame: FileFrame = first
      ? { v, type: 'file-accept', id: t.record.id, from, window: WINDOW, digest: CONTENT_HASH }
      : { v, type: 'file-resume', id: t.record.id, role: 'receiver', from };
    void this.#control(t, frame);
  }

  async #flush(t: Incoming): Promise<void> {
    if (t.flushTimer) clearTimeout(t.flushTimer);
    t.flushTimer = null;
    if (t.flushing) {
      await t.flushing;
      if (t.pending.length > 0) return this.#flush(t);
      return;
    }
    const batch = t.pending;
    if (batch.length === 0 || this.#live.get(t.record.key) !== t) return;
    t.pending = [];
    const last = batch[batch.length - 1];
    if (!last) return;
    const confirmed = last.index + 1;
    t.flushing = this.#requireStore()
      .addChunks(t.record.key, batch, confirmed)
      .then(
        () => {
          if (this.#live.get(t.record.key) !== t) return;
          t.record.confirmed = confirmed;
          // The last chunk is confirmed only once the whole file checks out (#maybeVerify).
          if (confirmed < t.chunks) {
            t.granted = confirmed + WINDOW;
            this.#write(t, {
              v,
              type: 'file-ack',
              id: t.record.id,
              upTo: confirmed,
              window: WINDOW,
            });
          }
          this.#progress(t);
        },
        (err: unknown) => {
          if (!this.#live.has(t.record.key)) return;
          this.#write(t, {
            v,
            type: 'file-cancel',
            id: t.record.id,
            role: 'receiver',
            reason: 'storage',
          });
          console.warn(`could not store ${t.record.name}: ${(err as Error).message}`);
          void this.#finish(t, 'failed', { reason: 'store-failed' });
        },
      )
      .finally(() => {
        t.flushing = null;
      });
    await t.flushing;
    await this.#maybeVerify(t);
  }

  async #maybeVerify(t: Incoming): Promise<void> {
    if (t.endHash === null || t.record.confirmed < t.chunks || t.flushing) return;
    if (this.#live.get(t.record.key) !== t) return;
    t.linkDown = false;
    this.#emit(t, true, 'verifying');
    // The digests stored with each batch, which I computed over the bytes I stored.
    const store = this.#requireStore();
    const digests =
      (await store.digests(t.record.key, t.chunks)) ?? (await this.#digestStored(t, store));
    const digest = await contentHash(digests);
    if (digest !== t.endHash) {
      this.#write(t, {
        v,
        type: 'file-cancel',
        id: t.record.id,
        role: 'receiver',
        reason: 'corrupt',
      });
      await this.#finish(t, 'failed', { reason: 'damaged' });
      return;
    }
    t.record.sha256 = digest;
    this.#write(t, { v, type: 'file-ack', id: t.record.id, upTo: t.chunks, window: 0 });
    await this.#finish(t, 'done');
  }

  /** Chunk digests computed again from the stored data, for rows an earlier version wrote. */
  async #digestStored(t: Incoming, store: FileStorage): Promise<Uint8Array> {
    const out = new Uint8Array(t.chunks * DIGEST_BYTES);
    const size = t.record.chunkSize;
    let index = 0;
    await store.eachChunk(t.record.key, t.chunks, async (run) => {
      // A stored run is whole chunks from a chunk boundary (the file's last one may be short).
      for (let at = 0; at < run.size && index < t.chunks; at += size, index++) {
        const data = new Uint8Array(await run.slice(at, at + size).arrayBuffer());
        out.set(await sha256Of(data), index * DIGEST_BYTES);
      }
    });
    return out;
  }

  #cutOff(t: Incoming, what: CutOff): void {
    this.#write(t, {
      v,
      type: 'file-cancel',
      id: t.record.id,
      role: 'receiver',
      reason: 'protocol',
    });
    const problem: FileProblem = {
      reason: 'cut-off',
      username: t.record.peer,
      name: t.record.name,
      what,
    };
    this.deps.notice(problem, 'error');
    void this.#finish(t, 'failed', problem);
  }

  // --- shared ------------------------------------------------------------------------------------

  #base(record: FileRecord): Base {
    return {
      record,
      chunks: chunkCount(record.size, record.chunkSize),
      pausedByMe: false,
      pausedByPeer: false,
      rate: 0,
      rateAt: Date.now(),
      rateBytes: Math.min(record.size, record.confirmed * record.chunkSize),
      emittedAt: 0,
      linkDown: false,
      retry: null,
      retries: 0,
    };
  }

  #role = (t: Transfer) => (t.direction === 'out' ? ('sender' as const) : ('receiver' as const));

  #out(from: string, id: string): Outgoing | undefined {
    const t = this.#live.get(keyOf('out', from, id));
    return t?.direction === 'out' ? t : undefined;
  }

  #in(from: string, id: string): Incoming | undefined {
    const t = this.#live.get(keyOf('in', from, id));
    return t?.direction === 'in' ? t : undefined;
  }

  /** The transfer a frame by the peer in `role` is about: my outgoing one if they receive it. */
  #peerTransfer(from: string, id: string, role: 'sender' | 'receiver'): Transfer | undefined {
    return role === 'receiver' ? this.#out(from, id) : this.#in(from, id);
  }

  #write(t: Transfer, frame: FileFrame): boolean {
    return this.#writeTo(t.record.peer, frame);
  }

  /**
   * A control frame on the open channel at once (in order with the chunks); with none open (a
   * frame can arrive before this side's 'connect' fires) it goes out once one is.
   */
  #writeTo(peer: string, frame: FileFrame): boolean {
    const data = encodeFrame(frame);
    if (this.deps.channels.write(peer, data)) return true;
    this.deps.channels.send(peer, data, Date.now() + this.deps.connectMs).catch(() => undefined);
    return false;
  }

  #requireStore(): FileStorage {
    if (!this.#store) throw new EngineError({ code: 'UNAUTHENTICATED', message: 'sign in first' });
    return this.#store;
  }

  #stopTimers(t: Transfer): void {
    if (t.retry) clearTimeout(t.retry);
    if (t.direction === 'in' && t.flushTimer) clearTimeout(t.flushTimer);
  }

  async #finish(
    t: Transfer,
    state: 'done' | 'cancelled' | 'failed',
    error?: FileProblem,
  ): Promise<void> {
    if (this.#live.get(t.record.key) !== t) return;
    this.#live.delete(t.record.key);
    this.#stopTimers(t);
    t.record.state = state;
    if (state === 'done') t.record.confirmed = t.chunks;
    if (error !== undefined) t.record.error = error;
    const store = this.#store;
    if (store) {
      // The state goes down first: a batch of chunks committing after this is refused by it.
      await store.put({ ...t.record }).catch(() => undefined);
      if (t.direction === 'in' && state !== 'done') {
        while (t.flushing) await t.flushing.catch(() => undefined);
        await store.deleteChunks(t.record.key).catch(() => undefined);
        t.record.confirmed = 0;
        await store.put(t.record).catch(() => undefined);
      }
    }
    this.deps.changed(this.#view(t));
  }

  #progress(t: Transfer): void {
    const now = Date.now();
    const bytes = this.#bytes(t);
    const dt = now - t.rateAt;
    if (dt >= 250) {
      const instant = ((bytes - t.rateBytes) * 1000) / dt;
      t.rate = t.rate === 0 ? instant : t.rate * 0.7 + instant * 0.3;
      t.rateAt = now;
      t.rateBytes = bytes;
    }
    this.#emit(t, false);
  }

  #emit(t: Transfer, force: boolean, state?: TransferState): void {
    const now = Date.now();
    if (!force && now - t.emittedAt < PROGRESS_MS) return;
    t.emittedAt = now;
    const view = this.#view(t);
    this.deps.changed(state ? { ...view, state } : view);
  }

  #bytes(t: Transfer): number {
    return Math.min(t.record.size, t.record.confirmed * t.record.chunkSize);
  }

  #view(t: Transfer): FileTransfer {
    const bytes = this.#bytes(t);
    const moving = !t.pausedByMe && !t.pausedByPeer && !t.linkDown;
    const state: TransferState =
      t.record.state !== 'active'
        ? t.record.state
        : t.direction === 'out' && !t.accepted
          ? 'offered'
          : t.pausedByMe || t.pausedByPeer
            ? 'paused'
            : t.linkDown
              ? 'waiting'
              : 'moving';
    const rate = moving ? t.rate : 0;
    return {
      ...this.#viewOf(t.record),
      state,
      bytes,
      rate,
      etaMs: rate > 0 ? Math.round(((t.record.size - bytes) * 1000) / rate) : null,
      pausedByMe: t.pausedByMe,
      pausedByPeer: t.pausedByPeer,
      peerLostFile: t.direction === 'in' && t.peerLostFile,
    };
  }

  #viewOf(record: FileRecord): FileTransfer {
    const done = record.state === 'done';
    return {
      key: record.key,
      id: record.id,
      direction: record.direction,
      peer: record.peer,
      conversation: record.conversation,
      name: record.name,
      size: record.size,
      mime: record.mime,
      sentAt: record.sentAt,
      thumb: record.thumb,
      state: record.state === 'active' ? 'waiting' : record.state,
      bytes: done ? record.size : Math.min(record.size, record.confirmed * record.chunkSize),
      rate: 0,
      etaMs: null,
      pausedByMe: false,
      pausedByPeer: false,
      peerLostFile: false,
      error: storedProblem(record.error),
    };
  }
}

function cancelProblem(reason: FileCancelReason, peer: string): FileProblem {
  switch (reason) {
    case 'too-large':
      return { reason: 'peer-too-large', username: peer };
    case 'storage':
      return { reason: 'peer-no-room', username: peer };
    case 'corrupt':
      return { reason: 'peer-damaged', username: peer };
    case 'gone':
      return { reason: 'peer-gone', username: peer };
    case 'protocol':
      return { reason: 'peer-protocol', username: peer };
    case 'refused':
    case 'cancelled':
      return { reason: 'peer-refused', username: peer };
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** SHA-256 of a file's first chunk: what tells the same file when it is picked again. */
async function headOf(blob: Blob): Promise<string> {
  return bytesToHex(await sha256Of(new Uint8Array(await blob.slice(0, CHUNK).arrayBuffer())));
}

/** Whether the browser says there is room for `size` more bytes (true when it cannot tell). */
async function roomFor(size: number): Promise<boolean> {
  const storage = (globalThis.navigator as { storage?: StorageManager } | undefined)?.storage;
  if (!storage?.estimate) return true;
  try {
    const { quota, usage } = await storage.estimate();
    if (quota === undefined || usage === undefined) return true;
    return quota - usage > size;
  } catch {
    return true;
  }
}
