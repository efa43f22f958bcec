/**
 * Read receipts (issue 12), private conversations only, peer to peer only. When the user has a
 * private conversation open with the tab visible, the state layer asks for a receipt: the id of
 * the newest message the peer sent that I have now seen goes back in a `read` frame (once per id).
 * The peer marks its own messages to me up to that one "read", a state beyond delivered kept in
 * its history.
 *
 * Binding at the receiver: a `read` can only name a message of MINE (History keys rows by author)
 * in my private conversation with the frame's sender (the connection's server-stamped name), and
 * only one they have (delivered or stored for them); anything else changes nothing. Turning the
 * setting off stops both directions: nothing is sent, and receipts that arrive are ignored.
 */
import { encodeFrame, frames, type ReadFrame } from '../../../shared/peer-wire.ts';
import { sameUsername } from '../../../shared/names.ts';
import type { ChatMessage, ConversationId } from './api.ts';
import type { History } from './history.ts';
import { parseConversation } from './ids.ts';
import type { Exchange } from './relationships.ts';

/** How many of the newest messages are looked at to find the peer's newest one. */
const SCAN = 50;

export interface ReadsDeps {
  history(): History | null;
  me(): string;
  /** Whether `username` is worth a frame now (a channel is open, or they are online). */
  reachable(username: string): boolean;
  send(to: string, frame: string): Promise<void>;
  accepts(from: string, exchange: Exchange): boolean;
  /** Resolves once a send of mine under way (if any) has committed its outcome. */
  settled(id: string): Promise<void>;
  changed(message: ChatMessage): void;
}

export class Reads {
  #enabled = true;
  /** Per peer, the id last acknowledged as read (so the same one is not sent again). */
  readonly #sent = new Map<string, string>();
  /** Per peer, the id of the last receipt taken: a repeat (a flood of one frame) reads nothing. */
  readonly #taken = new Map<string, string>();

  constructor(private readonly deps: ReadsDeps) {}

  get enabled(): boolean {
    return this.#enabled;
  }

  setEnabled(on: boolean): void {
    this.#enabled = on;
  }

  /** The user has seen `conversation` (open, tab visible): tell its peer how far. */
  async seen(conversation: ConversationId): Promise<void> {
    const history = this.deps.history();
    const target = parseConversation(conversation);
    if (!this.#enabled || !history || target.kind !== 'private') return;
    const peer = target.username;
    if (!this.deps.accepts(peer, { kind: 'private' }) || !this.deps.reachable(peer)) return;
    const page = await history.page(conversation, { limit: SCAN });
    let newest: ChatMessage | undefined;
    for (let i = page.length - 1; i >= 0 && !newest; i--) {
      const m = page[i] as ChatMessage;
      if (sameUsername(m.from, peer) && !m.system && !m.event) newest = m;
    }
    if (!newest || this.#sent.get(peer.toLowerCase()) === newest.id) return;
    const id = newest.id;
    this.#sent.set(peer.toLowerCase(), id);
    try {
      await this.deps.send(peer, encodeFrame(frames.read(id)));
    } catch {
      // Not delivered: the next look at the conversation tries again.
      if (this.#sent.get(peer.toLowerCase()) === id) this.#sent.delete(peer.toLowerCase());
    }
  }

  /** `from` says they read my messages up to `frame.id`. */
  async onFrame(from: string, frame: ReadFrame): Promise<void> {
    const history = this.deps.history();
    if (!this.#enabled || !history || sameUsername(from, this.deps.me())) return;
    if (!this.deps.accepts(from, { kind: 'private' })) return;
    const key = from.toLowerCase();
    if (this.#taken.get(key) === frame.id) return;
    this.#taken.set(key, frame.id);
    // The ack and this frame can overtake my own bookkeeping of the message: wait for it.
    await this.deps.settled(frame.id);
    const marked = await history.markOwnRead(from, frame.id);
    for (const message of marked) this.deps.changed(message);
  }

  signedOut(): void {
    this.#sent.clear();
    this.#taken.clear();
  }
}
