/**
 * Getting my messages to people: give each an id, keep it in history and the persisted outbox, try
 * the data channel and wait for the peer's `ack`; when the peer is offline or unreachable within
 * the direct timeout, hand the frame to the server's offline store. Group messages fan out the same
 * way to each member. The outbox is resent on every sign-in, so a closed tab loses nothing.
 *
 * Latency: the frame goes out while the message's own row commits (`sendPrivate` still resolves
 * only once it is in the outbox), and a "delivered" is reported as soon as the ack is in, with the
 * settle (state + leaving the outbox) committing behind it. An outcome is never written before the
 * row it changes. If the tab dies before the settle commits, the outbox resends on the next sign-in
 * and the receiver, which dedupes by sender + id, acks again.
 */
import { encodeFrame, frames, messageText } from '../../../shared/peer-wire.ts';
import type { DeliveryReceipt, GroupMember } from '../../../shared/events.ts';
import type { WireError } from '../../../shared/errors.ts';
import { sameUsername } from '../../../shared/names.ts';
import { EngineError, type ChatMessage, type ConversationId, type DeliveryState } from './api.ts';
import { applyOwnPatch, type History } from './history.ts';
import { groupConversation, newMessageId, parseConversation, privateConversation } from './ids.ts';
import type { Keys } from './e2ee/keys.ts';
import type { PeerChannels } from './peers.ts';
import { Relationships, type Exchange } from './relationships.ts';
import type { ServerLink } from './session.ts';
import type { Social } from './social.ts';

export interface DeliveryDeps {
  session: ServerLink;
  peers: PeerChannels;
  social: Social;
  relationships: Relationships;
  /** Seals each stored copy to its recipient: the server keeps only ciphertext. */
  keys: Keys;
  directTimeoutMs: number;
  history(): History | null;
  changed(message: ChatMessage): void;
  /** History's committed conversation list changed without a message event (a settle committed). */
  conversationsChanged(): void;
}

/** Where a message goes. */
type Target = { kind: 'private'; username: string } | { kind: 'group'; groupId: number };

/** One of my messages on its way: the frame is rebuilt from the message for a resend. */
interface Outgoing {
  message: ChatMessage;
  target: Target;
  /** The encoded `msg` frame, as sent to peers (and sealed per recipient for the offline store). */
  frame: string;
  /** The message's own row committed (it is in history and the outbox). */
  stored: Promise<void>;
}

/** How many times one message follows a broken channel to a new connection before the store. */
const RECONNECTS = 2;

/** Errors worth another try on the next sign-in; the rest are final answers from the server. */
const TRANSIENT = new Set(['INTERNAL', 'RATE_LIMITED', 'UNAUTHENTICATED']);
const isTransient = (err: unknown) => !(err instanceof EngineError) || TRANSIENT.has(err.wire.code);
const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));
/**
 * Why a send failed, as it is kept on the message: the error's code and details, worded in the
 * reader's language only when shown. Anything not an EngineError is the engine's own surprise.
 */
function failureOf(err: unknown): WireError {
  if (!(err instanceof EngineError))
    return { code: 'INTERNAL', message: reason(err), details: { reason: 'engine' } };
  const { code, message, details } = err.wire;
  return details ? { code, message, details } : { code, message };
}
/** A retry or a success clears what an earlier failure left, in either form. */
const NO_FAILURE = { failure: undefined, error: undefined } as const;

function frameOf(message: ChatMessage, target: Target): string {
  return encodeFrame(frames.msg(message, target.kind === 'group' ? target.groupId : undefined));
}

/**
 * Many deadlines on one timer. Direct attempts all wait the same time from their start, so they
 * expire in about the order they began; a timer set and cleared per message costs more than the
 * rest of the message's bookkeeping at thousands of messages a second.
 */
class Deadlines {
  /** Sorted by `at` from `#head` on; a cancelled entry has no `fire` and waits to be dropped. */
  #entries: { at: number; fire: (() => void) | null }[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerAt = Infinity;

  /** Calls `fire` at `at` (ms since the epoch) unless the returned function is called first. */
  add(at: number, fire: () => void): () => void {
    const entry: { at: number; fire: (() => void) | null } = { at, fire };
    const q = this.#entries;
    let i = q.length;
    while (i > this.#head && (q[i - 1] as { at: number }).at > at) i--;
    q.splice(i, 0, entry);
    if (at < this.#timerAt) this.#arm(at);
    return () => {
      entry.fire = null;
    };
  }

  #arm(at: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, at - Date.now()));
  }

  #expire(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const now = Date.now();
    // A callback may add entries (behind the head): read the array afresh on every step.
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head] as { at: number; fire: (() => void) | null };
      if (entry.fire !== null && entry.at > now) break;
      this.#head++;
      entry.fire?.();
    }
    if (this.#head >= this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
      return;
    }
    if (this.#head > 1024) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    this.#arm((this.#entries[this.#head] as { at: number }).at);
  }
}

