/**
 * ConversationView.timelineWith (issue 13): file cards join the timeline in time order among the
 * messages, within the loaded window only, so a file older than the pages loaded does not sit
 * above them (it shows once its page is loaded). The engine is a stub over an in-memory history.
 */
import { describe, expect, it } from 'vitest';
import type { ChatEngine, ChatMessage, FileTransfer } from '../../web/src/core/api.ts';
import { ConversationView } from '../../web/src/state/conversation.svelte.ts';

const msg = (n: number): ChatMessage => ({
  id: `m${String(n).padStart(4, '0')}`,
  conversation: 'u:bob',
  from: 'bob',
  text: `line ${n}`,
  sentAt: 1_000 + n * 10,
});

const file = (id: string, sentAt: number): FileTransfer => ({
  key: `in:bob:${id}`,
  id,
  direction: 'in',
  peer: 'bob',
  conversation: 'u:bob',
  name: `${id}.bin`,
  size: 1,
  mime: 'application/octet-stream',
  sentAt,
  state: 'done',
  bytes: 1,
  rate: 0,
  etaMs: null,
  pausedByMe: false,
  pausedByPeer: false,
  peerLostFile: false,
});

function engineOver(all: ChatMessage[]): ChatEngine {
  return {
    history: async (_id: string, o: { before?: number; limit?: number } = {}) =>
      all.filter((m) => m.sentAt < (o.before ?? Infinity)).slice(-(o.limit ?? 50)),
    markRead: async () => undefined,
    typingIn: () => [],
  } as unknown as ChatEngine;
}

const keys = (view: ConversationView, files: FileTransfer[]) =>
  view.timelineWith(files).map((i) => i.key);

describe('file cards in the timeline', () => {
  it('places each file by its time among the messages', async () => {
    const all = [msg(1), msg(2), msg(3)];
    const view = new ConversationView(engineOver(all), 'u:bob');
    await view.load();
    expect(keys(view, [file('b', msg(2).sentAt + 1), file('a', msg(1).sentAt - 1)])).toEqual([
      'file:in:bob:a',
      msg(1).id,
      msg(2).id,
      'file:in:bob:b',
      msg(3).id,
    ]);
  });

  it('leaves out a file older than the loaded pages until its page is loaded', async () => {
    const all = Array.from({ length: 60 }, (_, i) => msg(i + 1));
    const view = new ConversationView(engineOver(all), 'u:bob');
    await view.load();
    expect(view.reachedStart).toBe(false);
    const old = file('old', msg(5).sentAt + 1);
    const recent = file('recent', msg(59).sentAt + 1);
    expect(keys(view, [old, recent])).not.toContain('file:in:bob:old');
    expect(keys(view, [old, recent])).toContain('file:in:bob:recent');
    await view.loadOlder();
    const shown = keys(view, [old, recent]);
    expect(shown.indexOf('file:in:bob:old')).toBe(shown.indexOf(msg(5).id) + 1);
  });

  it("shows a file I sent to a group as one card with every member's copy, theirs one each", async () => {
    const group = 'g:7' as const;
    const at = 5_000;
    const groupMsg: ChatMessage = { ...msg(1), conversation: group, sentAt: at - 10 };
    const view = new ConversationView(engineOver([groupMsg]), group);
    await view.load();
    const mine = (peer: string): FileTransfer => ({
      ...file('f1', at),
      key: `out:${peer}:f1`,
      direction: 'out',
      peer,
      conversation: group,
    });
    const theirs: FileTransfer = { ...file('f2', at + 1), conversation: group };
    const items = view.timelineWith([mine('bob'), mine('carol'), mine('dave'), theirs]);
    const cards = items.filter((i) => i.kind === 'file');
    expect(cards.map((c) => c.key)).toEqual(['file:out:f1', 'file:in:bob:f2']);
    const [sent, received] = cards;
    expect(sent?.kind === 'file' && sent.copies.map((c) => c.peer)).toEqual([
      'bob',
      'carol',
      'dave',
    ]);
    expect(received?.kind === 'file' && received.copies).toHaveLength(1);
  });
});
