/**
 * One open conversation: its messages (paged backwards from the engine's history), the local
 * notices typed commands produced in it, and for a group its member list.
 */
import {
  parseConversation,
  type ChatEngine,
  type ChatMessage,
  type ConversationId,
} from '../core/api.ts';
import type { GroupMember } from '../../../shared/events.ts';
import type { PresenceStatus } from '../../../shared/limits.ts';
import { sameUsername } from '../../../shared/names.ts';
import { errorText } from './format.ts';
import { i18n } from './i18n/locale.svelte.ts';
import { merge } from './messages.ts';
import { NoticeLog, type Notice } from './notices.svelte.ts';

export const PAGE_SIZE = 50;

export type TimelineItem =
  | { kind: 'message'; key: string; at: number; message: ChatMessage }
  | { kind: 'notice'; key: string; at: number; notice: Notice };

export class ConversationView {
  readonly target: ReturnType<typeof parseConversation>;
  readonly log = new NoticeLog();

  messages = $state.raw<ChatMessage[]>([]);
  status = $state<'loading' | 'ready' | 'error'>('loading');
  loadError = $state<string | null>(null);
  loadingOlder = $state(false);
  reachedStart = $state(false);

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

  constructor(
    private readonly engine: ChatEngine,
    readonly id: ConversationId,
  ) {
    this.target = parseConversation(id);
  }

  async load(): Promise<void> {
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
        lines: [i18n.t.conversation.loadOlderFailed(errorText(e))],
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
    this.messages = merge(this.messages, [message]);
  }

  async markRead(): Promise<void> {
    try {
      await this.engine.markRead(this.id);
    } catch {
      // An unread badge that lingers is not worth an error banner.
    }
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
