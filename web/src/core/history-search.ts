/**
 * How a search of local history is answered from the index on the message rows (History owns the
 * rows, search-terms.ts the terms and the entry format `term + SEP + time`).
 *
 * Results are the newest matches first, a page at a time; `more` continues older. The walk goes
 * back in time from the newest message, led by the query's sparsest lookup (the "driver"): its
 * index entries in a time window are the candidates, every other lookup's entries in the same
 * window (one contiguous range per term, since a term's entries are in time order) remove the
 * candidates that lack it, and only then are rows read, newest first, until the page is full.
 *
 * Why this shape, measured in Chromium (bench/suites/search.ts): an index key costs ~5 µs through
 * `getAllKeys` and ~15 µs through a key cursor, a row ~50 µs (it carries its index entries), and
 * `count()` walks its range at ~5-8 µs per entry, so counting a common term costs more than
 * reading the keys a page needs. Sparseness is therefore judged from a short sample of each
 * lookup's newest entries (the lookup whose sample reaches furthest back is the sparsest), never
 * from a count; a lookup far denser than the driver is not read at all but left to the row check
 * (it would remove few candidates); and rows are read for the page only. Every read is bounded per
 * search (KEY_BUDGET, ROW_BUDGET, TIME_BUDGET_MS); a search that runs out says where it stopped, so
 * `more` continues there instead of a query answering late or from an arbitrary subset.
 */
import type { Dexie, Table } from 'dexie';
import {
  indexDecides,
  entrySentAt,
  entryTerm,
  score,
  SEP,
  termRange,
  type Lookup,
  type QueryPlan,
} from './search-terms.ts';

/** Where a search stopped: pass it back as `olderThan` for the next page (older matches). */
export interface SearchCursor {
  sentAt: number;
  key: string;
}

/** What the walk needs of a row. */
export interface SearchRow {
  from: string;
  id: string;
  text: string;
}

type Key = [string, string];

/** One index entry: its time, its message's primary key and that key as one string. */
interface Posting {
  t: number;
  key: string;
  pk: Key;
}

/** The walk's position: everything before it (newer, or as new with a greater key) is done. */
interface Position {
  t: number;
  key: string;
}

/** Postings of one lookup in walk order, complete up to `bound` (null: to the oldest). */
interface Window {
  postings: Posting[];
  bound: Position | null;
}

/** Entries sampled per lookup to judge how sparse it is. */
const SAMPLE = 128;
/** The driver's window grows by this much per round, up to MAX_WINDOW entries. */
const GROWTH = 4;
const MAX_WINDOW = 512;
/** Index keys read per search at most (about 30 ms in Chromium on a quiet core). */
export const KEY_BUDGET = 6_000;
/** Rows read per search at most. */
export const ROW_BUDGET = 200;
/**
 * Time a search may take before it answers with what it found (and `more`), checked between
 * reads: on a loaded machine the budgets above take several times as long, and an answer that
 * comes as the user types is worth more than a full page that comes late.
 */
export const TIME_BUDGET_MS = 80;
/** Words a prefix (the last word, typed half-way) stands for at most; alphabetical, exact first. */
export const MAX_PREFIX_TERMS = 16;
/** Entries of one term in one millisecond read at most (see #newest). */
const MAX_TIE = 2_000;
/** A lookup this much denser than the driver in its window is left to the row check. */
const DENSE = 8;

/** A message's primary key [from, id] as one string; string order is IndexedDB's key order. */
export const messageKey = (from: string, id: string): string => `${from}\u0000${id}`;

/** Newest first; at the same time, the greater key first (a reversed index range's order). */
const newestFirst = (a: Posting, b: Posting) =>
  b.t - a.t || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);

/** Whether a posting comes after a position in the walk. */
const beyond = (p: Position, at: Position) => p.t < at.t || (p.t === at.t && p.key < at.key);

/** A cursor from a caller, checked: anything malformed means "from the newest". */
function startAt(cursor: SearchCursor | undefined): Position {
  if (
    cursor &&
    typeof cursor.sentAt === 'number' &&
    Number.isFinite(cursor.sentAt) &&
    typeof cursor.key === 'string'
  )
    return { t: cursor.sentAt, key: cursor.key };
  return { t: Infinity, key: '' };
}

export interface WalkResult<R> {
  hits: { row: R; score: number }[];
  more: SearchCursor | null;
}

/**
 * The newest `limit` rows matching `plan` older than `olderThan`, newest first, each with its
 * score (> 0; `score` decides, the index only narrows). Runs in one read transaction.
 */
