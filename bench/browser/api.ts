/**
 * What the bench page (bench/browser/page.ts, built with Vite and loaded in Chromium) offers the
 * orchestrator (bench/suites/browser.ts) as `window.bench`. Types only: both sides import this.
 * Times are `performance.timeOrigin + performance.now()` in ms, comparable between the two pages
 * (same machine, same clock) to well under a millisecond.
 */

export interface TimedSend {
  /** Final state of the message: 'delivered' is direct (acked by the peer over the data channel). */
  state: string;
  /** When sendPrivate was called. */
  t0: number;
  /** When sendPrivate resolved (message stored locally, attempt started). */
  queuedAt: number;
  /** When the engine reported the data channel to the peer open ('link' -> 'direct'). */
  directAt: number | null;
  /** When the engine reported the message delivered (peer's ack received and recorded). */
  doneAt: number;
  id: string;
}

export interface Throughput {
  sent: number;
  delivered: number;
  /** Stored in the offline store or failed instead of delivered directly (should be 0). */
  notDirect: number;
  /** First send to the last ack, ms. */
  ms: number;
  /** Text bytes per message (the ~1 KB the user typed). */
  bytesPerMessage: number;
  /** Bytes of the JSON frame on the channel (raw runs). */
  frameBytes?: number;
  /**
   * Engine runs: every 16th message (by number) timed: sendPrivate called (t0), resolved
   * (queued), reported delivered (done).
   */
  samples?: { k: number; t0: number; queued: number; done: number }[];
  errors: string[];
}

export interface FileRun {
  id: string;
  size: number;
  /** The sender's final state: 'done' once the receiver checked the file's content hash. */
  state: string;
  /** Bytes the receiver confirmed. */
  bytes: number;
  error: string | null;
  /** sendPrivate called to the sender's transfer done (offer, accept, every chunk, the hash). */
  ms: number;
}

export interface Rate {
  count: number;
  ms: number;
}

export interface BenchPage {
  /** Registers each name over HTTP (engine.register) and waits for its session to be ready. */
  register(names: string[], password: string, concurrency: number): Promise<void>;
  /**
   * Waits until every named engine's session is ready (a reconnect since sign-up finished), or
   * throws saying which one was signed out and why.
   */
  waitReady(names: string[], timeoutMs: number): Promise<void>;
  addFriend(me: string, other: string): Promise<void>;
  acceptFriend(me: string, other: string): Promise<void>;
  /** Waits until `other` is my friend and online (what delivery needs to try the channel). */
  waitFriendOnline(me: string, other: string, timeoutMs: number): Promise<void>;
  /** One message through the engine, timed to delivered (ack) or to its final other state. */
  timedSend(from: string, to: string, text: string, timeoutMs: number): Promise<TimedSend>;
  /** When the receiving engine reported message `id` (null: not seen). */
  receivedAt(me: string, id: string): number | null;
  /**
   * Throughput runs: when the receiving engine reported each sampled message (stored, by its
   * number), since the last call; clears them. Also stops it recording every message it receives
   * (receivedAt), so a long run keeps its memory flat.
   */
  receivedSamples(me: string): Record<number, number>;
  /** Messages through the engine, `window` awaiting delivery at a time, for `seconds`. */
  engineThroughput(
    from: string,
    to: string,
    o: { seconds: number; window: number; size: number; cap: number; drainMs: number },
  ): Promise<Throughput>;
  destroy(names: string[]): Promise<void>;

  // --- files (issue 13) ---
  /**
   * A `bytes` long file (one `partBytes` part repeated, so the page never holds it whole) through
   * the engine's file transfer; resolves when the sender's transfer is final, or at `timeoutMs`.
   */
  fileSend(
    from: string,
    to: string,
    o: { bytes: number; partBytes: number; timeoutMs: number },
  ): Promise<FileRun>;
  /** The engine's newest view of this side's newest transfer (bytes confirmed so far). */
  fileProgress(me: string): { bytes: number; size: number; state: string } | null;
  /** The receiver's stored file `id`, as its Blob's size (built from the stored chunks). */
  fileReceived(me: string, id: string): Promise<{ state: string; bytes: number } | null>;
  /** Deletes every stored file of `me`. */
  fileClear(me: string): Promise<void>;
  /**
   * This page's IndexedDB read-write transactions (count, and summed ms from creation to complete)
   * and write requests so far, by database.
   */
  idbWrites(): Record<string, { transactions: number; ms: number; requests: number }>;

  // --- the raw ceiling: one RTCPeerConnection per page, no engine, no simple-peer ---
  rawOffer(): Promise<RTCSessionDescriptionInit>;
  rawAnswer(offer: RTCSessionDescriptionInit): Promise<RTCSessionDescriptionInit>;
  rawConnect(answer: RTCSessionDescriptionInit, timeoutMs: number): Promise<void>;
  /** Same frames as the engine's (JSON msg, JSON ack back), same window. */
  rawAcked(o: {
    seconds: number;
    window: number;
    size: number;
    cap: number;
    drainMs: number;
  }): Promise<Throughput>;
  /** No acks: as fast as the channel takes them (bufferedAmount-paced); one reply at the end. */
  rawBulk(o: { seconds: number; size: number; cap: number; drainMs: number }): Promise<Throughput>;
  /**
   * `bytes` as binary frames of `chunk` bytes on the raw channel, paced like the file engine
   * (write under `highWater` queued, wait for `bufferedamountlow` at 64 KiB); the receiver counts
   * the bytes and replies at the end.
   */
  rawFile(o: {
    bytes: number;
    chunk: number;
    highWater: number;
    timeoutMs: number;
  }): Promise<{ sent: number; delivered: number; ms: number }>;
  rawClose(): void;

  // --- the engine's parts alone, to see where its time goes ---
  /** The sender's IndexedDB work per message (History, as the engine does it), `window` at a time. */
  historySender(o: { seconds: number; window: number; size: number; cap: number }): Promise<Rate>;
  /** The receiver's IndexedDB work per message. */
  historyReceiver(o: { seconds: number; window: number; size: number; cap: number }): Promise<Rate>;
  /**
   * The sender's and receiver's same rows written `window` messages per transaction (bulkPut /
   * bulkDelete; 3 read-write transactions per batch): what batching the engine's writes could reach.
   */
  historyBatched(o: { seconds: number; window: number; size: number; cap: number }): Promise<Rate>;
  /** zod encode + parse of one msg frame and one ack frame, `count` times. */
  codec(o: { count: number; size: number }): Rate;
}

declare global {
  interface Window {
    bench: BenchPage;
    benchReady: boolean;
  }
}
