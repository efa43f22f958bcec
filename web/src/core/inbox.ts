/**
 * Messages arriving: frames from peers' data channels, pages from the server's offline store, and
 * the administrators' system messages. Each is checked (sender allowed, frame valid), stored once
 * (dedupe by sender + id), and only then acknowledged, so nothing is lost between ack and disk.
 */
import type { OfflineMessage, SystemMessage } from '../../../shared/events.ts';
import {
  decodeOfflinePayload,
  encodeFrame,
  frames,
  type MsgFrame,
  type OfflinePayload,
} from '../../../shared/peer-wire.ts';
import type { ChatMessage, ConversationId, EngineError, SystemAudience } from './api.ts';
import type { History } from './history.ts';
import type { StoredDropCause } from './notices.ts';
import { groupConversation, privateConversation, SYSTEM_CONVERSATION } from './ids.ts';
import type { Keys } from './e2ee/keys.ts';
import type { PeerChannels } from './peers.ts';
import type { Relationships } from './relationships.ts';
import type { ServerLink } from './session.ts';
import type { Social } from './social.ts';

export interface InboxDeps {
  session: ServerLink;
  peers: PeerChannels;
  social: Social;
  relationships: Relationships;
  /** Opens stored copies (sealed to me by their sender); holds those waiting on a key change. */
  keys: Keys;
  directTimeoutMs: number;
  history(): History | null;
  received(message: ChatMessage): void;
  /** A stored copy was dropped as forged or corrupt (it is acked all the same). */
  dropped(from: string, cause: StoredDropCause): void;
}

/**
 * Whether a stored copy is what its envelope says: the payload must be a `msg` frame with the
 * envelope's id, a private frame for a private envelope, and for a group envelope a group frame
 * naming the envelope's group. Anything else is forged or corrupt.
 */
function checkCopy(
  stored: OfflineMessage,
  payload: OfflinePayload,
): { ok: true; frame: MsgFrame } | { ok: false; cause: StoredDropCause } {
  const refuse = (cause: StoredDropCause) => ({ ok: false as const, cause });
  if (payload.kind === 'invalid') {
    console.warn(`A stored message from ${stored.from} is not a message: ${payload.error}`);
    return refuse('not-a-message');
  }
  if (payload.kind !== 'msg') return refuse('not-a-message');
  const { frame } = payload;
  if (frame.id !== stored.id) return refuse('id-differs');
  if (stored.kind === 'group') {
    if (!stored.group) return refuse('no-group');
    if (frame.conversation !== 'group' || frame.groupId !== stored.group.id)
      return refuse('group-differs');
  } else if (frame.conversation !== 'private') {
    return refuse('group-as-private');
  }
  return { ok: true, frame };
}

const PULL_PAGE = 200;

/** Sealed copies from the server's store (private and group; not the admins' system messages). */
export interface StoredCount {
  /** Opened and written to history (a duplicate is not counted). */
  opened: number;
  /** Opened by no key this device has (sealed to an older key of mine, say): dropped. */
  unreadable: number;
}

export class Inbox {
  #pulling: Promise<void> | null = null;
  #pullAgain = false;
  /**
   * Counted since this inbox was made; the engine takes the difference over a sign-in's first pull
   * to say what the mailbox held (issue 12: a new browser's note). A copy held for a key change
   * counts only once it opens (the change accepted).
   */
  readonly stored: StoredCount = { opened: 0, unreadable: 0 };

  constructor(private readonly deps: InboxDeps) {}

  /** A `msg` frame from a peer (parsed; `from` is the connection's server-stamped name). */
  receive(from: string, frame: MsgFrame): void {
    void this.#direct(from, frame).catch((err: unknown) => this.#log(err));
  }