export class Delivery {
  /** Ack waiters: message id -> username -> resolve. */
  readonly #acks = new Map<string, Map<string, () => void>>();
  /** Ids being attempted, until their outcome is committed (so a flush does not send them twice). */
  readonly #inflight = new Set<string>();
  /** Per id being attempted, resolving once its outcome is committed (read receipts wait on it). */
  readonly #settling = new Map<string, { done: Promise<void>; resolve: () => void }>();
  readonly #deadlines = new Deadlines();
  /** Receipts that arrived while their message was still being attempted: applied after it settles. */
  readonly #earlyReceipts = new Map<string, DeliveryReceipt[]>();
  #stopped = false;

  constructor(private readonly deps: DeliveryDeps) {}

  /** Stop touching the network: the engine is closing, and the outbox must survive as it is. */
  stop(): void {
    this.#stopped = true;
  }

  async sendPrivate(username: string, text: string): Promise<ChatMessage> {
    const to = this.deps.social.friend(username)?.username ?? username;
    return this.#queue({ kind: 'private', username: to }, text, privateConversation(to), to);
  }

  async sendGroup(groupId: number, text: string): Promise<ChatMessage> {
    Relationships.require(this.deps.relationships.mayUseGroup(groupId));
    const title = this.deps.social.group(groupId)?.name ?? `group ${groupId}`;
    return this.#queue({ kind: 'group', groupId }, text, groupConversation(groupId), title);
  }

  // --- retry and delete of a failed message (issue 12) ---

  /**
   * Sends one of my failed messages again, with the SAME id, sentAt and text: a receiver that got
   * the first try dedupes it (by sender + id), and so does the server's store. It goes back into
   * the outbox as 'sending' and takes the same way as any send (direct, else the store); with the
   * server away it waits there for the next sign-in. Resolves with the message as re-queued.
   */
  async retry(conversation: ConversationId, id: string): Promise<ChatMessage> {
    const history = this.#claim(id);
    let message: ChatMessage;
    let out: Outgoing;
    try {
      message = await this.#ownFailed(history, conversation, id);
      const target = parseConversation(message.conversation);
      // The System conversation holds administrators' messages only: none of mine to send again.
      if (target.kind === 'system')
        throw new EngineError({
          code: 'BAD_REQUEST',
          message: 'nothing is sent to System',
          details: { reason: 'system-conversation' },
        });
      if (target.kind === 'group')
        Relationships.require(this.deps.relationships.mayUseGroup(target.groupId));
      const frame = frameOf(message, target);
      // The old failure and fan-out go: the new attempt writes its own outcome.
      const patch = { state: 'sending' as const, ...NO_FAILURE, fanout: undefined };
      message = applyOwnPatch(message, patch);
      out = {
        message,
        target,
        frame,
        stored: history.updateOwn(message, patch).then(() => undefined),
      };
    } catch (err) {
      this.#inflight.delete(id);
      throw err;
    }
    // The attempt owns the in-flight mark from here on (it clears it when the outcome commits).
    void this.#attempt(history, out);
    await out.stored;
    this.deps.changed(message);
    return message;
  }

  /** Removes one of my failed messages from this browser's history; nobody else is told. */
  async delete(conversation: ConversationId, id: string): Promise<void> {
    const history = this.#claim(id);
    try {
      const message = await this.#ownFailed(history, conversation, id);
      await history.delete(message);
    } finally {
      this.#inflight.delete(id);
    }
    this.deps.conversationsChanged();
  }

