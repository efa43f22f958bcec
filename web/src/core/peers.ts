/**
 * One simple-peer connection per remote user: opened on demand when there is something to send,
 * reused while traffic flows, closed when idle or when the server says the relationship ended.
 *
 * Glare: only the lexicographically smaller username initiates. The other side, when it wants a
 * channel, sends a `knock` signal asking to be called. Each connection has an id (`sid`) carried on
 * its signals, so a late answer or candidate for a replaced connection is recognised and dropped.
 *
 * Accounts: an offer or answer is let in only with the sender's signature over its DTLS fingerprint
 * (PeersDeps.channelAuth), so a server that swaps the SDP gets a refused channel, not a silent man
 * in the middle. The signals of a connection whose sender's key is not known yet wait while the
 * key is looked up, then go through the same check.
 */
import Peer, { type Options as PeerOptions, type SignalData } from 'simple-peer';
import type { IceServer, IceTransportPolicy } from '../../../shared/events.ts';
import { sameUsername } from '../../../shared/names.ts';
import {
  encodeFrame,
  frames,
  isChunkData,
  parseChunk,
  parseFrame,
  type FileChunk,
  peerSignal,
  signals,
  type PeerFrame,
  type PeerSignal,
} from '../../../shared/peer-wire.ts';
import type { LinkState } from './api.ts';
import { newMessageId } from './ids.ts';

/** What Peers uses of one simple-peer connection; unit tests link two fakes of it in process. */
export interface PeerConnection {
  on(event: 'signal', listener: (data: SignalData) => void): unknown;
  on(event: 'connect' | 'close', listener: () => void): unknown;
  on(event: 'data', listener: (chunk: unknown) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  signal(data: SignalData): void;
  send(data: string | Uint8Array): void;
  destroy(): void;
  /** Bytes queued on the data channel (simple-peer's getter over `bufferedAmount`). */
  readonly bufferSize?: number;
  /** simple-peer's data channel, for `bufferedamountlow` (files/transfers.ts flow control). */
  readonly _channel?: RTCDataChannel | null;
}

export type PeerFactory = (options: {
  initiator: boolean;
  iceServers: IceServer[];
  iceTransportPolicy: IceTransportPolicy;
}) => PeerConnection;

export interface PeersDeps {
  wrtc: PeerOptions['wrtc'];
  /** Makes one connection; default: simple-peer over `wrtc` (or the browser's WebRTC). */
  createPeer?: PeerFactory;
  idleCloseMs: number;
  /** A connection that has not opened after this long is given up (the other side vanished). */
  connectTimeoutMs: number;
  /** Forces a policy whatever the server says (an operator or a test forcing TURN relay). */
  iceTransportPolicy?: IceTransportPolicy | undefined;
  me(): string;
  sendSignal(to: string, signal: PeerSignal): Promise<void>;
  onFrame(from: string, frame: PeerFrame): void;
  /** A binary file chunk (files/transfers.ts); absent, chunks are dropped. */
  onChunk?: (from: string, chunk: FileChunk) => void;
  onLink(username: string, link: LinkState): void;
  channelAuth: ChannelAuth;
}

/** Signs my offers and answers, and checks theirs (e2ee/keys.ts over the pinned keys). */
export interface ChannelAuth {
  sign(to: string, sid: string, type: string, sdp: string): string | null;
  check(
    from: string,
    sid: string,
    type: string,
    sdp: string,
    auth: string | undefined,
  ): 'ok' | 'unknown' | 'pending' | 'bad';
  /** Find `username`'s key (it may be in a group whose members were not loaded yet). */
  learn(username: string): Promise<void>;
  /**
   * A connection from `username` was refused: its signature did not match their pinned key
   * (`bad-signature`: someone may be in the middle), it matched a changed key I have not accepted
   * (`key-changed`), or no key is known for them (`no-key`).
   */
  refused(username: string, why: RefusedBecause): void;
}

export type RefusedBecause = 'bad-signature' | 'key-changed' | 'no-key';

const refusal = (verdict: 'unknown' | 'pending' | 'bad'): RefusedBecause =>
  verdict === 'unknown' ? 'no-key' : verdict === 'pending' ? 'key-changed' : 'bad-signature';

/** Offers and answers carry an SDP with the fingerprint the channel's DTLS is keyed to. */
const isSessionDescription = (data: { type?: unknown; sdp?: unknown }) =>
  (data.type === 'offer' || data.type === 'answer') && typeof data.sdp === 'string';

/**
 * What `send` hands back: settles if the channel the frame went out on is lost (it broke, ICE
 * failed, or the other side replaced it) before it was closed on purpose. A frame in flight on a
 * lost channel may never have arrived: the caller resends it over a new connection, and the
 * receiver's dedupe by message id keeps it from counting twice. It never rejects.
 */
export type LinkLost = Promise<Error>;

/** What delivery and the inbox use of the peers: send a frame to someone, and how they are reached. */
export interface PeerChannels {
  send(
    username: string,
    data: string,
    deadline: number,
    allowed?: () => boolean,
  ): Promise<{ lost: LinkLost }>;
  link(username: string): LinkState;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface Link {
  readonly username: string;
  sid: string;
  /** Null while we wait for the other side to answer our knock with an offer. */
  peer: PeerConnection | null;
  open: boolean;
  closed: boolean;
  readonly startedAt: number;
  readonly waiters: Set<Waiter>;
  idle: ReturnType<typeof setTimeout> | null;
  /** Last traffic either way (ms since the epoch). */
  activeAt: number;
  giveUp: ReturnType<typeof setTimeout> | null;
  lost: LinkLost;
  /** Settles `lost`; only a drop that nobody asked for calls it. */
  markLost(err: Error): void;
  /** My `ping`s waiting for their `pong`, by id; settled by the pong or when the link goes. */
  readonly pings: Map<string, () => void>;
}

export class Peers implements PeerChannels {
  readonly #links = new Map<string, Link>();
  /** Signals from someone whose key is being looked up, in arrival order. */
  readonly #waiting = new Map<string, PeerSignal[]>();
  #iceServers: IceServer[] = [];
  #policy: IceTransportPolicy = 'all';

