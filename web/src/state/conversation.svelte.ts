/**
 * One open conversation: its messages (paged backwards from the engine's history), the local
 * notices typed commands produced in it, and for a group its member list.
 */
import {
  parseConversation,
  type ChatEngine,
  type ChatMessage,
  type ConversationId,
  type FileTransfer,
} from '../core/api.ts';
import type { GroupMember } from '../../../shared/events.ts';
import type { PresenceStatus } from '../../../shared/limits.ts';
import { sameUsername } from '../../../shared/names.ts';
import { errorText } from './format.ts';
import { merge } from './messages.ts';
import { NoticeLog, type Notice } from './notices.svelte.ts';
import { m } from '../paraglide/messages.js';

export const PAGE_SIZE = 50;

export type TimelineItem =
  | { kind: 'message'; key: string; at: number; message: ChatMessage }
  | { kind: 'notice'; key: string; at: number; notice: Notice }
  | {
      kind: 'file';
      key: string;
      at: number;
      file: FileTransfer;
      /** A file I sent to a group: one transfer per member, shown as one card (issue 13). */
      copies: FileTransfer[];
    };

export class ConversationView {
  readonly target: ReturnType<typeof parseConversation>;
  readonly log = new NoticeLog();

  messages = $state.raw<ChatMessage[]>([]);
  status = $state<'loading' | 'ready' | 'error'>('loading');
  loadError = $state<string | null>(null);
  loadingOlder = $state(false);
  reachedStart = $state(false);
  /** False while a search result is open in context and newer messages are not loaded yet. */
  reachedEnd = $state(true);
  loadingNewer = $state(false);
  /** The message a search result opened: scrolled to and highlighted. */
  focusId = $state<string | null>(null);
  /** Where the window was opened, so a reload after a reconnect keeps the reader's place. */
  #anchor: { id: string; sentAt: number } | null = null;

  /** Who is typing here now (the engine's 'typing' events; issue 12). */
  typing = $state.raw<string[]>([]);

  members = $state.raw<GroupMember[] | null>(null);
  membersError = $state<string | null>(null);

  /** Messages and notices in time order. */
  readonly timeline: TimelineItem[] = $derived.by(() => {
    const items: TimelineItem[] = this.messages.map((m) => ({
      kind: 'message',
      key: m.id,
      at: m.sentAt,
      message: m,
    }));
    for (const n of this.log.notices)
      items.push({ kind: 'notice', key: n.id, at: n.at, notice: n });
    return items.sort((a, b) => a.at - b.at);
  });

  /**
   * The timeline with this conversation's file cards in their time order among the messages
   * (issue 13). Files are kept apart from the history (files/store.ts), so they join here, within
   * the loaded window only: a file older than the first page loaded shows once that page is.
   */
  timelineWith(files: FileTransfer[]): TimelineItem[] {
    const first = this.messages[0];
    const last = this.messages.at(-1);
    const shown = files.filter(
      (f) =>
        (this.reachedStart || (first !== undefined && f.sentAt >= first.sentAt)) &&
        (this.reachedEnd || (last !== undefined && f.sentAt <= last.sentAt)),
    );
    if (shown.length === 0) return this.timeline;
    // A group file goes to each member as its own transfer, under one id: one card, with the
    // state per member, as the sender thinks of it (one file sent to the group).
    // (A plain record, not reactive state: it lives for this call; its keys are never numeric.)
    const cards: Record<string, FileTransfer[]> = {};
    for (const f of shown) {
      const card = f.direction === 'out' && this.target.kind === 'group' ? `out:${f.id}` : f.key;
      (cards[card] ??= []).push(f);
    }
    const items: TimelineItem[] = Object.entries(cards).map(([card, copies]) => {
      const file = copies[0] as FileTransfer;
      return { kind: 'file', key: `file:${card}`, at: file.sentAt, file, copies };
    });
    return [...this.timeline, ...items].sort((a, b) => a.at - b.at);
  }

  constructor(
    private readonly engine: ChatEngine,
    readonly id: ConversationId,
  ) {
    this.target = parseConversation(id);
    this.typing = engine.typingIn(id);
  }

