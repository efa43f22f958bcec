/**
 * Safety numbers: sixty digits the same on both sides of a pair, derived from both signing keys and
 * names, for two people to compare in person or over another channel. Shaped like Signal's: each
 * side's half is an iterated SHA-512 of its key and name (the iterations make a key whose half
 * matches someone else's expensive to find), and the halves are ordered so both see one number.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { usernameKey } from '../../../../shared/names.ts';
import { fields } from './codec.ts';
import type { PublicIdentity } from './identity.ts';

const ITERATIONS = 5_200;

function half(key: PublicIdentity, username: string): string {
  const start = fields('p2sp/safety/v1', key.sign, usernameKey(username));
  let hash = sha512(start);
  const join = new Uint8Array(64 + 32);
  for (let i = 0; i < ITERATIONS; i++) {
    join.set(hash, 0);
    join.set(key.sign, 64);
    hash = sha512(join);
  }
  let digits = '';
  for (let chunk = 0; chunk < 6; chunk++) {
    let value = 0;
    // Five bytes as one number below 2^40: exact in a double.
    for (let b = 0; b < 5; b++) value = value * 256 + (hash[chunk * 5 + b] as number);
    digits += String(value % 100_000).padStart(5, '0');
  }
  return digits;
}

/** Twelve groups of five digits, ordered the same on both sides. */
export function safetyNumber(
  a: { username: string; key: PublicIdentity },
  b: { username: string; key: PublicIdentity },
): string[] {
  const halves = [half(a.key, a.username), half(b.key, b.username)].sort();
  const all = halves.join('');
  return Array.from({ length: 12 }, (_, i) => all.slice(i * 5, i * 5 + 5));
}

/** What a QR code carries: the version and the number, so a scan compares like reading it aloud. */
export const safetyCode = (groups: string[]): string => `p2sp-safety:1:${groups.join('')}`;
