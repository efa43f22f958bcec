/**
 * Rooms (issue 12): public groups. A room is a group like any other (roles, moderation, admin
 * blocks, the member cap, group messages peer to peer) with two differences: it is listed in the
 * directory, and anyone may join it without an invitation. Leaving is `groups:leave`.
 *
 * Rules: the owner or a group admin makes a group public or private again; a blocked group is
 * never listed, cannot be joined and cannot be made public (it may be made private). Joining is
 * checked under a lock on the group's row, so two joins at once cannot pass config.groupMembersMax.
 * A private group answers a join exactly as a missing one does (NOT_FOUND), so its ids cannot be
 * probed. Joining is the member's own consent to be reached by the room's members, for group
 * messages: relations.ts, where that rule lives, counts a room as the shared group it is.
 * Joins and directory reads are rate limited per user (config.roomLimits; in Redis when several nodes run), on top of the per-user event budget.
 */
import { sql } from 'kysely';
import { errors } from '../error-catalogue.ts';
import type { GroupInfo, RoomInfo } from '../../shared/events.ts';
import { groupRules } from '../../shared/group-roles.ts';
import { groupNameKey } from '../../shared/names.ts';
import type { ServiceContext } from './deps.ts';
import type { GroupsService } from './groups.ts';
import { Limiter } from './rate-limits.ts';

/** `!` escapes LIKE's wildcards in a search: a `%` or `_` typed by a user matches itself. */
const likeEscape = (s: string) => s.replace(/[!%_]/g, '!$&');

export class RoomsService {
  readonly #joins;
  readonly #lists;

  constructor(
    private readonly deps: ServiceContext,
    private readonly groups: GroupsService,
  ) {
    const { roomLimits } = deps.config;
    this.#joins = new Limiter('room joins', roomLimits.joinsPerUser, deps.limiterStore);
    this.#lists = new Limiter('room directory reads', roomLimits.listsPerUser, deps.limiterStore);
  }

  /**
   * One page of the directory: public, unblocked groups whose name contains `query` (compared by
   * the name key, so case and width do not matter), most members first, then oldest first.
   */
  async list(
    userId: number,
    opts: { query: string; limit: number; offset: number },
  ): Promise<{ rooms: RoomInfo[]; more: boolean }> {
    await this.#lists.consume(String(userId));
    const { db } = this.deps.store;
    const key = groupNameKey(opts.query.trim());
    const rows = await db
      .selectFrom('groups as g')
      .innerJoin('users as c', 'c.id', 'g.creator_id')
      .innerJoin('users as o', 'o.id', 'g.owner_id')
      .select(['g.id', 'g.name', 'c.username as creator', 'o.username as owner'])
      .select((eb) => [
        eb
          .selectFrom('group_members as m')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('m.group_id', '=', 'g.id')
          .as('total'),
        eb
          .selectFrom('group_members as me')
          .select('me.user_id')
          .whereRef('me.group_id', '=', 'g.id')
          .where('me.user_id', '=', userId)
          .as('mine'),
      ])
      .where('g.is_public', '=', 1)
      .where('g.blocked', '=', 0)
      .$if(key !== '', (q) =>
        q.where(sql<boolean>`${sql.ref('g.name_key')} like ${`%${likeEscape(key)}%`} escape '!'`),
      )
      .orderBy('total', 'desc')
      .orderBy('g.id')
      .limit(opts.limit + 1)
      .offset(opts.offset)
      .execute();
    const page = rows.slice(0, opts.limit);
    const counts = await this.groups.memberCounts(page.map((r) => r.id));
    return {
      rooms: page.map((r) => ({
        id: r.id,
        name: r.name,
        creator: r.creator,
        owner: r.owner,
        online: counts.get(r.id)?.online ?? 0,
        total: Number(r.total ?? 0),
        member: r.mine !== null && r.mine !== undefined,
      })),
      more: rows.length > opts.limit,
    };
  }

  /** Joins a room: a member like any other, told as an accepted invitation tells (`joined`). */
  async join(userId: number, groupId: number): Promise<GroupInfo> {
    await this.#joins.consume(String(userId));
    const me = await this.deps.users.requireId(userId);
    if (me.status === 'blocked' || this.deps.blocks?.has(userId)) throw errors.senderBlocked();
    const max = this.deps.config.groupMembersMax;
    const { before, invited } = await this.deps.store.db.transaction().execute(async (tx) => {
      const group = await tx
        .selectFrom('groups')
        .select(['id', 'is_public', 'blocked'])
        .where('id', '=', groupId)
        .$if(this.deps.store.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!group || group.is_public !== 1) throw errors.roomNotFound({ groupId });
      if (group.blocked) throw errors.groupBlocked();
      const ids = await this.groups.memberIds(groupId, tx);
      if (ids.includes(userId)) throw errors.roomJoinedAlready({ groupId });
      if (ids.length >= max) throw errors.groupFull({ max });
      await tx
        .insertInto('group_members')
        .values({ group_id: groupId, user_id: userId, role: 'member', joined_at: this.deps.now() })
        .execute();
      // An invitation waiting for this group is answered by the join.
      const gone = await tx
        .deleteFrom('group_invitations')
        .where('group_id', '=', groupId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return { before: ids, invited: Number(gone.numDeletedRows) > 0 };
    });
    if (invited)
      this.deps.notifier.toUser(userId, 'groups:inviteEnded', { groupId, reason: 'accepted' });
    this.deps.notifier.toUsers(before, 'groups:memberChanged', {
      groupId,
      username: me.username,
      change: 'joined',
      role: 'member',
      // Joining a room is the member's own act.
      by: me.username,
    });
    await this.groups.tellMembers(groupId, [userId]);
    return this.groups.infoFor(userId, groupId);
  }

  /** The owner or a group admin opens the group to the directory, or closes it again. */
  async setPublic(
    userId: number,
    groupId: number,
    open: boolean,
  ): Promise<{ groupId: number; public: boolean }> {
    const group = await this.groups.byId(groupId);
    const mine = await this.deps.store.db
      .selectFrom('group_members')
      .select('role')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!mine) throw errors.notMember({ groupId });
    if (!groupRules.setPublic(mine.role))
      throw errors.groupRoleRequired({ groupId, what: 'owner and admins can open or close it' });
    if (open && group.blocked) throw errors.groupBlocked();
    if ((group.is_public === 1) !== open) {
      await this.deps.store.db
        .updateTable('groups')
        .set({ is_public: open ? 1 : 0 })
        .where('id', '=', groupId)
        .execute();
      await this.groups.tellMembers(groupId, await this.groups.memberIds(groupId));
    }
    return { groupId, public: open };
  }
}
