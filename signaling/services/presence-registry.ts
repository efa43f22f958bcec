/**
 * Who is online, and how. A user is online while at least one of their sockets is connected, on this
 * node or another; their chosen status (online / away / busy) is kept while they are.
 *
 * Local entries are this node's sockets. Remote entries are what other nodes told us through the
 * cluster (signaling/cluster.ts); on a single node there are none. Reads stay synchronous and
 * in-memory because the relay asks "is B online?" for every signal it carries.
 */
import type { PresenceStatus, SettableStatus } from '../../shared/limits.ts';

interface Entry {
  status: SettableStatus;
  /** Almost always one socket; a small array costs a fraction of a Set, per connected user. */
  sockets: string[];
}

/** A change in this node's own view of a user, for the cluster to pass on (null: gone from this node). */
export type LocalChange = { userId: number; status: SettableStatus | null };

export class PresenceRegistry {
  readonly #local = new Map<number, Entry>();
  /** userId -> nodeId -> status. */
  readonly #remote = new Map<number, Map<string, SettableStatus>>();
  #listener: ((change: LocalChange) => void) | null = null;

  /** The cluster listens here to publish this node's changes. */
  onLocalChange(listener: (change: LocalChange) => void): void {
    this.#listener = listener;
  }

  /** Returns true when this socket brought the user online (anywhere). */
  connect(userId: number, socketId: string): boolean {
    const entry = this.#local.get(userId);
    if (entry) {
      if (!entry.sockets.includes(socketId)) entry.sockets.push(socketId);
      return false;
    }
    const wasOnline = this.#remote.has(userId);
    const status = this.#remote.get(userId)?.values().next().value ?? 'online';
    this.#local.set(userId, { status, sockets: [socketId] });
    this.#listener?.({ userId, status });
    return !wasOnline;
  }

  /** Returns true when this socket was the user's last anywhere, so they are now offline. */
  disconnect(userId: number, socketId: string): boolean {
    const entry = this.#local.get(userId);
    const at = entry ? entry.sockets.indexOf(socketId) : -1;
    if (!entry || at < 0) return false;
    entry.sockets.splice(at, 1);
    if (entry.sockets.length > 0) return false;
    this.#local.delete(userId);
    this.#listener?.({ userId, status: null });
    return !this.#remote.has(userId);
  }

  /** Returns false when the user has no socket on this node (nothing to set). */
  set(userId: number, status: SettableStatus): boolean {
    const entry = this.#local.get(userId);
    if (!entry) return false;
    entry.status = status;
    this.#listener?.({ userId, status });
    return true;
  }

  /**
   * Another node's view of a user changed. Returns 'online' or 'offline' when that changed whether
   * the user is online at all (the other node announces it; this is for bookkeeping and tests).
   */
  applyRemote(
    nodeId: string,
    userId: number,
    status: SettableStatus | null,
  ): 'online' | 'offline' | null {
    const before = this.isOnline(userId);
    let nodes = this.#remote.get(userId);
    if (status === null) {
      nodes?.delete(nodeId);
      if (nodes?.size === 0) this.#remote.delete(userId);
    } else {
      if (!nodes) this.#remote.set(userId, (nodes = new Map()));
      nodes.set(nodeId, status);
    }
    const after = this.isOnline(userId);
    return before === after ? null : after ? 'online' : 'offline';
  }

  /** A node went away: forget its users. Returns those who are now offline everywhere. */
  dropNode(nodeId: string): number[] {
    const gone: number[] = [];
    for (const [userId, nodes] of this.#remote) {
      if (!nodes.delete(nodeId)) continue;
      if (nodes.size === 0) {
        this.#remote.delete(userId);
        if (!this.#local.has(userId)) gone.push(userId);
      }
    }
    return gone;
  }

  status(userId: number): PresenceStatus {
    return (
      this.#local.get(userId)?.status ??
      this.#remote.get(userId)?.values().next().value ??
      'offline'
    );
  }

  settable(userId: number): SettableStatus {
    const status = this.status(userId);
    return status === 'offline' ? 'online' : status;
  }

  isOnline(userId: number): boolean {
    return this.#local.has(userId) || this.#remote.has(userId);
  }

  /** Users online anywhere. */
  *onlineIds(): IterableIterator<number> {
    yield* this.#local.keys();
    for (const id of this.#remote.keys()) if (!this.#local.has(id)) yield id;
  }

  /** This node's own users and statuses (what it tells a node that joins). */
  localEntries(): [number, SettableStatus][] {
    return [...this.#local].map(([id, e]) => [id, e.status]);
  }

  isLocal(userId: number): boolean {
    return this.#local.has(userId);
  }

  /** Users online anywhere. */
  get size(): number {
    let n = this.#local.size;
    for (const id of this.#remote.keys()) if (!this.#local.has(id)) n++;
    return n;
  }
}
