import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits.ts';
import {
  encodeChunk,
  encodeFrame,
  FILE_CHUNK_FRAME_MAX,
  isChunkData,
  isFileFrame,
  parseChunk,
  parseFrame,
} from '../../shared/peer-wire.ts';

const offer = {
  v: 1,
  type: 'file-offer',
  id: 'f1abc',
  conversation: 'private',
  name: '报告 final.pdf',
  size: 200_000,
  mime: 'application/pdf',
  chunkSize: 65_536,
  sentAt: 1_700_000_000_000,
};
const json = (v: unknown) => JSON.stringify(v);
const error = (v: unknown) => {
  const r = parseFrame(json(v));
  return r.ok ? null : r.error;
};

describe('file frames', () => {
  it('accepts each control frame and marks it a file frame', () => {
    const good = [
      offer,
      { ...offer, conversation: 'group', groupId: 4 },
      { ...offer, thumb: { mime: 'image/jpeg', data: 'AAAA' } },
      { v: 1, type: 'file-accept', id: 'f1abc', from: 0, window: 32 },
      { v: 1, type: 'file-ack', id: 'f1abc', upTo: 3, window: 32 },
      { v: 1, type: 'file-pause', id: 'f1abc', role: 'receiver' },
      { v: 1, type: 'file-resume', id: 'f1abc', role: 'sender' },
      { v: 1, type: 'file-resume', id: 'f1abc', role: 'receiver', from: 7 },
      { v: 1, type: 'file-cancel', id: 'f1abc', role: 'sender', reason: 'cancelled' },
      { v: 1, type: 'file-end', id: 'f1abc', sha256: 'a'.repeat(64) },
    ];
    for (const frame of good) {
      const parsed = parseFrame(json(frame));
      expect(parsed).toEqual({ ok: true, frame });
      if (parsed.ok) expect(isFileFrame(parsed.frame)).toBe(true);
    }
    const msg = parseFrame(json({ v: 1, type: 'ack', id: 'x' }));
    expect(msg.ok && isFileFrame(msg.frame)).toBe(false);
  });

  it('refuses hostile offers: paths, controls, sizes, windows, a thumbnail that is not base64', () => {
    const bad: Record<string, unknown>[] = [
      { ...offer, name: '../../etc/passwd' },
      { ...offer, name: 'a\\b' },
      { ...offer, name: 'evil\u0000.exe' },
      { ...offer, name: '\u202e' + 'x'.repeat(LIMITS.fileNameMax) },
      { ...offer, name: '   ' },
      { ...offer, name: '\ud800.txt' },
      { ...offer, size: -1 },
      { ...offer, size: 1.5 },
      { ...offer, size: LIMITS.fileSizeWireMax + 1 },
      { ...offer, chunkSize: LIMITS.fileChunkMax + 1 },
      { ...offer, chunkSize: 0 },
      { ...offer, mime: 'text/html; charset=utf-8<script>' },
      { ...offer, mime: 'x'.repeat(200) + '/y' },
      { ...offer, groupId: 3 },
      { ...offer, conversation: 'group' },
      { ...offer, id: '../x' },
      { ...offer, thumb: { mime: 'image/svg+xml', data: 'AAAA' } },
      { ...offer, thumb: { mime: 'image/png', data: '<svg onload=alert(1)>' } },
      { ...offer, thumb: { mime: 'image/png', data: 'A'.repeat(LIMITS.fileThumbMax + 4) } },
      { v: 1, type: 'file-accept', id: 'f1abc', from: -1, window: 2 },
      { v: 1, type: 'file-ack', id: 'f1abc', upTo: 1, window: LIMITS.fileWindowMax + 1 },
      { v: 1, type: 'file-ack', id: 'f1abc', upTo: 2 ** 40, window: 1 },
      { v: 1, type: 'file-pause', id: 'f1abc' },
      { v: 1, type: 'file-pause', id: 'f1abc', role: 'admin' },
      { v: 1, type: 'file-cancel', id: 'f1abc', role: 'sender', reason: 'because' },
      { v: 1, type: 'file-end', id: 'f1abc', sha256: 'A'.repeat(64) },
      { v: 1, type: 'file-end', id: 'f1abc', sha256: 'a'.repeat(63) },
      { v: 2, type: 'file-end', id: 'f1abc', sha256: 'a'.repeat(64) },
    ];
    for (const frame of bad)
      expect(error(frame), json(frame).slice(0, 80)).toEqual(expect.any(String));
  });

  it('strips unknown keys and refuses to encode what a peer would refuse', () => {
    const parsed = parseFrame(json({ ...offer, path: '/etc', __proto__x: 1 }));
    expect(parsed.ok && Object.keys(parsed.frame)).not.toContain('path');
    expect(() => encodeFrame({ ...offer, name: 'a/b' } as never)).toThrow(/path/);
  });
});

