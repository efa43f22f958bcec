import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits.ts';
import { encodeFrame, parseFrame, PEER_FRAME_MAX, peerSignal } from '../../shared/peer-wire.ts';

const msg = {
  v: 1,
  type: 'msg',
  id: 'abc123',
  conversation: 'private',
  text: 'hello',
  sentAt: 1_700_000_000_000,
};
const json = (v: unknown) => JSON.stringify(v);
const error = (raw: unknown) => {
  const r = parseFrame(raw);
  return r.ok ? null : r.error;
};

describe('parseFrame', () => {
  it('accepts each frame type, from text or bytes', () => {
    expect(parseFrame(json(msg))).toEqual({ ok: true, frame: msg });
    expect(parseFrame(new TextEncoder().encode(json(msg)))).toEqual({ ok: true, frame: msg });
    expect(parseFrame(json({ v: 1, type: 'ack', id: 'abc123' })).ok).toBe(true);
    expect(parseFrame(json({ v: 1, type: 'hello', username: 'alice' })).ok).toBe(true);
    expect(
      parseFrame(json({ v: 1, type: 'typing', conversation: 'group', groupId: 3, active: true }))
        .ok,
    ).toBe(true);
    const group = { ...msg, conversation: 'group', groupId: 7 };
    expect(parseFrame(json(group))).toEqual({ ok: true, frame: group });
  });

  it('rejects malformed input without throwing', () => {
    for (const raw of [
      '',
      '{',
      'null',
      '[]',
      '"msg"',
      '42',
      json([msg]),
      undefined,
      null,
      42,
      {},
      new Uint8Array([0xff, 0xfe]),
    ]) {
      expect(error(raw)).toEqual(expect.any(String));
    }
    expect(error(new Uint8Array([0xc3, 0x28]))).toBe('frame is not UTF-8');
  });

  it('rejects oversized frames before parsing them', () => {
    const huge = ' '.repeat(PEER_FRAME_MAX) + json(msg);
    expect(error(huge)).toBe('frame too large');
    expect(error(new Uint8Array(PEER_FRAME_MAX + 1))).toBe('frame too large');
    expect(error(json({ ...msg, text: 'x'.repeat(LIMITS.messageTextMax + 1) }))).toMatch(
      /^bad msg frame/,
    );
    expect(parseFrame(json({ ...msg, text: 'x'.repeat(LIMITS.messageTextMax) })).ok).toBe(true);
  });

  it('rejects other versions and unknown types', () => {
    expect(error(json({ ...msg, v: 2 }))).toBe('unsupported frame version');
    expect(error(json({ ...msg, v: '1' }))).toBe('unsupported frame version');
    expect(error(json({ ...msg, v: undefined }))).toBe('unsupported frame version');
    expect(error(json({ ...msg, type: 'file' }))).toBe('unknown frame type');
    expect(error(json({ ...msg, type: 'constructor' }))).toBe('unknown frame type');
    expect(error(json({ ...msg, type: '__proto__' }))).toBe('unknown frame type');
  });

  it('rejects hostile or inconsistent fields', () => {
    const bad = [
      { ...msg, id: '../../etc' },
      { ...msg, id: 'x'.repeat(LIMITS.messageIdMax + 1) },
      { ...msg, id: '' },
      { ...msg, text: '   ' },
      { ...msg, text: 'a\u0000b' },
      { ...msg, text: 'lone \uD800 surrogate' },
      { ...msg, text: 42 },
      { ...msg, sentAt: -1 },
      { ...msg, sentAt: 1e20 },
      { ...msg, sentAt: 1.5 },
      { ...msg, conversation: 'group' },
      { ...msg, groupId: 3 },
      { ...msg, conversation: 'group', groupId: -1 },
      { v: 1, type: 'hello', username: 'has space' },
      { v: 1, type: 'ack' },
    ];
    for (const frame of bad) expect(error(json(frame)), json(frame)).toEqual(expect.any(String));
  });

  it('keeps hostile text verbatim (it is rendered as text) and strips unknown keys', () => {
    const text = '<img src=x onerror=alert(1)> ‮ 你好 👋\n\ttab';
    const r = parseFrame(
      `{"__proto__":{"admin":true},"from":"mallory",${json({ ...msg, text }).slice(1)}`,
    );
    expect(r).toEqual({ ok: true, frame: { ...msg, text } });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('encodeFrame', () => {
  it('round-trips and refuses what a peer would refuse', () => {
    const frame = {
      v: 1,
      type: 'msg',
      id: 'a1',
      conversation: 'group',
      groupId: 2,
      text: 'hi',
      sentAt: 5,
    } as const;
    expect(parseFrame(encodeFrame(frame))).toEqual({ ok: true, frame });
    expect(() => encodeFrame({ ...frame, text: '' })).toThrow();
  });
});

describe('peerSignal', () => {
  it('accepts wrapped simple-peer signals and knocks, rejects bad ids', () => {
    expect(
      peerSignal.safeParse({ v: 1, sid: 'abc', data: { type: 'offer', sdp: 'v=0' } }).success,
    ).toBe(true);
    expect(peerSignal.safeParse({ v: 1, sid: 'abc', knock: true }).success).toBe(true);
    expect(peerSignal.safeParse({ v: 1, sid: 'a b', knock: true }).success).toBe(false);
    expect(peerSignal.safeParse({ v: 2, sid: 'abc' }).success).toBe(false);
  });
});
