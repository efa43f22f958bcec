/**
 * Presence as a rule: who is told when someone's status changes (friends and members of a shared
 * group), and what "online" means when sockets come and go.
 */
import type { PresenceStatus, SettableStatus } from '../../shared/limits.ts';
import type { CompiledQuery } from 'kysely';
import { compiledIn } from '../storage/prepared.ts';
import type { ServiceContext } from './deps.ts';
import { GroupCommit, type Outcome } from './group-commit.ts';

interface MirrorWrite {
  userId: number;
  status: SettableStatus | null;
}

/** The node name under which `adoptMirror` files what the mirror says. */
const MIRROR_NODE = 'stored-mirror';

/** Ids per UPDATE ... WHERE user_id IN (...): well under SQLite's and PostgreSQL's parameter caps. */
const MIRROR_CHUNK = 512;

export class PresenceService {
  readonly #relations;
  /**
   * The stored mirror, written once per event-loop turn for everyone whose presence changed in it:
   * after a restart every client reconnects at once, and one UPDATE per user was a write
   * transaction per connection. A caller still waits for its own write to commit.
   */
  readonly #mirrorWrites = new GroupCommit<MirrorWrite, void>(
    (items) => this.#writeMirror(items),
    5_000,
  );

  /**
   * The mirror's UPDATE for each status, compiled once per list length: built by Kysely for every
   * flush, a statement of 500 ids cost milliseconds, a few microseconds per reconnect in a storm.
   */
  readonly #mirrorUpdates = new Map<
    SettableStatus | null,
    (ids: readonly number[]) => CompiledQuery
  >();

  constructor(private readonly deps: ServiceContext) {
    this.#relations = deps.relations;
  }

  #mirrorUpdate(status: SettableStatus | null): (ids: readonly number[]) => CompiledQuery {
    let update = this.#mirrorUpdates.get(status);
    if (!update) {
      const { db } = this.deps.store;
      update = compiledIn(
        (ids: number[]) =>
          db.updateTable('sessions').set({ presence: status }).where('user_id', 'in', ids),
        0,
        MIRROR_CHUNK,
      );
      this.#mirrorUpdates.set(status, update);
    }
    return update;
  }

  async announce(userId: number, username: string, status: PresenceStatus): Promise<void> {
    this.#tell(await this.#relations.audience(userId), username, status);
  }

  /** Keeps the stored mirror in step (read by the admin CLI, which has no sockets). */
  #mirror(userId: number, status: SettableStatus | null): Promise<void> {
    return this.#mirrorWrites.submit({ userId, status });
  }

  async #writeMirror(items: MirrorWrite[]): Promise<Outcome<void>[]> {
    // Batches are written in submission order, and within one the last change of a user wins.
    const last = new Map<number, SettableStatus | null>();
    for (const { userId, status } of items) last.set(userId, status);
    const byStatus = new Map<SettableStatus | null, number[]>();
    for (const [userId, status] of last) {
      const ids = byStatus.get(status);
      if (ids) ids.push(userId);
      else byStatus.set(status, [userId]);
    }
    await this.deps.store.db.transaction().execute(async (trx) => {
      for (const [status, ids] of byStatus)
        for (let i = 0; i < ids.length; i += MIRROR_CHUNK)
          await trx.executeQuery(this.#mirrorUpdate(status)(ids.slice(i, i + MIRROR_CHUNK)));
    });
    return items.map(() => ({ ok: true, value: undefined }));
  }

  /**
   * A change of this node's own: the mirror written, then the audience told. Who to tell is read
   * while the mirror write waits for its turn's commit (both are batched per event-loop turn and
   * neither needs the other), so a reconnect waits one turn less; the telling still comes after
   * the commit.
   */
  async #change(
    userId: number,
    username: string,
    mirror: SettableStatus | null,
    shown: PresenceStatus,
  ): Promise<void> {
    const [, audience] = await Promise.all([
      this.#mirror(userId, mirror),
      this.#relations.audience(userId),
    ]);
    this.#tell(audience, username, shown);
  }

  #tell(audience: number[], username: string, status: PresenceStatus): void {
    this.deps.notifier.toUsers(
      audience.filter((id) => this.deps.presence.isOnline(id)),
      'presence:changed',
      { username, status },
    );
  }

  async connected(userId: number, username: string, socketId: string): Promise<void> {
    if (!this.deps.presence.connect(userId, socketId)) return;
    await this.#change(userId, username, 'online', 'online');
  }

  async disconnected(userId: number, username: string, socketId: string): Promise<void> {
    if (!this.deps.presence.disconnect(userId, socketId)) return;
    await this.#change(userId, username, null, 'offline');
  }

  async set(
    userId: number,
    username: string,
    status: SettableStatus,
  ): Promise<{ status: SettableStatus }> {
    if (this.deps.presence.set(userId, status))
      await this.#change(userId, username, status, status);
    return { status };
  }

  /** Users whose node died (see cluster.ts): tell their contacts, clear the mirror. */
  async gone(userIds: number[]): Promise<void> {
    const users = await this.deps.store.db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('id', 'in', userIds)
      .execute();
    for (const u of users) {
      if (this.deps.presence.isOnline(u.id)) continue;
      await this.#mirror(u.id, null);
      await this.announce(u.id, u.username, 'offline');
    }
  }

  /**
   * For a process without sockets (the admin CLI): take the stored mirror as what it knows of who
   * is online, so the services answer from it as a server answers from its sockets.
   */
  async adoptMirror(): Promise<void> {
    const rows = await this.deps.store.db
      .selectFrom('sessions')
      .select(['user_id', 'presence'])
      .where('presence', 'is not', null)
      .execute();
    for (const r of rows)
      if (r.presence !== null) this.deps.presence.applyRemote(MIRROR_NODE, r.user_id, r.presence);
  }

  /** At the start of a single node nobody is connected yet, whatever a crash left in the mirror. */
  async resetMirror(): Promise<void> {
    await this.deps.store.db
      .updateTable('sessions')
      .set({ presence: null })
      .where('presence', 'is not', null)
      .execute();
  }
}
