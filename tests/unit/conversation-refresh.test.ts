/**
 * ConversationView.refresh, what a reconnect does to the open chat (issue 12: it "jumps to the
 * top"): what arrived meanwhile is added after the last message shown, and nothing the reader
 * loaded is thrown away or replaced. The engine is a stub over an in-memory history.
 */
import { describe, expect, it } from 'vitest';
import type { ChatEngine, ChatMessage } from '../../web/src/core/api.ts';
import { ConversationView, PAGE_SIZE } from '../../web/src/state/conversation.svelte.ts';

const msg = (n: number): ChatMessage => ({
  id: `m${String(n).padStart(4, '0')}`,
  conversation: 'u:bob',
  from: 'bob',
  text: `line ${n}`,
  sentAt: 1_000 + n,
});

function stub(count: number) {
  const all = Array.from({ length: count }, (_, i) => msg(i + 1));
  const calls: string[] = [];
  let failAfter = false;
  const engine = {
    history: async (_id: string, o: { before?: number; limit?: number } = {}) => {
      calls.push('history');
      const older = all.filter((m) => m.sentAt < (o.before ?? Infinity));
      return older.slice(-(o.limit ?? 50));
    },
    historyAfter: async (_id: string, after: number, limit = 50) => {
      calls.push('historyAfter');
      if (failAfter) throw new Error('the database is closed');
      return all.filter((m) => m.sentAt > after).slice(0, limit);
    },
    historyAround: async (_id: string, at: { sentAt: number }, limit = 25) => {
      calls.push('historyAround');
      const i = all.findIndex((m) => m.sentAt === at.sentAt);
      const messages = all.slice(Math.max(0, i - limit), i + limit + 1);
      return {
        messages,
        reachedStart: i - limit <= 0,
        reachedEnd: i + limit + 1 >= all.length,
      };
    },
    markRead: async () => undefined,
    typingIn: () => [],
  } as unknown as ChatEngine;
  return {
    engine,
    all,
    calls,
    failNext: () => {
      failAfter = true;
    },
  };
}

const ids = (view: ConversationView) => view.messages.map((m) => m.id);

describe('a reconnect refreshes the open conversation in place', () => {
  it('adds what arrived after the last message, keeping the older pages the reader loaded', async () => {
    const { engine, all, calls } = stub(120);
    const view = new ConversationView(engine, 'u:bob');
    await view.load();
    await view.loadOlder();
    expect(view.messages).toHaveLength(100);
    all.push(msg(121), msg(122));

    calls.length = 0;
    await view.refresh();
    expect(calls).toEqual(['historyAfter']);
    expect(view.messages).toHaveLength(102);
    expect(view.messages[0]?.id).toBe(msg(21).id);
    expect(view.messages.at(-1)?.id).toBe(msg(122).id);
    expect(view.reachedEnd).toBe(true);
  });

  it('keeps a window opened in context as it is, pages loaded since included', async () => {
    const { engine, all, calls } = stub(300);
    const view = new ConversationView(engine, 'u:bob');
    await view.openAt(all[100]!);
    await view.loadNewer();
    const shown = ids(view);
    expect(view.reachedEnd).toBe(false);

    calls.length = 0;
    await view.refresh();
    // Not opened again around the search result (which dropped the newer pages and moved the reader).
    expect(calls).toEqual([]);
    expect(ids(view)).toEqual(shown);
    expect(view.focusId).toBe(all[100]!.id);
  });

  it('more than a page since then is paged in as the reader scrolls, with no gap', async () => {
    const { engine, all } = stub(10);
    const view = new ConversationView(engine, 'u:bob');
    await view.load();
    for (let n = 11; n <= 10 + PAGE_SIZE + 5; n++) all.push(msg(n));

    await view.refresh();
    // The page starts at the last one shown (inclusive of its millisecond), so one fewer is new.
    expect(view.messages).toHaveLength(10 + PAGE_SIZE - 1);
    expect(view.reachedEnd).toBe(false);
    await view.loadNewer();
    expect(ids(view)).toEqual(all.map((m) => m.id));
    expect(view.reachedEnd).toBe(true);
  });

  it('a failed read leaves what is shown alone', async () => {
    const { engine, failNext } = stub(30);
    const view = new ConversationView(engine, 'u:bob');
    await view.load();
    const shown = ids(view);
    failNext();
    await view.refresh();
    expect(ids(view)).toEqual(shown);
    expect(view.status).toBe('ready');
  });

  it('a view that never loaded loads', async () => {
    const { engine, calls } = stub(5);
    const view = new ConversationView(engine, 'u:bob');
    await view.refresh();
    expect(calls).toEqual(['history']);
    expect(view.messages).toHaveLength(5);
  });
});
