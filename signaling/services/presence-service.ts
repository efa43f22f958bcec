/**
 * Presence as a rule: who is told when someone's status changes (friends and members of a shared
 * group), and what "online" means when sockets come and go.
 */
import type { PresenceStatus, SettableStatus } from '../../shared/limits.ts';
import type { ServiceDeps } from './deps.ts';
import { Relations } from './relations.ts';

export class PresenceService {
  readonly #relations;

  constructor(private readonly deps: ServiceDeps) {
    this.#relations = new Relations(deps);
  }

  async announce(userId: number, username: string, status: PresenceStatus): Promise<void> {
    const audience = await this.#relations.audience(userId);
    this.deps.notifier.toUsers(
      audience.filter((id) => this.deps.presence.isOnline(id)),
      'presence:changed',
      { username, status },
    );
  }

  async connected(userId: number, username: string, socketId: string): Promise<void> {
    if (this.deps.presence.connect(userId, socketId))
      await this.announce(userId, username, 'online');
  }

  async disconnected(userId: number, username: string, socketId: string): Promise<void> {
    if (this.deps.presence.disconnect(userId, socketId))
      await this.announce(userId, username, 'offline');
  }

  async set(
    userId: number,
    username: string,
    status: SettableStatus,
  ): Promise<{ status: SettableStatus }> {
    if (this.deps.presence.set(userId, status)) await this.announce(userId, username, status);
    return { status };
  }
}
