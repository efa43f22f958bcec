/**
 * The search view's state: the query, its results from the engine (History.search), and which
 * answer is current. Searches run as the user types, so an answer that arrives after a newer query
 * was asked is dropped, and a short pause batches keystrokes.
 */
import type { ChatEngine, SearchHit } from '../core/api.ts';
import { errorText } from './format.ts';

const PAUSE_MS = 120;

export class SearchState {
  query = $state('');
  hits = $state.raw<SearchHit[]>([]);
  truncated = $state(false);
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
    if (!q.trim()) {
      this.hits = [];
      this.truncated = false;
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
      this.truncated = result.truncated;
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

  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#seq++;
    this.query = '';
    this.hits = [];
    this.truncated = false;
    this.status = 'idle';
    this.error = null;
  }
}
