/**
 * History in the browser (Dexie over IndexedDB), one database per signed-in user: messages,
 * conversations with unread counts, and the outbox of own messages not yet delivered or stored.
 *
 * The outbox is not a table of its own: an own message awaiting a final outcome carries `outboxAt`
 * (when it was queued), a sparse index lists exactly those rows, and the frame is rebuilt from the
 * row when it is resent. Queuing a message and settling it are each one row written.
 *
 * Writes are group-committed: every write asked for while the database is idle (within one
 * microtask burst) or while a transaction is in flight is queued and applied in ONE read-write
 * transaction; each caller's promise resolves only after that transaction commits (or rejects if it
 * fails), so "it is on disk" still means what it meant with one transaction per write. The batch is
 * written with plain IndexedDB requests, one per row and none to read: in Chromium each request
 * costs ~0.1 ms of CPU between the page and the browser process, and Dexie adds its own per row,
 * so rows per message are what a message costs (bench/suites/browser.ts measures it).
 *
 * The conversation list (unread counts, last message) is kept in memory, loaded once on open; each
 * batch computes its changes from it, writes the changed rows in the same transaction and updates
 * the memory copy only after the commit, so `conversations()` costs no IndexedDB read. This relies on
 * every write going through this one instance (one signed-in session per user at a time).
 */
import { Dexie, type Table, type Transaction } from 'dexie';
import { sameUsername } from '../../../shared/names.ts';
import { parseFrame } from '../../../shared/peer-wire.ts';
import type { ChatMessage, Conversation, ConversationId } from './api.ts';
import { groupConversation, parseConversation, privateConversation } from './ids.ts';
import { messageKey, walk, type SearchCursor } from './history-search.ts';
import { indexEntries, planQuery } from './search-terms.ts';

/** A message row as stored: own messages still in the outbox carry `outboxAt`. */
interface StoredMessage extends ChatMessage {
  /** When it was queued; present only while the message awaits a final outcome. */
  outboxAt?: number;
  /** Search index entries (search-terms.ts), multiEntry-indexed; written with the row. */
  terms?: string[];
}

/** One search result: the message, its conversation's title, and how well it matched. */
export interface SearchHit {
  message: ChatMessage;
  title: string;
  score: number;
}

export interface SearchResult {
  /** Newest first. */
  hits: SearchHit[];
  /** Older matches may follow: pass this as `olderThan` for them; null when there are no more. */
  more: SearchCursor | null;
}

export type { SearchCursor };

/** A window of one conversation around a message, for opening a search result in context. */
export interface HistoryWindow {
  messages: ChatMessage[];
  reachedStart: boolean;
  reachedEnd: boolean;
}

interface StoredConversation extends Conversation {
  updatedAt: number;
}

/** The outbox table of schema version 1, read once by the upgrade to version 2. */
interface V1OutboxItem {
  id: string;
  target: { kind: 'private'; username: string } | { kind: 'group'; groupId: number };
  frame: string;
  queuedAt: number;
}

type Db = Dexie & {
  /** Keyed by [from+id]: ids are the sender's, so a peer can only collide with its own. */
  messages: Table<StoredMessage, [string, string]>;
  conversations: Table<StoredConversation, ConversationId>;
};