  /**
   * Marks `id` in flight at once (synchronously), so an outbox flush cannot start it while it is
   * retried or deleted; refuses one that is being sent right now.
   */
  #claim(id: string): History {
    const history = this.deps.history();
    if (!history) throw new EngineError({ code: 'UNAUTHENTICATED', message: 'sign in first' });
    if (this.#inflight.has(id)) {
      throw new EngineError({
        code: 'BAD_REQUEST',
        message: 'this message is being sent right now',
        details: { reason: 'sending-now' },
      });
    }
    this.#inflight.add(id);
    return history;
  }

  /** One of my messages in `conversation` whose sending failed, or a clear error. */
  async #ownFailed(
    history: History,
    conversation: ConversationId,
    id: string,
  ): Promise<ChatMessage> {
    const message = await history.getOwn(id);
    if (!message || message.conversation !== conversation) {
      if (await history.hasOthers(conversation, id)) {
        throw new EngineError({
          code: 'FORBIDDEN',
          message: 'that message is not yours',
          details: { reason: 'not-yours' },
        });
      }
      throw new EngineError({
        code: 'NOT_FOUND',
        message: 'no such message in this conversation',
        details: { reason: 'no-message' },
      });
    }
    if (message.state !== 'failed') {
      throw new EngineError({
        code: 'BAD_REQUEST',
        message: `only a failed message can be retried or deleted (this one is ${message.state ?? 'received'})`,
        details: { reason: 'not-failed' },
      });
    }
    return message;
  }

  /** Resolves once the attempt of `id` under way, if any, has committed its outcome. */
  settled(id: string): Promise<void> {
    return this.#settling.get(id)?.done ?? Promise.resolve();
  }

  /** A peer acknowledged one of my messages over the data channel. */
  onAck(from: string, id: string): void {
    this.#acks.get(id)?.get(from)?.();
  }

  /**
   * The server says stored messages of mine were picked up (issue 12): a private one becomes
   * delivered; a group one moves one member from stored to delivered, and is delivered when none
   * is left stored. A receipt for anything else (not mine, not stored, unknown) changes nothing.
   * The server is trusted for this metadata: it is the one that held the copy.
   */
  async onReceipts(receipts: DeliveryReceipt[]): Promise<void> {
    const history = this.deps.history();
    if (!history) return;
    for (const receipt of receipts) {
      if (this.#inflight.has(receipt.id)) {
        // Its stored outcome is not committed yet: apply the receipt right after it is.
        const early = this.#earlyReceipts.get(receipt.id) ?? [];
        early.push(receipt);
        this.#earlyReceipts.set(receipt.id, early);
        continue;
      }
      await this.#applyReceipt(history, receipt);
    }
  }

  async #applyReceipt(history: History, receipt: DeliveryReceipt): Promise<void> {
    const message = await history.getOwn(receipt.id);
    if (message?.state !== 'stored') return;
    const target = parseConversation(message.conversation);
    let patch: { state: DeliveryState; fanout?: ChatMessage['fanout'] };
    if (target.kind === 'system') return; // nothing of mine is sent there
    if (target.kind === 'private') {
      // Only the person it was stored for can have picked it up.
      if (!sameUsername(target.username, receipt.to)) return;
      patch = { state: 'delivered' };
    } else {
      const fanout = message.fanout;
      if (!fanout || fanout.stored <= 0) return;
      const next = { ...fanout, stored: fanout.stored - 1, delivered: fanout.delivered + 1 };
      patch = { state: next.stored === 0 ? 'delivered' : 'stored', fanout: next };
    }
    this.deps.changed(await history.settleOwn(message, patch));
  }

  /** Resend what a previous session left behind (closed tab, lost connection). */
  async flushOutbox(): Promise<void> {
    const history = this.deps.history();
    if (!history) return;
    for (const message of await history.outbox()) {
      if (this.#inflight.has(message.id)) continue;
      const parsed = parseConversation(message.conversation);
      // Nobody answers system messages: an outbox entry there is a corrupt or forged row.
      const target = parsed.kind === 'system' ? null : parsed;
      let frame: string;
      try {
        if (!target)
          throw new EngineError({
            code: 'FORBIDDEN',
            message: 'system messages cannot be answered',
            details: { reason: 'system-conversation' },
          });
        frame = frameOf(message, target);
      } catch (err) {
        // Nothing a resend could fix: settle it as failed rather than retry it forever. A frame
        // that does not build is its text's fault (too large, say).
        const why =
          err instanceof EngineError
            ? err
            : new EngineError({
                code: 'BAD_REQUEST',
                message: reason(err),
                details: { field: 'text' },
              });
        history.settleOwn(message, { state: 'failed', failure: failureOf(why) }).then(
          (failed) => this.deps.changed(failed),
          () => undefined, // closed meanwhile: it stays in the outbox
        );
        continue;
      }
      void this.#attempt(history, { message, target, frame, stored: Promise.resolve() });
    }
  }

  async #queue(
    target: Target,
    text: string,
    conversation: ChatMessage['conversation'],
    title: string,
  ): Promise<ChatMessage> {
    const history = this.deps.history();
    const me = this.deps.session.state.user?.username;
    if (!history || !me)
      throw new EngineError({ code: 'UNAUTHENTICATED', message: 'sign in first' });
    const checked = messageText.safeParse(text);
    if (!checked.success) {
      throw new EngineError({
        code: 'BAD_REQUEST',
        message: checked.error.issues[0]?.message ?? 'bad text',
        details: { field: 'text' },
      });
    }
    const message: ChatMessage = {
      id: newMessageId(),
      conversation,
      from: me,
      text,
      sentAt: Date.now(),
      state: 'sending',
    };
    let frame: string;
    try {
      frame = frameOf(message, target);
    } catch (err) {
      throw new EngineError({
        code: 'BAD_REQUEST',
        message: reason(err),
        details: { field: 'text' },
      });
    }
    const out: Outgoing = { message, target, frame, stored: history.addOwn(message, title) };
    // The frame goes out while the row commits; the attempt applies no outcome before it has.
    void this.#attempt(history, out);
    await out.stored;
    // Views follow the events alone: this one, then the outcome's (an ack that beat the row is
    // announced right after it). The resolved value is the message as queued.
    this.deps.changed(message);
    return message;
  }

  async #attempt(history: History, out: Outgoing): Promise<void> {
    const { id } = out.message;
    this.#inflight.add(id);
    let resolveSettled = () => undefined as void;
    const settledDone = new Promise<void>((resolve) => (resolveSettled = resolve));
    this.#settling.set(id, { done: settledDone, resolve: resolveSettled });
    try {
      const patch =
        out.target.kind === 'private'
          ? await this.#private(out, out.target.username)
          : await this.#group(out, out.target.groupId);
      await out.stored;
      if (patch === null || !history.isOpen) return; // stopped mid-way: the outbox keeps it
      if (patch.transient) {
        this.deps.changed(await history.updateOwn(out.message, patch.message));
      } else if (patch.message.state === 'delivered') {
        // Everyone has it: say so now. If the settle never commits, the outbox resends it and
        // the receivers dedupe and ack again.
        const settled = history.settleOwn(out.message, patch.message);
        this.deps.changed(applyOwnPatch(out.message, patch.message));
        await settled;
        this.deps.conversationsChanged();
      } else {
        this.deps.changed(await history.settleOwn(out.message, patch.message));
      }
    } catch (err) {
      // A failed own write (sendPrivate rejected with it) or a closed database (engine destroyed
      // mid-send) lands here; in the latter case the outbox has the message.
      if (history.isOpen) console.error('delivery failed', err);
    } finally {
      this.#inflight.delete(id);
      this.#settling.get(id)?.resolve();
      this.#settling.delete(id);
      const early = this.#earlyReceipts.get(id);
      if (early) {
        this.#earlyReceipts.delete(id);
        if (history.isOpen) void this.onReceipts(early).catch(() => undefined);
      }
    }
  }

  async #private(out: Outgoing, username: string): Promise<Outcome | null> {
    const friend = this.deps.social.friend(username);
    const deadline = Date.now() + this.deps.directTimeoutMs;
    const exchange: Exchange = { kind: 'private' };
    if (friend && this.#reachable(username, friend.status)) {
      if (await this.#direct(out, username, exchange, deadline)) return done('delivered');
    }
    // Stopped, or the server is away: the store has to wait for it, and the outbox (resent at the
    // next sign-in) keeps the message until then.
    if (this.#stopped || !this.deps.session.connected) return null;
    try {
      await out.stored;
      await this.deps.session.request('offline:store', {
        id: out.message.id,
        to: { username },
        payload: this.#sealFor(out, username),
      });
      return done('stored');
    } catch (err) {
      return this.#stopped ? null : failed(friend ? err : this.#notFriends(username, err));
    }
  }

  /**
   * No key to seal to someone who is not a friend: the keyring only learns friends' and
   * group-mates' keys, so "they have no key yet" would be untrue (they may well have one, or not
   * exist at all). What stops the message is the friendship, as the server would say.
   */
  #notFriends(username: string, err: unknown): unknown {
    const noKey = err instanceof EngineError && err.wire.details?.reason === 'no-key';
    const verdict = this.deps.relationships.verdict(username, { kind: 'private' });
    if (!noKey || verdict.ok) return err;
    return new EngineError({ code: verdict.code, message: verdict.message, details: { username } });
  }

  async #group(out: Outgoing, groupId: number): Promise<Outcome | null> {
    const exchange: Exchange = { kind: 'group', groupId };
    let members: GroupMember[];
    try {
      // Blocked or left since it was queued (an outbox resend): a final answer, not a retry.
      Relationships.require(this.deps.relationships.mayUseGroup(groupId));
      members = await this.deps.relationships.members(groupId);
    } catch (err) {
      return this.#stopped || !this.deps.session.connected ? null : failed(err);
    }
    const me = this.deps.session.state.user?.username;
    const others = members.filter((m) => !sameUsername(m.username, me ?? ''));
    const deadline = Date.now() + this.deps.directTimeoutMs;
    const results = await Promise.all(
      others.map(async (member): Promise<'delivered' | 'stored' | Error | null> => {
        if (
          this.#reachable(member.username, member.status) &&
          (await this.#direct(out, member.username, exchange, deadline))
        ) {
          return 'delivered';
        }
        if (this.#stopped || !this.deps.session.connected) return null;
        try {
          await out.stored;
          await this.deps.session.request('offline:store', {
            id: out.message.id,
            to: { groupId, username: member.username },
            payload: this.#sealFor(out, member.username, groupId),
          });
          return 'stored';
        } catch (err) {
          return err instanceof Error ? err : new Error(String(err));
        }
      }),
    );
    // Someone is left for the store while the server is away: the whole message waits in the
    // outbox; those who have it already store it once and ack again when it is resent.
    if (this.#stopped || results.includes(null)) return null;
    const fanout = {
      delivered: results.filter((r) => r === 'delivered').length,
      stored: results.filter((r) => r === 'stored').length,
      total: others.length,
    };
    const error = results.find((r): r is Error => r instanceof Error);
    if (error) {
      const outcome = failed(error);
      return { ...outcome, message: { ...outcome.message, fanout } };
    }
    return {
      transient: false,
      message: { state: fanout.stored > 0 ? 'stored' : 'delivered', ...NO_FAILURE, fanout },
    };
  }

  /** The frame sealed to one recipient's pinned key (throws when there is none to seal to). */
  #sealFor(out: Outgoing, to: string, groupId?: number): string {
    return this.deps.keys.seal({ to, id: out.message.id, groupId }, out.frame);
  }

  /**
   * Worth trying directly: an open channel is proof enough (presence may be unknown while the
   * server is away); otherwise only a peer the server last saw online.
   */
  #reachable(username: string, status: string): boolean {
    return this.deps.peers.link(username) === 'direct' || status !== 'offline';
  }

  /**
   * Channel, send, ack: all before `deadline`, or false; never to a peer the view refuses. If the
   * channel is lost with the frame unacked (it broke, ICE failed), the frame goes again over a new
   * connection with a fresh deadline, up to RECONNECTS times; the receiver stores it once.
   */
  async #direct(
    out: Outgoing,
    username: string,
    exchange: Exchange,
    deadline: number,
  ): Promise<boolean> {
    const allowed = () => this.deps.relationships.verdict(username, exchange).ok;
    if (!allowed()) return false;
    const { id } = out.message;
    let waiters = this.#acks.get(id);
    if (!waiters) this.#acks.set(id, (waiters = new Map()));
    let settle: (acked: boolean) => void = () => undefined;
    const acked = new Promise<boolean>((resolve) => {
      settle = resolve;
      waiters.set(username, () => resolve(true));
    });
    let cancel = this.#deadlines.add(deadline, () => settle(false));
    try {
      for (let reconnects = 0; ; reconnects++) {
        const { lost } = await this.deps.peers.send(username, out.frame, deadline, allowed);
        const result = await Promise.race([acked, lost.then(() => 'lost' as const)]);
        if (result !== 'lost') return result;
        if (reconnects >= RECONNECTS || this.#stopped) return false;
        cancel();
        deadline = Date.now() + this.deps.directTimeoutMs;
        cancel = this.#deadlines.add(deadline, () => settle(false));
      }
    } catch {
      return false;
    } finally {
      cancel();
      waiters.delete(username);
      if (waiters.size === 0) this.#acks.delete(id);
    }
  }
}

interface Outcome {
  /** A failure worth retrying on the next sign-in (keeps the outbox entry). */
  transient: boolean;
  message: {
    state: DeliveryState;
    failure?: WireError;
    error?: string;
    fanout?: ChatMessage['fanout'];
  };
}

const done = (state: DeliveryState): Outcome => ({
  transient: false,
  message: { state, ...NO_FAILURE },
});

function failed(err: unknown): Outcome {
  return {
    transient: isTransient(err),
    message: { state: 'failed', failure: failureOf(err), error: undefined },
  };
}
