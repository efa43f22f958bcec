/**
 * Store-and-forward for people who are not online. The server never reads a payload: it checks only
 * that the sender may reach the recipient. Delivery is at-least-once: a message is deleted only when
 * its recipient acknowledges it, and the same id stored twice for one recipient is one message.
 */
import type { CompiledQuery } from 'kysely';
import { AppError } from '../../shared/errors.ts';
import type { OfflineMessage } from '../../shared/events.ts';
import { LIMITS } from '../../shared/limits.ts';
import type { NewOfflineMessage } from '../storage/schema.ts';
import type { ServiceDeps } from './deps.ts';
import { GroupCommit, type Outcome } from './group-commit.ts';
import type { GroupsService } from './groups.ts';
import { Users, usernameKey } from './users.ts';

export type OfflineTarget =
  { username: string } | { groupId: number } | { groupId: number; username: string };

export interface StoreResult {
  id: string;
  copies: number;
  skipped: string[];
}

/** One item of `storeMany`: its own result, or the catalogued error that refused it. */
export type StoreItemResult =
  { id: string; ok: true; copies: number } | { id: string; ok: false; error: AppError };

/** A private message waiting for the next group commit. */
interface PrivateStore {
  senderId: number;
  id: string;
  to: string;
  payload: string;
  at: number;
}

type Db = ServiceDeps['store']['db'];

/** The columns of a stored message, in the order the multi-row insert takes its values. */
const INSERT_COLUMNS = [
  'recipient_id',
  'msg_id',
  'sender_id',
  'kind',
  'group_id',
  'group_name',
  'group_creator',
  'payload',
  'created_at',
] as const satisfies readonly (keyof NewOfflineMessage)[];

/**
 * Rows per insert statement, largest first: a batch goes in as a few statements of these sizes, so
 * only these few SQL texts are ever compiled and prepared (9 parameters a row: 256 rows stay far
 * below either dialect's parameter limit).
 */
const INSERT_CHUNKS = [256, 64, 16, 4, 1];