describe('chunk frames', () => {
  const sha = new Uint8Array(32).fill(7);
  const data = new Uint8Array(1000).map((_, i) => i & 0xff);

  it('round-trips, and is told apart from JSON text', () => {
    const raw = encodeChunk({ id: 'f1abc', index: 12345, sha256: sha, data });
    expect(isChunkData(raw)).toBe(true);
    expect(isChunkData(new TextEncoder().encode(json(offer)))).toBe(false);
    expect(isChunkData('\u0000abc')).toBe(false);
    const parsed = parseChunk(raw);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.chunk.id).toBe('f1abc');
    expect(parsed.chunk.index).toBe(12345);
    expect([...parsed.chunk.sha256]).toEqual([...sha]);
    expect([...parsed.chunk.data]).toEqual([...data]);
    // The JSON parser does not take a chunk for a frame.
    expect(parseFrame(raw).ok).toBe(false);
    // Nor from an ArrayBuffer (a browser without simple-peer's Buffer conversion).
    expect(parseChunk(raw.slice().buffer).ok).toBe(true);
  });

  it('refuses hostile chunk frames without throwing', () => {
    const good = encodeChunk({ id: 'f1abc', index: 1, sha256: sha, data });
    const oversize = new Uint8Array(FILE_CHUNK_FRAME_MAX + 1);
    oversize.set(good.subarray(0, 48));
    const badVersion = good.slice();
    badVersion[1] = 9;
    const zeroId = good.slice();
    zeroId[2] = 0;
    const longId = good.slice();
    longId[2] = 200;
    const badIdByte = good.slice();
    badIdByte[3] = 0x2f; // '/'
    const hugeIndex = good.slice();
    new DataView(hugeIndex.buffer).setUint32(3 + 5, 0xffffffff);
    const noData = good.slice(0, 3 + 5 + 4 + 32);
    for (const raw of [
      oversize,
      badVersion,
      zeroId,
      longId,
      badIdByte,
      hugeIndex,
      noData,
      new Uint8Array([0]),
      new Uint8Array(0),
      'chunk',
      null,
      { id: 'x' },
    ]) {
      const r = parseChunk(raw);
      expect(r.ok).toBe(false);
    }
  });

  it('refuses to build a chunk a receiver would refuse', () => {
    expect(() => encodeChunk({ id: 'a/b', index: 0, sha256: sha, data })).toThrow();
    expect(() => encodeChunk({ id: 'a', index: -1, sha256: sha, data })).toThrow();
    expect(() => encodeChunk({ id: 'a', index: 0, sha256: sha.subarray(1), data })).toThrow();
    expect(() =>
      encodeChunk({
        id: 'a',
        index: 0,
        sha256: sha,
        data: new Uint8Array(LIMITS.fileChunkMax + 1),
      }),
    ).toThrow();
    expect(() =>
      encodeChunk({ id: 'a', index: 0, sha256: sha, data: new Uint8Array(0) }),
    ).toThrow();
  });
});
