import { describe, expect, it } from 'vitest';
import { BatchedLookup } from '../../signaling/services/batched-lookup.ts';

/** A fetch over a fixed table that records the keys of each call; `fail` refuses a batch. */
function table(rows: Record<string, number>, opts: { fail?: (keys: string[]) => boolean } = {}) {
  const calls: string[][] = [];
  const fetch = async (keys: string[]) => {
    calls.push(keys);
    await new Promise((r) => setTimeout(r, 1));
    if (opts.fail?.(keys)) throw new Error('database is locked');
    const found = new Map<string, number>();
    for (const k of keys) if (k in rows) found.set(k, rows[k] as number);
    return found;
  };
  return { calls, fetch };
}

const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('BatchedLookup', () => {
  it('fetches the keys asked for in one turn together, and gives each caller its own answer', async () => {
    const rows = Object.fromEntries(keys(100).map((k, i) => [k, i * 10]));
    const t = table(rows);
    const lookup = new BatchedLookup('test lookup', t.fetch, 1_000);
    // In a shuffled order, as handshakes arrive.
    const asked = keys(100).sort(() => Math.random() - 0.5);
    const answers = await Promise.all(asked.map((k) => lookup.get(k)));
    expect(t.calls).toHaveLength(1);
    expect(new Set(t.calls[0])).toEqual(new Set(asked));
    expect(answers).toEqual(asked.map((k) => rows[k]));
  });

  it('answers undefined for a key that is not there, beside keys that are', async () => {
    const t = table({ known: 1 });
    const lookup = new BatchedLookup('test lookup', t.fetch);
    const [unknown, known, empty] = await Promise.all([
      lookup.get('unknown'),
      lookup.get('known'),
      lookup.get(''),
    ]);
    expect([unknown, known, empty]).toEqual([undefined, 1, undefined]);
    expect(t.calls).toHaveLength(1);
  });

  it('fetches a key asked for twice in a turn once, and answers both callers', async () => {
    const t = table({ a: 1, b: 2 });
    const lookup = new BatchedLookup('test lookup', t.fetch);
    const answers = await Promise.all(['a', 'b', 'a', 'a'].map((k) => lookup.get(k)));
    expect(answers).toEqual([1, 2, 1, 1]);
    expect(t.calls).toEqual([['a', 'b']]);
  });

  it('splits a turn with more keys than a batch holds, and answers every caller', async () => {
    const rows = Object.fromEntries(keys(25).map((k, i) => [k, i]));
    const t = table(rows);
    const lookup = new BatchedLookup('test lookup', t.fetch, 10);
    const answers = await Promise.all(keys(25).map((k) => lookup.get(k)));
    expect(answers).toEqual(keys(25).map((_, i) => i));
    expect(t.calls.map((c) => c.length)).toEqual([10, 10, 5]);
  });

  it('fetches a full batch at once, without waiting for the end of the turn', async () => {
    const rows = Object.fromEntries(keys(7).map((k, i) => [k, i]));
    const t = table(rows);
    const lookup = new BatchedLookup('test lookup', t.fetch, 3);
    const asked = keys(7).map((k) => lookup.get(k));
    // Two full batches went as they filled; the seventh key waits for the end of the turn.
    expect(t.calls).toEqual([
      ['k0', 'k1', 'k2'],
      ['k3', 'k4', 'k5'],
    ]);
    expect(lookup.pending).toBe(1);
    expect(await Promise.all(asked)).toEqual(keys(7).map((_, i) => i));
    expect(t.calls).toHaveLength(3);
    expect(t.calls[2]).toEqual(['k6']);
  });

  it('keeps turns apart: what is asked for after a fetch started goes in the next one', async () => {
    const t = table({ a: 1, b: 2 });
    const lookup = new BatchedLookup('test lookup', t.fetch);
    const first = lookup.get('a');
    await new Promise((r) => setImmediate(r));
    const second = lookup.get('b');
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(t.calls).toEqual([['a'], ['b']]);
    expect(lookup.pending).toBe(0);
  });

  it('fails only the batch whose fetch failed, with an error naming the lookup and the cause', async () => {
    const rows = Object.fromEntries(keys(25).map((k, i) => [k, i]));
    // The second batch of the turn (k10..k19) fails; the first and the third are answered.
    const t = table(rows, { fail: (ks) => ks.includes('k10') });
    const lookup = new BatchedLookup('token lookup', t.fetch, 10);
    const settled = await Promise.allSettled(keys(25).map((k) => lookup.get(k)));
    for (const [i, s] of settled.entries()) {
      if (i >= 10 && i < 20) {
        expect(s.status).toBe('rejected');
        const reason = (s as PromiseRejectedResult).reason as Error;
        expect(reason.message).toBe('token lookup failed (a batch of 10): database is locked');
        expect((reason.cause as Error).message).toBe('database is locked');
      } else expect(s).toEqual({ status: 'fulfilled', value: i });
    }
    // The lookup still works afterwards: the next turn is fetched afresh.
    expect(await lookup.get('k12')).toBe(12);
  });

  it('turns a fetch that throws before it returns a promise into its batch failing', async () => {
    const lookup = new BatchedLookup<string, number>('mailbox count', () => {
      throw new Error('no such table: mailboxes');
    });
    await expect(lookup.get('a')).rejects.toThrow(
      'mailbox count failed (a batch of 1): no such table: mailboxes',
    );
  });
});
