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
let sent: { to: string; id: string | undefined; groupId?: number }[];
let marked: { peer: string; id: string; groupId?: number }[];
let failSend: boolean;
let reachable: boolean;
let direct: Set<string>;
let accepted: boolean;
/** Who is a member of group 3 (for `accepts` on a group exchange). */
let members: Set<string>;
let order: string[];

const history = {
  page: async () => page,
  markOwnRead: async (peer: string, id: string) => {
    marked.push({ peer, id });
    order.push('mark');
    return [msg(id, 'alice', { state: 'read' })];
  },
  markOwnReadInGroup: async (groupId: number, peer: string, id: string) => {
    marked.push({ peer, id, groupId });
    order.push('mark');
    return msg(id, 'alice', { conversation: `g:${groupId}`, readBy: [peer] });
  },
} as unknown as History;

const make = () =>
  new Reads({
    history: () => history,
    me: () => 'alice',
    reachable: () => reachable,
    direct: (username) => direct.has(username),
    send: async (to, frame, exchange) => {
      if (failSend) throw new Error('no channel');
      const parsed = parseFrame(frame);
      const read = parsed.ok && parsed.frame.type === 'read' ? parsed.frame : undefined;
      // The frame names the group the exchange is about, and a private one names none.
      expect(read?.groupId).toBe(exchange.kind === 'group' ? exchange.groupId : undefined);
      sent.push({
        to,
        id: read?.id,
        ...(read?.groupId === undefined ? {} : { groupId: read.groupId }),
      });
    },
    accepts: (from, exchange) =>
      accepted && (exchange.kind === 'private' || members.has(from.toLowerCase())),
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
  direct = new Set(['bob', 'carol', 'dave']);
  accepted = true;
  members = new Set(['alice', 'bob', 'carol']);
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

  it('sends nothing when off, for System, to an unreachable or refused peer, or with nothing from them', async () => {
    const off = make();
    off.setEnabled(false);
    await off.seen('u:bob');
    await make().seen('system' as ConversationId);
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

describe('sending read receipts in a group', () => {
  const inGroup = (id: string, from: string, extra: Partial<ChatMessage> = {}) =>
    msg(id, from, { conversation: 'g:3', ...extra });

  it("names each member's newest message, to that member only, once per id", async () => {
    page = [
      inGroup('b1', 'bob'),
      inGroup('c1', 'carol'),
      inGroup('b2', 'bob'),
      inGroup('a1', 'alice'),
      inGroup('x1', 'root', { system: true }),
      inGroup('', '', { event: { kind: 'joined', username: 'carol' } }),
    ];
    const r = make();
    await r.seen('g:3');
    expect(sent).toEqual([
      { to: 'bob', id: 'b2', groupId: 3 },
      { to: 'carol', id: 'c1', groupId: 3 },
    ]);
    await r.seen('g:3');
    expect(sent).toHaveLength(2);
    page = [...page, inGroup('c2', 'carol')];
    await r.seen('g:3');
    expect(sent.slice(2)).toEqual([{ to: 'carol', id: 'c2', groupId: 3 }]);
  });

  it('over open channels only, to members only, and not when off', async () => {
    page = [inGroup('b1', 'bob'), inGroup('c1', 'carol'), inGroup('d1', 'dave')];
    const off = make();
    off.setEnabled(false);
    await off.seen('g:3');
    expect(sent).toEqual([]);
    // Carol's channel is closed (no connection is opened for a receipt); dave left the group.
    direct.delete('carol');
    const r = make();
    await r.seen('g:3');
    expect(sent).toEqual([{ to: 'bob', id: 'b1', groupId: 3 }]);
    // Her channel open again: the next look tells her.
    direct.add('carol');
    await r.seen('g:3');
    expect(sent.slice(1)).toEqual([{ to: 'carol', id: 'c1', groupId: 3 }]);
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

  it('in a group: from a member, once, marking that group’s message; a non-member’s is ignored', async () => {
    const r = make();
    await r.onFrame('bob', { ...read('a2'), groupId: 3 });
    await r.onFrame('bob', { ...read('a2'), groupId: 3 });
    // Dave is no member of group 3: his is dropped before anything is looked up.
    await r.onFrame('dave', { ...read('a2'), groupId: 3 });
    // The same id as a private receipt is another question (the history says no for a group row).
    await r.onFrame('bob', read('a2'));
    expect(marked).toEqual([
      { peer: 'bob', id: 'a2', groupId: 3 },
      { peer: 'bob', id: 'a2' },
    ]);
    const off = make();
    off.setEnabled(false);
    await off.onFrame('carol', { ...read('a2'), groupId: 3 });
    expect(marked).toHaveLength(2);
  });
});
