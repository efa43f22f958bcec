/**
 * History in the browser (Dexie over IndexedDB), one database per signed-in user: messages,
 * conversations with unread counts, and the outbox of own messages not yet delivered or stored.
 *
 * Writes are group-committed: every write asked for while the database is idle (within one
 * microtask burst) or while a transaction is in flight is queued and applied in ONE read-write
 * transaction; each caller's promise resolves only after that transaction commits (or rejects if it
 * fails), so "it is on disk" still means what it meant with one transaction per write.
 *
 * The conversation list (unread counts, last message) is kept in memory, loaded once on open; each
 * batch computes its changes from it, writes the changed rows in the same transaction and updates
 * the memory copy only after the commit, so `conversations()` costs no IndexedDB read. This relies on
 * every write going through this one instance (one signed-in session per user at a time).
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

/** One queued write; applied in order with the rest of its batch. */
type Op =
  | { kind: 'received'; message: ChatMessage; title: string; done: Settle<boolean> }
  | { kind: 'own'; message: ChatMessage; title: string; outbox: OutboxItem; done: Settle<void> }
  | {
      kind: 'update';
      id: string;
      patch: Partial<ChatMessage>;
      removeOutbox: boolean;
      done: Settle<ChatMessage | undefined>;
    }
  | { kind: 'removeOutbox'; id: string; done: Settle<void> }
  | { kind: 'markRead'; conversation: ConversationId; done: Settle<void> };

interface Settle<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

const messageKey = (from: string, id: string) => `${from}\u0000${id}`;

