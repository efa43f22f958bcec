/**
 * Store-and-forward for people who are not online. The server never reads a payload: it checks only
 * that the sender may reach the recipient. Delivery is at-least-once: a message is deleted only when
 * its recipient acknowledges it, and the same id stored twice for one recipient is one message.
 */
import { AppError } from '../../shared/errors.ts';
import type { OfflineMessage } from '../../shared/events.ts';
import { LIMITS } from '../../shared/limits.ts';
import type { NewOfflineMessage } from '../storage/schema.ts';
import type { ServiceDeps } from './deps.ts';
import type { GroupsService } from './groups.ts';
import { Relations } from './relations.ts';
import { Users } from './users.ts';

export type OfflineTarget =
  { username: string } | { groupId: number } | { groupId: number; username: string };

export class OfflineService {
  readonly #users;
  readonly #relations;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly groups: GroupsService,
  ) {
    this.#users = new Users(deps);
    this.#relations = new Relations(deps);
  }

  async #count(recipientId: number): Promise<number> {
    const row = await this.deps.store.db
      .selectFrom('offline_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('recipient_id', '=', recipientId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async #holds(recipientId: number, id: string): Promise<boolean> {
    const row = await this.deps.store.db
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
  ): Promise<{ id: string; copies: number; skipped: string[] }> {
    if (payload.length > LIMITS.offlinePayloadMax)
      throw new AppError('BAD_REQUEST', 'payload too large');
    const now = this.deps.now();
    if (!('groupId' in to)) {
      const recipient = await this.#users.require(to.username);
      if (recipient.id === senderId) throw new AppError('SELF', 'you cannot send to yourself');
      if (recipient.status === 'blocked')
        throw new AppError('USER_BLOCKED', `${recipient.username} is blocked`);
      if (!(await this.#relations.areFriends(senderId, recipient.id))) {
        throw new AppError('NOT_FRIENDS', `you and ${recipient.username} are not friends`);
      }
      // A retry of a message already held is not a new one: a full mailbox must not refuse it.
      if (
        (await this.#count(recipient.id)) >= this.deps.config.offlineMaxPerUser &&
        !(await this.#holds(recipient.id, id))
      ) {
        throw new AppError(
          'QUOTA_EXCEEDED',
          `${recipient.username}'s mailbox is full; try again later`,
        );
      }
      await this.#insert([
        {
          recipient_id: recipient.id,
          msg_id: id,
          sender_id: senderId,
          kind: 'private',
          group_id: null,
          group_name: null,
          group_creator: null,
          payload,
          created_at: now,
        },
      ]);
      return { id, copies: 1, skipped: [] };
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
      if ((await this.#count(recipientId)) >= this.deps.config.offlineMaxPerUser) {
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
