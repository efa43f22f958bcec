/**
 * Group events as lines of the conversation: the server's `groups:memberChanged`,
 * `groups:removed` and `groups:changed` (a blocked flag that flipped) become rows of local history,
 * so "bob removed 小红" and "dave deleted the group" are still there after a reload, and a
 * conversation that is over keeps its history, its name and the reason it ended.
 *
 * Only the server's events are turned into lines: a peer cannot write one (data-channel frames
 * never reach this module), and `by` is the server's word on who did it.
 */
import type { ChatMessage, GroupEvent } from './api.ts';
import type { History } from './history.ts';
import { groupConversation, newMessageId } from './ids.ts';
import type { ServerLink } from './session.ts';
import { sameUsername } from '../../../shared/names.ts';

export interface GroupEventDeps {
  server: ServerLink;
  history(): History | null;
  /** The group's name and blocked flag as the client knew it before this event. */
  group(groupId: number): { name: string; blocked: boolean } | undefined;
  me(): string | null;
  /** A line was stored: show it (the same path as a received message). */
  recorded(message: ChatMessage): void;
  clock?: () => number;
}

export class GroupEvents {
  /** Blocked flags seen, so only a change is a line (a `groups:changed` is sent for many reasons). */
  readonly #blocked = new Map<number, boolean>();

  constructor(private readonly deps: GroupEventDeps) {
    const { server } = deps;
    server.on('groups:memberChanged', ({ groupId, username, change, role, by }) => {
      const me = deps.me();
      // My own join is the group appearing in my list, not a line in it.
      if (me && sameUsername(username, me) && change === 'joined') return;
      if (change === 'joined') void this.#record(groupId, { kind: 'joined', username });
      else if (change === 'left') {
        void this.#record(
          groupId,
          sameUsername(by, username)
            ? { kind: 'left', username }
            : { kind: 'removed', username, by },
        );
      } else if (role) void this.#record(groupId, { kind: 'role', username, role, by });
    });
    server.on('groups:removed', ({ groupId, reason, by }) => {
      const event: GroupEvent =
        reason === 'deleted'
          ? { kind: 'deleted', by }
          : reason === 'kicked'
            ? { kind: 'you-removed', by }
            : { kind: 'you-left' };
      void this.#record(groupId, event);
      this.#blocked.delete(groupId);
    });
    server.on('groups:changed', ({ group }) => {
      const before = this.#blocked.get(group.id) ?? deps.group(group.id)?.blocked;
      this.#blocked.set(group.id, group.blocked);
      // Unknown before (a group just joined or created): nothing changed that a line should say.
      if (before === undefined || before === group.blocked) return;
      void this.#record(group.id, { kind: group.blocked ? 'blocked' : 'unblocked' }, group.name);
    });
  }

  /** The lists were loaded (a sign-in, a reconnect): flags from now on are compared to these. */
  seen(groups: readonly { id: number; blocked: boolean }[]): void {
    this.#blocked.clear();
    for (const g of groups) this.#blocked.set(g.id, g.blocked);
  }

  async #record(groupId: number, event: GroupEvent, name?: string): Promise<void> {
    const history = this.deps.history();
    if (!history) return;
    const message: ChatMessage = {
      id: newMessageId(),
      conversation: groupConversation(groupId),
      from: '',
      text: '',
      sentAt: (this.deps.clock ?? Date.now)(),
      event,
    };
    const title = name ?? this.deps.group(groupId)?.name ?? `group ${groupId}`;
    try {
      if (await history.addReceived(message, title)) this.deps.recorded(message);
    } catch (err) {
      if (history.isOpen) console.error('recording a group event failed', err);
    }
  }
}