  constructor(private readonly deps: PeersDeps) {}

  /**
   * Used by connections opened from now on; an open one keeps the TURN allocation it has (TURN
   * credentials are checked when an allocation is made and refreshed, so a fresh set is handed out
   * well before the old one expires; see the engine's refresh).
   */
  setIce(servers: IceServer[], policy: IceTransportPolicy): void {
    this.#iceServers = servers;
    this.#policy = this.deps.iceTransportPolicy ?? policy;
  }

  link(username: string): LinkState {
    const link = this.#links.get(username);
    if (!link) return 'offline-store';
    return link.open ? 'direct' : 'connecting';
  }

  /** Everyone we have a connection (or an attempt) with. */
  usernames(): string[] {
    return [...this.#links.keys()];
  }

  /**
   * Sends one encoded frame, opening a channel first if needed; rejects if none is open by
   * `deadline`, or if `allowed` (asked again once the channel is open) says no.
   */
  async send(
    username: string,
    data: string,
    deadline: number,
    allowed: () => boolean = () => true,
  ): Promise<{ lost: LinkLost }> {
    const link = await this.#ready(username, deadline);
    if (!link.peer || link.closed) throw new Error('channel closed');
    if (!allowed()) throw new Error('not allowed');
    try {
      link.peer.send(data);
    } catch (err) {
      // The channel is closing under us (its 'close' is on the way): the frame is as good as lost.
      this.#drop(link, err instanceof Error ? err : new Error(String(err)), true);
      return { lost: link.lost };
    }
    this.#touch(link);
    return { lost: link.lost };
  }

  // --- files (issue 13): bulk data on an open channel, with its buffer in view ---

  /** Writes on the open channel now, without opening one; false if none is open. */
  write(username: string, data: string | Uint8Array): boolean {
    const link = this.#links.get(username);
    if (!link?.open || link.closed || !link.peer) return false;
    try {
      link.peer.send(data);
    } catch (err) {
      this.#drop(link, err instanceof Error ? err : new Error(String(err)), true);
      return false;
    }
    this.#touch(link);
    return true;
  }

  /** Bytes queued on the open channel to `username` (0 when there is none). */
  buffered(username: string): number {
    const link = this.#links.get(username);
    return link?.open ? (link.peer?.bufferSize ?? 0) : 0;
  }

  /**
   * Calls `listener` once when the channel's buffer falls below its low mark (simple-peer sets
   * `bufferedAmountLowThreshold` to 64 KiB), or when the link goes, so a waiting sender never hangs.
   */
  drained(username: string, listener: () => void): void {
    const link = this.#links.get(username);
    const channel = link?.open ? link.peer?._channel : null;
    if (!link || !channel) {
      listener();
      return;
    }
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      clearInterval(poll);
      channel.removeEventListener('bufferedamountlow', once);
      listener();
    };
    channel.addEventListener('bufferedamountlow', once);
    // Also looks now and then: the event can be missed if the buffer emptied before we listened,
    // and a closed channel never fires it.
    const poll = setInterval(() => {
      if (link.closed || channel.bufferedAmount <= 64 * 1024) once();
    }, 50);
  }