export interface HistoryPlatform {
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

/** What a settle or update may change on one of my messages. */
export type OwnPatch = Pick<
  Partial<ChatMessage>,
  'state' | 'failure' | 'error' | 'fanout' | 'readBy'
>;

/**
 * A patch applied to one of my messages, as History stores it: a field the patch clears is gone
 * (a retried message that got through no longer carries the old failure).
 */
export function applyOwnPatch<M extends ChatMessage>(message: M, patch: OwnPatch): M {
  const next: M = { ...message, ...patch };
  if (next.failure === undefined) delete next.failure;
  if (next.error === undefined) delete next.error;
  if (next.fanout === undefined) delete next.fanout;
  if (next.readBy === undefined) delete next.readBy;
  return next;
}

/** One queued write; applied in order with the rest of its batch. */
type Op =
  | { kind: 'received'; message: ChatMessage; title: string; done: Settle<boolean> }
  | { kind: 'own'; message: ChatMessage; title: string; done: Settle<void> }
  | {
      kind: 'update';
      message: ChatMessage;
      patch: OwnPatch;
      /** A final outcome: the message leaves the outbox. */
      settle: boolean;
      done: Settle<ChatMessage>;
    }
  | { kind: 'markRead'; conversation: ConversationId; done: Settle<void> }
  /** Removes one row (its search terms go with it); only the local copy. */
  | { kind: 'delete'; message: ChatMessage; done: Settle<void> };

interface Settle<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

const MESSAGES = 'messages';
const CONVERSATIONS = 'conversations';

/** The message as callers see it: without the storage-only outbox mark. */
function visible(row: StoredMessage): ChatMessage {
  if (row.outboxAt === undefined && row.terms === undefined) return row;
  const { outboxAt: _outboxAt, terms: _terms, ...message } = row;
  return message;
}

/** The row as written: with its search index entries. */
function indexed(row: StoredMessage): StoredMessage {
  return row.terms ? row : { ...row, terms: indexEntries(row.text, row.sentAt) };
}

/** States of my messages a read receipt may move to 'read': the peer has them. */
const READABLE: ReadonlySet<ChatMessage['state']> = new Set(['delivered', 'stored', 'read']);
/** Own messages one read receipt moves at most (older ones were covered by earlier receipts). */
const READ_SCAN = 500;
/**
 * Readers one group message of mine lists at most. Only current members can add themselves, but
 * members come and go over a message's life; past this the count stops (no peer can grow a row).
 */
export const GROUP_READERS_MAX = 1_000;

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
  /** The platform's key ranges (a test's fake IndexedDB brings its own). */
  readonly #keyRange: typeof IDBKeyRange;
  /**
   * Group readers written this session, by message key: an update of the same message built from
   * a copy read earlier (a delivery receipt's fanout) keeps them, and two readers at once both
   * count. Rows from earlier sessions carry theirs on disk, where every read finds them.
   */
  readonly #readers = new Map<string, string[]>();
  /** One reader added at a time: each starts from the list the one before left. */
  #readerChain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly user: string,
    private readonly db: Db,
    conversations: StoredConversation[],
    keyRange: typeof IDBKeyRange,
  ) {
    this.#conversations = new Map(conversations.map((c) => [c.id, c]));
    this.#keyRange = keyRange;
  }

  static async open(user: string, platform: HistoryPlatform): Promise<History> {
    const db = new Dexie(`p2sp-${user}`, {
      ...(platform.indexedDB ? { indexedDB: platform.indexedDB } : {}),
      ...(platform.IDBKeyRange ? { IDBKeyRange: platform.IDBKeyRange } : {}),
    }) as Db;
    History.schema(db, user);
    await db.open();
    const keyRange = platform.IDBKeyRange ?? globalThis.IDBKeyRange;
    return new History(user, db, await db.conversations.toArray(), keyRange);
  }

  /** Every schema version, oldest first; Dexie upgrades an older database in one step on open. */
  private static schema(db: Dexie, user: string): void {
    db.version(1).stores({
      messages: '[from+id], id, [conversation+sentAt]',
      conversations: 'id, updatedAt',
      outbox: 'id, queuedAt',
    });
    // The outbox moves onto the message rows (sparse index `outboxAt`); the unused `id` index goes.
    db.version(2)
      .stores({ messages: '[from+id], [conversation+sentAt], outboxAt' })
      .upgrade(async (tx) => History.moveOutbox(tx, user));
    db.version(3).stores({ outbox: null });
    // Search: every message row carries its terms (search-terms.ts); history written before this
    // version is indexed by the upgrade, in the one transaction Dexie opens for it.
    db.version(4)
      .stores({ messages: '[from+id], [conversation+sentAt], outboxAt, *terms' })
      .upgrade((tx) =>
        tx
          .table<StoredMessage, [string, string]>(MESSAGES)
          .toCollection()
          .modify((row) => {
            row.terms = indexEntries(row.text, row.sentAt);
          }),
      );
  }

  private static async moveOutbox(tx: Transaction, user: string): Promise<void> {
    const messages = tx.table<StoredMessage, [string, string]>(MESSAGES);
    const items = await tx.table<V1OutboxItem, string>('outbox').toArray();
    if (items.length === 0) return;
    const rows = await messages.bulkGet(items.map((item) => [user, item.id]));
    const moved: StoredMessage[] = [];
    items.forEach((item, i) => {
      const row = rows[i] ?? History.fromFrame(user, item);
      if (row) moved.push({ ...row, outboxAt: item.queuedAt });
    });
    await messages.bulkPut(moved);
  }

  /** Version 1 wrote the message and its outbox row together; rebuilt only if one went missing. */
  private static fromFrame(user: string, item: V1OutboxItem): StoredMessage | undefined {
    const parsed = parseFrame(item.frame);
    if (!parsed.ok || parsed.frame.type !== 'msg' || parsed.frame.id !== item.id) return undefined;
    const { frame } = parsed;
    return {
      id: item.id,
      conversation:
        item.target.kind === 'group'
          ? groupConversation(item.target.groupId)
          : privateConversation(item.target.username),
      from: user,
      text: frame.text,
      sentAt: frame.sentAt,
      state: 'sending',
    };
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

  /** An own message, in the outbox until `settleOwn`: one row. */
  addOwn(message: ChatMessage, title: string): Promise<void> {
    return this.#enqueue<void>((done) => ({ kind: 'own', message, title, done }));
  }

  async getOwn(id: string): Promise<ChatMessage | undefined> {
    const row = await this.db.messages.get([this.user, id]);
    return row && visible(row);
  }

  /**
   * A transient outcome for one of my messages (it stays in the outbox), keeping the conversation
   * preview in step. `message` is the message as the caller holds it (immutable but for the patched
   * fields, so no read is needed); call only after its `addOwn` resolved.
   */
  updateOwn(message: ChatMessage, patch: OwnPatch): Promise<ChatMessage> {
    return this.#enqueue<ChatMessage>((done) => ({
      kind: 'update',
      message,
      patch,
      settle: false,
      done,
    }));
  }

  /** A final outcome for one of my messages: its state, and it leaves the outbox, in one row. */
  settleOwn(message: ChatMessage, patch: OwnPatch): Promise<ChatMessage> {
    return this.#enqueue<ChatMessage>((done) => ({
      kind: 'update',
      message,
      patch,
      settle: true,
      done,
    }));
  }

  // --- read receipts (issue 12) ---
  /**
   * `peer` read my messages in our private conversation up to my message `id`: each of mine up
   * to it that they have (delivered, or stored for them) becomes 'read', newest first until one
   * already read. Nothing changes for an id that is not mine, not in a private conversation with
   * `peer`, or not theirs yet (still sending, failed). Returns the messages as they are now.
   */
  async markOwnRead(peer: string, id: string): Promise<ChatMessage[]> {
    const row = await this.db.messages.get([this.user, id]);
    if (!row || row.from !== this.user || !READABLE.has(row.state)) return [];
    const target = parseConversation(row.conversation);
    if (target.kind !== 'private' || !sameUsername(target.username, peer)) return [];
    const rows = await this.db.messages
      .where('[conversation+sentAt]')
      .between([row.conversation, Dexie.minKey], [row.conversation, row.sentAt], true, true)
      .reverse()
      .limit(READ_SCAN)
      .toArray();
    const unread: ChatMessage[] = [];
    for (const r of rows) {
      if (r.from !== this.user) continue;
      if (r.state === 'read') break;
      if (READABLE.has(r.state)) unread.push(visible(r));
    }
    return Promise.all(unread.map((m) => this.settleOwn(m, { state: 'read' })));
  }

  /**
   * `reader` (a member of group `groupId`, checked by the caller) has read that group's
   * conversation up to my message `id`: they join its `readBy`. Only that message: a group shows
   * who read my newest one, so marking older ones would be writes no one looks at. Nothing changes
   * for an id that is not mine, not in that group's conversation, not out to the members yet, or
   * already read by them. Returns the message when it changed.
   */
  markOwnReadInGroup(
    groupId: number,
    reader: string,
    id: string,
  ): Promise<ChatMessage | undefined> {
    const run = this.#readerChain.then(() => this.#addReader(groupId, reader, id));
    this.#readerChain = run.catch(() => undefined);
    return run;
  }

  async #addReader(groupId: number, reader: string, id: string): Promise<ChatMessage | undefined> {
    const row = await this.db.messages.get([this.user, id]);
    if (!row || row.from !== this.user || row.system || !READABLE.has(row.state)) return undefined;
    if (row.conversation !== groupConversation(groupId) || sameUsername(reader, this.user))
      return undefined;
    const key = messageKey(row.from, row.id);
    const readBy = this.#readers.get(key) ?? row.readBy ?? [];
    if (readBy.length >= GROUP_READERS_MAX || readBy.some((r) => sameUsername(r, reader)))
      return undefined;
    const next = [...readBy, reader];
    this.#readers.set(key, next);
    return this.settleOwn({ ...visible(row), readBy: next }, { readBy: next });
  }
  // --- end of read receipts ---

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

  /**
   * Removes one message from this browser's history (issue 12: a failed message can be deleted),
   * with its search index entries and its outbox mark; the conversation's preview falls back to the
   * newest message left. `message` is the message as the caller holds it (its `from`, `id` and
   * `conversation` are what count). Deleting a row that is not there changes nothing.
   */
  delete(message: ChatMessage): Promise<void> {
    return this.#enqueue<void>((done) => ({ kind: 'delete', message, done }));
  }

  markRead(conversation: ConversationId): Promise<void> {
    return this.#enqueue<void>((done) => ({ kind: 'markRead', conversation, done }));
  }

  /**
   * Whether someone other than me sent a message with this id in the conversation: only to tell
   * "not yours" from "no such message" when I act on one of mine (a scan of the conversation, so
   * for an error path only).
   */
  async hasOthers(conversation: ConversationId, id: string): Promise<boolean> {
    const found = await this.db.messages
      .where('[conversation+sentAt]')
      .between([conversation, Dexie.minKey], [conversation, Dexie.maxKey], true, true)
      .filter((row) => row.id === id && row.from !== this.user)
      .first();
    return found !== undefined;
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
    return rows.reverse().map(visible);
  }

  /**
   * The messages of one conversation after `after` (a sentAt, exclusive), oldest first: paging
   * forwards from a search result opened in context.
   */
  async pageAfter(conversation: ConversationId, after: number, limit = 50): Promise<ChatMessage[]> {
    const rows = await this.db.messages
      .where('[conversation+sentAt]')
      .between([conversation, after], [conversation, Dexie.maxKey], false, true)
      .limit(Math.max(1, Math.min(limit, 500)))
      .toArray();
    return rows.map(visible);
  }

  /** Up to `limit` messages on each side of one (which is included), oldest first. */
  async around(
    conversation: ConversationId,
    at: { id: string; sentAt: number },
    limit = 25,
  ): Promise<HistoryWindow> {
    const n = Math.max(1, Math.min(limit, 250));
    const range = this.db.messages.where('[conversation+sentAt]');
    // Both sides include the message's own millisecond (so the message itself, merged by id
    // below), n beyond it, and one more to tell whether that side has ended.
    const [older, newer] = await Promise.all([
      range
        .between([conversation, Dexie.minKey], [conversation, at.sentAt], true, true)
        .reverse()
        .limit(n + 2)
        .toArray(),
      range
        .between([conversation, at.sentAt], [conversation, Dexie.maxKey], true, true)
        .limit(n + 2)
        .toArray(),
    ]);
    const byKey = new Map<string, StoredMessage>();
    for (const row of [...older.slice(0, n + 1).reverse(), ...newer.slice(0, n + 1)])
      byKey.set(messageKey(row.from, row.id), row);
    const messages = [...byKey.values()]
      .sort((a, b) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : 1))
      .map(visible);
    return { messages, reachedStart: older.length <= n + 1, reachedEnd: newer.length <= n + 1 };
  }

  /**
   * Searches every conversation's messages: the newest `limit` that hold every piece of the query,
   * newest first, then `more` for the older ones (history-search.ts walks the index). `budgetMs`
   * (tests: Infinity) is how long it may take before it answers with a shorter page.
   */
  async search(
    query: string,
    options: { limit?: number; olderThan?: SearchCursor; budgetMs?: number } = {},
  ): Promise<SearchResult> {
    const plan = planQuery(query);
    if (!plan) return { hits: [], more: null };
    const limit = Math.max(1, Math.min(options.limit ?? 50, 200));
    const { hits, more } = await walk(this.db, this.db.messages, plan, { ...options, limit });
    return {
      hits: hits.map(({ row, score }) => {
        const message = visible(row);
        const title = this.#conversations.get(message.conversation)?.title ?? message.conversation;
        return { message, title, score };
      }),
      more,
    };
  }

  /** My messages still awaiting a final outcome, oldest first. */
  async outbox(): Promise<ChatMessage[]> {
    const rows = await this.db.messages.orderBy('outboxAt').toArray();
    return rows.filter((row) => row.from === this.user).map(visible);
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

  /**
   * Applies a batch in one transaction; the results are per op, in order. Received messages are
   * `add`ed, so a duplicate of a stored one fails alone (its error is swallowed) instead of costing
   * a read per message; the conversation rows follow once every add has answered.
   */
  #commit(batch: Op[]): Promise<{ results: unknown[]; conversations: StoredConversation[] }> {
    return new Promise((resolve, reject) => {
      let tx: IDBTransaction;
      try {
        const idb = this.db.backendDB() as IDBDatabase | null;
        if (!idb) throw new Error('the history database is closed');
        tx = idb.transaction([MESSAGES, CONVERSATIONS], 'readwrite');
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      tx.onabort = () => reject(tx.error ?? new Error('history transaction aborted'));
      const messages = tx.objectStore(MESSAGES);

      // Pass 1: each message row once, as the batch's last op on it leaves it. Per op: a received
      // message new so far (false: a duplicate within the batch), or an update's resulting message.
      const rows = new Map<string, { row: StoredMessage; add: boolean }>();
      // Rows the batch leaves deleted (a later op on the same key writes it again instead).
      const deletes = new Map<string, ChatMessage>();
      const early: (boolean | ChatMessage | undefined)[] = [];
      for (const op of batch) {
        if (op.kind === 'markRead') {
          early.push(undefined);
          continue;
        }
        const key = messageKey(op.message.from, op.message.id);
        if (op.kind === 'delete') {
          rows.delete(key);
          deletes.set(key, op.message);
          early.push(undefined);
          continue;
        }
        deletes.delete(key);
        if (op.kind === 'received') {
          const isNew = !rows.has(key);
          if (isNew) rows.set(key, { row: op.message, add: true });
          early.push(isNew);
        } else if (op.kind === 'own') {
          rows.set(key, { row: { ...op.message, outboxAt: op.message.sentAt }, add: false });
          early.push(undefined);
        } else {
          const next: StoredMessage = applyOwnPatch(rows.get(key)?.row ?? op.message, op.patch);
          const readers = this.#readers.get(key);
          if (readers && (next.readBy?.length ?? 0) < readers.length) next.readBy = readers;
          if (op.settle) delete next.outboxAt;
          else next.outboxAt ??= op.message.sentAt;
          rows.set(key, { row: next, add: false });
          early.push(visible(next));
        }
      }

      // Keys of received messages already stored: their add failed and was forgiven.
      const stored = new Set<string>();
      // After a delete: the newest message left in each conversation whose preview it may have been.
      const newest = new Map<ConversationId, ChatMessage | null>();
      let waiting = 0;
      const finish = () => {
        const { results, changed } = this.#apply(batch, early, stored, newest);
        const conversations = tx.objectStore(CONVERSATIONS);
        for (const c of changed) conversations.put(c);
        tx.oncomplete = () => resolve({ results, conversations: changed });
      };
      for (const [key, { row, add }] of rows) {
        if (!add) {
          messages.put(indexed(row));
          continue;
        }
        waiting++;
        const req = messages.add(indexed(row));
        req.onsuccess = () => {
          if (--waiting === 0) finish();
        };
        req.onerror = (ev) => {
          if (req.error?.name !== 'ConstraintError') return; // anything else aborts the batch
          ev.preventDefault();
          ev.stopPropagation();
          stored.add(key);
          if (--waiting === 0) finish();
        };
      }
      for (const message of deletes.values()) messages.delete([message.from, message.id]);
      // Requests in one transaction run in order: these cursors see the batch's writes and deletes.
      // (Deletes are rare: one read per conversation they touch, whether or not it is needed.)
      const previews = new Set([...deletes.values()].map((m) => m.conversation));
      for (const conversation of previews) {
        waiting++;
        const req = messages
          .index('[conversation+sentAt]')
          .openCursor(
            this.#keyRange.bound([conversation, -Infinity], [conversation, Infinity]),
            'prev',
          );
        req.onsuccess = () => {
          const row = req.result?.value as StoredMessage | undefined;
          newest.set(conversation, row ? visible(row) : null);
          if (--waiting === 0) finish();
        };
      }
      if (waiting === 0) finish();
    });
  }

  /** Pass 2, once duplicates are known: each op's result and the conversation rows that change. */
  #apply(
    batch: Op[],
    early: (boolean | ChatMessage | undefined)[],
    stored: Set<string>,
    newest: Map<ConversationId, ChatMessage | null>,
  ): { results: unknown[]; changed: StoredConversation[] } {
    const convs = new Map<ConversationId, StoredConversation>();
    const convOf = (id: ConversationId) => convs.get(id) ?? this.#conversations.get(id);
    const now = Date.now();
    const touch = (message: ChatMessage, title: string, unread: number) => {
      const conv = convOf(message.conversation);
      const newer = !conv?.lastMessage || conv.lastMessage.sentAt <= message.sentAt;
      convs.set(message.conversation, {
        id: message.conversation,
        title: conv?.title ?? title,
        unread: (conv?.unread ?? 0) + unread,
        lastMessage: newer ? message : (conv?.lastMessage ?? null),
        updatedAt: Math.max(conv?.updatedAt ?? 0, now),
        // A conversation of system messages is read-only; a group holding an admin's message to
        // it is still the group's conversation, where the members answer.
        ...((message.system && parseConversation(message.conversation).kind !== 'group') ||
        conv?.system
          ? { system: true }
          : {}),
      });
    };
    const results = batch.map((op, i) => {
      switch (op.kind) {
        case 'received': {
          const added =
            early[i] === true && !stored.has(messageKey(op.message.from, op.message.id));
          // A group event is a line to read in place, not a message waiting for an answer; nor is
          // my own words coming back (an admin's broadcast reaches the admin too).
          const unread = op.message.event || sameUsername(op.message.from, this.user) ? 0 : 1;
          if (added) touch(op.message, op.title, unread);
          return added;
        }
        case 'own':
          touch(op.message, op.title, 0);
          return undefined;
        case 'update': {
          const next = early[i] as ChatMessage;
          const conv = convOf(op.message.conversation);
          if (conv?.lastMessage?.id === op.message.id && conv.lastMessage.from === this.user) {
            convs.set(conv.id, { ...conv, lastMessage: next });
          }
          return next;
        }
        case 'markRead': {
          const conv = convOf(op.conversation);
          if (conv) convs.set(conv.id, { ...conv, unread: 0 });
          return undefined;
        }
        case 'delete': {
          const conv = convOf(op.message.conversation);
          const last = conv?.lastMessage;
          if (conv && last?.id === op.message.id && last.from === op.message.from) {
            convs.set(conv.id, { ...conv, lastMessage: newest.get(conv.id) ?? null });
          }
          return undefined;
        }
      }
    });
    return { results, changed: [...convs.values()] };
  }
}
