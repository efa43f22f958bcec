/**
 * Sealing what the server stores or carries for a peer: each stored `msg` frame is encrypted to the
 * recipient and authenticated as the sender with a pairwise key, X25519 between the two identities,
 * through HKDF-SHA256, bound to both bundles. Only the two people can make or read a sealed copy,
 * so a copy that opens with the key shared with `from` came from `from` (or from me, and the
 * direction in the associated data rules that out).
 *
 * The associated data names the sender, the recipient, the message id and the group, so the server
 * cannot relabel a copy: hand it to someone else, under another id, in another group, or reflect
 * Bob's copy for Alice back to Bob. A replayed copy has the same id and is one message (the inbox
 * dedupes by sender and id).
 *
 * No forward secrecy: a stolen identity secret opens the copies stored for it. A stored copy lives
 * until it is pulled or expires; the README's threat model says so.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { usernameKey } from '../../../../shared/names.ts';
import { fields, fromBase64url, fromUtf8, toBase64url, utf8 } from './codec.ts';
import type { Identity, PublicIdentity } from './identity.ts';

export const SEALED_PREFIX = 'e1.';

/** Who a sealed copy is from and to, and what it is: all of it authenticated, none of it secret. */
export interface SealContext {
  from: string;
  to: string;
  id: string;
  groupId?: number | undefined;
}

/** The key two identities share; the same on both sides. */
export function pairKey(mine: Identity, theirs: PublicIdentity): Uint8Array {
  const shared = x25519.getSharedSecret(mine.dhSecret, theirs.dh);
  // Both bundles, in a fixed order, as salt: the key belongs to exactly this pair of identities.
  const [a, b] = [mine.bundle, theirs.bundle].sort();
  return hkdf(sha256, shared, fields(a as string, b as string), utf8('p2sp/pair/v1'), 32);
}

const associated = (c: SealContext) =>
  fields(
    'p2sp/sealed/v1',
    usernameKey(c.from),
    usernameKey(c.to),
    c.id,
    c.groupId === undefined ? '' : String(c.groupId),
  );

export function seal(key: Uint8Array, context: SealContext, plaintext: string): string {
  const nonce = randomBytes(24);
  const box = xchacha20poly1305(key, nonce, associated(context)).encrypt(utf8(plaintext));
  return `${SEALED_PREFIX}${toBase64url(nonce)}.${toBase64url(box)}`;
}

/** The plaintext, or null if the copy is not sealed, not for this context, or was tampered with. */
export function open(key: Uint8Array, context: SealContext, sealed: string): string | null {
  if (!sealed.startsWith(SEALED_PREFIX)) return null;
  const parts = sealed.slice(SEALED_PREFIX.length).split('.');
  if (parts.length !== 2) return null;
  const nonce = fromBase64url(parts[0] as string, 24);
  const box = fromBase64url(parts[1] as string);
  if (!nonce || !box || box.length < 16) return null;
  try {
    return fromUtf8(xchacha20poly1305(key, nonce, associated(context)).decrypt(box));
  } catch {
    return null;
  }
}
