/**
 * Who may see and reach whom. Two users are related when they are friends or share a group; they
 * may talk (relay signals, store messages) when they are friends or share a group that is not blocked.
 */
import type { ServiceDeps } from './deps.ts';

export class Relations {
  constructor(private readonly deps: Pick<ServiceDeps, 'store'>) {}

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

  async mayTalk(a: number, b: number): Promise<boolean> {
    return (await this.areFriends(a, b)) || (await this.shareUnblockedGroup(a, b));
  }

  /** Everyone entitled to see this user's presence: friends and members of any shared group. */
  async audience(userId: number): Promise<number[]> {
    const { db } = this.deps.store;
    const rows = await db
      .selectFrom('friendships')
      .select('friend_id as id')
      .where('user_id', '=', userId)
      .union(
        db
          .selectFrom('group_members as m1')
          .innerJoin('group_members as m2', 'm2.group_id', 'm1.group_id')
          .select('m2.user_id as id')
          .where('m1.user_id', '=', userId)
          .where('m2.user_id', '!=', userId),
      )
      .execute();
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
