/**
 * A file's content hash computed here with node:crypto, apart from the engine's code
 * (web/src/core/files/digest.ts), so tests compare the engine with the rule in PROTOCOL.md rather
 * than with itself: SHA-256 over the SHA-256 of each `chunkSize` slice, concatenated in order.
 */
import { createHash } from 'node:crypto';

export function contentHashOf(data: Uint8Array, chunkSize: number): string {
  const outer = createHash('sha256');
  for (let at = 0; at < data.byteLength; at += chunkSize)
    outer.update(
      createHash('sha256')
        .update(data.subarray(at, at + chunkSize))
        .digest(),
    );
  return outer.digest('hex');
}
