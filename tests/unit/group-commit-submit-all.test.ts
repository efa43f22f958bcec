/**
 * GroupCommit.submitAll: a caller's items go through the same flushes as single submissions, and
 * the caller gets one outcome per item, in its order, once every flush carrying them has finished.
 */
import { describe, expect, it } from 'vitest';
import { GroupCommit, type Outcome } from '../../signaling/services/group-commit.ts';

describe('GroupCommit.submitAll', () => {
  it('answers each item in order, across flushes, only after the last of them', async () => {
    const batches: number[][] = [];
    const finished: number[] = [];
    const gc = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 2));
      finished.push(batches.length);
      return items.map((n): Outcome<number> =>
        n % 2 === 0 ? { ok: true, value: n * 10 } : { ok: false, error: `odd ${n}` },
      );
    }, 3);
    const all = gc.submitAll([2, 4, 5, 6, 8, 9, 10]).then((outcomes) => ({
      outcomes,
      flushesDone: finished.length,
    }));
    const single = gc.submit(12);
    const { outcomes, flushesDone } = await all;
    expect(outcomes).toEqual([
      { ok: true, value: 20 },
      { ok: true, value: 40 },
      { ok: false, error: 'odd 5' },
      { ok: true, value: 60 },
      { ok: true, value: 80 },
      { ok: false, error: 'odd 9' },
      { ok: true, value: 100 },
    ]);
    expect(batches).toEqual([
      [2, 4, 5],
      [6, 8, 9],
      [10, 12],
    ]);
    expect(flushesDone).toBe(3);
    expect(await single).toBe(120);
    expect(gc.pending).toBe(0);
  });

  it('a flush that throws becomes that flush’s items’ error; the rest are answered', async () => {
    let calls = 0;
    const down = new Error('database is down');
    const gc = new GroupCommit<number, number>(async (items) => {
      calls++;
      if (calls === 2) throw down;
      return items.map((n) => ({ ok: true, value: n }));
    }, 2);
    expect(await gc.submitAll([1, 2, 3, 4, 5])).toEqual([
      { ok: true, value: 1 },
      { ok: true, value: 2 },
      { ok: false, error: down },
      { ok: false, error: down },
      { ok: true, value: 5 },
    ]);
  });

  it('lets the event loop turn between two flushes, even when a flush never waits', async () => {
    const order: string[] = [];
    const gc = new GroupCommit<number, number>((items) => {
      order.push(`flush ${items.join(',')}`);
      // Something that arrives during the first flush (an event off the wire) runs before the
      // next flush, although every flush here completes without waiting for anything.
      if (items[0] === 1) setImmediate(() => order.push('other work'));
      return Promise.resolve(items.map((n) => ({ ok: true, value: n })));
    }, 1);
    await gc.submitAll([1, 2, 3]);
    expect(order).toEqual(['flush 1', 'other work', 'flush 2', 'flush 3']);
  });

  it('nothing to submit is answered at once, without a flush', async () => {
    let calls = 0;
    const gc = new GroupCommit<number, number>(async (items) => {
      calls++;
      return items.map((n) => ({ ok: true, value: n }));
    });
    expect(await gc.submitAll([])).toEqual([]);
    expect(calls).toBe(0);
  });
});