export function walk<R extends SearchRow>(
  db: Dexie,
  table: Table<R, Key>,
  plan: QueryPlan,
  options: { limit: number; olderThan?: SearchCursor; budgetMs?: number },
): Promise<WalkResult<R>> {
  const start = startAt(options.olderThan);
  const budgetMs = options.budgetMs ?? TIME_BUDGET_MS;
  return db.transaction('r', table, () =>
    new Walk(table, plan, options.limit, budgetMs, start).run(),
  );
}

class Walk<R extends SearchRow> {
  #keys = 0;
  #rows = 0;
  readonly #started = performance.now();
  /** Whether a row holding every lookup's term surely matches (no row needs a second look). */
  readonly #exact: boolean;
  readonly #hits: { row: R; score: number }[] = [];

  constructor(
    private readonly table: Table<R, Key>,
    private readonly plan: QueryPlan,
    private readonly limit: number,
    private readonly budgetMs: number,
    private at: Position,
  ) {
    this.#exact = indexDecides(plan);
    this.#start = at;
  }

  readonly #start: Position;

  /** Out of budget; never before the walk has moved, so every `more` gets further. */
  #spent(): boolean {
    if (this.at === this.#start) return false;
    return (
      this.#keys >= KEY_BUDGET ||
      this.#rows >= ROW_BUDGET ||
      performance.now() - this.#started >= this.budgetMs
    );
  }

