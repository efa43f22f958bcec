/**
 * Store-and-forward for people who are not online. The server never reads a payload: it checks only
 * that the sender may reach the recipient. Delivery is at-least-once: a message is deleted only when
 * its recipient acknowledges it, and the same id stored twice for one recipient is one message.
 *
 * The quota reads each recipient's `mailboxes` row, which triggers keep equal to the number of their
 * rows in offline_messages (migration 0004), so it costs a primary-key read whatever the mailbox's
 * size. On PostgreSQL several nodes may write at once: the group commit, group stores, acks and the
 * expiry sweep lock the mailboxes they touch before anything else, in user id order (`#mailboxes`),
 * as the triggers do. So the quota stays exact across nodes, and writers queue rather than deadlock.
 *
 * One sender may hold at most a share of a mailbox (config.offlineMaxPerSender), so nobody can fill
 * it and leave the recipient's other contacts with QUOTA_EXCEEDED. The share reads `mailbox_senders`
 * (recipient, sender), kept by triggers the same way (migration 0007), under the same mailbox locks.
 *
 * A blocked group gets no mail: storing for it is refused, its members' stored copies are deleted
 * when the block lands (`dropGroupMail`), and `pull` hands out none that a store racing the block
 * left behind.
 */
import type { CompiledQuery } from 'kysely';
import { AppError } from '../../shared/errors.ts';
import { errors } from '../error-catalogue.ts';
import type { OfflineMessage } from '../../shared/events.ts';
import { LIMITS } from '../../shared/limits.ts';
import { metrics } from '../metrics.ts';
import { preparedIn } from '../storage/prepared.ts';
import type { NewOfflineMessage } from '../storage/schema.ts';
import { BatchedLookup, LOOKUP_BATCH_MAX } from './batched-lookup.ts';
import type { ServiceContext } from './deps.ts';
import { GroupCommit, type Outcome } from './group-commit.ts';
import type { GroupsService } from './groups.ts';
import type { ReceiptsService } from './receipts.ts';
import { usernameKey } from '../../shared/names.ts';

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

type Db = ServiceContext['store']['db'];

/** A group commit's answer for every accepted private message (one copy), shared, not allocated. */
const STORED: Outcome<number> = Object.freeze({ ok: true, value: 1 });

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

/**
 * The most private messages one group commit writes. Larger transactions write each touched index
 * page to the WAL (and later to the database) fewer times: 2,000 a flush took ~1 µs off each stored
 * message on SQLite against 1,000. A flush holds the event loop while SQLite works (about 10-15 ms
 * for 2,000 here), and the group commit lets the loop turn between flushes.
 */
const PRIVATE_FLUSH_MAX = 2_000;

