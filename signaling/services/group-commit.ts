/**
 * Group commit: callers submit items and wait for their own outcomes, while the items submitted
 * during one turn of the event loop (everything Socket.IO read off the wire in that turn) are
 * written together by one `flush` — one transaction, one multi-row insert — instead of one commit
 * each. A caller is answered only after the flushes that carried its items have finished, so an ack
 * still means "committed".
 *
 * One flush runs at a time: what arrives while it runs waits and goes in the next one, so batches
 * grow with the load and the store sees one writer. Between two flushes the event loop turns, so a
 * long queue does not keep everything else waiting.
 */

/** What `flush` says about one item: its value, or the error its caller gets. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** One `submitAll` call: its outcomes fill in as the flushes carrying its items finish. */
interface Waiter<R> {
  outcomes: Outcome<R>[];
  left: number;
  resolve: (outcomes: Outcome<R>[]) => void;
}

interface Pending<I, R> {
  item: I;
  waiter: Waiter<R>;
  /** Where this item's outcome goes in `waiter.outcomes`. */
  index: number;
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

  /** One item: resolves with its value, or rejects with its error. */
  submit(item: I): Promise<R> {
    return this.submitAll([item]).then(only<R>);
  }

  /**
   * Several items, in order, with one promise for all of them (a batch event of hundreds of items
   * costs no promise per item): resolves with one outcome per item, each as if submitted alone.
   */
  submitAll(items: readonly I[]): Promise<Outcome<R>[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<Outcome<R>[]>((resolve) => {
      const waiter: Waiter<R> = { outcomes: new Array(items.length), left: items.length, resolve };
      for (let index = 0; index < items.length; index++)
        this.#queue.push({ item: items[index] as I, waiter, index });
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
        } catch (error) {
          outcomes = batch.map(() => ({ ok: false, error }));
        }
        for (let i = 0; i < batch.length; i++) {
          const { waiter, index } = batch[i] as Pending<I, R>;
          waiter.outcomes[index] = outcomes[i] ?? {
            ok: false,
            error: new Error('group commit: flush returned no outcome for an item'),
          };
          if (--waiter.left === 0) waiter.resolve(waiter.outcomes);
        }
        // Let the event loop turn before the next flush. A flush on SQLite never waits for I/O,
        // so without this a long queue is written flush after flush in one turn, and nothing else
        // (not even the next events off the wire) runs until it is empty.
        if (this.#queue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#flushing = false;
    }
  }
}

/** The value of a one-item submission, or its error thrown. */
function only<R>(outcomes: Outcome<R>[]): R {
  const [outcome] = outcomes;
  if (!outcome) throw new Error('group commit: no outcome for an item');
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}
