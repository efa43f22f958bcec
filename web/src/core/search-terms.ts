/**
 * Terms for searching local history, shared by the index (History writes them on each message
 * row) and the query, so both sides cut text the same way.
 *
 * Chinese, Japanese and Korean text has no spaces between words, so a run of CJK characters is
 * indexed as its unigrams and bigrams (n-grams), not as words. `Intl.Segmenter` was the other
 * choice and was not taken: its dictionary is the browser's ICU, so the index written by one
 * Chromium and the query cut by another (or by Node in tests) can disagree, and it cuts a word in a
 * sentence differently from the same word typed alone ("天气" in "今天天气很好" may come out as
 * "今天"/"天气" or "今天天"/"气"), which loses matches. Bigrams match any substring of two or more
 * characters and unigrams a single character, with no dictionary, at the price of more index
 * entries per message (bounded below by MAX_TERMS).
 *
 * Other scripts are cut into words of letters, digits and marks, lowercased after NFKC (so full-
 * width "ＡＢＣ" finds "abc"). The last word of a query also matches as a prefix (search as you type).
 *
 * An index entry is `term + SEP + sentAt` (fixed-width base 36), one string in a multiEntry index:
 * IndexedDB cannot index an array of compound keys, and this way a reversed range over one term
 * yields the newest messages holding it first, so a common word costs a short range, not a scan.
 */

/** Between a term and its time in an index entry; below every character a term can hold. */
export const SEP = '\u0001';
/** A term longer than this is cut (a pasted hash or URL should not bloat the index). */
export const MAX_TERM_LENGTH = 32;
/** Index entries per message at most; a message this long is still found by its first terms. */
export const MAX_TERMS = 600;
/** 36^11 > 2^53: every millisecond timestamp fits, and fixed width keeps string order = time order. */
const TIME_WIDTH = 11;

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const WORD = /[\p{L}\p{N}\p{M}]/u;

/** A piece of text as search sees it: a run of CJK characters, or one word. */
export interface Run {
  kind: 'cjk' | 'word';
  text: string;
}

export function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** The runs of normalized text, in order; punctuation and spaces only separate them. */
export function runs(text: string): Run[] {
  const out: Run[] = [];
  let kind: Run['kind'] | null = null;
  let current = '';
  const flush = () => {
    if (kind && current) out.push({ kind, text: current.slice(0, kind === 'word' ? 256 : 4096) });
    kind = null;
    current = '';
  };
  for (const ch of normalize(text)) {
    const k: Run['kind'] | null = CJK.test(ch) ? 'cjk' : WORD.test(ch) ? 'word' : null;
    if (k !== kind) flush();
    kind = k;
    if (k) current += ch;
  }
  flush();
  return out;
}

/** The distinct terms of a message's text, as indexed (without times). */
export function indexTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const run of runs(text)) {
    if (terms.size >= MAX_TERMS) break;
    if (run.kind === 'word') {
      terms.add(run.text.slice(0, MAX_TERM_LENGTH));
      continue;
    }
    const chars = [...run.text];
    chars.forEach((ch, i) => {
      terms.add(ch);
      const next = chars[i + 1];
      if (next !== undefined) terms.add(ch + next);
    });
  }
  return [...terms].slice(0, MAX_TERMS);
}

/** A time as it is written in an index entry (fixed width, so string order is time order). */
export function entryTime(sentAt: number): string {
  return Math.max(0, Math.floor(sentAt)).toString(36).padStart(TIME_WIDTH, '0');
}

/** Index entries for a message: each term with the message's time. */
export function indexEntries(text: string, sentAt: number): string[] {
  const time = entryTime(sentAt);
  return indexTerms(text).map((term) => term + SEP + time);
}

/** The term of an index entry. */
export function entryTerm(entry: string): string {
  const at = entry.lastIndexOf(SEP);
  return at === -1 ? entry : entry.slice(0, at);
}

/** The time of an index entry (its message's `sentAt`, floored, at least 0). */
export function entrySentAt(entry: string): number {
  return parseInt(entry.slice(-TIME_WIDTH), 36);
}

/**
 * The entries of one whole term between two times (inclusive; omitted: unbounded), as [lower,
 * upper] for a key range. Entries of a term are in time order, so this is one contiguous range.
 */
export function termRange(term: string, from = -Infinity, to = Infinity): [string, string] {
  return [
    term + SEP + (from === -Infinity ? '' : entryTime(from)),
    term + SEP + (to === Infinity ? '\uffff' : entryTime(to)),
  ];
}

