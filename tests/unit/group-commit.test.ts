import { describe, expect, it } from 'vitest';
import { GroupCommit, type Outcome } from '../../signaling/services/group-commit.ts';

/** A flush that records its batches and doubles each number (odd ones are refused). */
function recorder(opts: { gate?: Promise<void> } = {}) {
  const batches: number[][] = [];
  let running = 0;
  let maxRunning = 0;
  const flush = async (items: number[]): Promise<Outcome<number>[]> => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    batches.push(items);
    await opts.gate;
    await new Promise((r) => setTimeout(r, 2));
    running--;
    return items.map((n) =>
      n % 2 === 0 ? { ok: true, value: n * 2 } : { ok: false, error: new Error(`odd ${n}`) },
    );
  };
  return { batches, flush, maxRunning: () => maxRunning };
}

describe('GroupCommit', () => {
  it('writes everything submitted in one turn in one flush, and answers each caller', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.flush);
    const settled = await Promise.allSettled([0, 1, 2, 4].map((n) => gc.submit(n)));
    expect(r.batches).toEqual([[0, 1, 2, 4]]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : String(s.reason)))).toEqual([
      0,
      'Error: odd 1',
      4,
      8,
    ]);
  });

  it('answers nobody before its flush has finished', async () => {
    let open!: () => void;
    const r = recorder({ gate: new Promise<void>((resolve) => (open = resolve)) });
    const gc = new GroupCommit(r.flush);
    let answered = false;
    const p = gc.submit(2).then((v) => {
      answered = true;
      return v;
    });
    await new Promise((res) => setTimeout(res, 20));
    expect(r.batches).toEqual([[2]]);
    expect(answered).toBe(false);
    open();
    expect(await p).toBe(4);
  });

  it('runs one flush at a time; what arrives meanwhile goes in the next one', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.flush);
    const first = gc.submit(2);
    await new Promise((res) => setImmediate(res));
    // The first flush is running now.
    const later = [gc.submit(4), gc.submit(6)];
    await new Promise((res) => setImmediate(res));
    const more = gc.submit(8);
    expect(await Promise.all([first, ...later, more])).toEqual([4, 8, 12, 16]);
    expect(r.batches).toEqual([[2], [4, 6, 8]]);
    expect(r.maxRunning()).toBe(1);
    expect(gc.pending).toBe(0);
  });

  it('splits a long queue into batches of at most maxBatch', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.flush, 3);
    const all = await Promise.all([0, 2, 4, 6, 8, 10, 12].map((n) => gc.submit(n)));
    expect(all).toEqual([0, 4, 8, 12, 16, 20, 24]);
    expect(r.batches).toEqual([[0, 2, 4], [6, 8, 10], [12]]);
  });

  it('a flush that throws fails its own batch only', async () => {
    let calls = 0;
    const gc = new GroupCommit<number, number>(async (items) => {
      calls++;
      if (calls === 1) throw new Error('database is down');
      return items.map((n) => ({ ok: true, value: n }));
    }, 2);
    const settled = await Promise.allSettled([1, 2, 3].map((n) => gc.submit(n)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(await gc.submit(9)).toBe(9);
  });
});