  async load(): Promise<void> {
    if (this.#anchor && !this.reachedEnd) return this.openAt(this.#anchor);
    try {
      const page = await this.engine.history(this.id, { limit: PAGE_SIZE });
      // Live messages may have arrived while the page loaded; keep both.
      this.messages = merge(page, this.messages);
      this.reachedStart = page.length < PAGE_SIZE;
      this.status = 'ready';
      await this.markRead();
    } catch (e) {
      this.loadError = errorText(e);
      this.status = 'error';
    }
    if (this.target.kind === 'group') await this.refreshMembers();
  }

  /**
   * After a reconnect: what arrived meanwhile joins what is shown, after its last message. Never a
   * reload that replaces the list (issue 12: the open chat jumped after a reconnect): the reader
   * keeps the pages they loaded, a window opened in context stays that window, and the place they
   * were reading stays put. More than a page since then is paged in as the reader scrolls down.
   */
  async refresh(): Promise<void> {
    const last = this.messages.at(-1);
    if (this.status !== 'ready' || !last) return this.load();
    if (this.reachedEnd) {
      try {
        // From the last one's millisecond (inclusive via -1): merge drops the ones already here.
        const page = await this.engine.historyAfter(this.id, last.sentAt - 1, PAGE_SIZE);
        // The view's copies win: an event that landed during the read is newer than the page.
        const before = this.messages.length;
        this.messages = merge(page, this.messages);
        this.reachedEnd = page.length < PAGE_SIZE || this.messages.length === before;
        await this.markRead();
      } catch {
        // What is shown is still true; live events keep adding to it.
      }
    }
    if (this.target.kind === 'group') await this.refreshMembers();
  }

  /** Opens on one message with its neighbours (a search result in context), marked as focused. */
  async openAt(at: { id: string; sentAt: number }): Promise<void> {
    this.#anchor = { id: at.id, sentAt: at.sentAt };
    try {
      const w = await this.engine.historyAround(this.id, this.#anchor, PAGE_SIZE / 2);
      this.messages = w.messages;
      this.reachedStart = w.reachedStart;
      this.reachedEnd = w.reachedEnd;
      this.focusId = w.messages.some((m) => m.id === at.id) ? at.id : null;
      this.status = 'ready';
      await this.markRead();
    } catch (e) {
      this.loadError = errorText(e);
      this.status = 'error';
    }
    if (this.target.kind === 'group') await this.refreshMembers();
  }

  /** Leaves a window opened in context for the newest page, as a plain open would show. */
  async jumpToLatest(): Promise<void> {
    this.#anchor = null;
    this.focusId = null;
    this.messages = [];
    this.reachedEnd = true;
    this.status = 'loading';
    await this.load();
  }

  /** Scrolling down from a message opened in context: the next page, until the newest. */
  async loadNewer(): Promise<void> {
    const last = this.messages.at(-1);
    if (this.loadingNewer || this.reachedEnd || this.status !== 'ready' || !last) return;
    this.loadingNewer = true;
    try {
      // From the last one's millisecond (inclusive via -1): merge drops the ones already here.
      const page = await this.engine.historyAfter(this.id, last.sentAt - 1, PAGE_SIZE);
      const before = this.messages.length;
      this.messages = merge(this.messages, page);
      // A page of nothing new (a full page all at one millisecond) would repeat forever.
      this.reachedEnd = page.length < PAGE_SIZE || this.messages.length === before;
    } catch (e) {
      this.log.add({
        lines: [m.search_loadNewerFailed({ error: errorText(e) })],
        level: 'error',
      });
    } finally {
      this.loadingNewer = false;
    }
  }

  async loadOlder(): Promise<void> {
    const first = this.messages[0];
    if (this.loadingOlder || this.reachedStart || this.status !== 'ready' || !first) return;
    this.loadingOlder = true;
    try {
      const page = await this.engine.history(this.id, { before: first.sentAt, limit: PAGE_SIZE });
      this.reachedStart = page.length < PAGE_SIZE;
      this.messages = merge(page, this.messages);
    } catch (e) {
      this.log.add({
        lines: [m.conversation_loadOlderFailed({ error: errorText(e) })],
        level: 'error',
      });
    } finally {
      this.loadingOlder = false;
    }
  }

  /** A message of this conversation was added or changed state. */
  upsert(message: ChatMessage): void {
    // An update to a message older than the loaded pages (a retried send, a late ack) would leave
    // a gap above it that paging by `before` never fills; it shows when that page is loaded.
    const first = this.messages[0];
    const older = first !== undefined && message.sentAt < first.sentAt;
    if (older && !this.reachedStart && !this.messages.some((m) => m.id === message.id)) return;
    // Likewise below a window opened in context: a newer message shows once paging reaches it.
    const last = this.messages.at(-1);
    const newer = last !== undefined && message.sentAt > last.sentAt;
    if (newer && !this.reachedEnd && !this.messages.some((m) => m.id === message.id)) return;
    this.messages = merge(this.messages, [message]);
  }

  // --- retry / delete of a failed message (issue 12) ---

  /** Sends one of my failed messages again; its new state arrives as the engine's events. */
  async retry(id: string): Promise<void> {
    try {
      this.upsert(await this.engine.retryMessage(this.id, id));
    } catch (e) {
      this.log.add({ lines: [m.retry_retryFailed({ error: errorText(e) })], level: 'error' });
    }
  }

  /** Removes one of my failed messages from this browser's history, and from this view. */
  async remove(id: string): Promise<void> {
    try {
      await this.engine.deleteMessage(this.id, id);
      // Only my own messages carry a state: a received one with the same id stays.
      this.messages = this.messages.filter((m) => !(m.id === id && m.state !== undefined));
    } catch (e) {
      this.log.add({ lines: [m.retry_deleteFailed({ error: errorText(e) })], level: 'error' });
    }
  }

  async markRead(): Promise<void> {
    try {
      await this.engine.markRead(this.id);
      // Seen only when it is on screen: a reload behind a hidden tab reads nothing (issue 12).
      if (typeof document === 'undefined' || document.visibilityState !== 'hidden')
        await this.engine.readReceipt(this.id);
    } catch {
      // An unread badge that lingers, or a receipt not sent, is not worth an error banner.
    }
  }

  /** The composer's text changed: the engine says "typing" to the others, throttled. */
  typed(text: string): void {
    this.engine.typing(this.id, text);
  }

  /** A member's presence changed (the engine's event): patched here, not read again. */
  presenceChanged(username: string, status: PresenceStatus): void {
    if (!this.members?.some((m) => sameUsername(m.username, username))) return;
    this.members = this.members.map((m) =>
      sameUsername(m.username, username) ? { ...m, status } : m,
    );
  }

  async refreshMembers(): Promise<void> {
    if (this.target.kind !== 'group') return;
    try {
      this.members = await this.engine.groupMembers(this.target.groupId);
      this.membersError = null;
    } catch (e) {
      this.membersError = errorText(e);
    }
  }
}