  async run(): Promise<WalkResult<R>> {
    // Each lookup as the whole terms it stands for (a prefix: the words starting with it).
    const groups = await Promise.all(this.plan.lookups.map((l) => this.#terms(l)));
    if (groups.some((g) => g.length === 0)) return { hits: [], more: null };

    // Round 1: a sample of every lookup's newest entries; the one reaching furthest back leads.
    const samples = await Promise.all(groups.map((g) => this.#newest(g, SAMPLE)));
    const reach = (w: Window) => w.bound?.t ?? -Infinity;
    let lead = 0;
    samples.forEach((w, i) => {
      const best = samples[lead]!;
      if (
        reach(w) < reach(best) ||
        (reach(w) === reach(best) && w.postings.length < best.postings.length)
      )
        lead = i;
    });
    const driver = groups[lead]!;
    const others = groups.filter((_, i) => i !== lead);
    const otherSamples = samples.filter((_, i) => i !== lead);
    let window = samples[lead]!;
    let size = SAMPLE;
    for (let round = 0; ; round++) {
      const sets = await Promise.all(
        others.map((g, i) =>
          this.#within(g, window.postings, round === 0 ? otherSamples[i] : undefined),
        ),
      );
      const candidates = window.postings.filter((p) =>
        sets.every((s) => s === null || s.has(p.key)),
      );
      const stop = await this.#check(candidates);
      if (stop === 'full')
        return this.#result(window.bound !== null || candidates.some((p) => beyond(p, this.at)));
      if (stop === 'budget') return this.#result(true);
      if (window.bound === null) return this.#result(false);
      // Every posting of the driver up to its bound was looked at, candidate or not.
      this.at = window.bound;
      if (this.#spent()) return this.#result(true);
      size = Math.min(size * GROWTH, MAX_WINDOW, KEY_BUDGET - this.#keys);
      window = await this.#newest(driver, size);
    }
  }

  #result(more: boolean): WalkResult<R> {
    return { hits: this.#hits, more: more ? { sentAt: this.at.t, key: this.at.key } : null };
  }

  /** The whole terms of a lookup: itself, or (a prefix) the first words of the index under it. */
  async #terms(lookup: Lookup): Promise<string[]> {
    if (!lookup.prefix) return [lookup.term];
    const terms: string[] = [];
    let from = lookup.term;
    // One read per word: each jumps past every entry of the word before.
    while (terms.length < MAX_PREFIX_TERMS) {
      const [entry] = await this.table
        .where('terms')
        .between(from, lookup.term + '\uffff', true, true)
        .limit(1)
        .keys();
      if (typeof entry !== 'string') break;
      const term = entryTerm(entry);
      terms.push(term);
      from = term + SEP + '\uffff';
    }
    this.#keys += terms.length;
    return terms;
  }

  /**
   * The newest `n` entries of each of a lookup's terms beyond the walk's position, merged newest
   * first, up to its bound: the position up to which they are all of the lookup's entries (a term
   * that filled its `n` may have more past it; null: all there are).
   */
  async #newest(terms: string[], n: number): Promise<Window> {
    const lists = await Promise.all(
      terms.map(async (term): Promise<{ postings: Posting[]; bound: Position | null }> => {
        const at = this.at;
        const out: Posting[] = [];
        // A key range bounds times, not keys: the rest of the millisecond the walk stopped in is
        // read whole (keys only), then older entries. More than MAX_TIE of one term in one
        // millisecond (only forged times do that) are cut there, so the walk still moves on.
        if (Number.isFinite(at.t)) {
          const [lower, upper] = termRange(term, at.t, at.t);
          const pks = await this.table
            .where('terms')
            .between(lower, upper, true, true)
            .reverse()
            .limit(MAX_TIE)
            .primaryKeys();
          this.#keys += pks.length;
          for (const pk of pks) {
            const key = messageKey(pk[0], pk[1]);
            if (key < at.key) out.push({ t: at.t, key, pk });
          }
          if (pks.length === MAX_TIE) return { postings: out, bound: { t: at.t, key: '' } };
        }
        const [lower, upper] = termRange(term, -Infinity, at.t);
        const older: Posting[] = [];
        await this.table
          .where('terms')
          .between(lower, upper, true, !Number.isFinite(at.t))
          .reverse()
          .limit(n)
          .eachKey((entry, cursor) => {
            const pk = cursor.primaryKey as Key;
            older.push({ t: entrySentAt(entry as string), key: messageKey(pk[0], pk[1]), pk });
          });
        this.#keys += older.length;
        // A reversed range is in walk order (time, then key): a full one is complete up to its
        // last posting.
        return { postings: [...out, ...older], bound: older.length === n ? older.at(-1)! : null };
      }),
    );
    // The union of the terms (a prefix) is complete up to the newest of their bounds.
    let bound: Position | null = null;
    for (const list of lists) {
      const b = list.bound;
      if (b && (bound === null || beyond(bound, b))) bound = b;
    }
    const seen = new Set<string>();
    const postings = lists
      .flatMap((l) => l.postings)
      .filter((p) => bound === null || !beyond(p, bound))
      .sort(newestFirst)
      .filter((p) => !seen.has(p.key) && seen.add(p.key));
    return { postings, bound: bound && { t: bound.t, key: bound.key } };
  }

  /**
   * The messages of a lookup within the candidates' span of time, or null when it is left to the
   * row check: it is far denser than the candidates (so it would remove few of them), or its range
   * is beyond what is left of the budget. A first-round sample of it already covers its newest part.
   */
  async #within(
    terms: string[],
    candidates: Posting[],
    sample?: Window,
  ): Promise<Set<string> | null> {
    if (candidates.length === 0) return new Set();
    const set = new Set(sample?.postings.map((p) => p.key));
    // Only the candidates' span matters; a sample already covers its lookup above its floor.
    const lo = candidates.at(-1)!.t;
    if (sample && sample.bound === null) return set;
    const hi = sample?.bound ? sample.bound.t : candidates[0]!.t;
    if (hi < lo) return set;
    // Its density where it was sampled predicts how many entries the rest of the span holds.
    if (sample && sample.postings.length > 0) {
      const span = Math.max(1, sample.postings[0]!.t - hi);
      const expected = (sample.postings.length * (hi - lo)) / span;
      if (expected > DENSE * candidates.length + SAMPLE) return null;
    }
    const cap = Math.min(DENSE * candidates.length + SAMPLE * 4, KEY_BUDGET - this.#keys);
    if (cap <= 0) return null;
    const lists = await Promise.all(
      terms.map((term) => {
        const [lower, upper] = termRange(term, lo, hi);
        return this.table
          .where('terms')
          .between(lower, upper, true, true)
          .reverse()
          .limit(cap)
          .primaryKeys();
      }),
    );
    for (const list of lists) {
      this.#keys += list.length;
      if (list.length >= cap) return null;
      for (const pk of list) set.add(messageKey(pk[0], pk[1]));
    }
    return set;
  }

  /**
   * Reads the candidates' rows newest first, a few more than the page still needs at a time, and
   * keeps those that match, moving the position past each row looked at: 'full' once the page is,
   * 'budget' when the rows allowed ran out first, 'spent' when the candidates did.
   */
  async #check(candidates: Posting[]): Promise<'full' | 'budget' | 'spent'> {
    for (let i = 0; i < candidates.length;) {
      if (this.#spent()) return 'budget';
      // When the index decides, every candidate is a hit: no spare rows.
      const need = this.limit - this.#hits.length;
      const chunk = candidates.slice(i, i + (this.#exact ? need : need + Math.ceil(need / 4) + 2));
      i += chunk.length;
      const rows = await this.table.bulkGet(chunk.map((p) => p.pk));
      this.#rows += chunk.length;
      for (let j = 0; j < chunk.length; j++) {
        const row = rows[j];
        const p = chunk[j]!;
        this.at = { t: p.t, key: p.key };
        if (!row) continue;
        const s = score(row.text, this.plan);
        if (s > 0) this.#hits.push({ row, score: s });
        if (this.#hits.length >= this.limit) return 'full';
      }
    }
    return 'spent';
  }
}
