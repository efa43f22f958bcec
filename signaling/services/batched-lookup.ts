/**
 * Batched reads: the keys asked for during one turn of the event loop are fetched together, one
 * `WHERE key IN (...)` query for a batch of them, instead of one query each. After a restart every
 * client reconnects at once and Socket.IO reads thousands of handshakes in a few turns; one query
 * per handshake was the largest part of the server's own time in that storm (BENCHMARKS.md, 8): on
 * SQLite a statement costs about 30 µs of fixed overhead (a read transaction, its locks) and a key
 * in an IN list about 5 µs.
 *
 * A batch is fetched as soon as it is full, and what is left at the end of the turn then. A full
 * batch does not wait: one turn of the event loop can read thousands of handshakes, and a handshake
 * held to the end of it waits for all of them (under load, long enough for clients to time out).
 *
 * The read twin of `GroupCommit`: each caller still gets its own answer, as if it had asked alone.
 * The same key asked twice in a batch is fetched once and both callers get the same value (treat it
 * as read-only). A fetch that fails rejects the callers of that batch, and only those, with an
 * error that says what failed; the next batch is fetched afresh.
 */

interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (error: Error) => void;
}

/**
 * The keys of one fetch by default. Past a few dozen the fixed cost of a statement is spread thin
 * (on SQLite, 64 keys cost about as much each as 512 did), and a smaller batch goes sooner.
 */
export const LOOKUP_BATCH_MAX = 64;

export class BatchedLookup<K, V> {
  #waiting = new Map<K, Waiter<V>[]>();
  #scheduled = false;

  /**
   * @param what names the lookup in the error its callers get when a fetch fails
   * @param fetch the values found for these keys (distinct, at most `maxBatch`); a key left out of
   *   the map is answered `undefined` (not found)
   * @param maxBatch the keys of a full batch, fetched at once
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
      if (waiters) {
        waiters.push({ resolve, reject });
        return;
      }
      this.#waiting.set(key, [{ resolve, reject }]);
      if (this.#waiting.size >= this.maxBatch) this.#fetchWaiting();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        // After this turn's I/O callbacks (every handshake read in the same turn), not a microtask:
        // microtasks run between two sockets' reads, so each batch would hold one key.
        setImmediate(() => {
          this.#scheduled = false;
          if (this.#waiting.size > 0) this.#fetchWaiting();
        });
      }
    });
  }

  /** Keys waiting for the next fetch (for tests). */
  get pending(): number {
    return this.#waiting.size;
  }

  #fetchWaiting(): void {
    const waiting = this.#waiting;
    this.#waiting = new Map();
    void this.#fetchBatch([...waiting.keys()], waiting);
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
