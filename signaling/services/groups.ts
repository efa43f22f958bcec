/**
 * Groups, their owners and roles.
 *
 * Rules: the creator becomes the owner; a name is unique per creator; one user owns at most
 * LIMITS.groupsOwnedMax groups; a group holds at most config.groupMembersMax members. The owner and
 * admins invite and remove members (an admin cannot remove the owner or another admin); only the owner
 * deletes the group or changes roles. When the owner leaves, ownership passes to the longest-standing
 * admin, else the longest-standing member; a group left empty is deleted. Ownership passed on this way
 * may take the new owner past the ownership cap: the cap limits creating, not inheriting.
 *
 * Nobody is put in a group without consent: an invitation (group_invitations) is not a membership,
 * and the invitee joins only by accepting it. Until then they are not a member for any rule
 * (relay, presence, stored copies, counts, numbering). Inviting again while one waits changes
 * nothing. The member cap counts members only; it is checked when inviting and again when
 * accepting, and a group also holds at most config.groupMembersMax invitations waiting at once.
 * An invitation goes with its group, and when its inviter leaves, is removed or stops being an
 * admin; the owner and admins withdraw one by removing (`kick`) the invitee. The invitee is told
 * (`groups:inviteEnded`).
 */
import { errors } from '../error-catalogue.ts';
import { groupRules } from '../../shared/group-roles.ts';
import type {
  GroupInfo,
  GroupInvitation,
  GroupMember,
  GroupRole,
  InvitationEndReason,
} from '../../shared/events.ts';
import { LIMITS } from '../../shared/limits.ts';
import type { GroupRef } from '../../shared/schemas.ts';
import { groupNameKey, usernameKey } from '../../shared/names.ts';
import type { GroupsTable } from '../storage/schema.ts';
import type { ServiceContext } from './deps.ts';

type GroupRow = Omit<GroupsTable, 'id'> & { id: number; creator: string; owner: string };
type Db = ServiceContext['store']['db'];
/** A group's member count and how many of those members are online now. */
export type MemberCounts = { online: number; total: number };

export class GroupsService {
  readonly #users;
  readonly #relations;

  constructor(private readonly deps: ServiceContext) {
    this.#users = deps.users;
    this.#relations = deps.relations;
  }