export class OfflineService {
  readonly #users;
  readonly #postgres: boolean;
  /** The compiled multi-row insert, by rows per statement (see INSERT_CHUNKS). */
  readonly #insertQueries = new Map<number, CompiledQuery>();
  /** Private stores from every socket, written one transaction per event-loop turn. */
  readonly #privateStores = new GroupCommit<PrivateStore, number>(
    (items) => this.#storePrivate(items),
    PRIVATE_FLUSH_MAX,
  );

  /**
   * Mailbox counts asked for in one event-loop turn, read together (every connect asks for one, for
   * `offline:available`): one `user_id IN (...)` query, on SQLite on the synchronous read
   * connection, which sees committed rows only, as a reader after the commit should.
   */
  readonly #waiting: BatchedLookup<number, number>;

  constructor(
    private readonly deps: ServiceContext,
    private readonly groups: GroupsService,
    readonly receipts: ReceiptsService,
  ) {
    this.#users = deps.users;
    this.#postgres = deps.store.dialect === 'postgres';
    const { db, reader } = deps.store;
    const counts = preparedIn(
      db,
      (userIds: number[]) =>
        db.selectFrom('mailboxes').select(['user_id', 'count']).where('user_id', 'in', userIds),
      0,
      LOOKUP_BATCH_MAX,
      reader,
    );
    this.#waiting = new BatchedLookup(
      'mailbox count',
      async (userIds) => new Map((await counts(userIds)).map((r) => [r.user_id, r.count])),
    );
  }

  /**
   * How many messages each of these users has waiting. With `lock` on PostgreSQL, their mailbox
   * rows are also locked until the transaction ends, in user id order, so the counts stay true
   * while it decides what fits, whatever other nodes do. (SQLite has one writer at a time.)
   */
  async #mailboxes(db: Db, userIds: number[], lock = false): Promise<Map<number, number>> {
    if (userIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('mailboxes')
      .select(['user_id', 'count'])
      .where('user_id', 'in', userIds)
      .$if(lock && this.#postgres, (q) => q.orderBy('user_id').forUpdate())
      .execute();
    return new Map(rows.map((r) => [r.user_id, r.count]));
  }

  /**
   * How many messages each of `senderIds` has waiting for each of `recipientIds`, keyed
   * `${recipient}:${sender}` (absent: none). Read under the recipients' mailbox locks, which every
   * writer of these rows holds (see migration 0007), so they stay true until the commit.
   */
  async #shares(db: Db, recipientIds: number[], senderIds: number[]): Promise<Map<string, number>> {
    if (recipientIds.length === 0 || senderIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('mailbox_senders')
      .select(['user_id', 'sender_id', 'count'])
      .where('user_id', 'in', recipientIds)
      .where('sender_id', 'in', senderIds)
      .execute();
    return new Map(rows.map((r) => [`${r.user_id}:${r.sender_id}`, r.count]));
  }

  /** The most one sender may have waiting in one mailbox (0 in the config: no share, the quota). */
  get #perSender(): number {
    const { offlineMaxPerSender, offlineMaxPerUser } = this.deps.config;
    return offlineMaxPerSender > 0
      ? Math.min(offlineMaxPerSender, offlineMaxPerUser)
      : offlineMaxPerUser;
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
  #insert(db: Db, rows: NewOfflineMessage[]): Promise<number> {
    return this.#insertRows(db, rows.length, (r, into, at) =>
      writeRow(rows[r] as NewOfflineMessage, into, at),
    );
  }

  /** Tells the recipients of one new message that something waits; call after the commit. */
  #announce(rows: NewOfflineMessage[], inserted: number): void {
    // Nothing new (every copy was a duplicate): nobody needs to pull.
    if (inserted > 0)
      this.deps.notifier.toUsers(
        rows.map((r) => r.recipient_id),
        'offline:available',
        { count: 1 },
      );
  }

  async store(
    senderId: number,
    id: string,
    to: OfflineTarget,
    payload: string,
  ): Promise<StoreResult> {
    if (payload.length > LIMITS.offlinePayloadMax) throw errors.payloadTooLarge();
    const now = this.deps.now();
    if (!('groupId' in to)) {
      const copies = await this.#privateStores.submit({
        senderId,
        id,
        to: to.username,
        payload,
        at: now,
      });
      return { id, copies, skipped: [] };
    }
    // Its own async function: this one's suspended frame, kept by every private store while it
    // waits for its group commit, stays small.
    return this.#storeGroup(senderId, id, to, payload, now);
  }

  async #storeGroup(
    senderId: number,
    id: string,
    to: { groupId: number; username?: string },
    payload: string,
    now: number,
  ): Promise<StoreResult> {
    const group = await this.groups.byId(to.groupId);
    if (group.blocked) throw errors.groupBlocked();
    const members = await this.groups.memberIds(group.id);
    if (!members.includes(senderId)) throw errors.notMember({ groupId: group.id });
    let targets: number[];
    if (to.username !== undefined) {
      // One member the sender could not reach directly, even though the server may think them online.
      const one = await this.#users.require(to.username);
      if (!members.includes(one.id)) throw errors.memberNotInGroup({ username: one.username });
      targets = [one.id];
    } else {
      targets = members.filter((m) => m !== senderId && !this.deps.presence.isOnline(m));
    }
    const max = this.deps.config.offlineMaxPerUser;
    const perSender = this.#perSender;
    const { rows, full, added } = await this.deps.store.db.transaction().execute(async (tx) => {
      const counts = await this.#mailboxes(tx, targets, true);
      const shares = await this.#shares(tx, targets, [senderId]);
      const rows: NewOfflineMessage[] = [];
      const full: number[] = [];
      for (const recipientId of targets) {
        if (
          (counts.get(recipientId) ?? 0) >= max ||
          (shares.get(`${recipientId}:${senderId}`) ?? 0) >= perSender
        ) {
          full.push(recipientId);
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
      return { rows, full, added: await this.#insert(tx, rows) };
    });
    const skipped: string[] = [];
    for (const recipientId of full)
      skipped.push((await this.#users.requireId(recipientId)).username);
    if (to.username !== undefined && skipped.length > 0) {
      const mailboxFull = (await this.#mailboxes(this.deps.store.db, targets)).get(targets[0]!);
      throw (mailboxFull ?? 0) >= max
        ? errors.mailboxFull({ username: skipped[0]! })
        : errors.shareFull({ username: skipped[0]!, perSender });
    }
    this.#announce(rows, added);
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
    const results: StoreItemResult[] = new Array(items.length);
    // Only a catalogued refusal is an item's answer; anything else fails the whole call.
    const answer = (i: number, id: string, outcome: Outcome<number>) => {
      if (outcome.ok) results[i] = { id, ok: true, copies: outcome.value };
      else if (outcome.error instanceof AppError)
        results[i] = { id, ok: false, error: outcome.error };
      else throw outcome.error;
    };
    // Private ones go straight into the group commit together (what `store` does with each), with
    // one promise for all of them rather than one each; group ones are stored one by one.
    const privates: PrivateStore[] = [];
    const privateAt: number[] = [];
    const others: Promise<void>[] = [];
    items.forEach((item, i) => {
      const { id, to, payload } = item;
      if ('groupId' in to || payload.length > LIMITS.offlinePayloadMax) {
        others.push(
          this.store(senderId, id, to, payload).then(
            (r) => answer(i, id, { ok: true, value: r.copies }),
            (error: unknown) => answer(i, id, { ok: false, error }),
          ),
        );
        return;
      }
      privates.push({ senderId, id, to: to.username, payload, at: now });
      privateAt.push(i);
    });
    const [outcomes, settled] = await Promise.all([
      this.#privateStores.submitAll(privates),
      Promise.allSettled(others),
    ]);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    outcomes.forEach((outcome, k) => {
      const i = privateAt[k] as number;
      answer(i, (items[i] as (typeof items)[number]).id, outcome);
    });
    return results;
  }

  /**
   * One group commit of private messages: the recipients, the friendships and the mailbox counts
   * are read once for the batch, then every accepted message goes in one multi-row insert, all in
   * one transaction. Per item, the same checks and errors as one message at a time, in the same
   * order; messages to one recipient keep their order.
   */
  async #storePrivate(items: PrivateStore[]): Promise<Outcome<number>[]> {
    const max = this.deps.config.offlineMaxPerUser;
    const perSender = this.#perSender;
    const { outcomes, added } = await this.deps.store.db.transaction().execute(async (tx) => {
      const outcomes: Outcome<number>[] = new Array(items.length);
      const refuse = (i: number, error: AppError) => (outcomes[i] = { ok: false, error });
      const itemKeys = items.map((it) => usernameKey(it.to));
      const keys = [...new Set(itemKeys)];
      const users = await tx
        .selectFrom('users')
        .select(['id', 'username', 'username_key', 'status'])
        .where('username_key', 'in', keys)
        .execute();
      const byKey = new Map(users.map((u) => [u.username_key, u]));
      const senders = [...new Set(items.map((it) => it.senderId))];
      const friends = await this.deps.relations.friendsAmong(
        senders,
        users.map((u) => u.id),
        tx,
      );

      // Who may receive what; then, per recipient, the accepted items in submission order.
      const perRecipient = new Map<number, { name: string; idx: number[] }>();
      items.forEach((it, i) => {
        const recipient = byKey.get(itemKeys[i] as string);
        if (!recipient) return refuse(i, errors.userNotFound({ username: it.to }));
        if (recipient.id === it.senderId) return refuse(i, errors.sendSelf());
        if (recipient.status === 'blocked')
          return refuse(i, errors.userBlocked({ username: recipient.username }));
        if (!friends.has(`${it.senderId}:${recipient.id}`))
          return refuse(i, errors.notFriends({ username: recipient.username }));
        const entry = perRecipient.get(recipient.id) ?? { name: recipient.username, idx: [] };
        entry.idx.push(i);
        perRecipient.set(recipient.id, entry);
      });

      // The rows of the multi-row insert: which item, to whom (two flat lists, no object a row).
      const bulkItems: number[] = [];
      const bulkRecipients: number[] = [];
      const insert = (itemIdx: number[], recipients: number[]) =>
        this.#insertRows(tx, itemIdx.length, (r, into, at) =>
          writePrivate(
            items[itemIdx[r] as number] as PrivateStore,
            recipients[r] as number,
            into,
            at,
          ),
        );
      const recipientIds = [...perRecipient.keys()];
      const before = await this.#mailboxes(tx, recipientIds, true);
      const shares = await this.#shares(tx, recipientIds, senders);
      let inserted = 0;
      for (const [recipientId, { name, idx }] of perRecipient) {
        let count = before.get(recipientId) ?? 0;
        // Room for all of them in the mailbox and in each sender's share (the usual case: one
        // sender, far from both): they join the multi-row insert.
        if (
          count + idx.length <= max &&
          this.#sharesFit(items, idx, recipientId, shares, perSender)
        ) {
          for (const i of idx) {
            bulkItems.push(i);
            bulkRecipients.push(recipientId);
            outcomes[i] = STORED;
          }
          continue;
        }
        // Near full: one at a time. A retry of a message already held is not a new one, so a full
        // mailbox (or share) must not refuse it.
        for (const i of idx) {
          const it = items[i] as PrivateStore;
          const shareKey = `${recipientId}:${it.senderId}`;
          const share = shares.get(shareKey) ?? 0;
          if (
            (count >= max || share >= perSender) &&
            !(await this.#holds(recipientId, it.id, tx))
          ) {
            refuse(
              i,
              count >= max
                ? errors.mailboxFull({ username: name })
                : errors.shareFull({ username: name, perSender }),
            );
            continue;
          }
          const n = await insert([i], [recipientId]);
          count += n;
          shares.set(shareKey, share + n);
          inserted += n;
          outcomes[i] = STORED;
        }
      }
      inserted += await insert(bulkItems, bulkRecipients);
      // What is new for each recipient (duplicates are not): the counts moved by exactly that,
      // since their rows are ours until the commit. Read only when something was new.
      const added = new Map<number, number>();
      if (inserted > 0) {
        const after = await this.#mailboxes(tx, recipientIds);
        for (const [recipientId, n] of after) {
          const d = n - (before.get(recipientId) ?? 0);
          if (d > 0) added.set(recipientId, d);
        }
      }
      return { outcomes, added };
    });
    // After the commit: only recipients with something new need to pull.
    for (const [recipientId, count] of added)
      this.deps.notifier.toUser(recipientId, 'offline:available', { count });
    return outcomes;
  }

  /** Whether every sender of these items to one recipient has room in its share for all of theirs. */
  #sharesFit(
    items: PrivateStore[],
    idx: number[],
    recipientId: number,
    shares: Map<string, number>,
    perSender: number,
  ): boolean {
    const first = (items[idx[0] as number] as PrivateStore).senderId;
    // One sender (the usual case): no map.
    if (idx.every((i) => (items[i] as PrivateStore).senderId === first))
      return (shares.get(`${recipientId}:${first}`) ?? 0) + idx.length <= perSender;
    const mine = new Map<number, number>();
    for (const i of idx) {
      const s = (items[i] as PrivateStore).senderId;
      mine.set(s, (mine.get(s) ?? 0) + 1);
    }
    for (const [s, n] of mine)
      if ((shares.get(`${recipientId}:${s}`) ?? 0) + n > perSender) return false;
    return true;
  }

  /**
   * Inserts `count` rows, skipping ids their recipient already has, as a few statements of the
   * fixed chunk sizes; `write` puts row r's values at `into[at..]` in INSERT_COLUMNS order. Returns
   * how many rows were new.
   */
  async #insertRows(
    db: Db,
    count: number,
    write: (r: number, into: unknown[], at: number) => void,
  ): Promise<number> {
    let inserted = 0;
    let r = 0;
    while (r < count) {
      // The largest fixed chunk that fits: a handful of SQL texts, each compiled once.
      const n = INSERT_CHUNKS.find((c) => c <= count - r) as number;
      const compiled = this.#insertQuery(n);
      const parameters: unknown[] = new Array(n * INSERT_COLUMNS.length);
      for (let k = 0; k < n; k++) write(r + k, parameters, k * INSERT_COLUMNS.length);
      const res = await db.executeQuery({ ...compiled, parameters });
      inserted += Number(res.numAffectedRows ?? 0);
      r += n;
    }
    metrics.offlineStored.inc(inserted);
    return inserted;
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
    const rows: NewOfflineMessage[] = [
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
    ];
    this.#announce(rows, await this.#insert(this.deps.store.db, rows));
  }

  /** The oldest waiting messages, in store order. Nothing is deleted until `ack`. */
  async pull(
    userId: number,
    limit: number = LIMITS.ackBatchMax,
  ): Promise<{ messages: OfflineMessage[]; more: boolean }> {
    const rows = await this.deps.store.db
      .selectFrom('offline_messages')
      .innerJoin('users', 'users.id', 'offline_messages.sender_id')
      // A blocked group's members get none of its mail (copies a store racing the block left).
      .leftJoin('groups as g', (j) =>
        j
          .onRef('g.id', '=', 'offline_messages.group_id')
          .on('offline_messages.kind', '=', 'group')
          .on('g.blocked', '=', 1),
      )
      .where('g.id', 'is', null)
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
    metrics.offlineDelivered.inc(messages.length);
    return { messages, more };
  }

  /**
   * When a group is blocked: every stored copy of its members' messages to it goes (not the
   * admins' system messages to it). Returns how many.
   */
  async dropGroupMail(groupId: number): Promise<number> {
    const remove = (db: Db) =>
      db
        .deleteFrom('offline_messages')
        .where('group_id', '=', groupId)
        .where('kind', '=', 'group')
        .executeTakeFirst();
    // As in `expire`: on PostgreSQL, lock the mailboxes it will touch (in id order) first.
    const res = this.#postgres
      ? await this.deps.store.db.transaction().execute(async (tx) => {
          await tx
            .selectFrom('mailboxes')
            .select('user_id')
            .where('user_id', 'in', (eb) =>
              eb
                .selectFrom('offline_messages')
                .select('recipient_id')
                .where('group_id', '=', groupId)
                .where('kind', '=', 'group'),
            )
            .orderBy('user_id')
            .forUpdate()
            .execute();
          return remove(tx);
        })
      : await remove(this.deps.store.db);
    return Number(res.numDeletedRows);
  }

  /**
   * The recipient has these: they go, and each one's sender gets a delivery receipt (not for an
   * admin's system message). The rows deleted are the proof of pickup: an id this user was never
   * sent deletes nothing, so it makes no receipt.
   */
  async ack(
    recipient: { id: number; username: string },
    ids: string[],
  ): Promise<{ deleted: number }> {
    const userId = recipient.id;
    const { deleted, receipts } = await this.deps.store.db.transaction().execute(async (tx) => {
      // On PostgreSQL the mailbox is locked before any row goes: a group commit that holds it and
      // stores one of these very ids again would otherwise wait on this delete while the delete's
      // trigger waits on the mailbox.
      if (this.#postgres) await this.#mailboxes(tx, [userId], true);
      const gone = await tx
        .deleteFrom('offline_messages')
        .where('recipient_id', '=', userId)
        .where('msg_id', 'in', ids)
        .returning(['sender_id', 'msg_id', 'kind'])
        .execute();
      const picked = gone
        .filter((r) => r.kind !== 'system')
        .map((r) => ({ senderId: r.sender_id, msgId: r.msg_id }));
      return { deleted: gone.length, receipts: await this.receipts.record(tx, recipient, picked) };
    });
    this.receipts.announce(receipts);
    metrics.offlineAcked.inc(deleted);
    return { deleted };
  }

  /** How many messages wait for this user (their mailbox count). */
  async waiting(userId: number): Promise<number> {
    return (await this.#waiting.get(userId)) ?? 0;
  }

  /** Deletes messages older than the age limit; run periodically. */
  async expire(): Promise<number> {
    const before = this.deps.now() - this.deps.config.offlineMaxAgeMs;
    const remove = (db: Db) =>
      db.deleteFrom('offline_messages').where('created_at', '<', before).executeTakeFirst();
    // As in `ack`: on PostgreSQL, lock the mailboxes it will touch (in id order) before deleting.
    const res = this.#postgres
      ? await this.deps.store.db.transaction().execute(async (tx) => {
          await tx
            .selectFrom('mailboxes')
            .select('user_id')
            .where('user_id', 'in', (eb) =>
              eb
                .selectFrom('offline_messages')
                .select('recipient_id')
                .where('created_at', '<', before),
            )
            .orderBy('user_id')
            .forUpdate()
            .execute();
          return remove(tx);
        })
      : await remove(this.deps.store.db);
    metrics.offlineExpired.inc(Number(res.numDeletedRows));
    // Receipts for mail that old are as stale as the mail would be.
    await this.receipts.expire(before);
    return Number(res.numDeletedRows);
  }
}

/** A private message's values, in INSERT_COLUMNS order, at `into[at..]`. */
function writePrivate(it: PrivateStore, recipientId: number, into: unknown[], at: number): void {
  into[at] = recipientId;
  into[at + 1] = it.id;
  into[at + 2] = it.senderId;
  into[at + 3] = 'private';
  into[at + 4] = null;
  into[at + 5] = null;
  into[at + 6] = null;
  into[at + 7] = it.payload;
  into[at + 8] = it.at;
}

/** A row's values, in INSERT_COLUMNS order, at `into[at..]`. */
function writeRow(row: NewOfflineMessage, into: unknown[], at: number): void {
  for (let c = 0; c < INSERT_COLUMNS.length; c++)
    into[at + c] = row[INSERT_COLUMNS[c] as (typeof INSERT_COLUMNS)[number]] ?? null;
}
