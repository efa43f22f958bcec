import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits.ts';
import { jsonLengthAtMost, signalData } from '../../shared/schemas.ts';

/** A small deterministic generator, so a failure names its seed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const ALPHABET = ['a', 'z', '0', ' ', '"', '\\', '\n', '\r', '\u0001', '\u001f', 'é', '中', '😀'];

function randomValue(next: () => number, depth = 0): unknown {
  const pick = next();
  if (depth > 3 || pick < 0.35) {
    const n = Math.floor(next() * 40);
    let text = '';
    for (let i = 0; i < n; i++) text += ALPHABET[Math.floor(next() * ALPHABET.length)];
    return text;
  }
  if (pick < 0.45) return Math.floor(next() * 1e6) / (next() < 0.5 ? 7 : 1);
  if (pick < 0.5) return next() < 0.5;
  if (pick < 0.55) return null;
  if (pick < 0.75)
    return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 4); i > 0; i--)
    o[String(randomValue(next, 9)).slice(0, 8)] = randomValue(next, depth + 1);
  return o;
}

describe('jsonLengthAtMost', () => {
  it('answers exactly what JSON.stringify(value).length <= max answers', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const next = rng(seed);
      const value = randomValue(next);
      const length = JSON.stringify(value).length;
      for (const max of [0, 1, length - 1, length, length + 1, length * 6 + 50]) {
        expect(jsonLengthAtMost(value, max), `seed ${seed}, max ${max}`).toBe(length <= max);
      }
    }
  });

  it('defers to JSON.stringify for what it does not model (undefined members, deep nesting)', () => {
    expect(jsonLengthAtMost({ a: undefined, b: 'x' }, 9)).toBe(true); // {"b":"x"}
    let deep: unknown = 'end';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(jsonLengthAtMost(deep, 1_000)).toBe(true);
    expect(jsonLengthAtMost(deep, 100)).toBe(false);
  });

  it('keeps the signal limit where it was: exactly signalMax characters of JSON', () => {
    const empty = JSON.stringify({ sdp: '' }).length;
    expect(signalData.safeParse({ sdp: 'y'.repeat(LIMITS.signalMax - empty) }).success).toBe(true);
    expect(signalData.safeParse({ sdp: 'y'.repeat(LIMITS.signalMax - empty + 1) }).success).toBe(
      false,
    );
    // Escapes count as JSON counts them: a newline is two characters.
    const lines = '\n'.repeat(Math.floor((LIMITS.signalMax - empty) / 2) + 1);
    expect(signalData.safeParse({ sdp: lines }).success).toBe(false);
  });
});
