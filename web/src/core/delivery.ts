/**
 * Getting my messages to people: give each an id, keep it in history and the persisted outbox, try
 * the data channel and wait for the peer's `ack`; when the peer is offline or unreachable within
 * the direct timeout, hand the frame to the server's offline store. Group messages fan out the same
 * way to each member. The outbox is resent on every sign-in, so a closed tab loses nothing.
 */
import { encodeFrame, messageText, type MsgFrame } from '../../../shared/peer-wire.ts';
import type { GroupMember } from '../../../shared/events.ts';
import { EngineError, type ChatMessage, type DeliveryState } from './api.ts';
import type { History, OutboxItem, OutboxTarget } from './history.ts';
import { groupConversation, newMessageId, privateConversation } from './ids.ts';
import type { Peers } from './peers.ts';
import type { Session } from './session.ts';
import type { Social } from './social.ts';

export interface DeliveryDeps {
  session: Session;
  peers: Peers;
  social: Social;
  directTimeoutMs: number;
  history(): History | null;
  changed(message: ChatMessage): void;
}

/** Errors worth another try on the next sign-in; the rest are final answers from the server. */
const TRANSIENT = new Set(['INTERNAL', 'RATE_LIMITED', 'UNAUTHENTICATED']);
const isTransient = (err: unknown) => !(err instanceof EngineError) || TRANSIENT.has(err.wire.code);
const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class Delivery {
  /** Ack waiters: message id -> username -> resolve. */
  readonly #acks = new Map<string, Map<string, () => void>>();
  readonly #inflight = new Set<string>();
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
    const title = this.deps.social.group(groupId)?.name ?? `group ${groupId}`;
    return this.#queue({ kind: 'group', groupId }, text, groupConversation(groupId), title);
  }

  /** A peer acknowledged one of my messages over the data channel. */
  onAck(from: string, id: string): void {
    this.#acks.get(id)?.get(from)?.();
  }

  /** Resend what a previous session left behind (closed tab, lost connection). */
  async flushOutbox(): Promise<void> {
    const history = this.deps.history();
    if (!history) return;
    for (const item of await history.outbox()) {
      if (!this.#inflight.has(item.id)) void this.#attempt(history, item);
    }
  }

  async #queue(
    target: OutboxTarget,
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
      });
    }
    const id = newMessageId();
    const sentAt = Date.now();
    const frame: MsgFrame =
      target.kind === 'private'
        ? { v: 1, type: 'msg', id, conversation: 'private', text, sentAt }
        : { v: 1, type: 'msg', id, conversation: 'group', groupId: target.groupId, text, sentAt };
    let encoded: string;
    try {
      encoded = encodeFrame(frame);
    } catch (err) {
      throw new EngineError({ code: 'BAD_REQUEST', message: reason(err) });
    }
    const message: ChatMessage = { id, conversation, from: me, text, sentAt, state: 'sending' };
    const item: OutboxItem = { id, target, frame: encoded, queuedAt: sentAt };
    await history.addOwn(message, title, item);
    this.deps.changed(message);
    void this.#attempt(history, item);
    return message;
  }

  async #attempt(history: History, item: OutboxItem): Promise<void> {
    this.#inflight.add(item.id);
    try {
      const patch =
        item.target.kind === 'private'
          ? await this.#private(item, item.target.username)
          : await this.#group(item, item.target.groupId);
      if (patch === null || !history.isOpen) return; // stopped mid-way: the outbox keeps it
      // A final outcome drops the outbox entry in the same transaction as the state change.
      const updated = patch.transient
        ? await history.updateOwn(item.id, patch.message)
        : await history.settleOwn(item.id, patch.message);
      if (updated) this.deps.changed(updated);
    } catch (err) {
      // Only a closed database lands here (engine destroyed mid-send); the outbox has the message.
      if (history.isOpen) console.error('delivery failed', err);
    } finally {
      this.#inflight.delete(item.id);
    }
  }

  async #private(item: OutboxItem, username: string): Promise<Outcome | null> {
    const friend = this.deps.social.friend(username);
    const deadline = Date.now() + this.deps.directTimeoutMs;
    if (friend && friend.status !== 'offline' && (await this.#direct(item, username, deadline))) {
      return done('delivered');
    }
    if (this.#stopped) return null;
    try {
      await this.deps.session.request('offline:store', {
        id: item.id,
        to: { username },
        payload: item.frame,
      });
      return done('stored');
    } catch (err) {
      return this.#stopped ? null : failed(err);
    }
  }

  async #group(item: OutboxItem, groupId: number): Promise<Outcome | null> {
    let members: GroupMember[];
    try {
      members = await this.deps.social.members(groupId, true);
    } catch (err) {
      return this.#stopped ? null : failed(err);
    }
    const me = this.deps.session.state.user?.username;
    const others = members.filter((m) => m.username !== me);
    const deadline = Date.now() + this.deps.directTimeoutMs;
    const results = await Promise.all(
      others.map(async (member): Promise<'delivered' | 'stored' | Error | null> => {
        if (member.status !== 'offline' && (await this.#direct(item, member.username, deadline))) {
          return 'delivered';
        }
        if (this.#stopped) return null;
        try {
          await this.deps.session.request('offline:store', {
            id: item.id,
            to: { groupId, username: member.username },
            payload: item.frame,
          });
          return 'stored';
        } catch (err) {
          return err instanceof Error ? err : new Error(String(err));
        }
      }),
    );
    if (this.#stopped) return null;
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
      message: { state: fanout.stored > 0 ? 'stored' : 'delivered', error: undefined, fanout },
    };
  }

  /** Channel, send, ack: all before `deadline`, or false. */
  async #direct(item: OutboxItem, username: string, deadline: number): Promise<boolean> {
    let waiters = this.#acks.get(item.id);
    if (!waiters) this.#acks.set(item.id, (waiters = new Map()));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const acked = new Promise<boolean>((resolve) => {
      waiters.set(username, () => resolve(true));
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    try {
      await this.deps.peers.send(username, item.frame, deadline);
      return await acked;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      waiters.delete(username);
      if (waiters.size === 0) this.#acks.delete(item.id);
    }
  }
}

interface Outcome {
  /** A failure worth retrying on the next sign-in (keeps the outbox entry). */
  transient: boolean;
  message: { state: DeliveryState; error?: string; fanout?: ChatMessage['fanout'] };
}

const done = (state: DeliveryState): Outcome => ({
  transient: false,
  message: { state, error: undefined },
});

function failed(err: unknown): Outcome {
  return { transient: isTransient(err), message: { state: 'failed', error: reason(err) } };
}