  /** A signal the server relayed from `from` (the server stamped the name; the payload is theirs). */
  onSignal(from: string, raw: Record<string, unknown>): void {
    const parsed = peerSignal.safeParse(raw);
    if (!parsed.success) return;
    const signal = parsed.data;
    const waiting = this.#waiting.get(from);
    if (waiting) {
      waiting.push(signal);
      return;
    }
    if (signal.data && isSessionDescription(signal.data)) {
      const { type, sdp } = signal.data as { type: string; sdp: string };
      const verdict = this.deps.channelAuth.check(from, signal.sid, type, sdp, signal.auth);
      if (verdict === 'unknown') {
        this.#learnThenReplay(from, signal);
        return;
      }
      if (verdict !== 'ok') {
        this.#refuse(from, signal.sid, refusal(verdict));
        return;
      }
    }
    this.#accept(from, signal);
  }

  /** Holds `from`'s signals while their key is looked up, then lets them through the check again. */
  #learnThenReplay(from: string, first: PeerSignal): void {
    const queue = [first];
    this.#waiting.set(from, queue);
    const replay = () => {
      this.#waiting.delete(from);
      const [head, ...rest] = queue;
      if (!head?.data) return;
      const { type, sdp } = head.data as { type: string; sdp: string };
      const verdict = this.deps.channelAuth.check(from, head.sid, type, sdp, head.auth);
      if (verdict !== 'ok') {
        this.#refuse(from, head.sid, refusal(verdict));
        return;
      }
      for (const signal of [head, ...rest])
        this.onSignal(from, signal as unknown as Record<string, unknown>);
    };
    this.deps.channelAuth.learn(from).then(replay, replay);
  }

  #refuse(from: string, sid: string, why: RefusedBecause): void {
    const current = this.#links.get(from);
    if (current?.sid === sid) this.#drop(current, new Error('unverified peer'));
    this.deps.channelAuth.refused(from, why);
  }

