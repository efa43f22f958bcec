/**
 * Batched reads: the keys asked for during one turn of the event loop are fetched together, one
 * `WHERE key IN (...)` query for all of them, instead of one query each. After a restart every
 * client reconnects at once and Socket.IO reads thousands of handshakes in a few turns; one query
 * per handshake was the largest part of the server's own time in that storm (BENCHMARKS.md, 8).
 *
 * The read twin of `GroupCommit`: each caller still gets its own answer, as if it had asked alone.
 * The same key asked twice in a turn is fetched once and both callers get the same value (treat it
 * as read-only). A fetch that fails rejects the callers of that batch, and only those, with an
 * error that says what failed; the next turn's batch is fetched afresh.
 */

interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (error: Error) => void;
}

/** The most keys one fetch is given by default: well under SQLite's and PostgreSQL's parameter caps. */
export const LOOKUP_BATCH_MAX = 512;

export class BatchedLookup<K, V> {
  #waiting = new Map<K, Waiter<V>[]>();
  #scheduled = false;

  /**
   * @param what names the lookup in the error its callers get when a fetch fails
   * @param fetch the values found for these keys (distinct, at most `maxBatch`); a key left out of
   *   the map is answered `undefined` (not found)
   */
  constructor(
    private readonly what: string,
    private readonly fetch: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxBatch = LOOKUP_BATCH_MAX,
  ) {}

  /** The value for `key`, or undefined when there is none. */
  get(key: K): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const waiters = this.#waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.#waiting.set(key, [{ resolve, reject }]);
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After this turn's I/O callbacks (every handshake read in the same turn), not a microtask:
        // microtasks run between two sockets' reads, so each batch would hold one key.
        setImmediate(() => this.#run());
      }
    });
  }

  /** Keys waiting for the next fetch (for tests). */
  get pending(): number {
    return this.#waiting.size;
  }

  #run(): void {
    this.#scheduled = false;
    const waiting = this.#waiting;
    this.#waiting = new Map();
    const keys = [...waiting.keys()];
    for (let i = 0; i < keys.length; i += this.maxBatch)
      void this.#fetchBatch(keys.slice(i, i + this.maxBatch), waiting);
  }

  async #fetchBatch(keys: K[], waiting: Map<K, Waiter<V>[]>): Promise<void> {
    let found: Map<K, V>;
    try {
      found = await this.fetch(keys);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const error = new Error(`${this.what} failed (a batch of ${keys.length}): ${reason}`, {
        cause: err,
      });
      for (const key of keys) for (const w of waiting.get(key) ?? []) w.reject(error);
      return;
    }
    for (const key of keys) {
      const value = found.get(key);
      for (const w of waiting.get(key) ?? []) w.resolve(value);
    }
  }
}
