/**
 * Group commit: callers submit one item each and wait for their own outcome, while the items
 * submitted during one turn of the event loop (everything Socket.IO read off the wire in that turn)
 * are written together by one `flush` — one transaction, one multi-row insert — instead of one
 * commit each. Each caller is answered only after the flush that carried its item has finished, so
 * an ack still means "committed".
 *
 * One flush runs at a time: what arrives while it runs waits and goes in the next one, so batches
 * grow with the load and the store sees one writer.
 */

/** What `flush` says about one item: its value, or the error its caller gets. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Pending<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<I, R> {
  #queue: Pending<I, R>[] = [];
  #scheduled = false;
  #flushing = false;

  /**
   * @param flush writes `items` and returns one outcome per item, in order; if it throws, every
   *   item of that flush fails with the error.
   * @param maxBatch the most items one flush takes; a longer queue is split.
   */
  constructor(
    private readonly flush: (items: I[]) => Promise<Outcome<R>[]>,
    private readonly maxBatch = 1_000,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#scheduled && !this.#flushing) {
        this.#scheduled = true;
        // After this turn's I/O callbacks: every event read in the same turn joins this flush.
        setImmediate(() => {
          this.#scheduled = false;
          void this.#drain();
        });
      }
    });
  }

  /** Items waiting or being written (for tests and shutdown). */
  get pending(): number {
    return this.#queue.length;
  }

  async #drain(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.maxBatch);
        let outcomes: Outcome<R>[];
        try {
          outcomes = await this.flush(batch.map((p) => p.item));
        } catch (err) {
          for (const p of batch) p.reject(err);
          continue;
        }
        batch.forEach((p, i) => {
          const outcome = outcomes[i];
          if (!outcome) p.reject(new Error('group commit: flush returned no outcome for an item'));
          else if (outcome.ok) p.resolve(outcome.value);
          else p.reject(outcome.error);
        });
      }
    } finally {
      this.#flushing = false;
    }
  }
}
