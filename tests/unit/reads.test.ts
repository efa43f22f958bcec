/**
 * The read-receipt rules of web/src/core/reads.ts over fakes: what is sent when, to whom, and
 * what a received `read` may touch. The history side (which messages a `read` moves) is exercised
 * on real IndexedDB by tests/integration/engine-typing-reads.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { parseFrame } from '../../shared/peer-wire.ts';
import type { ChatMessage, ConversationId } from '../../web/src/core/api.ts';
import type { History } from '../../web/src/core/history.ts';
import { Reads } from '../../web/src/core/reads.ts';

const msg = (id: string, from: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id,
  conversation: 'u:bob',
  from,
  text: id,
  sentAt: 1,
  ...extra,
});

let page: ChatMessage[];
let sent: { to: string; id: string | undefined }[];
let marked: { peer: string; id: string }[];
let failSend: boolean;
let reachable: boolean;
let accepted: boolean;
let order: string[];

const history = {
  page: async () => page,
  markOwnRead: async (peer: string, id: string) => {
    marked.push({ peer, id });
    order.push('mark');
    return [msg(id, 'alice', { state: 'read' })];
  },
} as unknown as History;

const make = () =>
  new Reads({
    history: () => history,
    me: () => 'alice',
    reachable: () => reachable,
    send: async (to, frame) => {
      if (failSend) throw new Error('no channel');
      const parsed = parseFrame(frame);
      sent.push({
        to,
        id: parsed.ok && parsed.frame.type === 'read' ? parsed.frame.id : undefined,
      });
    },
    accepts: () => accepted,
    settled: async () => {
      order.push('settled');
    },
    changed: () => undefined,
  });

beforeEach(() => {
  page = [msg('b1', 'bob'), msg('a1', 'alice'), msg('b2', 'bob'), msg('a2', 'alice')];
  sent = [];
  marked = [];
  failSend = false;
  reachable = true;
  accepted = true;
  order = [];
});

describe('sending read receipts', () => {
  it("names the peer's newest message, once per id", async () => {
    const r = make();
    await r.seen('u:bob');
    expect(sent).toEqual([{ to: 'bob', id: 'b2' }]);
    await r.seen('u:bob');
    expect(sent).toHaveLength(1);
    page = [...page, msg('b3', 'bob')];
    await r.seen('u:bob');
    expect(sent.at(-1)).toEqual({ to: 'bob', id: 'b3' });
  });

  it('skips system messages and group events when picking the newest', async () => {
    page = [msg('b1', 'bob'), msg('s1', 'bob', { system: true })];
    await make().seen('u:bob');
    expect(sent).toEqual([{ to: 'bob', id: 'b1' }]);
  });

  it('sends nothing when off, for a group, to an unreachable or refused peer, or with nothing from them', async () => {
    const off = make();
    off.setEnabled(false);
    await off.seen('u:bob');
    await make().seen('g:3' as ConversationId);
    reachable = false;
    await make().seen('u:bob');
    reachable = true;
    accepted = false;
    await make().seen('u:bob');
    accepted = true;
    page = [msg('a1', 'alice')];
    await make().seen('u:bob');
    expect(sent).toEqual([]);
  });

  it('tries the same id again after a failed send', async () => {
    const r = make();
    failSend = true;
    await r.seen('u:bob');
    failSend = false;
    await r.seen('u:bob');
    expect(sent).toEqual([{ to: 'bob', id: 'b2' }]);
  });
});

describe('taking read receipts', () => {
  const read = (id: string) => ({ v: 1 as const, type: 'read' as const, id });

  it('waits for my own bookkeeping of the message, then marks from that peer only', async () => {
    await make().onFrame('bob', read('a2'));
    expect(order).toEqual(['settled', 'mark']);
    expect(marked).toEqual([{ peer: 'bob', id: 'a2' }]);
  });

  it('ignores one when off, from a refused peer, from myself, or repeated', async () => {
    const off = make();
    off.setEnabled(false);
    await off.onFrame('bob', read('a2'));
    accepted = false;
    await make().onFrame('bob', read('a2'));
    accepted = true;
    await make().onFrame('alice', read('a2'));
    expect(marked).toEqual([]);
    const r = make();
    await r.onFrame('bob', read('a2'));
    await r.onFrame('bob', read('a2'));
    await r.onFrame('BOB', read('a2'));
    expect(marked).toHaveLength(1);
  });
});
