/**
 * History in the browser (Dexie over IndexedDB), one database per signed-in user: messages,
 * conversations with unread counts, and the outbox of own messages not yet delivered or stored.
 */
import { Dexie, type Table } from 'dexie';
import type { ChatMessage, Conversation, ConversationId } from './api.ts';

export type OutboxTarget =
  { kind: 'private'; username: string } | { kind: 'group'; groupId: number };

export interface OutboxItem {
  id: string;
  target: OutboxTarget;
  /** The encoded `msg` frame, exactly as sent to peers and to the offline store. */
  frame: string;
  queuedAt: number;
}

interface StoredConversation extends Conversation {
  updatedAt: number;
}

type Db = Dexie & {
  /** Keyed by [from+id]: ids are the sender's, so a peer can only collide with its own. */
  messages: Table<ChatMessage, [string, string]>;
  conversations: Table<StoredConversation, ConversationId>;
  outbox: Table<OutboxItem, string>;
};

export interface HistoryPlatform {
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

export class History {
  private constructor(
    readonly user: string,
    private readonly db: Db,
  ) {}

  static async open(user: string, platform: HistoryPlatform): Promise<History> {
    const db = new Dexie(`p2sp-${user}`, {
      ...(platform.indexedDB ? { indexedDB: platform.indexedDB } : {}),
      ...(platform.IDBKeyRange ? { IDBKeyRange: platform.IDBKeyRange } : {}),
    }) as Db;
    db.version(1).stores({
      messages: '[from+id], id, [conversation+sentAt]',
      conversations: 'id, updatedAt',
      outbox: 'id, queuedAt',
    });
    await db.open();
    return new History(user, db);
  }

  get isOpen(): boolean {
    return this.db.isOpen();
  }

  close(): void {
    this.db.close();
  }

  /** Stores a received message unless it is already there; false for a duplicate. */
  async addReceived(message: ChatMessage, title: string): Promise<boolean> {
    return this.db.transaction('rw', this.db.messages, this.db.conversations, async () => {
      if (await this.db.messages.get([message.from, message.id])) return false;
      await this.db.messages.add(message);
      await this.#touch(message, title, 1);
      return true;
    });
  }

  /** An own message, with its outbox entry, in one transaction. */
  async addOwn(message: ChatMessage, title: string, outbox: OutboxItem): Promise<void> {
    await this.db.transaction(
      'rw',
      [this.db.messages, this.db.conversations, this.db.outbox],
      async () => {
        await this.db.messages.put(message);
        await this.db.outbox.put(outbox);
        await this.#touch(message, title, 0);
      },
    );
  }

  async getOwn(id: string): Promise<ChatMessage | undefined> {
    return this.db.messages.get([this.user, id]);
  }

  /** Updates one of my messages (delivery state), keeping the conversation preview in step. */
  async updateOwn(id: string, patch: Partial<ChatMessage>): Promise<ChatMessage | undefined> {
    return this.db.transaction('rw', this.db.messages, this.db.conversations, async () => {
      const current = await this.db.messages.get([this.user, id]);
      if (!current) return undefined;
      const next: ChatMessage = { ...current, ...patch };
      // A retried message that got through no longer carries the old failure.
      if (next.error === undefined) delete next.error;
      await this.db.messages.put(next);
      const conv = await this.db.conversations.get(current.conversation);
      if (conv?.lastMessage?.id === id && conv.lastMessage.from === this.user) {
        await this.db.conversations.put({ ...conv, lastMessage: next });
      }
      return next;
    });
  }

  async #touch(message: ChatMessage, title: string, unread: number): Promise<void> {
    const conv = await this.db.conversations.get(message.conversation);
    const newer = !conv?.lastMessage || conv.lastMessage.sentAt <= message.sentAt;
    await this.db.conversations.put({
      id: message.conversation,
      title: conv?.title ?? title,
      unread: (conv?.unread ?? 0) + unread,
      lastMessage: newer ? message : (conv?.lastMessage ?? null),
      updatedAt: Math.max(conv?.updatedAt ?? 0, Date.now()),
      ...((message.system ?? conv?.system) ? { system: true } : {}),
    });
  }

  async conversations(): Promise<Conversation[]> {
    const rows = await this.db.conversations.orderBy('updatedAt').reverse().toArray();
    return rows.map(({ updatedAt: _updatedAt, ...conversation }) => conversation);
  }

  async markRead(conversation: ConversationId): Promise<void> {
    await this.db.conversations.update(conversation, { unread: 0 });
  }

  /** Newest last; `before` (a sentAt, exclusive) pages backwards. */
  async page(
    conversation: ConversationId,
    options: { before?: number; limit?: number } = {},
  ): Promise<ChatMessage[]> {
    const limit = Math.max(1, Math.min(options.limit ?? 50, 500));
    const rows = await this.db.messages
      .where('[conversation+sentAt]')
      .between(
        [conversation, Dexie.minKey],
        [conversation, options.before ?? Dexie.maxKey],
        true,
        false,
      )
      .reverse()
      .limit(limit)
      .toArray();
    return rows.reverse();
  }

  async outbox(): Promise<OutboxItem[]> {
    return this.db.outbox.orderBy('queuedAt').toArray();
  }

  async removeOutbox(id: string): Promise<void> {
    await this.db.outbox.delete(id);
  }
}