export class OfflineService {
  readonly #users;
  /** The compiled multi-row insert, by rows per statement (see INSERT_CHUNKS). */
  readonly #insertQueries = new Map<number, CompiledQuery>();
  /** Private stores from every socket, written one transaction per event-loop turn. */
  readonly #privateStores = new GroupCommit<PrivateStore, StoreResult>(
    (items) => this.#storePrivate(items),
    LIMITS.ackBatchMax,
  );

  constructor(
    private readonly deps: ServiceDeps,
    private readonly groups: GroupsService,
  ) {
    this.#users = new Users(deps);
  }

  async #count(recipientId: number): Promise<number> {
    const row = await this.deps.store.db
      .selectFrom('offline_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('recipient_id', '=', recipientId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Whether the mailbox holds at least `n` messages: a probe at offset n-1 of the recipient's index
   * range, which stops after n entries, unlike a COUNT(*) of the whole mailbox.
   */
  async #atLeast(db: Db, recipientId: number, n: number): Promise<boolean> {
    if (n <= 0) return true;
    const row = await db
      .selectFrom('offline_messages')
      .select('seq')
      .where('recipient_id', '=', recipientId)
      .limit(1)
      .offset(n - 1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async #holds(recipientId: number, id: string, db: Db = this.deps.store.db): Promise<boolean> {
    const row = await db
      .selectFrom('offline_messages')
      .select('seq')
      .where('recipient_id', '=', recipientId)
      .where('msg_id', '=', id)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Inserts, skipping ids the recipient already has; returns how many rows were new. */
  async #insert(rows: NewOfflineMessage[]): Promise<number> {
    if (rows.length === 0) return 0;
    const res = await this.deps.store.db
      .insertInto('offline_messages')
      .values(rows)
      .onConflict((oc) => oc.columns(['recipient_id', 'msg_id']).doNothing())
      .executeTakeFirst();
    const inserted = Number(res.numInsertedOrUpdatedRows ?? 0);
    // Nothing new (every id was a duplicate): nobody needs to pull.
    if (inserted > 0) {
      this.deps.notifier.toUsers(
        rows.map((r) => r.recipient_id),
        'offline:available',
        { count: 1 },
      );
    }
    return inserted;
  }

  async store(
    senderId: number,
    id: string,
    to: OfflineTarget,
    payload: string,
  ): Promise<StoreResult> {
    if (payload.length > LIMITS.offlinePayloadMax)
      throw new AppError('BAD_REQUEST', 'payload too large');
    const now = this.deps.now();
    if (!('groupId' in to)) {
      return this.#privateStores.submit({
        senderId,
        id,
        to: to.username,
        payload,
        at: now,
      });
    }

    const group = await this.groups.byId(to.groupId);
    if (group.blocked)
      throw new AppError('GROUP_BLOCKED', 'this group is blocked by an administrator');
    const members = await this.groups.memberIds(group.id);
    if (!members.includes(senderId))
      throw new AppError('NOT_MEMBER', 'you are not a member of this group');
    let targets: number[];
    if ('username' in to) {
      // One member the sender could not reach directly, even though the server may think them online.
      const one = await this.#users.require(to.username);
      if (!members.includes(one.id))
        throw new AppError('NOT_MEMBER', `${one.username} is not in this group`);
      targets = [one.id];
    } else {
      targets = members.filter((m) => m !== senderId && !this.deps.presence.isOnline(m));
    }
    const rows: NewOfflineMessage[] = [];
    const skipped: string[] = [];
    for (const recipientId of targets) {
      if (
        await this.#atLeast(this.deps.store.db, recipientId, this.deps.config.offlineMaxPerUser)
      ) {
        skipped.push((await this.#users.requireId(recipientId)).username);
        continue;
      }
      rows.push({
        recipient_id: recipientId,
        msg_id: id,
        sender_id: senderId,
        kind: 'group',
        group_id: group.id,
        group_name: group.name,
        group_creator: group.creator,
        payload,
        created_at: now,
      });
    }
    if ('username' in to && skipped.length > 0) {
      throw new AppError('QUOTA_EXCEEDED', `${skipped[0]}'s mailbox is full; try again later`);
    }
    await this.#insert(rows);
    return { id, copies: rows.length, skipped };
  }

  /**
   * Several messages in one call, each answered on its own (a refused item does not stop the
   * others). Private ones go into the same group commit; group ones are stored one by one.
   */
  async storeMany(
    senderId: number,
    items: { id: string; to: OfflineTarget; payload: string }[],
  ): Promise<StoreItemResult[]> {
    const now = this.deps.now();
    const settled = await Promise.allSettled(
      items.map((item) =>
        // A private one goes straight into the group commit (what `store` does with it), without
        // an extra async frame and promise per item.
        'groupId' in item.to || item.payload.length > LIMITS.offlinePayloadMax
          ? this.store(senderId, item.id, item.to, item.payload)
          : this.#privateStores.submit({
              senderId,
              id: item.id,
              to: item.to.username,
              payload: item.payload,
              at: now,
            }),
      ),
    );
    return settled.map((s, i) => {
      const id = items[i]?.id ?? '';
      if (s.status === 'fulfilled') return { id, ok: true, copies: s.value.copies };
      // Only a catalogued refusal is an item's answer; anything else fails the whole call.
      if (s.reason instanceof AppError) return { id, ok: false, error: s.reason };
      throw s.reason;
    });
  }

  /**
   * One group commit of private messages: the recipients, the friendships and the mailbox sizes
   * are read once for the batch, then every accepted message goes in one multi-row insert, all in
   * one transaction. Per item, the same checks and errors as one message at a time, in the same
   * order; messages to one recipient keep their order.
   */
  async #storePrivate(items: PrivateStore[]): Promise<Outcome<StoreResult>[]> {
    const max = this.deps.config.offlineMaxPerUser;
    const { outcomes, added } = await this.deps.store.db.transaction().execute(async (tx) => {
      const outcomes: Outcome<StoreResult>[] = new Array(items.length);
      const refuse = (i: number, error: AppError) => (outcomes[i] = { ok: false, error });
      const keys = [...new Set(items.map((it) => usernameKey(it.to)))];
      const users = await tx
        .selectFrom('users')
        .select(['id', 'username', 'username_key', 'status'])
        .where('username_key', 'in', keys)
        .execute();
      const byKey = new Map(users.map((u) => [u.username_key, u]));
      const senders = [...new Set(items.map((it) => it.senderId))];
      const friendRows = users.length
        ? await tx
            .selectFrom('friendships')
            .select(['user_id', 'friend_id'])
            .where('user_id', 'in', senders)
            .where(
              'friend_id',
              'in',
              users.map((u) => u.id),
            )
            .execute()
        : [];
      const friends = new Set(friendRows.map((f) => `${f.user_id}:${f.friend_id}`));

      // Who may receive what; then, per recipient, the accepted items in submission order.
      const perRecipient = new Map<number, { name: string; idx: number[] }>();
      items.forEach((it, i) => {
        const recipient = byKey.get(usernameKey(it.to));
        if (!recipient)
          return refuse(
            i,
            new AppError('NOT_FOUND', `no user named "${it.to}"`, { username: it.to }),
          );
        if (recipient.id === it.senderId)
          return refuse(i, new AppError('SELF', 'you cannot send to yourself'));
        if (recipient.status === 'blocked')
          return refuse(i, new AppError('USER_BLOCKED', `${recipient.username} is blocked`));
        if (!friends.has(`${it.senderId}:${recipient.id}`))
          return refuse(
            i,
            new AppError('NOT_FRIENDS', `you and ${recipient.username} are not friends`),
          );
        const entry = perRecipient.get(recipient.id) ?? { name: recipient.username, idx: [] };
        entry.idx.push(i);
        perRecipient.set(recipient.id, entry);
      });

      const row = (i: number, recipientId: number): NewOfflineMessage => {
        const it = items[i] as PrivateStore;
        return {
          recipient_id: recipientId,
          msg_id: it.id,
          sender_id: it.senderId,
          kind: 'private',
          group_id: null,
          group_name: null,
          group_creator: null,
          payload: it.payload,
          created_at: it.at,
        };
      };
      const accept = (i: number) =>
        (outcomes[i] = {
          ok: true,
          value: { id: (items[i] as PrivateStore).id, copies: 1, skipped: [] },
        });

      const rows: NewOfflineMessage[] = [];
      const added = new Map<number, number>();
      const crowded = await this.#crowded(tx, perRecipient, max);
      for (const [recipientId, { name, idx }] of perRecipient) {
        // Room for all of them (the usual case): they join the multi-row insert.
        if (!crowded.has(recipientId)) {
          for (const i of idx) {
            rows.push(row(i, recipientId));
            accept(i);
          }
          continue;
        }
        // Near full: one at a time, as before. A retry of a message already held is not a new
        // one, so a full mailbox must not refuse it.
        for (const i of idx) {
          const it = items[i] as PrivateStore;
          if (
            (await this.#atLeast(tx, recipientId, max)) &&
            !(await this.#holds(recipientId, it.id, tx))
          ) {
            refuse(i, new AppError('QUOTA_EXCEEDED', `${name}'s mailbox is full; try again later`));
            continue;
          }
          const inserted = await this.#insertRows(tx, [row(i, recipientId)]);
          for (const r of inserted) added.set(r, (added.get(r) ?? 0) + 1);
          accept(i);
        }
      }
      for (const r of await this.#insertRows(tx, rows)) added.set(r, (added.get(r) ?? 0) + 1);
      return { outcomes, added };
    });
    // After the commit: only recipients with something new need to pull.
    for (const [recipientId, count] of added)
      this.deps.notifier.toUser(recipientId, 'offline:available', { count });
    return outcomes;
  }

  /**
   * The recipients whose mailbox might not take all of this batch's messages for them, in one
   * query for the whole batch: each mailbox is probed at offset `max - k` (k = the most messages any
   * one recipient gets in this batch), so the probe reads at most that many index entries whatever
   * the mailbox size, and a mailbox it flags is then checked message by message.
   */
  async #crowded(
    db: Db,
    perRecipient: Map<number, { idx: number[] }>,
    max: number,
  ): Promise<Set<number>> {
    const ids = [...perRecipient.keys()];
    if (ids.length === 0) return new Set();
    const k = Math.max(...[...perRecipient.values()].map((r) => r.idx.length));
    if (k > max) return new Set(ids);
    const rows = await db
      .selectFrom('users as u')
      .select('u.id')
      .where('u.id', 'in', ids)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('offline_messages as o')
            .select('o.seq')
            .whereRef('o.recipient_id', '=', 'u.id')
            .limit(1)
            .offset(max - k),
        ),
      )
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Inserts, skipping ids the recipient already has; returns the recipient of each new row. */
  async #insertRows(db: Db, rows: NewOfflineMessage[]): Promise<number[]> {
    const recipients: number[] = [];
    let i = 0;
    while (i < rows.length) {
      // The largest fixed chunk that fits: a handful of SQL texts, each compiled once.
      const n = INSERT_CHUNKS.find((c) => c <= rows.length - i) as number;
      const compiled = this.#insertQuery(n);
      const parameters: unknown[] = new Array(n * INSERT_COLUMNS.length);
      let k = 0;
      for (let r = i; r < i + n; r++) {
        const row = rows[r] as NewOfflineMessage;
        for (const col of INSERT_COLUMNS) parameters[k++] = row[col] ?? null;
      }
      const res = await db.executeQuery<{ recipient_id: number }>({ ...compiled, parameters });
      for (const r of res.rows) recipients.push(r.recipient_id);
      i += n;
    }
    return recipients;
  }

  /**
   * The multi-row insert of `n` rows, built and compiled by Kysely once per chunk size: building
   * and compiling 9 values a row (an operation node each) cost more CPU than SQLite took to insert
   * them. Compiled with a distinct stand-in per value, so where each value goes is read off the
   * compiled parameter list rather than assumed.
   */
  #insertQuery(n: number): CompiledQuery {
    const hit = this.#insertQueries.get(n);
    if (hit) return hit;
    const stand = (r: number, c: number) => `\u0000offline-insert-${r}-${c}\u0000`;
    const rows = Array.from({ length: n }, (_, r) =>
      Object.fromEntries(INSERT_COLUMNS.map((col, c) => [col, stand(r, c)])),
    ) as unknown as NewOfflineMessage[];
    const compiled = this.deps.store.db
      .insertInto('offline_messages')
      .values(rows)
      .onConflict((oc) => oc.columns(['recipient_id', 'msg_id']).doNothing())
      .returning('recipient_id')
      .compile();
    compiled.parameters.forEach((p, k) => {
      const r = Math.floor(k / INSERT_COLUMNS.length);
      if (p !== stand(r, k % INSERT_COLUMNS.length))
        throw new Error('offline insert: unexpected parameter order');
    });
    if (compiled.parameters.length !== n * INSERT_COLUMNS.length)
      throw new Error('offline insert: unexpected parameter count');
    this.#insertQueries.set(n, compiled);
    return compiled;
  }

  /** A system message from an admin, stored like any other (sender = the admin). */
  async storeSystem(
    adminId: number,
    recipientId: number,
    id: string,
    text: string,
    group: { id: number; name: string; creator: string } | null,
  ): Promise<void> {
    await this.#insert([
      {
        recipient_id: recipientId,
        msg_id: id,
        sender_id: adminId,
        kind: 'system',
        group_id: group?.id ?? null,
        group_name: group?.name ?? null,
        group_creator: group?.creator ?? null,
        payload: text,
        created_at: this.deps.now(),
      },
    ]);
  }

  /** The oldest waiting messages, in store order. Nothing is deleted until `ack`. */
  async pull(
    userId: number,
    limit: number = LIMITS.ackBatchMax,
  ): Promise<{ messages: OfflineMessage[]; more: boolean }> {
    const rows = await this.deps.store.db
      .selectFrom('offline_messages')
      .innerJoin('users', 'users.id', 'offline_messages.sender_id')
      .select([
        'offline_messages.msg_id',
        'offline_messages.kind',
        'offline_messages.group_id',
        'offline_messages.group_name',
        'offline_messages.group_creator',
        'offline_messages.payload',
        'offline_messages.created_at',
        'users.username as from',
      ])
      .where('offline_messages.recipient_id', '=', userId)
      .orderBy('offline_messages.seq')
      .limit(limit + 1)
      .execute();
    const more = rows.length > limit;
    const messages = rows.slice(0, limit).map<OfflineMessage>((r) => ({
      id: r.msg_id,
      from: r.from,
      kind: r.kind,
      group:
        r.group_id !== null
          ? { id: r.group_id, name: r.group_name ?? '', creator: r.group_creator ?? '' }
          : null,
      payload: r.payload,
      at: r.created_at,
    }));
    return { messages, more };
  }

  async ack(userId: number, ids: string[]): Promise<{ deleted: number }> {
    const res = await this.deps.store.db
      .deleteFrom('offline_messages')
      .where('recipient_id', '=', userId)
      .where('msg_id', 'in', ids)
      .executeTakeFirst();
    return { deleted: Number(res.numDeletedRows) };
  }

  async waiting(userId: number): Promise<number> {
    return this.#count(userId);
  }

  /** Deletes messages older than the age limit; run periodically. */
  async expire(): Promise<number> {
    const res = await this.deps.store.db
      .deleteFrom('offline_messages')
      .where('created_at', '<', this.deps.now() - this.deps.config.offlineMaxAgeMs)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