  /** Drains the offline store page by page; concurrent calls coalesce into one more pass. */
  pullOffline(): Promise<void> {
    if (this.#pulling) {
      this.#pullAgain = true;
      return this.#pulling;
    }
    this.#pulling = (async () => {
      do {
        this.#pullAgain = false;
        await this.#drain();
      } while (this.#pullAgain);
    })()
      .catch((err: unknown) => {
        this.#log(err);
        // What was not acked is still in the store: try again soon (sooner if the server said).
        const retryAfter = (err as EngineError).wire?.details?.retryAfterMs;
        const wait = typeof retryAfter === 'number' ? Math.min(retryAfter, 10_000) : 2_000;
        setTimeout(() => {
          if (this.deps.session.connected) void this.pullOffline();
        }, wait);
      })
      .finally(() => {
        this.#pulling = null;
      });
    return this.#pulling;
  }

  /**
   * An administrator's message. One to me or to everyone goes to the System conversation: it is not
   * a private chat with the admin (who cannot be answered there), and an admin's own broadcast,
   * echoed back by the server, does not open a chat with themselves. One to a group goes to that
   * group's conversation only, marked as a system message for every member: that is where the
   * members read and talk about it, and a second copy in System would count it unread twice and
   * find it twice in search (history keys a message by sender and id, so each has one place).
   * Its audience line still says it went to the group, which System's "to you"/"to everyone" does
   * not cover. The server decided who gets it (members at the time), so no membership check here.
   */
  async onSystem(message: SystemMessage): Promise<void> {
    const group = message.group;
    const systemTo: SystemAudience = group
      ? { kind: 'group', groupId: group.id, name: group.name }
      : message.broadcast
        ? { kind: 'broadcast' }
        : { kind: 'me' };
    await this.#store(
      {
        id: message.id,
        conversation: group ? groupConversation(group.id) : SYSTEM_CONVERSATION,
        from: message.from,
        text: message.text,
        sentAt: message.at,
        system: true,
        systemTo,
        viaServer: true,
      },
      group ? (this.deps.social.group(group.id)?.name ?? group.name) : 'system',
    );
  }

  async #direct(from: string, frame: MsgFrame): Promise<void> {
    let conversation: ConversationId;
    let title: string;
    const group = frame.conversation === 'group' ? frame.groupId : undefined;
    // The check that binds: a refused frame is dropped without an ack, whatever its sender skipped.
    const verdict = await this.deps.relationships.check(
      from,
      group === undefined ? { kind: 'private' } : { kind: 'group', groupId: group },
    );
    if (!verdict.ok) return;
    if (group !== undefined) {
      conversation = groupConversation(group);
      title = this.deps.social.group(group)?.name ?? `group ${group}`;
    } else {
      conversation = privateConversation(from);
      title = from;
    }
    const message: ChatMessage = {
      id: frame.id,
      conversation,
      from,
      text: frame.text,
      sentAt: frame.sentAt,
    };
    // A duplicate is acked again too: the sender resent because our first ack was lost.
    await this.#store(message, title);
    const ack = encodeFrame(frames.ack(frame.id));
    await this.deps.peers
      .send(from, ack, Date.now() + this.deps.directTimeoutMs)
      .catch(() => undefined);
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (!this.deps.session.connected) return;
      const { messages, more } = await this.deps.session.request('offline:pull', {
        limit: PULL_PAGE,
      });
      if (messages.length === 0) return;
      for (const stored of messages) await this.#fromStore(stored);
      // Acked only after it is on disk; an invalid payload is acked too, or it would come back forever.
      await this.deps.session.request('offline:ack', {
        ids: [...new Set(messages.map((m) => m.id))],
      });
      if (!more) return;
    }
  }

  async #fromStore(stored: OfflineMessage): Promise<void> {
    if (stored.kind === 'system') {
      const payload = decodeOfflinePayload(stored);
      if (payload.kind !== 'system') return;
      await this.onSystem({
        id: stored.id,
        text: payload.text,
        at: stored.at,
        from: stored.from,
        group: stored.group,
        broadcast: false,
      });
      return;
    }
    const group = stored.kind === 'group' ? stored.group : null;
    // The server checked the sender when it accepted the copy, but a block, a removal or an
    // unfriending since then counts too: the copy is dropped (and acked, so it does not come back).
    // Checked first: it loads the group's members, whose keys the copy is opened with.
    const verdict = await this.deps.relationships.check(
      stored.from,
      group ? { kind: 'group', groupId: group.id } : { kind: 'private' },
    );
    if (!verdict.ok) return;
    const opened = this.deps.keys.open(stored, group?.id);
    if (!opened.ok) {
      // Sealed with a key I have not accepted yet: kept on this device until I decide.
      if (opened.held) {
        await this.deps.keys.hold(stored);
        return;
      }
      this.stored.unreadable++;
      this.deps.dropped(stored.from, opened.cause);
      return;
    }
    // A copy that does not say what its envelope says is forged or corrupt: dropped (and acked, so
    // it does not come back), and reported, never in silence.
    const copy = checkCopy(
      stored,
      decodeOfflinePayload({ kind: stored.kind, payload: opened.text }),
    );
    if (!copy.ok) {
      this.deps.dropped(stored.from, copy.cause);
      return;
    }
    const { frame } = copy;
    const conversation: ConversationId = group
      ? groupConversation(group.id)
      : privateConversation(stored.from);
    const title = group ? group.name : stored.from;
    const added = await this.#store(
      {
        id: frame.id,
        conversation,
        from: stored.from,
        text: frame.text,
        sentAt: frame.sentAt,
        viaServer: true,
      },
      title,
    );
    if (added) this.stored.opened++;
  }

  /** Copies held for `username`'s key change, opened again now that it is decided. */
  async released(messages: OfflineMessage[]): Promise<void> {
    for (const stored of messages) await this.#fromStore(stored);
  }

  /** Stores and announces a received message; false when it was a duplicate. */
  async #store(message: ChatMessage, title: string): Promise<boolean> {
    const history = this.deps.history();
    if (!history) return false;
    const added = await history.addReceived(message, title);
    if (added) this.deps.received(message);
    return added;
  }

  #log(err: unknown): void {
    if (this.deps.history()?.isOpen) console.error('receiving failed', err);
  }
}
