/**
 * Read receipts (issue 12), peer to peer only. When the user has a conversation open with the tab
 * visible, the state layer asks for a receipt.
 *
 * Private: the id of the newest message the peer sent that I have now seen goes back in a `read`
 * frame (once per id). The peer marks its own messages to me up to that one "read", a state
 * beyond delivered kept in its history.
 *
 * Group: each member whose messages I see there gets a `read` naming the group and the newest of
 * THEIR messages I have seen (once per id), over a channel already open only (a receipt is not
 * worth a connection; the next look tries again). The author adds me to that message's `readBy`,
 * and the UI shows "Read by N" on their newest message. Cheap on purpose: one frame per author on
 * screen, one row written per reader, no fan-out of everyone's state to everyone.
 *
 * Binding at the receiver: a `read` can only name a message of MINE (History keys rows by author)
 * in the conversation it names, shared with the frame's sender (the connection's server-stamped
 * name, so no one reads for someone else): our private one, or a group they are a member of now
 * (a non-member's is ignored); and only one that has reached them. Anything else changes nothing.
 * Turning the setting off stops both directions, in groups too: nothing is sent, and receipts that
 * arrive are ignored.
 */
import { encodeFrame, frames, type ReadFrame } from '../../../shared/peer-wire.ts';
import { sameUsername } from '../../../shared/names.ts';
import type { ChatMessage, ConversationId } from './api.ts';
import type { History } from './history.ts';
import { groupConversation, parseConversation } from './ids.ts';
import type { Exchange } from './relationships.ts';

/** How many of the newest messages are looked at to find the peer's newest one. */
const SCAN = 50;

export interface ReadsDeps {
  history(): History | null;
  me(): string;
  /** Whether `username` is worth a frame now (a channel is open, or they are online). */
  reachable(username: string): boolean;
  /** Whether a data channel to `username` is open now (group receipts use only those). */
  direct(username: string): boolean;
  /** Sends an encoded frame about `exchange` (checked again at the moment it goes). */
  send(to: string, frame: string, exchange: Exchange): Promise<void>;
  accepts(from: string, exchange: Exchange): boolean;
  /** Resolves once a send of mine under way (if any) has committed its outcome. */
  settled(id: string): Promise<void>;
  changed(message: ChatMessage): void;
}

export class Reads {
  #enabled = true;
  /**
   * Per peer (`u:<name>`) or per group member (`g:<id>:<name>`), the id last acknowledged as
   * read (so the same one is not sent again).
   */
  readonly #sent = new Map<string, string>();
  /** The same keys: the id of the last receipt taken, so a repeat (a flood) reads nothing. */
  readonly #taken = new Map<string, string>();

  constructor(private readonly deps: ReadsDeps) {}

  get enabled(): boolean {
    return this.#enabled;
  }

  setEnabled(on: boolean): void {
    this.#enabled = on;
  }

  /** The user has seen `conversation` (open, tab visible): tell its peer(s) how far. */
  async seen(conversation: ConversationId): Promise<void> {
    const history = this.deps.history();
    const target = parseConversation(conversation);
    if (!this.#enabled || !history || target.kind === 'system') return;
    if (target.kind === 'group') return this.#seenGroup(history, target.groupId);
    const peer = target.username;
    if (!this.deps.accepts(peer, { kind: 'private' }) || !this.deps.reachable(peer)) return;
    const page = await history.page(conversation, { limit: SCAN });
    let newest: ChatMessage | undefined;
    for (let i = page.length - 1; i >= 0 && !newest; i--) {
      const m = page[i] as ChatMessage;
      if (sameUsername(m.from, peer) && !m.system && !m.event) newest = m;
    }
    if (newest) await this.#send(`u:${peer.toLowerCase()}`, peer, newest.id, { kind: 'private' });
  }

  async #seenGroup(history: History, groupId: number): Promise<void> {
    const exchange: Exchange = { kind: 'group', groupId };
    const page = await history.page(groupConversation(groupId), { limit: SCAN });
    const me = this.deps.me();
    // Each author's newest message on screen, newest authors first.
    const newest = new Map<string, ChatMessage>();
    for (let i = page.length - 1; i >= 0; i--) {
      const m = page[i] as ChatMessage;
      if (m.system || m.event || !m.from || sameUsername(m.from, me)) continue;
      const key = m.from.toLowerCase();
      if (!newest.has(key)) newest.set(key, m);
    }
    const sends: Promise<void>[] = [];
    for (const [key, m] of newest) {
      if (!this.deps.accepts(m.from, exchange) || !this.deps.direct(m.from)) continue;
      sends.push(this.#send(`g:${groupId}:${key}`, m.from, m.id, exchange));
    }
    await Promise.all(sends);
  }

  async #send(key: string, to: string, id: string, exchange: Exchange): Promise<void> {
    if (this.#sent.get(key) === id) return;
    this.#sent.set(key, id);
    const groupId = exchange.kind === 'group' ? exchange.groupId : undefined;
    try {
      await this.deps.send(to, encodeFrame(frames.read(id, groupId)), exchange);
    } catch {
      // Not delivered: the next look at the conversation tries again.
      if (this.#sent.get(key) === id) this.#sent.delete(key);
    }
  }

  /** `from` says they read my messages up to `frame.id` (in group `frame.groupId`'s, if named). */
  async onFrame(from: string, frame: ReadFrame): Promise<void> {
    const history = this.deps.history();
    if (!this.#enabled || !history || sameUsername(from, this.deps.me())) return;
    const group = frame.groupId;
    const exchange: Exchange =
      group === undefined ? { kind: 'private' } : { kind: 'group', groupId: group };
    if (!this.deps.accepts(from, exchange)) return;
    const key =
      group === undefined ? `u:${from.toLowerCase()}` : `g:${group}:${from.toLowerCase()}`;
    if (this.#taken.get(key) === frame.id) return;
    this.#taken.set(key, frame.id);
    // The ack and this frame can overtake my own bookkeeping of the message: wait for it.
    await this.deps.settled(frame.id);
    if (group === undefined) {
      const marked = await history.markOwnRead(from, frame.id);
      for (const message of marked) this.deps.changed(message);
      return;
    }
    const marked = await history.markOwnReadInGroup(group, from, frame.id);
    if (marked) this.deps.changed(marked);
  }

  signedOut(): void {
    this.#sent.clear();
    this.#taken.clear();
  }
}