/** Newest first; ties as IndexedDB's reversed `updatedAt` index orders them (by id, descending). */
const newestFirst = (a: StoredConversation, b: StoredConversation) =>
  b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export class History {
  #queue: Op[] = [];
  #scheduled = false;
  #flushing = false;
  /** The committed conversation rows, by id. */
  readonly #conversations: Map<ConversationId, StoredConversation>;
  /** The committed list without `updatedAt`, newest first; rebuilt lazily after a change. */
  #list: Conversation[] | null = null;

  private constructor(
    readonly user: string,
    private readonly db: Db,
    conversations: StoredConversation[],
  ) {
    this.#conversations = new Map(conversations.map((c) => [c.id, c]));
  }

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
    return new History(user, db, await db.conversations.toArray());
  }

  get isOpen(): boolean {
    return this.db.isOpen();
  }

  close(): void {
    this.db.close();
  }

  /** Stores a received message unless it is already there; false for a duplicate. */
  addReceived(message: ChatMessage, title: string): Promise<boolean> {
    return this.#enqueue<boolean>((done) => ({ kind: 'received', message, title, done }));
  }

  /** An own message, with its outbox entry, in one transaction. */
  addOwn(message: ChatMessage, title: string, outbox: OutboxItem): Promise<void> {
    return this.#enqueue<void>((done) => ({ kind: 'own', message, title, outbox, done }));
  }

  async getOwn(id: string): Promise<ChatMessage | undefined> {
    return this.db.messages.get([this.user, id]);
  }

  /** Updates one of my messages (delivery state), keeping the conversation preview in step. */
  updateOwn(id: string, patch: Partial<ChatMessage>): Promise<ChatMessage | undefined> {
    return this.#enqueue<ChatMessage | undefined>((done) => ({
      kind: 'update',
      id,
      patch,
      removeOutbox: false,
      done,
    }));
  }

  /** A final outcome for one of my messages: its state and its outbox removal in one transaction. */
  settleOwn(id: string, patch: Partial<ChatMessage>): Promise<ChatMessage | undefined> {
    return this.#enqueue<ChatMessage | undefined>((done) => ({
      kind: 'update',
      id,
      patch,
      removeOutbox: true,
      done,
    }));
  }

  conversations(): Promise<Conversation[]> {
    return Promise.resolve(this.conversationsNow());
  }

  /** The committed conversation list, newest first (a new array; the rows are not shared). */
  conversationsNow(): Conversation[] {
    this.#list ??= [...this.#conversations.values()]
      .sort(newestFirst)
      .map(({ updatedAt: _updatedAt, ...conversation }) => conversation);
    return this.#list.map((c) => ({ ...c }));
  }

  markRead(conversation: ConversationId): Promise<void> {
    return this.#enqueue<void>((done) => ({ kind: 'markRead', conversation, done }));
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

  removeOutbox(id: string): Promise<void> {
    return this.#enqueue<void>((done) => ({ kind: 'removeOutbox', id, done }));
  }

  // --- group commit ---

  #enqueue<T>(make: (done: Settle<T>) => Op): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(make({ resolve, reject } as Settle<T>));
      this.#schedule();
    });
  }

  #schedule(): void {
    // While a transaction is in flight, its completion picks the queue up.
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = true;
    const batch = this.#queue;
    this.#queue = [];
    try {
      const { results, conversations } = await this.#commit(batch);
      // Committed: the memory copy follows, then every caller hears back.
      for (const c of conversations) this.#conversations.set(c.id, c);
      if (conversations.length > 0) this.#list = null;
      batch.forEach((op, i) => (op.done.resolve as (v: unknown) => void)(results[i]));
    } catch (err) {
      for (const op of batch) op.done.reject(err);
    } finally {
      this.#flushing = false;
      if (this.#queue.length > 0) void this.#flush();
    }
  }

  /** Applies a batch in one transaction; the results are per op, in order. */
  async #commit(batch: Op[]): Promise<{ results: unknown[]; conversations: StoredConversation[] }> {
    const { messages, conversations, outbox } = this.db;
    return this.db.transaction('rw', [messages, conversations, outbox], async () => {
      // One read of the message rows the batch depends on: received ones (dedupe) and own ones
      // being updated. Conversations come from memory: every write to them goes through here.
      const keys: [string, string][] = [];
      for (const op of batch) {
        if (op.kind === 'received') keys.push([op.message.from, op.message.id]);
        else if (op.kind === 'update') keys.push([this.user, op.id]);
      }
      const rows = keys.length > 0 ? await messages.bulkGet(keys) : [];
      const msgs = new Map<string, ChatMessage | undefined>();
      keys.forEach(([from, id], i) => {
        const key = messageKey(from, id);
        if (!msgs.get(key)) msgs.set(key, rows[i]);
      });
      // This batch's conversation rows, over the committed ones in memory.
      const convs = new Map<ConversationId, StoredConversation>();
      const convOf = (id: ConversationId) => convs.get(id) ?? this.#conversations.get(id);

      const msgWrites = new Map<string, ChatMessage>();
      const outboxWrites = new Map<string, OutboxItem | null>();
      const convWrites = new Set<ConversationId>();
      const touch = (message: ChatMessage, title: string, unread: number) => {
        const conv = convOf(message.conversation);
        const newer = !conv?.lastMessage || conv.lastMessage.sentAt <= message.sentAt;
        convs.set(message.conversation, {
          id: message.conversation,
          title: conv?.title ?? title,
          unread: (conv?.unread ?? 0) + unread,
          lastMessage: newer ? message : (conv?.lastMessage ?? null),
          updatedAt: Math.max(conv?.updatedAt ?? 0, Date.now()),
          ...((message.system ?? conv?.system) ? { system: true } : {}),
        });
        convWrites.add(message.conversation);
      };

      const results: unknown[] = [];
      for (const op of batch) {
        switch (op.kind) {
          case 'received': {
            const key = messageKey(op.message.from, op.message.id);
            if (msgs.get(key)) {
              results.push(false);
              break;
            }
            msgs.set(key, op.message);
            msgWrites.set(key, op.message);
            touch(op.message, op.title, 1);
            results.push(true);
            break;
          }
          case 'own': {
            const key = messageKey(op.message.from, op.message.id);
            msgs.set(key, op.message);
            msgWrites.set(key, op.message);
            outboxWrites.set(op.outbox.id, op.outbox);
            touch(op.message, op.title, 0);
            results.push(undefined);
            break;
          }
          case 'update': {
            if (op.removeOutbox) outboxWrites.set(op.id, null);
            const key = messageKey(this.user, op.id);
            const current = msgs.get(key);
            if (!current) {
              results.push(undefined);
              break;
            }
            const next: ChatMessage = { ...current, ...op.patch };
            // A retried message that got through no longer carries the old failure.
            if (next.error === undefined) delete next.error;
            msgs.set(key, next);
            msgWrites.set(key, next);
            const conv = convOf(current.conversation);
            if (conv?.lastMessage?.id === op.id && conv.lastMessage.from === this.user) {
              convs.set(conv.id, { ...conv, lastMessage: next });
              convWrites.add(conv.id);
            }
            results.push(next);
            break;
          }
          case 'removeOutbox':
            outboxWrites.set(op.id, null);
            results.push(undefined);
            break;
          case 'markRead': {
            const conv = convOf(op.conversation);
            if (conv) {
              convs.set(conv.id, { ...conv, unread: 0 });
              convWrites.add(conv.id);
            }
            results.push(undefined);
            break;
          }
        }
      }

      const puts: OutboxItem[] = [];
      const deletes: string[] = [];
      for (const [id, item] of outboxWrites) {
        if (item) puts.push(item);
        else deletes.push(id);
      }
      const changed = [...convWrites].map((id) => convs.get(id) as StoredConversation);
      await Promise.all([
        msgWrites.size > 0 ? messages.bulkPut([...msgWrites.values()]) : undefined,
        puts.length > 0 ? outbox.bulkPut(puts) : undefined,
        deletes.length > 0 ? outbox.bulkDelete(deletes) : undefined,
        changed.length > 0 ? conversations.bulkPut(changed) : undefined,
      ]);
      return { results, conversations: changed };
    });
  }
}
