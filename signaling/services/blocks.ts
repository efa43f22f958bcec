/**
 * The users this node knows to be blocked. The relay path checks it synchronously, just before it
 * hands a signal on, so a signal whose checks were in flight when the block landed is refused too.
 * Kept current by block events (signaling/block-feed.ts) and reconciled by the periodic sweep.
 */
export class BlockList {
  #ids = new Set<number>();
  #version = 0;

  has(userId: number): boolean {
    return this.#ids.has(userId);
  }

  set(userId: number, blocked: boolean): void {
    this.#version++;
    if (blocked) this.#ids.add(userId);
    else this.#ids.delete(userId);
  }

  /** Counts changes, so a sweep that read the store before an event does not undo the event. */
  get version(): number {
    return this.#version;
  }

  /** Replaces the list with a fresh read, unless it changed since `version` was taken. */
  replace(userIds: Iterable<number>, version: number): void {
    if (version !== this.#version) return;
    this.#ids = new Set(userIds);
  }

  get size(): number {
    return this.#ids.size;
  }
}
