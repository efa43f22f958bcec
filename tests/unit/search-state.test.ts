/**
 * The search view's state against a stub engine: a query's first page, then "Show older matches"
 * asks for the next page from where the first stopped and appends it; an older page that arrives
 * after the query changed is dropped, and the new query's answer stands.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ChatEngine, SearchCursor, SearchHit, SearchResult } from '../../web/src/core/api.ts';
import { SearchState } from '../../web/src/state/search.svelte.ts';

const hit = (id: string): SearchHit => ({
  message: { id, conversation: 'u:bob', from: 'bob', text: `text ${id}`, sentAt: 1 },
  title: 'bob',
  score: 2,
});

function stubEngine() {
  const asked: { query: string; olderThan?: SearchCursor }[] = [];
  const answers: ((r: SearchResult) => void)[] = [];
  const engine = {
    searchHistory: (query: string, options?: { olderThan?: SearchCursor }) => {
      asked.push({ query, ...(options?.olderThan ? { olderThan: options.olderThan } : {}) });
      return new Promise<SearchResult>((resolve) => answers.push(resolve));
    },
  } as unknown as ChatEngine;
  return { engine, asked, answers };
}

describe('SearchState', () => {
  it('appends older pages from the cursor, and drops one that arrives after a new query', async () => {
    vi.useFakeTimers();
    try {
      const { engine, asked, answers } = stubEngine();
      const s = new SearchState(engine);
      s.setQuery('lunch');
      await vi.runAllTimersAsync();
      const cursor = { sentAt: 5, key: 'bob\u0000m2' };
      answers[0]!({ hits: [hit('m1'), hit('m2')], more: cursor });
      await vi.runAllTimersAsync();
      expect(s.hits.map((h) => h.message.id)).toEqual(['m1', 'm2']);
      expect(s.more).toEqual(cursor);

      const loading = s.loadMore();
      expect(s.loadingMore).toBe(true);
      // A second press while it loads asks nothing more.
      void s.loadMore();
      expect(asked).toEqual([{ query: 'lunch' }, { query: 'lunch', olderThan: cursor }]);
      answers[1]!({ hits: [hit('m3')], more: null });
      await loading;
      expect(s.hits.map((h) => h.message.id)).toEqual(['m1', 'm2', 'm3']);
      expect(s.more).toBeNull();
      expect(s.loadingMore).toBe(false);

      // Older matches for the old query arrive after the query changed: dropped.
      s.more = cursor;
      const stale = s.loadMore();
      s.setQuery('dinner');
      answers[2]!({ hits: [hit('old')], more: cursor });
      await stale;
      await vi.runAllTimersAsync();
      answers[3]!({ hits: [hit('d1')], more: null });
      await vi.runAllTimersAsync();
      expect(asked[3]).toEqual({ query: 'dinner' });
      expect(s.hits.map((h) => h.message.id)).toEqual(['d1']);
      expect(s.loadingMore).toBe(false);
      expect(s.more).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
