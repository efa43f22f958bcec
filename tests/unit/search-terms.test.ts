/**
 * web/src/core/search-terms.ts: how text is cut for the search index and for a query (CJK as
 * unigrams + bigrams, other scripts as words), scoring, and highlighting.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_TERMS,
  SEP,
  highlight,
  indexEntries,
  indexTerms,
  planQuery,
  score,
} from '../../web/src/core/search-terms.ts';

const plan = (q: string) => {
  const p = planQuery(q);
  if (!p) throw new Error(`no plan for ${q}`);
  return p;
};

describe('index terms', () => {
  it('cuts Chinese into unigrams and bigrams, with no spaces needed', () => {
    expect(indexTerms('今天天气')).toEqual(['今', '今天', '天', '天天', '天气', '气']);
  });

  it('cuts English into lowercased words, punctuation only separating', () => {
    expect(indexTerms("Hello, WORLD! it's 2026")).toEqual(['hello', 'world', 'it', 's', '2026']);
  });

  it('cuts mixed text at the script boundary (no space between 用 and Vite)', () => {
    expect(indexTerms('我们用Vite打包')).toEqual([
      '我',
      '我们',
      '们',
      '们用',
      '用',
      'vite',
      '打',
      '打包',
      '包',
    ]);
  });

  it('folds full-width letters and case (NFKC) so ＡＢＣ finds abc', () => {
    expect(indexTerms('ＡＢＣ１２')).toEqual(['abc12']);
  });

  it('caps a long word and the number of terms per message', () => {
    expect(indexTerms('x'.repeat(100))).toEqual(['x'.repeat(32)]);
    const many = Array.from({ length: 2_000 }, (_, i) => `w${i}`).join(' ');
    expect(indexTerms(many)).toHaveLength(MAX_TERMS);
  });

  it('puts the time after each term in fixed width, so entries of one term sort by time', () => {
    const early = indexEntries('hi', 5);
    const late = indexEntries('hi', 1_800_000_000_000);
    expect(early[0]?.startsWith(`hi${SEP}`)).toBe(true);
    expect(early[0]!.length).toBe(late[0]!.length);
    expect(early[0]! < late[0]!).toBe(true);
  });
});

describe('query plans', () => {
  it('looks a Chinese word up by its bigrams, a single character by itself', () => {
    expect(plan('天气').lookups).toEqual([{ term: '天气', prefix: false }]);
    expect(plan('天气预报').lookups.map((l) => l.term)).toEqual(['天气', '气预', '预报']);
    expect(plan('天').lookups).toEqual([{ term: '天', prefix: false }]);
  });

  it('matches the last English word as a prefix while typing, not after a space', () => {
    expect(plan('meet tomo').lookups).toEqual([
      { term: 'meet', prefix: false },
      { term: 'tomo', prefix: true },
    ]);
    expect(plan('meet tomo ').lookups.every((l) => !l.prefix)).toBe(true);
  });

  it('has nothing to look up for spaces and punctuation', () => {
    expect(planQuery('  ,.!? ')).toBeNull();
    expect(planQuery('')).toBeNull();
  });
});

describe('scoring', () => {
  it('finds a Chinese word inside a sentence', () => {
    expect(score('明天我们去公园散步吧', plan('公园'))).toBeGreaterThan(0);
  });

  it('refuses a text holding the bigrams of a query but not the query itself', () => {
    // 天气 and 气好 are both here, 天气好 is not.
    expect(score('天气不错，心情气好', plan('天气好'))).toBe(0);
    expect(score('今天天气好', plan('天气好'))).toBeGreaterThan(0);
  });

  it('does not match across a punctuation break in Chinese', () => {
    expect(score('今天，天气', plan('天天'))).toBe(0);
  });

  it('needs every word, and whole words except the last one typed', () => {
    expect(score('see you tomorrow', plan('see tomo'))).toBeGreaterThan(0);
    expect(score('see you tomorrow', plan('se tomorrow'))).toBe(0);
    expect(score('see you', plan('see tomorrow'))).toBe(0);
  });

  it('works for mixed queries', () => {
    expect(score('我们用Vite打包吧', plan('vite 打包'))).toBeGreaterThan(0);
    expect(score('我们用Rollup打包吧', plan('vite 打包'))).toBe(0);
  });
});

describe('score as a measure', () => {
  it('counts whole words above a prefix and the query as a phrase above scattered words', () => {
    const q = plan('lunch to');
    // "lunch to" as a phrase: in "lunch to-gether" and "lunch to-morrow", with "to" as a prefix.
    const phrase = score('shall we do lunch together', q);
    expect(phrase).toBe(score('lunch tomorrow?', q));
    expect(phrase).toBeGreaterThan(score('to the lunch place', q));
    expect(score('to the lunch place', q)).toBeGreaterThan(
      score('lunch together', plan('lunch to ')),
    );
  });
});

describe('highlight', () => {
  it('marks each match in the original text, case kept', () => {
    expect(highlight('Lunch at 公园, lunch!', plan('lunch 公园'))).toEqual([
      { text: 'Lunch', hit: true },
      { text: ' at ', hit: false },
      { text: '公园', hit: true },
      { text: ', ', hit: false },
      { text: 'lunch', hit: true },
      { text: '!', hit: false },
    ]);
  });
});
