/**
 * web/src/core/files/digest.ts: the content hash `file-end` carries is SHA-256 over the chunks'
 * SHA-256s, checked against node:crypto over the same chunks (tests/helpers/content-hash.ts), and
 * a changed byte anywhere changes it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentHash, sha256Of } from '../../web/src/core/files/digest.ts';
import { contentHashOf } from '../helpers/content-hash.ts';

const CHUNK = 65536;

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The engine's way: each chunk's digest (as both ends compute it), then the content hash. */
async function engineHash(data: Uint8Array, chunkSize: number): Promise<string> {
  const count = Math.ceil(data.byteLength / chunkSize);
  const digests = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++)
    digests.set(await sha256Of(data.subarray(i * chunkSize, (i + 1) * chunkSize)), i * 32);
  return contentHash(digests);
}

describe('content hash', () => {
  it('is SHA-256 of the chunk SHA-256s, as node:crypto computes it', async () => {
    const data = bytes(3 * CHUNK + 1234, 7);
    const expected = contentHashOf(data, CHUNK);
    expect(await engineHash(data, CHUNK)).toBe(expected);
    // It is not the plain SHA-256 of the file (what older clients sent).
    expect(expected).not.toBe(createHash('sha256').update(data).digest('hex'));
    // A file of one chunk: the hash of that chunk's hash.
    const one = bytes(1000, 3);
    const inner = createHash('sha256').update(one).digest();
    expect(await engineHash(one, CHUNK)).toBe(createHash('sha256').update(inner).digest('hex'));
  });

  it('depends on the chunk size and on every byte', async () => {
    const data = bytes(2 * CHUNK, 9);
    const base = await engineHash(data, CHUNK);
    expect(await engineHash(data, 1024)).toBe(contentHashOf(data, 1024));
    expect(await engineHash(data, 1024)).not.toBe(base);
    for (const at of [0, CHUNK - 1, CHUNK, 2 * CHUNK - 1]) {
      const changed = data.slice();
      changed[at] = (changed[at] ?? 0) ^ 1;
      expect(await engineHash(changed, CHUNK)).not.toBe(base);
    }
  });

  it('of an empty file is the SHA-256 of nothing, and refuses a list that is not whole digests', async () => {
    expect(await contentHash(new Uint8Array(0))).toBe(createHash('sha256').digest('hex'));
    await expect(contentHash(new Uint8Array(33))).rejects.toThrow(/32 bytes/);
  });
});