  #accept(from: string, signal: PeerSignal): void {
    const current = this.#links.get(from);
    const iInitiate = this.deps.me() < from;
    if (signal.knock) {
      if (!iInitiate) return;
      // A young attempt of ours is already under way; its offer answers the knock.
      if (current && !current.open && Date.now() - current.startedAt < this.deps.connectTimeoutMs)
        return;
      const waiters = current ? this.#detach(current) : new Set<Waiter>();
      this.#start(from, waiters);
      return;
    }
    if (!signal.data) return;
    const data = signal.data as unknown as SignalData;
    if (data.type === 'offer' && !iInitiate && current?.sid !== signal.sid) {
      // A new connection from the initiator replaces whatever we had (they restarted, or answer a knock).
      const waiters = current ? this.#detach(current) : new Set<Waiter>();
      const link = this.#newLink(from, signal.sid, waiters);
      link.peer = this.#createPeer(link, false);
      link.peer.signal(data);
      return;
    }
    if (current && current.sid === signal.sid && current.peer) current.peer.signal(data);
  }

  /** The server no longer lets us talk, or the user went offline. */
  close(username: string, reason = 'connection closed'): void {
    const link = this.#links.get(username);
    if (link) this.#drop(link, new Error(reason));
  }

  closeAll(): void {
    this.#waiting.clear();
    for (const link of [...this.#links.values()]) this.#drop(link, new Error('engine closed'));
  }

  /**
   * Signing out: closes every connection once its peer has everything sent on it, waiting at most
   * `capMs`. Closing a channel at once can drop frames still queued in its transport (a file's
   * `file-cancel` behind its last chunks, the ack of a last message), and bufferedAmount does not
   * count those; so each open channel gets a `ping`, and its `pong` (ordered, reliable) says the
   * peer has what went before. A peer that does not answer in time is closed anyway.
   */
  async closeAllFlushed(capMs: number): Promise<void> {
    const open = [...this.#links.values()].filter((link) => link.open && !link.closed);
    if (open.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cap = new Promise<void>((resolve) => (timer = setTimeout(resolve, capMs)));
      await Promise.race([Promise.all(open.map((link) => this.#flushed(link))), cap]);
      clearTimeout(timer);
    }
    this.closeAll();
  }

  /** Settles when `link`'s peer answers a `ping` sent now, or when the link goes. */
  #flushed(link: Link): Promise<void> {
    return new Promise<void>((resolve) => {
      const id = newMessageId();
      link.pings.set(id, resolve);
      try {
        link.peer?.send(encodeFrame(frames.ping(id)));
      } catch {
        // Closing under us: nothing more will get through, so there is nothing to wait for.
        link.pings.delete(id);
        resolve();
      }
    });
  }

  #ready(username: string, deadline: number): Promise<Link> {
    const existing = this.#links.get(username);
    if (existing?.open) return Promise.resolve(existing);
    const link = existing ?? this.#start(username, new Set());
    return new Promise<Link>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          const now = this.#links.get(username);
          if (now?.open) resolve(now);
          else reject(new Error('channel closed'));
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(
        () => {
          const now = this.#links.get(username);
          now?.waiters.delete(waiter);
          reject(new Error(`no direct channel to ${username} in time`));
        },
        Math.max(0, deadline - Date.now()),
      );
      (this.#links.get(username) ?? link).waiters.add(waiter);
    });
  }

  #start(username: string, waiters: Set<Waiter>): Link {
    const link = this.#newLink(username, newMessageId(), waiters);
    if (this.deps.me() < username) link.peer = this.#createPeer(link, true);
    else this.#signal(link, signals.knock(link.sid));
    return link;
  }

  #newLink(username: string, sid: string, waiters: Set<Waiter>): Link {
    let markLost: (err: Error) => void = () => undefined;
    const lost = new Promise<Error>((resolve) => (markLost = resolve));
    const link: Link = {
      lost,
      markLost,
      username,
      sid,
      peer: null,
      open: false,
      closed: false,
      startedAt: Date.now(),
      waiters,
      idle: null,
      activeAt: Date.now(),
      giveUp: null,
      pings: new Map(),
    };
    link.giveUp = setTimeout(() => {
      if (!link.open) this.#drop(link, new Error(`no direct channel to ${username}`));
    }, this.deps.connectTimeoutMs);
    this.#links.set(username, link);
    this.deps.onLink(username, 'connecting');
    return link;
  }

  #simplePeer: PeerFactory = ({ initiator, iceServers, iceTransportPolicy }) =>
    new Peer({
      initiator,
      trickle: true,
      config: { iceServers, iceTransportPolicy },
      // Frames reach 'data' as the channel delivered them: without object mode, simple-peer's
      // stream turns every text frame into a Buffer (a JS UTF-8 encoder in the browser), which
      // parseFrame then decodes again: ~40-50 µs of CPU per 1 KB frame.
      objectMode: true,
      ...(this.deps.wrtc ? { wrtc: this.deps.wrtc } : {}),
    });

  #createPeer(link: Link, initiator: boolean): PeerConnection {
    const create = this.deps.createPeer ?? this.#simplePeer;
    const peer = create({
      initiator,
      iceServers: this.#iceServers,
      iceTransportPolicy: this.#policy,
    });
    const current = () => !link.closed && link.peer === peer;
    peer.on('signal', (data: SignalData) => {
      if (!current()) return;
      let auth: string | undefined;
      if (isSessionDescription(data)) {
        const { type, sdp } = data as { type: string; sdp: string };
        auth = this.deps.channelAuth.sign(link.username, link.sid, type, sdp) ?? undefined;
        // Without my keys no one would accept the channel: say so rather than wait for a timeout.
        if (auth === undefined) {
          this.#drop(link, new Error('no keys to sign the connection with'));
          return;
        }
      }
      this.#signal(link, signals.data(link.sid, { ...data }, auth));
    });
    peer.on('connect', () => {
      if (!current()) return;
      link.open = true;
      if (link.giveUp) clearTimeout(link.giveUp);
      try {
        peer.send(encodeFrame(frames.hello(this.deps.me())));
      } catch (err) {
        // Closed between 'connect' and now (wrtc throws InvalidStateError): a lost channel.
        this.#drop(link, err instanceof Error ? err : new Error(String(err)), true);
        return;
      }
      this.#touch(link);
      this.deps.onLink(link.username, 'direct');
      for (const waiter of [...link.waiters]) waiter.resolve();
      link.waiters.clear();
    });
    peer.on('data', (chunk: unknown) => {
      if (!current()) return;
      if (isChunkData(chunk)) {
        const parsedChunk = parseChunk(chunk);
        if (!parsedChunk.ok) return;
        this.#touch(link);
        this.deps.onChunk?.(link.username, parsedChunk.chunk);
        return;
      }
      const parsed = parseFrame(chunk);
      if (!parsed.ok) return; // A malformed frame is dropped; the sender's retry logic copes.
      this.#touch(link);
      const { frame } = parsed;
      if (frame.type === 'hello') {
        // Identity comes from the server-stamped signal; a peer claiming otherwise is not trusted.
        if (!sameUsername(frame.username, link.username))
          this.#drop(link, new Error('peer identity mismatch'));
        return;
      }
      if (frame.type === 'ping') {
        // The peer is leaving and asks whether I have everything it sent: this frame says so.
        try {
          peer.send(encodeFrame(frames.pong(frame.id)));
        } catch {
          // Closing already; the peer's wait ends when its side closes or at its cap.
        }
        return;
      }
      if (frame.type === 'pong') {
        const settle = link.pings.get(frame.id);
        link.pings.delete(frame.id);
        settle?.();
        return;
      }
      this.deps.onFrame(link.username, frame);
    });
    // Nobody asked for these: the connection broke (simple-peer emits 'error' when ICE fails, and
    // has no ICE restart, see simple-peer#579). What was in flight on it is resent on a new one.
    peer.on('close', () => this.#drop(link, new Error('channel closed'), true));
    peer.on('error', (err: Error) => this.#drop(link, err, true));
    return peer;
  }

  #signal(link: Link, signal: PeerSignal): void {
    this.deps.sendSignal(link.username, signal).catch((err: unknown) => {
      // OFFLINE or NOT_FRIENDS: fail now so the message goes to the offline store without waiting.
      if (!link.closed) this.#drop(link, err instanceof Error ? err : new Error(String(err)));
    });
  }

  /**
   * Traffic: the link stays open for another `idleCloseMs`. One timer per link, re-armed when it
   * fires before the link has been quiet long enough; re-arming it on every frame would cost more
   * than the frame at thousands of frames a second.
   */
  #touch(link: Link): void {
    link.activeAt = Date.now();
    link.idle ??= this.#idleTimer(link, this.deps.idleCloseMs);
  }

  #idleTimer(link: Link, ms: number): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      const quiet = Date.now() - link.activeAt;
      if (quiet >= this.deps.idleCloseMs) this.#drop(link, new Error('idle'));
      else link.idle = this.#idleTimer(link, this.deps.idleCloseMs - quiet);
    }, ms);
  }

  /** Closes the connection but hands its waiters to a replacement. */
  #detach(link: Link): Set<Waiter> {
    const waiters = new Set(link.waiters);
    link.waiters.clear();
    this.#drop(link, new Error('replaced'), true);
    return waiters;
  }

  #drop(link: Link, err: Error, lost = false): void {
    if (link.closed) return;
    link.closed = true;
    if (lost && link.open) link.markLost(err);
    if (link.idle) clearTimeout(link.idle);
    if (link.giveUp) clearTimeout(link.giveUp);
    link.peer?.destroy();
    for (const settle of link.pings.values()) settle();
    link.pings.clear();
    for (const waiter of [...link.waiters]) waiter.reject(err);
    link.waiters.clear();
    if (this.#links.get(link.username) === link) {
      this.#links.delete(link.username);
      this.deps.onLink(link.username, 'offline-store');
    }
  }
}
