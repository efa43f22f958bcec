import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../signaling/storage/db.ts';
import { preparedIn } from '../../signaling/storage/prepared.ts';

/** preparedIn on a real SQLite file: on the read connection, and through Kysely's connection. */
describe.each(['reader', 'kysely'] as const)('preparedIn (%s)', (via) => {
  const dir = mkdtempSync(join(tmpdir(), 'p2sp-prepared-in-'));
  let store: Store;
  let usernames: (names: readonly string[]) => Promise<{ id: number; username: string }[]>;
  beforeAll(async () => {
    store = await openStore(`sqlite:${join(dir, 'chat.db')}`);
    const { db } = store;
    await db
      .insertInto('users')
      .values(
        Array.from({ length: 600 }, (_, i) => ({
          username: `u${i}`,
          username_key: `u${i}`,
          password_hash: 'x',
          status: i % 7 === 0 ? ('blocked' as const) : ('active' as const),
          is_admin: 0,
          public_key: null,
          created_at: 0,
        })),
      )
      .execute();
    usernames = preparedIn(
      db,
      (keys: string[]) =>
        db
          .selectFrom('users')
          .select(['id', 'username'])
          .where('username_key', 'in', keys)
          // A constant of the query itself: it must stay bound whatever the list's length.
          .where('status', '=', 'active')
          .orderBy('id'),
      '',
      512,
      via === 'reader' ? store.reader : undefined,
    );
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const expected = (indexes: number[]) =>
    [...new Set(indexes)]
      .filter((i) => i < 600 && i % 7 !== 0)
      .sort((a, b) => a - b)
      .map((i) => ({ id: i + 1, username: `u${i}` }));

  it('answers lists of every length up to the most, padding included, each row once', async () => {
    for (const n of [1, 2, 3, 5, 8, 9, 100, 257, 511, 512]) {
      const indexes = Array.from({ length: n }, (_, k) => (k * 37) % 600);
      expect(await usernames(indexes.map((i) => `u${i}`))).toEqual(expected(indexes));
    }
  });

  it('leaves out values with no row, and answers an empty list with no rows', async () => {
    expect(await usernames(['nobody', 'u1', 'u7', 'u2'])).toEqual(expected([1, 2]));
    expect(await usernames([])).toEqual([]);
  });

  it('refuses a list longer than the most it was made for', async () => {
    const long = Array.from({ length: 513 }, (_, i) => `u${i}`);
    await expect(usernames(long)).rejects.toThrow('prepared query: 513 values, at most 512');
  });
});
