/**
 * Who may see and reach whom. Two users are related when they are friends or share a group; they
 * may talk (relay signals, store messages) when they are friends or share a group that is not blocked.
 */
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../storage/schema.ts';
import type { SyncReader } from '../storage/db.ts';
import { prepared } from '../storage/prepared.ts';
import type { ServiceDeps } from './deps.ts';
import { usernameKey } from '../../shared/names.ts';

/**
 * The user with this username key as seen by `fromId`, and whether the two may talk, in one indexed
 * query (users by username_key, friendships by primary key, shared groups through
 * group_members_user and the group_members primary key). The relay's hot path, so it is built and
 * compiled once.
 */
function reachQuery(db: Kysely<Database>, reader?: SyncReader) {
  return prepared(
    db,
    (fromId: number, key: string) =>
      db
        .selectFrom('users as u')
        .select(['u.id', 'u.username', 'u.status'])
        .select((eb) =>
          eb
            .case()
            .when(
              eb.or([
                eb.exists(
                  eb
                    .selectFrom('friendships as f')
                    .select('f.user_id')
                    .where('f.user_id', '=', fromId)
                    .whereRef('f.friend_id', '=', 'u.id'),
                ),
                eb.exists(
                  eb
                    .selectFrom('group_members as m1')
                    .innerJoin('group_members as m2', 'm2.group_id', 'm1.group_id')
                    .innerJoin('groups as g', 'g.id', 'm1.group_id')
                    .select('m1.group_id')
                    .where('m1.user_id', '=', fromId)
                    .whereRef('m2.user_id', '=', 'u.id')
                    .where('g.blocked', '=', 0),
                ),
              ]),
            )
            .then(1)
            .else(0)
            .end()
            .as('may_talk'),
        )
        .where('u.username_key', '=', key),
    [0, ''],
    reader,
  );
}

/**
 * Friends and group peers of one user (the user id three times: each place it appears is its own
 * parameter). Every presence change runs it, so every (re)connect: compiled once.
 */
function audienceQuery(db: Kysely<Database>, reader?: SyncReader) {
  return prepared(
    db,
    (asFriend: number, asMember: number, notSelf: number) =>
      db
        .selectFrom('friendships')
        .select('friend_id as id')
        .where('user_id', '=', asFriend)
        .union(
          db
            .selectFrom('group_members as m1')
            .innerJoin('group_members as m2', 'm2.group_id', 'm1.group_id')
            .select('m2.user_id as id')
            .where('m1.user_id', '=', asMember)
            .where('m2.user_id', '!=', notSelf),
        ),
    [0, 0, 0],
    reader,
  );
}

export class Relations {
  readonly #reach;
  readonly #audience;

  constructor(private readonly deps: Pick<ServiceDeps, 'store'>) {
    this.#reach = reachQuery(deps.store.db, deps.store.reader);
    this.#audience = audienceQuery(deps.store.db, deps.store.reader);
  }

  async areFriends(a: number, b: number): Promise<boolean> {
    const row = await this.deps.store.db
      .selectFrom('friendships')
      .select('user_id')
      .where('user_id', '=', a)
      .where('friend_id', '=', b)
      .executeTakeFirst();
    return row !== undefined;
  }

  async shareUnblockedGroup(a: number, b: number): Promise<boolean> {
    const row = await this.deps.store.db
      .selectFrom('group_members as m1')
      .innerJoin('group_members as m2', 'm2.group_id', 'm1.group_id')
      .innerJoin('groups as g', 'g.id', 'm1.group_id')
      .select('m1.group_id')
      .where('m1.user_id', '=', a)
      .where('m2.user_id', '=', b)
      .where('g.blocked', '=', 0)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The user named `username` as `fromId` sees them: who, their status, and may the two talk. */
  async reach(
    fromId: number,
    username: string,
  ): Promise<
    { id: number; username: string; status: UserRow['status']; mayTalk: boolean } | undefined
  > {
    const [row] = await this.#reach(fromId, usernameKey(username));
    if (!row) return undefined;
    return { id: row.id, username: row.username, status: row.status, mayTalk: row.may_talk === 1 };
  }

  async mayTalk(a: number, b: number): Promise<boolean> {
    return (await this.areFriends(a, b)) || (await this.shareUnblockedGroup(a, b));
  }

  /** Everyone entitled to see this user's presence: friends and members of any shared group. */
  async audience(userId: number): Promise<number[]> {
    const rows = await this.#audience(userId, userId, userId);
    return rows.map((r) => r.id);
  }

  /**
   * After a link between `userId` and `others` went away (unfriended, group left or blocked), the
   * ones they can no longer talk to at all. Those pairs must close their peer connections.
   */
  async lostContact(userId: number, others: number[]): Promise<number[]> {
    if (others.length === 0) return [];
    const { db } = this.deps.store;
    const still = await db
      .selectFrom('friendships')
      .select('friend_id as id')
      .where('user_id', '=', userId)
      .where('friend_id', 'in', others)
      .union(
        db
          .selectFrom('group_members as m1')
          .innerJoin('group_members as m2', 'm2.group_id', 'm1.group_id')
          .innerJoin('groups as g', 'g.id', 'm1.group_id')
          .select('m2.user_id as id')
          .where('m1.user_id', '=', userId)
          .where('m2.user_id', 'in', others)
          .where('g.blocked', '=', 0),
      )
      .execute();
    const keep = new Set(still.map((r) => r.id));
    return others.filter((id) => id !== userId && !keep.has(id));
  }
}
