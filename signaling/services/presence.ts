/**
 * Who is online, and how. A user is online while at least one of their sockets is connected; their
 * chosen status (online / away / busy) is kept while they are. Held in memory in a Map keyed by
 * user id (never a plain object keyed by client text).
 */
import type { PresenceStatus, SettableStatus } from '../../shared/limits.ts';

interface Entry {
  status: SettableStatus;
  sockets: Set<string>;
}

export class PresenceRegistry {
  readonly #entries = new Map<number, Entry>();

  /** Returns true when this socket brought the user online. */
  connect(userId: number, socketId: string): boolean {
    const entry = this.#entries.get(userId);
    if (entry) {
      entry.sockets.add(socketId);
      return false;
    }
    this.#entries.set(userId, { status: 'online', sockets: new Set([socketId]) });
    return true;
  }

  /** Returns true when this socket was the user's last, so they are now offline. */
  disconnect(userId: number, socketId: string): boolean {
    const entry = this.#entries.get(userId);
    if (!entry) return false;
    entry.sockets.delete(socketId);
    if (entry.sockets.size > 0) return false;
    this.#entries.delete(userId);
    return true;
  }

  /** Returns false when the user is not online here (nothing to set). */
  set(userId: number, status: SettableStatus): boolean {
    const entry = this.#entries.get(userId);
    if (!entry) return false;
    entry.status = status;
    return true;
  }

  status(userId: number): PresenceStatus {
    return this.#entries.get(userId)?.status ?? 'offline';
  }

  settable(userId: number): SettableStatus {
    return this.#entries.get(userId)?.status ?? 'online';
  }

  isOnline(userId: number): boolean {
    return this.#entries.has(userId);
  }

  onlineIds(): IterableIterator<number> {
    return this.#entries.keys();
  }

  get size(): number {
    return this.#entries.size;
  }
}
