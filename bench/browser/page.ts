/**
 * The browser benchmark's page: the real chat engine (web/src/core) and a raw RTCDataChannel, driven
 * by bench/suites/browser.ts through `window.bench`. Built with Vite into a temporary directory and
 * served by the signaling server under test, so the engine talks to it same-origin ('' server URL),
 * exactly as the web client does.
 *
 * Every loop here is bounded by a count and a deadline; a message that never completes is settled as
 * not delivered when the deadline passes.
 */
import { Dexie, type Table } from 'dexie';
import { encodeFrame, parseFrame } from '../../shared/peer-wire.ts';
import type { ChatEngine, ChatMessage, FileTransfer } from '../../web/src/core/api.ts';
import { createEngine } from '../../web/src/core/engine.ts';
import { History } from '../../web/src/core/history.ts';
import { fileProblemText } from '../../web/src/core/files/problem.ts';
import { newMessageId } from '../../web/src/core/ids.ts';
import type { BenchPage, FileRun, Throughput, TimedSend } from './api.ts';

const now = () => performance.timeOrigin + performance.now();

/**
 * IndexedDB work per database, counted by wrapping the IDB prototypes (both engines of a page
 * share them): read-write transactions, the ms from creating each to its `complete` (its commit
 * latency as its callers see it), and write requests (put/add/delete). Read around the throughput
 * runs to say how well the engine's group commit batches and how long its commits take.
 */
