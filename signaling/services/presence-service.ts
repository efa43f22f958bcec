/**
 * Presence as a rule: who is told when someone's status changes (friends and members of a shared
 * group), and what "online" means when sockets come and go.
 */
import type { PresenceStatus, SettableStatus } from '../../shared/limits.ts';
import type { ServiceContext } from './deps.ts';

export class PresenceService {
  readonly #relations;

  constructor(private readonly deps: ServiceContext) {
    this.#relations = deps.relations;
  }

  async announce(userId: number, username: string, status: PresenceStatus): Promise<void> {
    const audience = await this.#relations.audience(userId);
    this.deps.notifier.toUsers(
      audience.filter((id) => this.deps.presence.isOnline(id)),
      'presence:changed',
      { username, status },
    );
  }

  /** Keeps the stored mirror in step (read by the admin CLI, which has no sockets). */
  async #mirror(userId: number, status: SettableStatus | null): Promise<void> {
    await this.deps.store.db
      .updateTable('sessions')
      .set({ presence: status })
      .where('user_id', '=', userId)
      .execute();
  }

  async connected(userId: number, username: string, socketId: string): Promise<void> {
    if (!this.deps.presence.connect(userId, socketId)) return;
    await this.#mirror(userId, 'online');
    await this.announce(userId, username, 'online');
  }

  async disconnected(userId: number, username: string, socketId: string): Promise<void> {
    if (!this.deps.presence.disconnect(userId, socketId)) return;
    await this.#mirror(userId, null);
    await this.announce(userId, username, 'offline');
  }

  async set(
    userId: number,
    username: string,
    status: SettableStatus,
  ): Promise<{ status: SettableStatus }> {
    if (this.deps.presence.set(userId, status)) {
      await this.#mirror(userId, status);
      await this.announce(userId, username, status);
    }
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

  /** At the start of a single node nobody is connected yet, whatever a crash left in the mirror. */
  async resetMirror(): Promise<void> {
    await this.deps.store.db
      .updateTable('sessions')
      .set({ presence: null })
      .where('presence', 'is not', null)
      .execute();
  }
}
