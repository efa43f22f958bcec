/**
 * Typing indicators and read receipts (issue 12): the throttle and expiry logic, the engine-side
 * `Typing` wiring with a fake clock, and the `typing` / `read` frames as a hostile peer sends them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeFrame, frames, parseFrame, type TypingFrame } from '../../shared/peer-wire.ts';
import type { ConversationId } from '../../web/src/core/api.ts';
import {
  Typing,
  TypingBoard,
  TypingThrottle,
  TYPING_EXPIRES_MS,
  TYPING_RESEND_MS,
} from '../../web/src/core/typing.ts';

const json = (v: unknown) => JSON.stringify(v);
const error = (raw: unknown) => {
  const r = parseFrame(raw);
  return r.ok ? null : r.error;
};
const BOB: ConversationId = 'u:bob';
const G7: ConversationId = 'g:7';

describe('TypingThrottle', () => {
  it('says typing once per resend interval, and a stop only after a start', () => {
    const t = new TypingThrottle(3_000);
    expect(t.update(BOB, false, 0)).toBeNull(); // never started: nothing to stop
    expect(t.update(BOB, true, 0)).toBe(true);
    expect(t.update(BOB, true, 1_000)).toBeNull();
    expect(t.update(BOB, true, 2_999)).toBeNull();
    expect(t.update(BOB, true, 3_000)).toBe(true);
    expect(t.update(BOB, false, 3_100)).toBe(false);
    expect(t.update(BOB, false, 3_200)).toBeNull(); // one stop is enough
    expect(t.update(BOB, true, 3_300)).toBe(true); // typing again starts at once
  });

  it('keeps conversations apart', () => {
    const t = new TypingThrottle();
    expect(t.update(BOB, true, 0)).toBe(true);
    expect(t.update(G7, true, 10)).toBe(true);
    expect(t.update(BOB, false, 20)).toBe(false);
    expect(t.update(G7, true, 30)).toBeNull();
  });
});

describe('TypingBoard', () => {
  it('shows a typer until the expiry, a renewal extends it, a stop ends it', () => {
    const b = new TypingBoard(5_000);
    expect(b.seen(BOB, 'bob', true, 0)).toBe(true);
    expect(b.who(BOB, 4_999)).toEqual(['bob']);
    expect(b.who(BOB, 5_000)).toEqual([]);
    expect(b.seen(BOB, 'bob', true, 3_000)).toBe(false); // still shown: no change to announce
    expect(b.who(BOB, 7_999)).toEqual(['bob']);
    expect(b.nextExpiry()).toBe(8_000);
    expect(b.seen(BOB, 'bob', false, 4_000)).toBe(true);
    expect(b.who(BOB, 4_000)).toEqual([]);
    expect(b.seen(BOB, 'bob', false, 4_001)).toBe(false);
    expect(b.nextExpiry()).toBeNull();
  });

  it('expires per conversation and keeps the order people started in', () => {
    const b = new TypingBoard(5_000);
    b.seen(G7, 'carol', true, 0);
    b.seen(G7, 'bob', true, 1_000);
    b.seen(BOB, 'bob', true, 2_000);
    expect(b.who(G7, 1_500)).toEqual(['carol', 'bob']);
    expect(b.expire(5_000)).toEqual([G7]);
    expect(b.who(G7, 5_000)).toEqual(['bob']);
    expect(b.expire(7_000)).toEqual([G7, BOB]);
    expect(b.conversations()).toEqual([]);
  });
});

describe('Typing (engine side)', () => {
  let now = 0;
  let sent: { to: string; frame: TypingFrame }[];
  let changes: { conversation: ConversationId; usernames: string[] }[];
  let accept: (from: string) => boolean;
  const make = () =>
    new Typing({
      me: () => 'alice',
      send: (to, frame) => sent.push({ to, frame }),
      recipients: (c) => (c === BOB ? ['bob'] : ['bob', 'carol']),
      accepts: async (from) => accept(from),
      changed: (conversation, usernames) => changes.push({ conversation, usernames }),
      now: () => now,
    });
  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
    sent = [];
    changes = [];
    accept = () => true;
  });
  afterEach(() => vi.useRealTimers());

  it('sends typing to each recipient, throttled, and a stop when the box empties', () => {
    const t = make();
    t.input(G7, 'h');
    now = 1_000;
    t.input(G7, 'he');
    expect(sent).toEqual([
      { to: 'bob', frame: frames.typing(true, 7) },
      { to: 'carol', frame: frames.typing(true, 7) },
    ]);
    now = 1_000 + TYPING_RESEND_MS;
    t.input(G7, 'hel');
    expect(sent).toHaveLength(4);
    t.input(G7, '');
    expect(sent.slice(4)).toEqual([
      { to: 'bob', frame: frames.typing(false, 7) },
      { to: 'carol', frame: frames.typing(false, 7) },
    ]);
  });

  it('treats whitespace and a /command as an empty box', () => {
    const t = make();
    t.input(BOB, '   ');
    t.input(BOB, '/help');
    expect(sent).toEqual([]);
    t.input(BOB, 'hi');
    t.input(BOB, '/msg bob');
    expect(sent.map((s) => s.frame.active)).toEqual([true, false]);
  });

  it('shows a peer typing, and forgets it after the expiry without a renewal', async () => {
    const t = make();
    await t.onFrame('bob', frames.typing(true));
    expect(t.who(BOB)).toEqual(['bob']);
    expect(changes).toEqual([{ conversation: BOB, usernames: ['bob'] }]);
    now = TYPING_EXPIRES_MS;
    await vi.advanceTimersByTimeAsync(TYPING_EXPIRES_MS);
    expect(t.who(BOB)).toEqual([]);
    expect(changes.at(-1)).toEqual({ conversation: BOB, usernames: [] });
  });

  it('a message from the typer ends the indicator', async () => {
    const t = make();
    await t.onFrame('bob', frames.typing(true, 7));
    t.received({ id: 'm1', conversation: G7, from: 'bob', text: 'hi', sentAt: 1 });
    expect(t.who(G7)).toEqual([]);
    expect(changes.at(-1)).toEqual({ conversation: G7, usernames: [] });
  });

  it('ignores a peer the relationships view refuses, and frames naming myself', async () => {
    const t = make();
    accept = (from) => from !== 'mallory';
    await t.onFrame('mallory', frames.typing(true));
    await t.onFrame('mallory', frames.typing(true, 7));
    await t.onFrame('alice', frames.typing(true, 7));
    expect(t.who(G7)).toEqual([]);
    expect(t.who('u:mallory')).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('a private frame from bob can only show bob typing in his own conversation', async () => {
    const t = make();
    await t.onFrame('bob', frames.typing(true));
    expect(t.who('u:carol')).toEqual([]);
    expect(t.who(BOB)).toEqual(['bob']);
  });

  it('reset clears what is shown and says so', async () => {
    const t = make();
    await t.onFrame('bob', frames.typing(true));
    t.reset();
    expect(t.who(BOB)).toEqual([]);
    expect(changes.at(-1)).toEqual({ conversation: BOB, usernames: [] });
  });
});

describe('typing and read frames from a hostile peer', () => {
  it('accepts well-formed ones and round-trips them', () => {
    for (const f of [
      frames.read('abc123'),
      frames.read('abc123', 4),
      frames.typing(true),
      frames.typing(false, 3),
    ])
      expect(parseFrame(encodeFrame(f))).toEqual({ ok: true, frame: f });
  });

  it('refuses a read without a valid message id', () => {
    expect(error(json({ v: 1, type: 'read' }))).toMatch(/bad read frame/);
    expect(error(json({ v: 1, type: 'read', id: '' }))).toMatch(/bad read frame/);
    expect(error(json({ v: 1, type: 'read', id: 'a b' }))).toMatch(/not a message id/);
    expect(error(json({ v: 1, type: 'read', id: 'x'.repeat(500) }))).toMatch(/bad read frame/);
    expect(error(json({ v: 1, type: 'read', id: 7 }))).toMatch(/bad read frame/);
    expect(error(json({ v: 2, type: 'read', id: 'abc' }))).toBe('unsupported frame version');
  });

  it('refuses a group read whose group is not a group id', () => {
    const r = { v: 1, type: 'read', id: 'abc' };
    for (const groupId of [0, -1, 1.5, '3', null, 2 ** 60, [3]])
      expect(error(json({ ...r, groupId }))).toMatch(/bad read frame/);
  });

  it('strips unknown keys from a read (no smuggled conversation or time)', () => {
    const r = parseFrame(json({ v: 1, type: 'read', id: 'abc', conversation: 'g:1', upTo: 9e15 }));
    expect(r).toEqual({ ok: true, frame: { v: 1, type: 'read', id: 'abc' } });
  });

  it('refuses a typing frame whose conversation and group disagree', () => {
    const t = { v: 1, type: 'typing', active: true };
    expect(error(json({ ...t, conversation: 'group' }))).toMatch(/names its group/);
    expect(error(json({ ...t, conversation: 'private', groupId: 3 }))).toMatch(/names its group/);
    expect(error(json({ ...t, conversation: 'group', groupId: -1 }))).toMatch(/bad typing/);
    expect(error(json({ ...t, conversation: 'group', groupId: 1.5 }))).toMatch(/bad typing/);
    expect(error(json({ ...t, conversation: 'room', active: 'yes' }))).toMatch(/bad typing/);
    expect(error(json({ v: 1, type: 'typing', conversation: 'private' }))).toMatch(/bad typing/);
  });

  it('refuses an oversized frame before parsing it', () => {
    const huge = json({ v: 1, type: 'read', id: 'abc', pad: 'x'.repeat(70_000) });
    expect(error(huge)).toBe('frame too large');
  });
});