type IdbWrites = { transactions: number; ms: number; requests: number };
const idbWrites = new Map<string, IdbWrites>();
function idbCount(name: string): IdbWrites {
  let c = idbWrites.get(name);
  if (!c) idbWrites.set(name, (c = { transactions: 0, ms: 0, requests: 0 }));
  return c;
}
{
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (
    this: IDBDatabase,
    ...args: Parameters<IDBDatabase['transaction']>
  ) {
    const tx = transaction.apply(this, args);
    if (args[1] === 'readwrite') {
      const c = idbCount(this.name);
      const t0 = performance.now();
      c.transactions++;
      tx.addEventListener('complete', () => (c.ms += performance.now() - t0));
    }
    return tx;
  } as IDBDatabase['transaction'];
  for (const method of ['put', 'add', 'delete'] as const) {
    const original = IDBObjectStore.prototype[method] as (...a: unknown[]) => IDBRequest;
    (IDBObjectStore.prototype as unknown as Record<string, unknown>)[method] = function (
      this: IDBObjectStore,
      ...args: unknown[]
    ) {
      idbCount(this.transaction.db.name).requests++;
      return original.apply(this, args);
    };
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Resolves once the channel's buffer runs low, or after a second (a missed event cannot stall). */
const drained = (dc: RTCDataChannel) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    dc.addEventListener(
      'bufferedamountlow',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Waiters keyed by id, all settled as `false` when the run's deadline passes. */
class Pending {
  readonly #map = new Map<string, (ok: boolean) => void>();
  readonly #early = new Map<string, boolean>();
  wait(id: string): Promise<boolean> {
    const early = this.#early.get(id);
    if (early !== undefined) {
      this.#early.delete(id);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => this.#map.set(id, resolve));
  }
  settle(id: string, ok: boolean): void {
    const resolve = this.#map.get(id);
    if (!resolve) {
      this.#early.set(id, ok);
      return;
    }
    this.#map.delete(id);
    resolve(ok);
  }
  abortAll(): void {
    for (const resolve of this.#map.values()) resolve(false);
    this.#map.clear();
    this.#early.clear();
  }
}

/**
 * `window` workers, each starting one operation when its previous one completed, until `seconds`
 * have passed or `cap` operations were started; then up to `drainMs` for the last ones.
 */
async function windowed(
  o: { seconds: number; window: number; cap: number; drainMs: number },
  pending: Pending | null,
  one: (k: number) => Promise<boolean>,
): Promise<Omit<Throughput, 'bytesPerMessage'>> {
  let sent = 0;
  let delivered = 0;
  let notDirect = 0;
  let last = 0;
  const errors: string[] = [];
  const t0 = now();
  const end = t0 + o.seconds * 1000;
  const abort = setTimeout(() => pending?.abortAll(), o.seconds * 1000 + o.drainMs);
  const worker = async () => {
    while (now() < end && sent < o.cap) {
      const k = sent++;
      try {
        if (await one(k)) delivered++;
        else notDirect++;
      } catch (err) {
        notDirect++;
        if (errors.length < 3) errors.push(errText(err));
      }
      last = now();
    }
  };
  await Promise.all(Array.from({ length: o.window }, worker));
  clearTimeout(abort);
  return { sent, delivered, notDirect, ms: last - t0, errors };
}

const textOf = (size: number, k: number) => `${k} `.concat('x'.repeat(size)).slice(0, size);

// --- engines ---

interface Entry {
  engine: ChatEngine;
  directAt: Map<string, number>;
  recvAt: Map<string, number>;
  /** Own messages reaching a final state (delivered / stored / failed). */
  pending: Pending;
  /** Only while timing single sends (not during throughput runs, to keep memory flat). */
  keepReceived: boolean;
  /** Throughput runs: when every SAMPLE_EVERY-th message (by its number) was stored and shown. */
  recvSample: Map<number, number>;
  /** The newest view of each file transfer, by key, and waiters for one to end. */
  files: Map<string, FileTransfer>;
  fileWaiters: Map<string, (f: FileTransfer) => void>;
}

const FINAL_FILE_STATES = new Set(['done', 'cancelled', 'failed', 'offline']);

/** Throughput runs time one message in this many through its stages. */
const SAMPLE_EVERY = 16;
/** The message number `textOf` put at the start of the text. */
const numberOf = (text: string) => Number.parseInt(text, 10);

const engines = new Map<string, Entry>();

function entry(name: string): Entry {
  const e = engines.get(name);
  if (!e) throw new Error(`no engine for ${name}`);
  return e;
}

function newEngine(name: string): Entry {
  const engine = createEngine({ serverUrl: '' });
  const e: Entry = {
    engine,
    directAt: new Map(),
    recvAt: new Map(),
    pending: new Pending(),
    keepReceived: true,
    recvSample: new Map(),
    files: new Map(),
    fileWaiters: new Map(),
  };
  engine.on((ev) => {
    if (ev.type === 'file') {
      e.files.set(ev.file.key, ev.file);
      if (FINAL_FILE_STATES.has(ev.file.state)) {
        e.fileWaiters.get(ev.file.key)?.(ev.file);
        e.fileWaiters.delete(ev.file.key);
      }
    } else if (ev.type === 'link') {
      if (ev.link === 'direct') e.directAt.set(ev.username, now());
    } else if (ev.type === 'message') {
      const m: ChatMessage = ev.message;
      if (m.from === name) {
        if (m.state && m.state !== 'sending') e.pending.settle(m.id, m.state === 'delivered');
      } else if (e.keepReceived) {
        if (!e.recvAt.has(m.id)) e.recvAt.set(m.id, now());
      } else {
        const k = numberOf(m.text);
        if (k % SAMPLE_EVERY === 0 && !e.recvSample.has(k)) e.recvSample.set(k, now());
      }
    }
  });
  engines.set(name, e);
  return e;
}

// --- raw RTCDataChannel: one connection per page ---

let rawPc: RTCPeerConnection | null = null;
let rawDc: RTCDataChannel | null = null;
const rawPending = new Pending();
let bulkReply: ((n: number) => void) | null = null;

function gathered(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const timer = setTimeout(resolve, timeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** The receiving side: acks `msg` frames like the engine's peer does, counts bulk frames. */
function answerOn(channel: RTCDataChannel): void {
  let bulk = 0;
  let binary = 0;
  channel.binaryType = 'arraybuffer';
  channel.onmessage = (ev: MessageEvent) => {
    if (ev.data instanceof ArrayBuffer) {
      binary += ev.data.byteLength;
      return;
    }
    const f = JSON.parse(String(ev.data)) as { type: string; id?: string; n?: number };
    if (f.type === 'msg') channel.send(JSON.stringify({ v: 1, type: 'ack', id: f.id }));
    else if (f.type === 'bulk') bulk++;
    else if (f.type === 'end') {
      channel.send(JSON.stringify({ type: 'count', n: bulk }));
      bulk = 0;
    } else if (f.type === 'binary-end') {
      channel.send(JSON.stringify({ type: 'count', n: binary }));
      binary = 0;
    }
  };
}

function rawSenderOn(channel: RTCDataChannel): void {
  channel.onmessage = (ev: MessageEvent) => {
    const f = JSON.parse(String(ev.data)) as { type: string; id?: string; n?: number };
    if (f.type === 'ack' && f.id) rawPending.settle(f.id, true);
    else if (f.type === 'count') bulkReply?.(f.n ?? 0);
  };
}

const bench: BenchPage = {
  async register(names, password, concurrency) {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, names.length) }, async () => {
        while (next < names.length) {
          const name = names[next++] as string;
          const e = newEngine(name);
          await e.engine.register(name, password);
          if (e.engine.session.phase !== 'ready') throw new Error(`${name} is not signed in`);
        }
      }),
    );
  },

  async waitReady(names, timeoutMs) {
    const end = now() + timeoutMs;
    for (const name of names) {
      for (;;) {
        const { phase, endedBecause } = entry(name).engine.session;
        if (phase === 'ready') break;
        if (phase === 'signed-out') {
          const why = endedBecause
            ? `${endedBecause.reason}: ${endedBecause.message}`
            : 'no reason';
          throw new Error(`${name} was signed out after signing up (${why})`);
        }
        if (now() > end) throw new Error(`${name} is not ready in time (${phase})`);
        await sleep(20);
      }
    }
  },

  async addFriend(me, other) {
    await entry(me).engine.addFriend(other);
  },

  async acceptFriend(me, other) {
    const { engine } = entry(me);
    const end = now() + 10_000;
    // The request event may still be on its way to this engine; the server has it already.
    while (!engine.social.incoming.includes(other) && now() < end) await sleep(10);
    await engine.respondFriend(other, true);
  },

  async waitFriendOnline(me, other, timeoutMs) {
    const { engine } = entry(me);
    const end = now() + timeoutMs;
    for (;;) {
      const f = engine.social.friends.find((x) => x.username === other);
      if (f && f.status !== 'offline') return;
      if (now() > end) throw new Error(`${other} is not an online friend of ${me} in time`);
      await sleep(10);
    }
  },

  async timedSend(from, to, text, timeoutMs): Promise<TimedSend> {
    const e = entry(from);
    const t0 = now();
    const m = await e.engine.sendPrivate(to, text);
    const queuedAt = now();
    const timer = setTimeout(() => e.pending.abortAll(), timeoutMs);
    const ok = await e.pending.wait(m.id);
    clearTimeout(timer);
    const doneAt = now();
    const directAt = e.directAt.get(to) ?? null;
    const state = ok
      ? 'delivered'
      : ((await e.engine.history(`u:${to}`)).find((x) => x.id === m.id)?.state ?? 'timeout');
    return { state, t0, queuedAt, directAt, doneAt, id: m.id };
  },

  receivedAt(me, id) {
    return entry(me).recvAt.get(id) ?? null;
  },

  receivedSamples(me) {
    const e = entry(me);
    e.keepReceived = false;
    const out = Object.fromEntries(e.recvSample);
    e.recvSample.clear();
    return out;
  },

  async engineThroughput(from, to, o) {
    const e = entry(from);
    const receivers = [...engines.values()];
    for (const r of receivers) r.keepReceived = false;
    const samples: NonNullable<Throughput['samples']> = [];
    const r = await windowed(o, e.pending, async (k) => {
      if (k % SAMPLE_EVERY !== 0) {
        const m = await e.engine.sendPrivate(to, textOf(o.size, k));
        return e.pending.wait(m.id);
      }
      const t0 = now();
      const m = await e.engine.sendPrivate(to, textOf(o.size, k));
      const queued = now();
      const ok = await e.pending.wait(m.id);
      if (ok) samples.push({ k, t0, queued, done: now() });
      return ok;
    });
    return { ...r, bytesPerMessage: o.size, samples };
  },

  async fileSend(from, to, o) {
    const e = entry(from);
    // One part referenced over and over: Chromium's blob registry keeps a single copy of it, so
    // the sender page never holds the file (the engine reads it a chunk at a time with slice()).
    const part = new Uint8Array(o.partBytes);
    let x = 1;
    for (let i = 0; i < part.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      part[i] = x >>> 24;
    }
    const partBlob = new Blob([part]);
    const parts: Blob[] = [];
    for (let at = 0; at < o.bytes; at += o.partBytes)
      parts.push(at + o.partBytes <= o.bytes ? partBlob : partBlob.slice(0, o.bytes - at));
    const file = new Blob(parts, { type: 'application/octet-stream' });
    const t0 = now();
    const sent = await e.engine.files.sendPrivate(to, file, 'bench.bin');
    const final = await new Promise<FileTransfer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), o.timeoutMs);
      e.fileWaiters.set(sent.key, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
    const ms = now() - t0;
    e.fileWaiters.delete(sent.key);
    const last = final ?? e.files.get(sent.key);
    return {
      id: sent.id,
      size: sent.size,
      state: final?.state ?? 'timeout',
      bytes: last?.bytes ?? 0,
      error: last?.error ? fileProblemText(last.error, 'en') : null,
      ms,
    } satisfies FileRun;
  },

  fileProgress(me) {
    let newest: FileTransfer | null = null;
    for (const f of entry(me).files.values()) if (!newest || f.sentAt >= newest.sentAt) newest = f;
    return newest && { bytes: newest.bytes, size: newest.size, state: newest.state };
  },

  async fileReceived(me, id) {
    const e = entry(me);
    const f = [...e.files.values()].find((x) => x.id === id && x.direction === 'in');
    if (!f) return null;
    const blob = await e.engine.files.blob(f.key);
    return { state: f.state, bytes: blob?.size ?? 0 };
  },

  async fileClear(me) {
    const e = entry(me);
    await e.engine.files.clear();
    e.files.clear();
  },

  async rawFile(o) {
    const dc = rawDc;
    if (!dc || dc.readyState !== 'open') throw new Error('raw channel not open');
    // The engine's flow control: write while under its high-water mark, wait for the low event.
    dc.bufferedAmountLowThreshold = 64 << 10;
    const frame = new Uint8Array(o.chunk);
    frame.fill(7);
    let sent = 0;
    const t0 = now();
    const end = t0 + o.timeoutMs;
    while (sent < o.bytes && now() < end) {
      if (dc.bufferedAmount > o.highWater) {
        await drained(dc);
        continue;
      }
      const n = Math.min(o.chunk, o.bytes - sent);
      dc.send(n === o.chunk ? frame : frame.subarray(0, n));
      sent += n;
    }
    const counted = new Promise<number>((resolve) => {
      bulkReply = resolve;
      setTimeout(() => resolve(-1), Math.max(1_000, end - now()));
    });
    dc.send(JSON.stringify({ type: 'binary-end' }));
    const delivered = await counted;
    bulkReply = null;
    return { sent, delivered: Math.max(0, delivered), ms: now() - t0 };
  },

  idbWrites() {
    return Object.fromEntries([...idbWrites].map(([k, v]) => [k, { ...v }]));
  },

  async destroy(names) {
    for (const name of names) {
      await engines.get(name)?.engine.destroy();
      engines.delete(name);
    }
  },

  async rawOffer() {
    rawPc = new RTCPeerConnection({ iceServers: [] });
    rawDc = rawPc.createDataChannel('bench', { ordered: true });
    rawSenderOn(rawDc);
    await rawPc.setLocalDescription(await rawPc.createOffer());
    await gathered(rawPc, 5_000);
    return (rawPc.localDescription as RTCSessionDescription).toJSON();
  },

  async rawAnswer(offer) {
    const pc = new RTCPeerConnection({ iceServers: [] });
    rawPc = pc;
    pc.ondatachannel = (ev) => {
      rawDc = ev.channel;
      answerOn(ev.channel);
    };
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc, 5_000);
    return (pc.localDescription as RTCSessionDescription).toJSON();
  },

  async rawConnect(answer, timeoutMs) {
    const pc = rawPc;
    const dc = rawDc;
    if (!pc || !dc) throw new Error('rawOffer first');
    await pc.setRemoteDescription(answer);
    if (dc.readyState === 'open') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`raw channel not open in ${timeoutMs} ms`)),
        timeoutMs,
      );
      dc.addEventListener('open', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  },

  async rawAcked(o) {
    const dc = rawDc;
    if (!dc || dc.readyState !== 'open') throw new Error('raw channel not open');
    let bytes = 0;
    const r = await windowed(o, rawPending, (k) => {
      const id = newMessageId();
      // The engine's msg frame, same size, same JSON.
      const frame = JSON.stringify({
        v: 1,
        type: 'msg',
        id,
        conversation: 'private',
        text: textOf(o.size, k),
        sentAt: Date.now(),
      });
      bytes = frame.length;
      const done = rawPending.wait(id);
      dc.send(frame);
      return done;
    });
    return { ...r, bytesPerMessage: o.size, frameBytes: bytes };
  },

  async rawBulk(o) {
    const dc = rawDc;
    if (!dc || dc.readyState !== 'open') throw new Error('raw channel not open');
    const high = 1 << 20;
    dc.bufferedAmountLowThreshold = 256 << 10;
    const frame = JSON.stringify({
      v: 1,
      type: 'bulk',
      id: newMessageId(),
      text: textOf(o.size, 0),
      sentAt: Date.now(),
    });
    let sent = 0;
    const t0 = now();
    const end = t0 + o.seconds * 1000;
    while (now() < end && sent < o.cap) {
      if (dc.bufferedAmount > high) {
        await drained(dc);
        continue;
      }
      dc.send(frame);
      sent++;
    }
    const counted = new Promise<number>((resolve) => {
      bulkReply = resolve;
      setTimeout(() => resolve(-1), o.seconds * 1000 + o.drainMs);
    });
    dc.send(JSON.stringify({ type: 'end' }));
    const n = await counted;
    bulkReply = null;
    const ms = now() - t0;
    return {
      sent,
      delivered: Math.max(0, n),
      notDirect: n < 0 ? sent : sent - n,
      ms,
      bytesPerMessage: o.size,
      errors: n < 0 ? ['no count from the receiver in time'] : [],
    };
  },

  rawClose() {
    rawDc?.close();
    rawPc?.close();
    rawDc = null;
    rawPc = null;
  },

  async historySender(o) {
    const user = `hs${newMessageId().slice(0, 8)}`;
    const peer = 'peer';
    const h = await History.open(user, {});
    try {
      const r = await windowed({ ...o, drainMs: 10_000 }, null, async (k) => {
        const id = newMessageId();
        const message: ChatMessage = {
          id,
          conversation: `u:${peer}`,
          from: user,
          text: textOf(o.size, k),
          sentAt: Date.now(),
          state: 'sending',
        };
        // What Delivery does around one direct message (and the engine's conversations refresh
        // after each change; History group-commits concurrent writes and keeps the list in memory).
        await h.addOwn(message, peer);
        await h.conversations();
        await h.settleOwn(message, { state: 'delivered', error: undefined });
        await h.conversations();
        return true;
      });
      return { count: r.delivered, ms: r.ms };
    } finally {
      h.close();
      indexedDB.deleteDatabase(`p2sp-${user}`);
    }
  },

  async historyReceiver(o) {
    const user = `hr${newMessageId().slice(0, 8)}`;
    const peer = 'peer';
    const h = await History.open(user, {});
    try {
      const r = await windowed({ ...o, drainMs: 10_000 }, null, async (k) => {
        // What Inbox does with one frame from a peer.
        await h.addReceived(
          {
            id: newMessageId(),
            conversation: `u:${peer}`,
            from: peer,
            text: textOf(o.size, k),
            sentAt: Date.now(),
          },
          peer,
        );
        await h.conversations();
        return true;
      });
      return { count: r.delivered, ms: r.ms };
    } finally {
      h.close();
      indexedDB.deleteDatabase(`p2sp-${user}`);
    }
  },

  async historyBatched(o) {
    const name = `p2sp-hb${newMessageId().slice(0, 8)}`;
    type Row = ChatMessage & { outboxAt?: number };
    const db = new Dexie(name) as Dexie & {
      messages: Table<Row, [string, string]>;
      conversations: Table<{ id: string; updatedAt: number; unread: number }, string>;
    };
    // History's schema (web/src/core/history.ts): the outbox is a sparse index on the message rows.
    db.version(1).stores({
      messages: '[from+id], [conversation+sentAt], outboxAt',
      conversations: 'id, updatedAt',
    });
    await db.open();
    const me = 'me';
    const peer = 'peer';
    let count = 0;
    const t0 = now();
    const end = t0 + o.seconds * 1000;
    try {
      while (now() < end && count < o.cap) {
        const sentAt = Date.now();
        const own: Row[] = [];
        const received: ChatMessage[] = [];
        for (let j = 0; j < o.window; j++) {
          const id = newMessageId();
          const text = textOf(o.size, count + j);
          own.push({
            id,
            conversation: `u:${peer}`,
            from: me,
            text,
            sentAt,
            state: 'sending',
            outboxAt: sentAt,
          });
          received.push({ id, conversation: `u:${me}`, from: peer, text, sentAt });
        }
        const conv = (id: string) => ({ id, updatedAt: Date.now(), unread: 0 });
        // Sender: queue the batch; receiver: store it; sender: mark it delivered (out of the outbox).
        await db.transaction('rw', [db.messages, db.conversations], async () => {
          await db.messages.bulkPut(own);
          await db.conversations.put(conv(`u:${peer}`));
        });
        await db.transaction('rw', [db.messages, db.conversations], async () => {
          await db.messages.bulkPut(received);
          await db.conversations.put(conv(`u:${me}`));
        });
        await db.transaction('rw', [db.messages, db.conversations], async () => {
          await db.messages.bulkPut(
            own.map(({ outboxAt: _outboxAt, ...m }) => ({ ...m, state: 'delivered' as const })),
          );
          await db.conversations.put(conv(`u:${peer}`));
        });
        count += o.window;
      }
      return { count, ms: now() - t0 };
    } finally {
      db.close();
      await Dexie.delete(name);
    }
  },

  codec(o) {
    const t0 = now();
    let n = 0;
    for (let k = 0; k < o.count; k++) {
      const id = newMessageId();
      const msg = encodeFrame({
        v: 1,
        type: 'msg',
        id,
        conversation: 'private',
        text: textOf(o.size, k),
        sentAt: Date.now(),
      });
      const ack = encodeFrame({ v: 1, type: 'ack', id });
      if (parseFrame(msg).ok && parseFrame(ack).ok) n++;
    }
    return { count: n, ms: now() - t0 };
  },
};

window.bench = bench;
window.benchReady = true;
