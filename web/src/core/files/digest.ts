/**
 * A file's content hash: the digest `file-end` carries and the receiver checks (PROTOCOL.md,
 * "Files"). It is the SHA-256 of the concatenation of every chunk's SHA-256, in index order, the
 * chunks being the offer's `chunkSize` bytes each (the last one the rest), as Dropbox's
 * content_hash is. Both ends already hash every chunk (the chunk frame carries it, the receiver
 * checks it), so the whole file costs one more hash over 32 bytes a chunk rather than a second pass
 * over its bytes in JS: WebCrypto cannot hash incrementally, and @noble/hashes over every byte cost
 * each side about 40 ms of CPU a MiB (BENCHMARKS.md, section 12). Any changed byte changes its
 * chunk's digest and so this one.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** What an offer and an accept name to say the end digest is this one (absent: an older client). */
export const CONTENT_HASH = 'sha256-chunks';

export const DIGEST_BYTES = 32;

/**
 * A SHA-256: WebCrypto's where there is one (a secure context, Node), native and many times faster
 * than hashing in JS; @noble/hashes where there is none (a page over plain http).
 */
export async function sha256Of(data: Uint8Array): Promise<Uint8Array> {
  const subtle = (globalThis.crypto as Crypto | undefined)?.subtle;
  if (subtle) {
    try {
      return new Uint8Array(await subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
    } catch {
      // Refused (some browsers limit it to secure contexts at call time): hash it here instead.
    }
  }
  return sha256(data);
}

/** The content hash, as lowercase hex, of a file whose chunk digests are `digests`, concatenated. */
export async function contentHash(digests: Uint8Array): Promise<string> {
  if (digests.byteLength % DIGEST_BYTES !== 0) throw new Error('chunk digests are 32 bytes each');
  return bytesToHex(await sha256Of(digests));
}
