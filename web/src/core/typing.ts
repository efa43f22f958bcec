/**
 * Typing indicators (issue 12), peer to peer only: while the user types in a private or group
 * conversation a `typing` frame goes to the people in it, at most once per TYPING_RESEND_MS, and a
 * stop when the box is emptied or the message sent. A receiver shows "bob is typing…" until a stop,
 * a message from bob, or TYPING_EXPIRES_MS without a renewal (a peer that closed its tab sends no
 * stop). It is a hint, never stored; frames are checked against the relationships view like
 * messages, so only someone we would take a message from in that conversation can show one.
 */
import { frames, type TypingFrame } from '../../../shared/peer-wire.ts';
import { sameUsername } from '../../../shared/names.ts';
import type { ChatMessage, ConversationId } from './api.ts';
import { groupConversation, parseConversation, privateConversation } from './ids.ts';
import type { Exchange } from './relationships.ts';

/** Longest gap between two `typing` frames of one burst of typing. */
export const TYPING_RESEND_MS = 3_000;
/** How long one frame shows its sender typing: a renewal must come within it. */
export const TYPING_EXPIRES_MS = 5_000;

/** Outgoing: what the state of the composer means for the wire, per conversation. */
export class TypingThrottle {
  /** Conversations I told someone I am typing in, and when I last said so. */
  readonly #saidAt = new Map<ConversationId, number>();

  constructor(private readonly resendMs = TYPING_RESEND_MS) {}

  /**
   * The composer has text (`typing`) or not: the frame to send now (true: typing, false: a stop),
   * or null when nothing needs saying (said less than `resendMs` ago, or never started).
   */
  update(conversation: ConversationId, typing: boolean, now: number): boolean | null {
    const last = this.#saidAt.get(conversation);
    if (typing) {
      if (last !== undefined && now - last < this.resendMs) return null;
      this.#saidAt.set(conversation, now);
      return true;
    }
    if (last === undefined) return null;
    this.#saidAt.delete(conversation);
    return false;
  }

  clear(): void {
    this.#saidAt.clear();
  }
}

/** Incoming: who is typing where, until when. */
export class TypingBoard {
  /** Conversation -> username -> when the indicator lapses (insertion order: who started first). */
  readonly #until = new Map<ConversationId, Map<string, number>>();

  constructor(private readonly expiresMs = TYPING_EXPIRES_MS) {}

  /** A frame (or a message, as a stop) from `username`; true when the conversation's list changed. */
  seen(conversation: ConversationId, username: string, active: boolean, now: number): boolean {
    let who = this.#until.get(conversation);
    if (!active) {
      if (!who?.delete(username)) return false;
      if (who.size === 0) this.#until.delete(conversation);
      return true;
    }
    if (!who) this.#until.set(conversation, (who = new Map()));
    const wasShown = (who.get(username) ?? -Infinity) > now;
    who.set(username, now + this.expiresMs);
    return !wasShown;
  }

  /** Who is typing in `conversation` at `now`, in the order they started. */
  who(conversation: ConversationId, now: number): string[] {
    const who = this.#until.get(conversation);
    if (!who) return [];
    return [...who].filter(([, until]) => until > now).map(([username]) => username);
  }

  /** The next moment an indicator lapses, or null when none is shown. */
  nextExpiry(): number | null {
    let next: number | null = null;
    for (const who of this.#until.values())
      for (const until of who.values()) if (next === null || until < next) next = until;
    return next;
  }

  /** Drops what lapsed by `now`; returns the conversations whose list changed. */
  expire(now: number): ConversationId[] {
    const changed: ConversationId[] = [];
    for (const [conversation, who] of this.#until) {
      let dropped = false;
      for (const [username, until] of who)
        if (until <= now) {
          who.delete(username);
          dropped = true;
        }
      if (who.size === 0) this.#until.delete(conversation);
      if (dropped) changed.push(conversation);
    }
    return changed;
  }

  /** Every conversation with someone shown typing (for a sign-out to clear them). */
  conversations(): ConversationId[] {
    return [...this.#until.keys()];
  }

  clear(): void {
    this.#until.clear();
  }
}

export interface TypingDeps {
  me(): string;
  /** Sends an encoded frame to `to`; a failure is dropped (a typing hint is not worth a retry). */
  send(to: string, frame: TypingFrame): void;
  /** Who should hear that I am typing in `conversation` now. */
  recipients(conversation: ConversationId): string[];
  /** Whether a frame from `from` about this exchange is one we accept (the binding check). */
  accepts(from: string, exchange: Exchange): Promise<boolean>;
  /** The list of who is typing in `conversation` changed. */
  changed(conversation: ConversationId, usernames: string[]): void;
  now?(): number;
}

export class Typing {
  readonly #out = new TypingThrottle();
  readonly #board = new TypingBoard();
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: TypingDeps) {}

  #now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /**
   * The composer of `conversation` now holds `text`. A command (a line starting with `/`) is not
   * a message being written, so it counts as an empty box.
   */
  input(conversation: ConversationId, text: string): void {
    const typing = text.trim() !== '' && !text.trimStart().startsWith('/');
    const active = this.#out.update(conversation, typing, this.#now());
    if (active === null) return;
    const target = parseConversation(conversation);
    const frame = frames.typing(active, target.kind === 'group' ? target.groupId : undefined);
    for (const to of this.deps.recipients(conversation)) this.deps.send(to, frame);
  }

  async onFrame(from: string, frame: TypingFrame): Promise<void> {
    if (sameUsername(from, this.deps.me())) return;
    const exchange: Exchange =
      frame.groupId === undefined ? { kind: 'private' } : { kind: 'group', groupId: frame.groupId };
    if (!(await this.deps.accepts(from, exchange))) return;
    const conversation =
      frame.groupId === undefined ? privateConversation(from) : groupConversation(frame.groupId);
    if (this.#board.seen(conversation, from, frame.active, this.#now()))
      this.#announce(conversation);
    this.#arm();
  }

  /** A message from someone ends their typing in its conversation (no stop frame is needed). */
  received(message: ChatMessage): void {
    if (!message.from || message.system) return;
    if (this.#board.seen(message.conversation, message.from, false, this.#now()))
      this.#announce(message.conversation);
  }

  who(conversation: ConversationId): string[] {
    return this.#board.who(conversation, this.#now());
  }

  reset(): void {
    const shown = this.#board.conversations();
    this.#board.clear();
    this.#out.clear();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const conversation of shown) this.deps.changed(conversation, []);
  }

  #announce(conversation: ConversationId): void {
    this.deps.changed(conversation, this.who(conversation));
  }

  /** One timer, for the earliest lapse. */
  #arm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const next = this.#board.nextExpiry();
    if (next === null) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        for (const conversation of this.#board.expire(this.#now())) this.#announce(conversation);
        this.#arm();
      },
      Math.max(0, next - this.#now()),
    );
  }
}
