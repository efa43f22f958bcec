/**
 * The spec's admin commands. The socket handlers (an admin's session), the REST admin API and the
 * admin CLI all call these methods; each records who did what, and when, in the admin log.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { errors } from '../error-catalogue.ts';
import type { AdminAction, AdminGroup, AdminUser } from '../../shared/events.ts';
import type { GroupRef } from '../../shared/schemas.ts';
import { appendBlockEvent, type BlockEvent } from '../block-feed.ts';
import { metrics } from '../metrics.ts';
import type { ServiceContext } from './deps.ts';
import type { GroupsService } from './groups.ts';
import { offlineNotifier } from './notifier.ts';
import type { OfflineService } from './offline.ts';

export interface Actor {
  id: number;
  username: string;
}

export class ModerationService {
  readonly #users;
  readonly #relations;

  constructor(
    private readonly deps: ServiceContext,
    private readonly groups: GroupsService,
    private readonly offline: OfflineService,
  ) {
    this.#users = deps.users;
    this.#relations = deps.relations;
  }

  async #record(admin: string, action: string, target: string): Promise<void> {
    await this.deps.store.db
      .insertInto('admin_log')
      .values({ admin, action, target, at: this.deps.now() })
      .execute();
  }

  async log(limit: number): Promise<AdminAction[]> {
    const rows = await this.deps.store.db
      .selectFrom('admin_log')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      admin: r.admin,
      action: r.action,
      target: r.target,
      at: r.at,
    }));
  }

  async users(onlineOnly: boolean): Promise<AdminUser[]> {
    let q = this.deps.store.db
      .selectFrom('users')
      .select(['id', 'username', 'is_admin', 'status', 'created_at'])
      .orderBy('id');
    if (onlineOnly) {
      const online = [...this.deps.presence.onlineIds()];
      if (online.length === 0) return [];
      q = q.where('id', 'in', online);
    }
    const rows = await q.execute();
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      isAdmin: r.is_admin === 1,
      blocked: r.status === 'blocked',
      status: this.deps.presence.status(r.id),
      createdAt: r.created_at,
    }));
  }

  async allGroups(): Promise<AdminGroup[]> {
    const { db } = this.deps.store;
    const rows = await db
      .selectFrom('groups')
      .innerJoin('users as c', 'c.id', 'groups.creator_id')
      .innerJoin('users as o', 'o.id', 'groups.owner_id')
      .select([
        'groups.id',
        'groups.name',
        'groups.blocked',
        'groups.is_public',
        'c.username as creator',
        'o.username as owner',
      ])
      .orderBy('groups.id')
      .execute();
    const members = await db.selectFrom('group_members').select(['group_id', 'user_id']).execute();
    const byGroup = new Map<number, number[]>();
    for (const m of members)
      byGroup.set(m.group_id, [...(byGroup.get(m.group_id) ?? []), m.user_id]);
    return rows.map((g) => {
      const ids = byGroup.get(g.id) ?? [];
      return {
        id: g.id,
        name: g.name,
        creator: g.creator,
        owner: g.owner,
        online: ids.filter((id) => this.deps.presence.isOnline(id)).length,
        total: ids.length,
        blocked: g.blocked === 1,
        public: g.is_public === 1,
      };
    });
  }

  async sendUser(
    admin: Actor,
    username: string,
    text: string,
  ): Promise<{ delivered: 'live' | 'stored' }> {
    const user = await this.#users.require(username);
    const id = randomUUID();
    await this.#record(admin.username, 'adminsend', user.username);
    if (this.deps.presence.isOnline(user.id)) {
      this.deps.notifier.toUser(user.id, 'system:message', {
        id,
        text,
        at: this.deps.now(),
        from: admin.username,
        group: null,
        broadcast: false,
      });
      return { delivered: 'live' };
    }
    await this.offline.storeSystem(admin.id, user.id, id, text, null);
    return { delivered: 'stored' };
  }

  async sendGroup(
    admin: Actor,
    named: GroupRef,
    text: string,
  ): Promise<{ live: number; stored: number }> {
    const group = await this.groups.byRef(named);
    // A blocked group gets nothing, an admin's message included: its members have the block notice.
    if (group.blocked)
      throw errors.groupBlockedForAdmin({ name: group.name, creator: group.creator });
    const ref = { id: group.id, name: group.name, creator: group.creator };
    const id = randomUUID();
    // One message, one time: every member sees the same `at`, however long the stores take.
    const at = this.deps.now();
    let live = 0;
    let stored = 0;
    for (const memberId of await this.groups.memberIds(group.id)) {
      if (this.deps.presence.isOnline(memberId)) {
        this.deps.notifier.toUser(memberId, 'system:message', {
          id,
          text,
          at,
          from: admin.username,
          group: ref,
          broadcast: false,
        });
        live++;
      } else {
        await this.offline.storeSystem(admin.id, memberId, id, text, ref);
        stored++;
      }
    }
    await this.#record(admin.username, 'adminsendgroup', `${group.name} (${group.creator})`);
    return { live, stored };
  }

  async broadcast(admin: Actor, text: string): Promise<{ live: number }> {
    const id = randomUUID();
    this.deps.notifier.toAll('system:message', {
      id,
      text,
      at: this.deps.now(),
      from: admin.username,
      group: null,
      broadcast: true,
    });
    await this.#record(admin.username, 'broadcast', text.slice(0, 80));
    return { live: this.deps.presence.size };
  }

  async setUserBlocked(
    admin: Pick<Actor, 'username'>,
    username: string,
    blocked: boolean,
  ): Promise<{ username: string; blocked: boolean }> {
    const { username: name } = await this.blockUser(admin, username, blocked);
    return { username: name, blocked };
  }

  /**
   * Blocks or unblocks, and returns the block event's id (the admin CLI waits for running nodes to
   * acknowledge it). The status change and the event are one transaction.
   */
  async blockUser(
    admin: Pick<Actor, 'username'>,
    username: string,
    blocked: boolean,
  ): Promise<{ username: string; blocked: boolean; eventId: number }> {
    const user = await this.#users.require(username);
    if (blocked && user.is_admin === 1 && user.username === admin.username) {
      throw errors.blockSelf();
    }
    // A running server tells the user's contacts itself, across nodes; the CLI cannot, so the node
    // holding the user's socket does it when the event arrives.
    const contactsTold = this.deps.notifier !== offlineNotifier;
    const { store } = this.deps;
    const eventId = await store.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('users')
        .set({ status: blocked ? 'blocked' : 'active' })
        .where('id', '=', user.id)
        .execute();
      if (blocked) await tx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
      return appendBlockEvent(tx, store.dialect, {
        userId: user.id,
        blocked,
        contactsTold,
        at: this.deps.now(),
      });
    });
    this.deps.blocks?.set(user.id, blocked);
    if (blocked) {
      this.deps.notifier.endSessions(user.id, 'blocked');
      await this.#tellContacts(user.id, user.username);
    }
    await this.#record(admin.username, blocked ? 'blockuser' : 'unblockuser', user.username);
    return { username: user.username, blocked, eventId };
  }

  /**
   * A block event from the feed (any process, this one included): update the block list and end
   * the user's sessions here before the feed acknowledges. Contacts are told by the node holding
   * the user, unless the process that blocked them already did.
   */
  async applyBlockEvent(event: BlockEvent): Promise<void> {
    this.deps.blocks?.set(event.userId, event.blocked);
    metrics.blockEvents.inc();
    if (!event.blocked) return;
    this.deps.notifier.endSessions(event.userId, 'blocked');
    if (event.contactsTold || !this.deps.presence.isLocal(event.userId)) return;
    const user = await this.deps.store.db
      .selectFrom('users')
      .select('username')
      .where('id', '=', event.userId)
      .executeTakeFirst();
    // Not awaited: the acknowledgement (what the CLI waits for) needs only the sessions ended.
    if (user)
      this.#tellContacts(event.userId, user.username).catch((err: unknown) =>
        this.deps.logger.error({ err }, 'telling contacts of a block failed'),
      );
  }

  /** Everyone connected to a blocked user closes their channels to them. */
  async #tellContacts(userId: number, username: string): Promise<void> {
    const audience = await this.#relations.audience(userId);
    this.deps.notifier.toUsers(audience, 'relation:ended', { username, reason: 'user-blocked' });
  }

  async setGroupBlocked(admin: Pick<Actor, 'username'>, named: GroupRef, blocked: boolean) {
    const group = await this.groups.byRef(named);
    await this.groups.setBlocked(group.id, blocked);
    // Its members' stored messages to it go with the block: none is handed out later.
    if (blocked) await this.offline.dropGroupMail(group.id);
    await this.#record(
      admin.username,
      blocked ? 'blockgroup' : 'unblockgroup',
      `${group.name} (${group.creator})`,
    );
    return { groupId: group.id, blocked };
  }

  /**
   * Blocks made elsewhere (the admin CLI, another node) reach this node's sockets here: any user
   * online on this node whose account is blocked has their session ended.
   */
  async sweepBlocked(): Promise<number> {
    // Blocked accounts first (a few rows, through the partial index `users_blocked`, which only a
    // literal 'blocked' lets the planner use), then which of them are on this node: every node runs
    // its own sweep. Listing everyone online first cost a 10,000-entry copy every 5 s under load.
    const version = this.deps.blocks?.version ?? 0;
    const blocked = await this.deps.store.db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('status', '=', sql.lit('blocked'))
      .execute();
    // The safety net for the block list too (a node that missed events while its listener was down).
    this.deps.blocks?.replace(
      blocked.map((u) => u.id),
      version,
    );
    let ended = 0;
    const list = this.deps.blocks;
    for (const u of blocked) {
      if (!this.deps.presence.isLocal(u.id)) continue;
      // Unblocked since the read (an event changed the list): a session begun after that is not
      // a blocked user's. Were the list the stale one, the next sweep reads again.
      if (list && list.version !== version && !list.has(u.id)) continue;
      this.deps.notifier.endSessions(u.id, 'blocked');
      await this.#tellContacts(u.id, u.username);
      ended++;
    }
    return ended;
  }
}
