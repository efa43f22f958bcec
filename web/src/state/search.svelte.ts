/**
 * The search view's state: the query, its results from the engine (History.search, newest first, a
 * page at a time), and which answer is current. Searches run as the user types, so an answer that
 * arrives after a newer query was asked (or the query changed while older matches were loading)
 * is dropped, and a short pause batches keystrokes.
 */
import type { ChatEngine, SearchCursor, SearchHit } from '../core/api.ts';
import { errorText } from './format.ts';

const PAUSE_MS = 120;

export class SearchState {
  query = $state('');
  hits = $state.raw<SearchHit[]>([]);
  /** Where older matches continue; null when there are no more. */
  more = $state.raw<SearchCursor | null>(null);
  /** Older matches are being loaded (the hits so far stay shown). */
  loadingMore = $state(false);
  status = $state<'idle' | 'searching' | 'ready' | 'error'>('idle');
  error = $state<string | null>(null);
  /** How long the last answer took, in ms (shown to nobody; the benchmark and tests read it). */
  tookMs = $state(0);

  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly engine: ChatEngine) {}

  setQuery(q: string): void {
    if (q === this.query && this.status !== 'idle') return;
    this.query = q;
    if (this.#timer) clearTimeout(this.#timer);
    const seq = ++this.#seq;
    this.loadingMore = false;
    if (!q.trim()) {
      this.hits = [];
      this.more = null;
      this.status = 'idle';
      return;
    }
    this.status = 'searching';
    this.#timer = setTimeout(() => void this.#run(q, seq), PAUSE_MS);
  }

  async #run(q: string, seq: number): Promise<void> {
    const started = performance.now();
    try {
      const result = await this.engine.searchHistory(q);
      if (seq !== this.#seq) return;
      this.hits = result.hits;
      this.more = result.more;
      this.error = null;
      this.status = 'ready';
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = errorText(e);
      this.status = 'error';
    } finally {
      if (seq === this.#seq) this.tookMs = performance.now() - started;
    }
  }

  /** The next page of older matches, appended. */
  async loadMore(): Promise<void> {
    const from = this.more;
    if (!from || this.loadingMore || this.status !== 'ready') return;
    const seq = this.#seq;
    this.loadingMore = true;
    try {
      const result = await this.engine.searchHistory(this.query, { olderThan: from });
      if (seq !== this.#seq) return;
      this.hits = [...this.hits, ...result.hits];
      this.more = result.more;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = errorText(e);
      this.status = 'error';
    } finally {
      if (seq === this.#seq) this.loadingMore = false;
    }
  }

  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#seq++;
    this.query = '';
    this.hits = [];
    this.more = null;
    this.loadingMore = false;
    this.status = 'idle';
    this.error = null;
  }
}
