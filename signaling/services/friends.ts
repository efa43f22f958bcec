/**
 * Friend requests and friendships. A request to someone who already asked you is an acceptance.
 */
import { errors } from '../error-catalogue.ts';
import type { FriendInfo, FriendsList } from '../../shared/events.ts';
import type { UserRow } from '../storage/schema.ts';
import type { ServiceContext } from './deps.ts';

export class FriendsService {
  readonly #users;
  readonly #relations;

  constructor(private readonly deps: ServiceContext) {
    this.#users = deps.users;
    this.#relations = deps.relations;
  }

  #info(row: Pick<UserRow, 'id' | 'username' | 'public_key'>): FriendInfo {
    return {
      username: row.username,
      status: this.deps.presence.status(row.id),
      publicKey: row.public_key,
    };
  }

  async list(userId: number): Promise<FriendsList> {
    const { db } = this.deps.store;
    const [friends, incoming, outgoing] = await Promise.all([
      db
        .selectFrom('friendships')
        .innerJoin('users', 'users.id', 'friendships.friend_id')
        .select(['users.id', 'users.username', 'users.public_key'])
        .where('friendships.user_id', '=', userId)
        .orderBy('users.username_key')
        .execute(),
      db
        .selectFrom('friend_requests')
        .innerJoin('users', 'users.id', 'friend_requests.from_id')
        .select('users.username')
        .where('friend_requests.to_id', '=', userId)
        .orderBy('friend_requests.created_at')
        .execute(),
      db
        .selectFrom('friend_requests')
        .innerJoin('users', 'users.id', 'friend_requests.to_id')
        .select('users.username')
        .where('friend_requests.from_id', '=', userId)
        .orderBy('friend_requests.created_at')
        .execute(),
    ]);
    return {
      friends: friends.map((f) => this.#info(f)),
      incoming: incoming.map((r) => r.username),
      outgoing: outgoing.map((r) => r.username),
    };
  }

  async request(
    userId: number,
    username: string,
  ): Promise<{ username: string; state: 'pending' | 'friends' }> {
    const me = await this.#users.requireId(userId);
    const other = await this.#users.require(username);
    if (other.id === userId) throw errors.befriendSelf();
    if (await this.#relations.areFriends(userId, other.id)) {
      throw errors.alreadyFriends({ username: other.username });
    }
    // Both people's rows are locked (in id order, so no deadlock): two requests crossing each other
    // run one after the other, and the second sees the first and becomes an acceptance.
    const outcome = await this.deps.store.db.transaction().execute(async (tx) => {
      await tx
        .selectFrom('users')
        .select('id')
        .where('id', 'in', [userId, other.id])
        .orderBy('id')
        .$if(this.deps.store.dialect === 'postgres', (q) => q.forUpdate())
        .execute();
      const theirs = await tx
        .selectFrom('friend_requests')
        .select('from_id')
        .where('from_id', '=', other.id)
        .where('to_id', '=', userId)
        .executeTakeFirst();
      if (theirs) return 'accept' as const;
      const inserted = await tx
        .insertInto('friend_requests')
        .values({ from_id: userId, to_id: other.id, created_at: this.deps.now() })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0 ? 'pending' : 'asked';
    });
    if (outcome === 'accept') {
      await this.#befriend(me, other);
      return { username: other.username, state: 'friends' };
    }
    if (outcome === 'pending') {
      throw errors.requestPending({ username: other.username });
    }
    this.deps.notifier.toUser(other.id, 'friends:requested', { from: me.username });
    return { username: other.username, state: 'pending' };
  }

  async respond(userId: number, username: string, accept: boolean) {
    const me = await this.#users.requireId(userId);
    const other = await this.#users.require(username);
    const deleted = await this.deps.store.db
      .deleteFrom('friend_requests')
      .where('from_id', '=', other.id)
      .where('to_id', '=', userId)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) {
      throw errors.noFriendRequest({ username: other.username });
    }
    if (!accept) {
      this.deps.notifier.toUser(other.id, 'friends:declined', { username: me.username });
      return { username: other.username, state: 'declined' as const };
    }
    await this.#befriend(me, other);
    return { username: other.username, state: 'friends' as const };
  }

  async #befriend(me: UserRow, other: UserRow): Promise<void> {
    const now = this.deps.now();
    await this.deps.store.db.transaction().execute(async (tx) => {
      await tx
        .deleteFrom('friend_requests')
        .where((eb) =>
          eb.or([
            eb.and([eb('from_id', '=', me.id), eb('to_id', '=', other.id)]),
            eb.and([eb('from_id', '=', other.id), eb('to_id', '=', me.id)]),
          ]),
        )
        .execute();
      await tx
        .insertInto('friendships')
        .values([
          { user_id: me.id, friend_id: other.id, created_at: now },
          { user_id: other.id, friend_id: me.id, created_at: now },
        ])
        .onConflict((oc) => oc.doNothing())
        .execute();
    });
    this.deps.notifier.toUser(me.id, 'friends:added', { friend: this.#info(other) });
    this.deps.notifier.toUser(other.id, 'friends:added', { friend: this.#info(me) });
  }

  async remove(userId: number, username: string): Promise<{ username: string }> {
    const me = await this.#users.requireId(userId);
    const other = await this.#users.require(username);
    const { db } = this.deps.store;
    const removed = await db.transaction().execute(async (tx) => {
      const res = await tx
        .deleteFrom('friendships')
        .where((eb) =>
          eb.or([
            eb.and([eb('user_id', '=', me.id), eb('friend_id', '=', other.id)]),
            eb.and([eb('user_id', '=', other.id), eb('friend_id', '=', me.id)]),
          ]),
        )
        .executeTakeFirst();
      // Withdrawing a pending request is also "remove".
      const req = await tx
        .deleteFrom('friend_requests')
        .where('from_id', '=', me.id)
        .where('to_id', '=', other.id)
        .executeTakeFirst();
      return Number(res.numDeletedRows) + Number(req.numDeletedRows);
    });
    if (removed === 0) throw errors.notFriends({ username: other.username });
    this.deps.notifier.toUser(me.id, 'friends:removed', { username: other.username });
    this.deps.notifier.toUser(other.id, 'friends:removed', { username: me.username });
    if ((await this.#relations.lostContact(me.id, [other.id])).length > 0) {
      this.deps.notifier.toUser(me.id, 'relation:ended', {
        username: other.username,
        reason: 'unfriended',
      });
      this.deps.notifier.toUser(other.id, 'relation:ended', {
        username: me.username,
        reason: 'unfriended',
      });
    }
    return { username: other.username };
  }
}