/** One lookup in the index: every entry of `term`, or (`prefix`) of every term starting with it. */
export interface Lookup {
  term: string;
  prefix: boolean;
}

/** What a query asks for: index lookups (all must hold) and the pieces a match must contain. */
export interface QueryPlan {
  lookups: Lookup[];
  /** Normalized runs of the query; a result holds each (a CJK run as a substring). */
  pieces: Run[];
  /** The whole query normalized with spaces collapsed, for the phrase bonus in the score. */
  phrase: string;
}

/** The plan for a query, or null when it has nothing to search for (only spaces/punctuation). */
export function planQuery(query: string): QueryPlan | null {
  const pieces = runs(query).slice(0, 16);
  if (pieces.length === 0) return null;
  const endsInWord = /[\p{L}\p{N}\p{M}]$/u.test(query.normalize('NFKC'));
  const lookups = new Map<string, Lookup>();
  pieces.forEach((piece, i) => {
    if (piece.kind === 'word') {
      const prefix = endsInWord && i === pieces.length - 1;
      const term = piece.text.slice(0, MAX_TERM_LENGTH);
      const seen = lookups.get(term);
      // An exact lookup of a term is stricter than a prefix one; keep the stricter.
      if (!seen || (seen.prefix && !prefix)) lookups.set(term, { term, prefix });
      return;
    }
    const chars = [...piece.text];
    if (chars.length === 1) lookups.set(piece.text, { term: piece.text, prefix: false });
    for (let j = 0; j + 1 < chars.length; j++) {
      const term = chars[j]! + chars[j + 1]!;
      lookups.set(term, { term, prefix: false });
    }
  });
  const phrase = normalize(query).replace(/\s+/g, ' ').trim();
  return { lookups: [...lookups.values()], pieces, phrase };
}

/**
 * Whether the index alone decides a match: every piece is a word (or the prefix typed) short
 * enough to be indexed whole, or a CJK run of one or two characters, so a message holding every
 * lookup's term holds every piece. A longer CJK run is looked up as its bigrams, which a message
 * may hold apart.
 */
export function indexDecides(plan: QueryPlan): boolean {
  return plan.pieces.every((piece) =>
    piece.kind === 'word' ? piece.text.length <= MAX_TERM_LENGTH : [...piece.text].length <= 2,
  );
}

/**
 * How well a text answers a plan: 0 when it does not (a piece missing), else higher for better.
 * A whole-word hit counts 2, a prefix-only hit (the last word, typed half-way) 1, a CJK piece 2;
 * the query as one phrase adds 4. The index only narrows; this decides.
 */
export function score(text: string, plan: QueryPlan): number {
  const textRuns = runs(text);
  const words = new Set(textRuns.filter((r) => r.kind === 'word').map((r) => r.text));
  const cjk = textRuns
    .filter((r) => r.kind === 'cjk')
    .map((r) => r.text)
    .join('\u0000');
  const last = plan.lookups.find((l) => l.prefix)?.term;
  let total = 0;
  for (const piece of plan.pieces) {
    if (piece.kind === 'cjk') {
      if (!cjk.includes(piece.text)) return 0;
      total += 2;
    } else if (words.has(piece.text)) {
      total += 2;
    } else if (piece.text === last && [...words].some((w) => w.startsWith(piece.text))) {
      total += 1;
    } else {
      return 0;
    }
  }
  if (plan.phrase && normalize(text).replace(/\s+/g, ' ').includes(plan.phrase)) total += 4;
  return total;
}

/** A text cut into plain and matching parts for showing a result (rendered as text, never HTML). */
export function highlight(text: string, plan: QueryPlan): { text: string; hit: boolean }[] {
  const lower = text.toLowerCase();
  // toLowerCase can change a string's length (rare: "İ"); then positions would not line up.
  if (lower.length !== text.length) return [{ text, hit: false }];
  const marks = new Array<boolean>(text.length).fill(false);
  for (const piece of plan.pieces) {
    const needle = piece.text;
    if (!needle) continue;
    for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + needle.length))
      marks.fill(true, at, at + needle.length);
  }
  const parts: { text: string; hit: boolean }[] = [];
  for (let i = 0; i < text.length;) {
    let j = i;
    while (j < text.length && marks[j] === marks[i]) j++;
    parts.push({ text: text.slice(i, j), hit: marks[i] === true });
    i = j;
  }
  return parts;
}