  #groups() {
    return this.deps.store.db
      .selectFrom('groups')
      .innerJoin('users as c', 'c.id', 'groups.creator_id')
      .innerJoin('users as o', 'o.id', 'groups.owner_id')
      .selectAll('groups')
      .select(['c.username as creator', 'o.username as owner']);
  }

  async byId(groupId: number): Promise<GroupRow> {
    const group = await this.#groups().where('groups.id', '=', groupId).executeTakeFirst();
    if (!group) throw errors.groupNotFound({ groupId });
    return group;
  }

  /** How the spec's admin commands name a group: its name and its creator. */
  async byName(name: string, creator: string): Promise<GroupRow> {
    const group = await this.#groups()
      .where('groups.name_key', '=', groupNameKey(name))
      .where('c.username_key', '=', usernameKey(creator))
      .executeTakeFirst();
    if (!group) throw errors.groupNotFoundByName({ name, creator });
    return group;
  }

  /** A group as the admin events name it: by id, or by name and creator. */
  byRef(ref: GroupRef): Promise<GroupRow> {
    return 'groupId' in ref ? this.byId(ref.groupId) : this.byName(ref.group, ref.creator);
  }

  /** The group's members, longest-standing first; `db` is a transaction when the caller holds one. */
  async memberIds(groupId: number, db: Db = this.deps.store.db): Promise<number[]> {
    const rows = await db
      .selectFrom('group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .orderBy('joined_at')
      .execute();
    return rows.map((r) => r.user_id);
  }

  async #role(groupId: number, userId: number): Promise<GroupRole | undefined> {
    const row = await this.deps.store.db
      .selectFrom('group_members')
      .select('role')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role;
  }

  /** The caller's role, if `allowed` (a rule of shared/group-roles.ts) lets that role do this. */
  async #requireRole(
    groupId: number,
    userId: number,
    allowed: (role: GroupRole) => boolean,
    what: string,
  ): Promise<GroupRole> {
    const role = await this.#role(groupId, userId);
    if (!role) throw errors.notMember({ groupId });
    if (!allowed(role)) throw errors.groupRoleRequired({ groupId, what });
    return role;
  }

  /**
   * How many members each of these groups has, and how many of them are online now, in one query
   * for them all (the groups list and the rooms directory both show these two figures). A group
   * with no members is missing from the map.
   */
  async memberCounts(groupIds: readonly number[]): Promise<Map<number, MemberCounts>> {
    const counts = new Map<number, MemberCounts>();
    if (groupIds.length === 0) return counts;
    const members = await this.deps.store.db
      .selectFrom('group_members')
      .select(['group_id', 'user_id'])
      .where('group_id', 'in', groupIds)
      .execute();
    for (const m of members) {
      const c = counts.get(m.group_id) ?? { online: 0, total: 0 };
      c.total += 1;
      if (this.deps.presence.isOnline(m.user_id)) c.online += 1;
      counts.set(m.group_id, c);
    }
    return counts;
  }

  #info(
    group: GroupRow,
    role: GroupRole,
    counts: MemberCounts | undefined,
  ): Omit<GroupInfo, 'number'> {
    return {
      id: group.id,
      name: group.name,
      creator: group.creator,
      owner: group.owner,
      role,
      online: counts?.online ?? 0,
      total: counts?.total ?? 0,
      blocked: group.blocked === 1,
      public: group.is_public === 1,
    };
  }

  /** The user's groups in the spec's format; `number` is what `sendgroup <n>` uses. */
  async list(userId: number): Promise<GroupInfo[]> {
    const mine = await this.#groups()
      .innerJoin('group_members as me', 'me.group_id', 'groups.id')
      .select('me.role as myRole')
      .where('me.user_id', '=', userId)
      .orderBy('groups.id')
      .execute();
    const counts = await this.memberCounts(mine.map((g) => g.id));
    return mine.map((g, i) => ({
      number: i + 1,
      ...this.#info(g, g.myRole, counts.get(g.id)),
    }));
  }

  /** Tells each of these members how the group now stands for them (`groups:changed`). */
  async tellMembers(groupId: number, userIds: readonly number[]): Promise<void> {
    const group = await this.byId(groupId);
    for (const id of userIds) await this.#tellMember(group, id);
  }

  /** The group as `groups:list` shows it to this member. */
  async infoFor(userId: number, groupId: number): Promise<GroupInfo> {
    const found = (await this.list(userId)).find((g) => g.id === groupId);
    if (!found) throw errors.notMember({ groupId });
    return found;
  }

  async #tellMember(group: GroupRow, userId: number): Promise<void> {
    const role = await this.#role(group.id, userId);
    if (!role) return;
    this.deps.notifier.toUser(userId, 'groups:changed', {
      group: this.#info(group, role, (await this.memberCounts([group.id])).get(group.id)),
    });
  }

  async create(userId: number, name: string): Promise<GroupInfo> {
    const now = this.deps.now();
    // Counted and checked under a lock on the creator's row, so two creations at once can neither
    // pass the ownership cap nor both take one name (a unique violation would surface as INTERNAL).
    const id = await this.deps.store.db.transaction().execute(async (tx) => {
      await tx
        .selectFrom('users')
        .select('id')
        .where('id', '=', userId)
        .$if(this.deps.store.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      const owned = await tx
        .selectFrom('groups')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('owner_id', '=', userId)
        .executeTakeFirstOrThrow();
      if (Number(owned.n) >= LIMITS.groupsOwnedMax) {
        throw errors.groupLimit();
      }
      const exists = await tx
        .selectFrom('groups')
        .select('id')
        .where('creator_id', '=', userId)
        .where('name_key', '=', groupNameKey(name))
        .executeTakeFirst();
      if (exists) throw errors.groupExists({ name });
      const row = await tx
        .insertInto('groups')
        .values({
          name,
          name_key: groupNameKey(name),
          creator_id: userId,
          owner_id: userId,
          blocked: 0,
          is_public: 0,
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await tx
        .insertInto('group_members')
        .values({ group_id: row.id, user_id: userId, role: 'owner', joined_at: now })
        .execute();
      return row.id;
    });
    const group = await this.byId(id);
    await this.#tellMember(group, userId);
    const list = await this.list(userId);
    return list.find((g) => g.id === id)!;
  }

  async members(userId: number, groupId: number, asAdmin = false): Promise<GroupMember[]> {
    await this.byId(groupId);
    if (!asAdmin && !(await this.#role(groupId, userId))) {
      throw errors.notMember({ groupId });
    }
    const rows = await this.deps.store.db
      .selectFrom('group_members')
      .innerJoin('users', 'users.id', 'group_members.user_id')
      .select(['users.id', 'users.username', 'users.public_key', 'group_members.role'])
      .where('group_members.group_id', '=', groupId)
      .orderBy('group_members.joined_at')
      .execute();
    return rows.map((r) => ({
      username: r.username,
      role: r.role,
      status: this.deps.presence.status(r.id),
      publicKey: r.public_key,
    }));
  }

  /** Invites `username`: an invitation they accept or decline, not a membership. */
  async invite(userId: number, groupId: number, username: string) {
    const group = await this.byId(groupId);
    await this.#requireRole(groupId, userId, groupRules.invite, 'owner and admins can invite');
    if (group.blocked) throw errors.groupBlocked();
    const invitee = await this.#users.require(username);
    if (invitee.status === 'blocked') throw errors.userBlocked({ username: invitee.username });
    const max = this.deps.config.groupMembersMax;
    // Checked and inserted under a lock on the group's row, so two invitations at once can neither
    // invite one person twice nor pass the caps.
    const at = this.deps.now();
    const created = await this.deps.store.db.transaction().execute(async (tx) => {
      await this.#lockGroup(tx, groupId);
      const member = await tx
        .selectFrom('group_members')
        .select('user_id')
        .where('group_id', '=', groupId)
        .where('user_id', '=', invitee.id)
        .executeTakeFirst();
      if (member) throw errors.alreadyMember({ username: invitee.username });
      const waiting = await tx
        .selectFrom('group_invitations')
        .select('user_id')
        .where('group_id', '=', groupId)
        .where('user_id', '=', invitee.id)
        .executeTakeFirst();
      if (waiting) return false;
      if ((await this.#count(tx, 'group_members', groupId)) >= max) throw errors.groupFull({ max });
      if ((await this.#count(tx, 'group_invitations', groupId)) >= max)
        throw errors.invitationsFull({ max });
      await tx
        .insertInto('group_invitations')
        .values({ group_id: groupId, user_id: invitee.id, inviter_id: userId, created_at: at })
        .execute();
      return true;
    });
    if (created) {
      const inviter = await this.#users.requireId(userId);
      this.deps.notifier.toUser(invitee.id, 'groups:invited', {
        invitation: {
          groupId,
          name: group.name,
          creator: group.creator,
          inviter: inviter.username,
          at,
        },
      });
    }
    return { groupId, username: invitee.username };
  }

  /** Invitations waiting for this user, oldest first. */
  async invitations(userId: number): Promise<GroupInvitation[]> {
    const rows = await this.deps.store.db
      .selectFrom('group_invitations as inv')
      .innerJoin('groups as g', 'g.id', 'inv.group_id')
      .innerJoin('users as c', 'c.id', 'g.creator_id')
      .innerJoin('users as i', 'i.id', 'inv.inviter_id')
      .select([
        'g.id',
        'g.name',
        'c.username as creator',
        'i.username as inviter',
        'inv.created_at',
      ])
      .where('inv.user_id', '=', userId)
      .orderBy('inv.created_at')
      .orderBy('g.id')
      .execute();
    return rows.map((r) => ({
      groupId: r.id,
      name: r.name,
      creator: r.creator,
      inviter: r.inviter,
      at: r.created_at,
    }));
  }

  /** The invitee says yes: they become a member, if the group still has room and is not blocked. */
  async accept(userId: number, groupId: number): Promise<GroupInfo> {
    const me = await this.#users.requireId(userId);
    const max = this.deps.config.groupMembersMax;
    const before = await this.deps.store.db.transaction().execute(async (tx) => {
      await this.#lockGroup(tx, groupId);
      const invitation = await tx
        .selectFrom('group_invitations as inv')
        .innerJoin('groups as g', 'g.id', 'inv.group_id')
        .leftJoin('group_members as by', (j) =>
          j.onRef('by.group_id', '=', 'inv.group_id').onRef('by.user_id', '=', 'inv.inviter_id'),
        )
        .select(['g.blocked', 'by.role as inviterRole'])
        .where('inv.group_id', '=', groupId)
        .where('inv.user_id', '=', userId)
        .executeTakeFirst();
      if (!invitation) throw errors.noInvitation({ groupId });
      if (invitation.blocked) throw errors.groupBlocked();
      const ids = await this.memberIds(groupId, tx);
      await tx
        .deleteFrom('group_invitations')
        .where('group_id', '=', groupId)
        .where('user_id', '=', userId)
        .execute();
      // The inviter lost the right while this was racing its withdrawal: the invitation is void.
      if (!invitation.inviterRole || !groupRules.invite(invitation.inviterRole)) return null;
      // Thrown, so the transaction undoes the delete: the invitee may try again once a place frees.
      if (ids.length >= max) throw errors.groupFull({ max });
      await tx
        .insertInto('group_members')
        .values({ group_id: groupId, user_id: userId, role: 'member', joined_at: this.deps.now() })
        .execute();
      return ids;
    });
    if (before === null) {
      this.deps.notifier.toUser(userId, 'groups:inviteEnded', { groupId, reason: 'withdrawn' });
      throw errors.noInvitation({ groupId });
    }
    this.deps.notifier.toUser(userId, 'groups:inviteEnded', { groupId, reason: 'accepted' });
    this.deps.notifier.toUsers(before, 'groups:memberChanged', {
      groupId,
      username: me.username,
      change: 'joined',
      role: 'member',
      by: me.username,
    });
    const group = await this.byId(groupId);
    await this.#tellMember(group, userId);
    return (await this.list(userId)).find((g) => g.id === groupId)!;
  }

  /** The invitee says no: the invitation is gone, and nothing else changes. */
  async decline(userId: number, groupId: number): Promise<{ groupId: number }> {
    const res = await this.deps.store.db
      .deleteFrom('group_invitations')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw errors.noInvitation({ groupId });
    this.deps.notifier.toUser(userId, 'groups:inviteEnded', { groupId, reason: 'declined' });
    return { groupId };
  }

  /** The invitations `inviterId` made to this group are void: they no longer have the right. */
  async #withdrawInvitations(groupId: number, inviterId: number): Promise<void> {
    const gone = await this.deps.store.db
      .deleteFrom('group_invitations')
      .where('group_id', '=', groupId)
      .where('inviter_id', '=', inviterId)
      .returning('user_id')
      .execute();
    this.#tellInvitees(
      gone.map((r) => r.user_id),
      groupId,
      'withdrawn',
    );
  }

  #tellInvitees(userIds: number[], groupId: number, reason: InvitationEndReason): void {
    if (userIds.length > 0)
      this.deps.notifier.toUsers(userIds, 'groups:inviteEnded', { groupId, reason });
  }

  async #lockGroup(tx: Db, groupId: number): Promise<void> {
    const row = await tx
      .selectFrom('groups')
      .select('id')
      .where('id', '=', groupId)
      .$if(this.deps.store.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    if (!row) throw errors.groupNotFound({ groupId });
  }

  async #count(
    tx: Db,
    table: 'group_members' | 'group_invitations',
    groupId: number,
  ): Promise<number> {
    const row = await tx
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('group_id', '=', groupId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async kick(userId: number, groupId: number, username: string) {
    await this.byId(groupId);
    const myRole = await this.#requireRole(
      groupId,
      userId,
      (role) => groupRules.remove(role, 'member'),
      'owner and admins can remove members',
    );
    const target = await this.#users.require(username);
    if (target.id === userId) throw errors.kickSelf();
    const theirRole = await this.#role(groupId, target.id);
    if (!theirRole) {
      // Removing someone invited but not yet in withdraws the invitation.
      const withdrawn = await this.deps.store.db
        .deleteFrom('group_invitations')
        .where('group_id', '=', groupId)
        .where('user_id', '=', target.id)
        .executeTakeFirst();
      if (Number(withdrawn.numDeletedRows) === 0)
        throw errors.memberNotInGroup({ username: target.username });
      this.#tellInvitees([target.id], groupId, 'withdrawn');
      return { groupId, username: target.username };
    }
    if (!groupRules.remove(myRole, theirRole)) {
      throw errors.removeForbidden();
    }
    const me = await this.#users.requireId(userId);
    await this.#removeMember(groupId, target.id, target.username, 'kicked', me.username);
    return { groupId, username: target.username };
  }

  async leave(userId: number, groupId: number) {
    const group = await this.byId(groupId);
    const me = await this.#users.requireId(userId);
    const role = await this.#role(groupId, userId);
    if (!role) throw errors.notMember({ groupId });
    const { db } = this.deps.store;
    let newOwner: string | null = null;
    if (role === 'owner') {
      const heir = await db
        .selectFrom('group_members')
        .innerJoin('users', 'users.id', 'group_members.user_id')
        .select(['users.id', 'users.username'])
        .where('group_id', '=', groupId)
        .where('user_id', '!=', userId)
        // admins first, then by seniority; the older account breaks a same-millisecond tie
        .orderBy((eb) => eb.case().when('role', '=', 'admin').then(0).else(1).end())
        .orderBy('joined_at')
        .orderBy('user_id')
        .executeTakeFirst();
      if (!heir) {
        await this.#deleteGroup(group, 'left', me.username);
        return { groupId, deleted: true, newOwner: null };
      }
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('groups')
          .set({ owner_id: heir.id })
          .where('id', '=', groupId)
          .execute();
        await tx
          .updateTable('group_members')
          .set({ role: 'owner' })
          .where('group_id', '=', groupId)
          .where('user_id', '=', heir.id)
          .execute();
      });
      newOwner = heir.username;
    }
    await this.#removeMember(groupId, userId, me.username, 'left', me.username);
    if (newOwner) {
      const members = await this.memberIds(groupId);
      this.deps.notifier.toUsers(members, 'groups:memberChanged', {
        groupId,
        username: newOwner,
        change: 'role',
        role: 'owner',
        by: me.username,
      });
      const updated = await this.byId(groupId);
      for (const id of members) await this.#tellMember(updated, id);
    }
    return { groupId, deleted: false, newOwner };
  }

  async #removeMember(
    groupId: number,
    userId: number,
    username: string,
    reason: 'kicked' | 'left',
    by: string,
  ): Promise<void> {
    await this.deps.store.db
      .deleteFrom('group_members')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .execute();
    await this.#withdrawInvitations(groupId, userId);
    const rest = await this.memberIds(groupId);
    this.deps.notifier.toUser(userId, 'groups:removed', { groupId, reason, by });
    this.deps.notifier.toUsers(rest, 'groups:memberChanged', {
      groupId,
      username,
      change: 'left',
      role: null,
      by,
    });
    await this.#endLostRelations(userId, rest, 'removed-from-group');
  }

  async setRole(userId: number, groupId: number, username: string, role: 'admin' | 'member') {
    const group = await this.byId(groupId);
    const myRole = await this.#requireRole(
      groupId,
      userId,
      (role) => groupRules.setRole(role, 'member'),
      'owner can change roles',
    );
    const target = await this.#users.require(username);
    const theirRole = await this.#role(groupId, target.id);
    if (!theirRole) throw errors.memberNotInGroup({ username: target.username });
    if (!groupRules.setRole(myRole, theirRole)) throw errors.ownerKeepsRole();
    await this.deps.store.db
      .updateTable('group_members')
      .set({ role })
      .where('group_id', '=', groupId)
      .where('user_id', '=', target.id)
      .execute();
    if (role === 'member') await this.#withdrawInvitations(groupId, target.id);
    const me = await this.#users.requireId(userId);
    this.deps.notifier.toUsers(await this.memberIds(groupId), 'groups:memberChanged', {
      groupId,
      username: target.username,
      change: 'role',
      role,
      by: me.username,
    });
    await this.#tellMember(group, target.id);
    return { groupId, username: target.username, role };
  }

  async delete(userId: number, groupId: number) {
    const group = await this.byId(groupId);
    await this.#requireRole(groupId, userId, groupRules.delete, 'owner can delete it');
    const me = await this.#users.requireId(userId);
    await this.#deleteGroup(group, 'deleted', me.username);
    return { groupId };
  }

  async #deleteGroup(group: GroupRow, reason: 'deleted' | 'left', by: string): Promise<void> {
    const members = await this.memberIds(group.id);
    const invitees = await this.deps.store.db.transaction().execute(async (tx) => {
      const invited = await tx
        .deleteFrom('group_invitations')
        .where('group_id', '=', group.id)
        .returning('user_id')
        .execute();
      await tx.deleteFrom('group_members').where('group_id', '=', group.id).execute();
      await tx.deleteFrom('groups').where('id', '=', group.id).execute();
      return invited.map((r) => r.user_id);
    });
    this.#tellInvitees(invitees, group.id, 'group-deleted');
    this.deps.notifier.toUsers(members, 'groups:removed', {
      groupId: group.id,
      reason: reason === 'left' ? 'left' : 'deleted',
      by,
    });
    await this.#endLostPairs(members, 'group-deleted');
  }

  /** Admin moderation: a blocked group cannot be relayed for, stored for, or sent to. */
  async setBlocked(groupId: number, blocked: boolean): Promise<void> {
    await this.deps.store.db
      .updateTable('groups')
      .set({ blocked: blocked ? 1 : 0 })
      .where('id', '=', groupId)
      .execute();
    const group = await this.byId(groupId);
    const members = await this.memberIds(groupId);
    for (const id of members) await this.#tellMember(group, id);
    if (blocked) await this.#endLostPairs(members, 'group-blocked');
  }

  async #endLostRelations(
    userId: number,
    others: number[],
    reason: 'removed-from-group' | 'group-deleted' | 'group-blocked',
  ) {
    const lost = await this.#relations.lostContact(userId, others);
    if (lost.length === 0) return;
    const me = await this.#users.requireId(userId);
    for (const otherId of lost) {
      const other = await this.#users.byId(otherId);
      if (!other) continue;
      this.deps.notifier.toUser(userId, 'relation:ended', { username: other.username, reason });
      this.deps.notifier.toUser(otherId, 'relation:ended', { username: me.username, reason });
    }
  }

  async #endLostPairs(members: number[], reason: 'group-deleted' | 'group-blocked') {
    for (let i = 0; i < members.length; i++) {
      await this.#endLostRelations(members[i]!, members.slice(i + 1), reason);
    }
  }
}
