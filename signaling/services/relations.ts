/**
 * Who may see and reach whom: the one home of that rule. Two users are linked when they are
 * friends or share a group. Every question the services ask about it is `links` below, narrowed:
 *
 * - presence (`audience`) goes to friends and members of any shared group, blocked or not;
 * - reaching someone (the relay's `reach`, `lostContact`) needs a friendship or a shared group
 *   that is not blocked;
 * - a private message in the offline store (`friendsAmong`) needs a friendship.
 *
 * A room (a public group, rooms.ts) is a shared group here like any other, on purpose: joining it
 * is the member's own consent to be reached by its members, so presence, the relay and group
 * copies follow. What it does not give is a friendship, so a room-mate's private message is still
 * refused (`friendsAmong` here; `Relationships.verdict` on the receiving client).
 */
import type { Expression, QueryCreator } from 'kysely';
import type { Database, UserRow } from '../storage/schema.ts';
import { prepared, preparedIn } from '../storage/prepared.ts';
import { BatchedLookup, LOOKUP_BATCH_MAX } from './batched-lookup.ts';
import type { ServiceDeps } from './deps.ts';
import { usernameKey } from '../../shared/names.ts';

/** Which shared groups link two people: any of them, only those not blocked, or none at all. */
export type GroupLinks = 'any-group' | 'unblocked-groups' | 'no-groups';

/** One user, several, or a column of the enclosing query (for a correlated subquery). */
type Side = number | readonly number[] | Expression<number>;

/**
 * The pairs `{ a, b }` with `a` in `from` and `b` in `to` (anyone when left out) who are friends,
 * or share a group as `groups` says. A pair linked twice appears twice (UNION ALL: inside EXISTS
 * it stops at the first row; callers that want a set make one). Each branch is an index lookup:
 * friendships by primary key, memberships through group_members_user and the group_members
 * primary key, the group by its primary key. `qc` may be the database, a transaction, or the
 * expression builder of an enclosing query.
 */
function links(qc: QueryCreator<Database>, from: Side, groups: GroupLinks, to?: Side) {
  const friends = qc
    .selectFrom('friendships as f')
    .select(['f.user_id as a', 'f.friend_id as b'])
    .where('f.user_id', sideOp(from), from)
    .$if(to !== undefined, (q) => q.where('f.friend_id', sideOp(to!), to!));
  if (groups === 'no-groups') return friends;
  const shared = qc
    .selectFrom('group_members as m1')
    .innerJoin('group_members as m2', 'm2.group_id', 'm1.group_id')
    .innerJoin('groups as g', 'g.id', 'm1.group_id')
    .select(['m1.user_id as a', 'm2.user_id as b'])
    .where('m1.user_id', sideOp(from), from)
    .whereRef('m2.user_id', '!=', 'm1.user_id')
    .$if(to !== undefined, (q) => q.where('m2.user_id', sideOp(to!), to!))
    .$if(groups === 'unblocked-groups', (q) => q.where('g.blocked', '=', 0));
  return friends.unionAll(shared);
}

const sideOp = (side: Side) => (Array.isArray(side) ? 'in' : '=');

export class Relations {
  readonly #reach;
  readonly #audience;

  constructor(private readonly deps: Pick<ServiceDeps, 'store'>) {
    const { db, reader } = deps.store;
    // The relay's hot path: built and compiled once (and once per server: createServices makes
    // one Relations for every service).
    this.#reach = prepared(
      db,
      (fromId: number, key: string) =>
        db
          .selectFrom('users as u')
          .select(['u.id', 'u.username', 'u.status'])
          .select((eb) =>
            eb
              .case()
              .when(eb.exists(links(db, fromId, 'unblocked-groups', eb.ref('u.id'))))
              .then(1)
              .else(0)
              .end()
              .as('may_talk'),
          )
          .where('u.username_key', '=', key),
      [0, ''],
      reader,
    );
    // Asked at every connect and disconnect: the users of one event-loop turn are looked up
    // together (a reconnect storm brings thousands in a few turns).
    const audiences = preparedIn(
      db,
      (userIds: number[]) => links(db, userIds, 'any-group'),
      0,
      LOOKUP_BATCH_MAX,
      reader,
    );
    this.#audience = new BatchedLookup('presence audience', async (userIds: number[]) => {
      const found = new Map<number, Set<number>>();
      for (const { a, b } of await audiences(userIds)) {
        const seen = found.get(a);
        if (seen) seen.add(b);
        else found.set(a, new Set([b]));
      }
      return found;
    });
  }

  async areFriends(a: number, b: number): Promise<boolean> {
    return (await links(this.deps.store.db, a, 'no-groups', b).executeTakeFirst()) !== undefined;
  }

  /**
   * The pairs `${sender}:${recipient}` among these that are friends: what a private message in
   * the offline store needs. One query for a whole batch.
   */
  async friendsAmong(
    senders: number[],
    recipients: number[],
    db: QueryCreator<Database> = this.deps.store.db,
  ): Promise<Set<string>> {
    if (senders.length === 0 || recipients.length === 0) return new Set();
    const rows = await links(db, senders, 'no-groups', recipients).execute();
    return new Set(rows.map((r) => `${r.a}:${r.b}`));
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

  /** Everyone entitled to see this user's presence: friends and members of any shared group. */
  async audience(userId: number): Promise<number[]> {
    const audience = await this.#audience.get(userId);
    return audience ? [...audience] : [];
  }

  /**
   * After a link between `userId` and `others` went away (unfriended, group left or blocked), the
   * ones they can no longer talk to at all. Those pairs must close their peer connections.
   */
  async lostContact(userId: number, others: number[]): Promise<number[]> {
    if (others.length === 0) return [];
    const still = await links(this.deps.store.db, userId, 'unblocked-groups', others).execute();
    const keep = new Set(still.map((r) => r.b));
    return others.filter((id) => id !== userId && !keep.has(id));
  }
}
