/**
 * Issue 9, from the attacker's side: a second account that looks like someone else's (a look-alike
 * of `admin`, a blank name) must not come into being, whichever of the two registers first, and
 * whatever the timing; ordinary and Chinese names keep working.
 */
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WireError } from '../../shared/errors.ts';
import type { AuthResult } from '../../shared/events.ts';
import { migrations } from '../../signaling/storage/migrations.ts';
import {
  DIALECTS,
  freshDatabase,
  login,
  post,
  register,
  startServer,
  type Dialect,
  type TestDatabase,
  type TestServer,
} from '../helpers/server.ts';

async function attempt(
  server: TestServer,
  username: string,
): Promise<{ status: number; error?: WireError; user?: AuthResult['user'] }> {
  const res = await post<AuthResult>(server.url, '/api/auth/register', {
    username,
    password: 'correct horse battery',
  });
  return res.body.ok
    ? { status: res.status, user: res.body.data.user }
    : { status: res.status, error: res.body.error };
}

async function usernames(server: TestServer): Promise<string[]> {
  const rows = await server.app.store.db
    .selectFrom('users')
    .select('username')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.username);
}

/** What each of issue 9's look-alikes of `admin` gets, and the rule named in `details`. */
const LOOK_ALIKES: [string, string, number, string, string][] = [
  ['Cyrillic а', '\u0430dmin', 400, 'BAD_REQUEST', 'mixed-script'],
  ['full-width', 'ａｄｍｉｎ', 409, 'USERNAME_TAKEN', 'same'],
  ['mathematical bold', '𝐚𝐝𝐦𝐢𝐧', 409, 'USERNAME_TAKEN', 'same'],
  ['Greek capital alpha', '\u0391DMIN', 400, 'BAD_REQUEST', 'mixed-script'],
  ['Hangul fillers', '\u3164\u3164', 400, 'BAD_REQUEST', 'invisible'],
];

describe.each(DIALECTS)('look-alike and invisible usernames (%s)', (dialect) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer(dialect);
  });
  afterEach(async () => {
    await server.close();
  });

  it.each(LOOK_ALIKES)(
    'refuses the %s look-alike of an existing "admin" and changes nothing',
    async (_what, name, status, code, rule) => {
      const admin = await register(server.url, 'admin');
      const res = await attempt(server, name);
      expect(res.status).toBe(status);
      expect(res.error).toMatchObject({ code, details: { rule } });
      expect(await usernames(server)).toEqual(['admin']);
      // The real admin is untouched: same account, same password.
      expect((await login(server.url, 'admin')).user.id).toBe(admin.user.id);
    },
  );

  it.each(LOOK_ALIKES)(
    'the %s look-alike, tried first, does not get "admin" away from its owner',
    async (_what, name) => {
      const first = await attempt(server, name);
      const admin = await attempt(server, 'admin');
      if (first.user) {
        // Only the compatibility forms get in, and then as the plain name they stand for.
        expect(first.user.username).toBe('admin');
        expect(admin.status).toBe(409);
        expect(admin.error).toMatchObject({ code: 'USERNAME_TAKEN', details: { rule: 'same' } });
        expect(await usernames(server)).toEqual(['admin']);
      } else {
        expect(first.status).toBe(400);
        expect(admin.status).toBe(200);
        expect(await usernames(server)).toEqual(['admin']);
      }
    },
  );

  it('refuses a whole-script look-alike in either order, naming the account it imitates', async () => {
    await register(server.url, 'pop');
    const cyrillic = await attempt(server, 'рор'); // Cyrillic er, o, er
    expect(cyrillic.status).toBe(409);
    expect(cyrillic.error).toEqual({
      code: 'USERNAME_TAKEN',
      message: 'the username "рор" looks too much like the existing user "pop"',
      details: { rule: 'confusable', similarTo: 'pop' },
    });

    await register(server.url, 'сосо'); // Cyrillic es, o
    const latin = await attempt(server, 'Coco');
    expect(latin.error).toMatchObject({
      code: 'USERNAME_TAKEN',
      details: { rule: 'confusable', similarTo: 'сосо' },
    });
    // TR39's own example: `m` and `rn` look alike.
    await register(server.url, 'barn');
    expect((await attempt(server, 'bam')).error).toMatchObject({
      details: { rule: 'confusable', similarTo: 'barn' },
    });
    expect(await usernames(server)).toEqual(['pop', 'сосо', 'barn']);
  });

  it('refuses invisible and blank-looking characters anywhere in a name', async () => {
    const hidden = [
      'ad\u200bmin', // zero-width space
      'ad\u200dmin', // zero-width joiner
      'admin\u3164', // Hangul filler
      '\u115fadmin', // Hangul choseong filler
      'ad\u1160min', // Hangul jungseong filler
      'ad\uffa0min', // half-width Hangul filler
      'ad\u00admin', // soft hyphen
      'ad\u2060min', // word joiner
      'admin\ufe0f', // variation selector
      'ad\u202emin', // right-to-left override
      'ad\u180emin', // Mongolian vowel separator
      'ad\ufeffmin', // zero-width no-break space (a BOM)
    ];
    for (const name of hidden) {
      const res = await attempt(server, name);
      expect([name, res.status, res.error?.code, res.error?.details?.rule]).toEqual([
        name,
        400,
        'BAD_REQUEST',
        'invisible',
      ]);
    }
    // White space that is not a plain space is refused as well (NFKC makes most of it a space).
    for (const name of ['ad\u00a0min', 'ad\u3000min', 'ad\u2003min', 'ad\u2028min']) {
      const res = await attempt(server, name);
      expect([name, res.status, res.error?.code]).toEqual([name, 400, 'BAD_REQUEST']);
    }
    expect(await usernames(server)).toEqual([]);
  });

  it('keeps Chinese, Japanese, Korean, digits and ordinary Latin names working', async () => {
    const names = [
      '小红',
      '张伟',
      '王小明2024',
      'li.wei-88',
      'Alice_Smith',
      'bob99',
      '小红abc',
      'さくら',
      'たなか太郎',
      '김민준',
      'Ивану',
      'Σωκράτης',
      'José',
      'straße',
    ];
    for (const name of names) {
      const res = await attempt(server, name);
      expect([name, res.status, res.user?.username]).toEqual([name, 200, name]);
    }
    expect(await usernames(server)).toEqual(names);
    // Two different Chinese names are not look-alikes of each other.
    expect((await login(server.url, '张伟')).user.username).toBe('张伟');
  });

  it('finds an account by any spelling that folds to its name, as for case', async () => {
    const alice = await register(server.url, 'Alice');
    for (const spelling of ['alice', 'ALICE', 'ａｌｉｃｅ', 'Ａｌｉｃｅ', '𝐚𝐥𝐢𝐜𝐞', ' alice ']) {
      expect([spelling, (await login(server.url, spelling)).user]).toEqual([spelling, alice.user]);
    }
    const strasse = await register(server.url, 'straße');
    expect((await login(server.url, 'STRASSE')).user.id).toBe(strasse.user.id);
    // A look-alike is not a spelling: it finds nobody.
    const res = await post(server.url, '/api/auth/login', {
      username: 'аlice',
      password: 'correct horse battery',
    });
    expect(res.body).toMatchObject({ ok: false, error: { code: 'INVALID_CREDENTIALS' } });
  });

  it('of two look-alikes registered at the same moment, exactly one gets in', async () => {
    for (const pair of [
      ['pop', 'рор'],
      ['ｋｉｍ', 'kim'],
      ['barn', 'bam'],
    ] as const) {
      const results = await Promise.all([
        attempt(server, pair[0]),
        attempt(server, pair[1]),
        attempt(server, pair[0]),
        attempt(server, pair[1]),
      ]);
      const winners = results.filter((r) => r.status === 200);
      expect([pair, winners.length]).toEqual([pair, 1]);
      for (const r of results.filter((r) => r.status !== 200))
        expect([pair, r.status, r.error?.code]).toEqual([pair, 409, 'USERNAME_TAKEN']);
    }
    expect(await usernames(server)).toHaveLength(3);
  });
});

/** A database as the server before migration 0006 left it. */
async function databaseBefore0006(dialect: Dialect, database: TestDatabase) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema of the past
  const db = new Kysely<any>({
    dialect:
      dialect === 'postgres'
        ? new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) })
        : new SqliteDialect({ database: new SQLite(database.url.replace(/^sqlite:/, '')) }),
  });
  const all = await migrations(dialect).getMigrations();
  const before: Record<string, Migration> = Object.fromEntries(
    Object.entries(all).filter(([name]) => name < '0006'),
  );
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => before },
  }).migrateToLatest();
  if (error) throw error;
  return db;
}

describe.each(DIALECTS)('migration 0006 on existing accounts (%s)', (dialect) => {
  it('re-keys and fills the skeletons, keeps every account, and guards them from then on', async () => {
    const database = await freshDatabase(dialect);
    const db = await databaseBefore0006(dialect, database);
    // Rows as the old rules wrote them: key = NFC + toLowerCase, nothing about look-alikes.
    const legacy = [
      ['\u0430dmin', '\u0430dmin'], // Cyrillic а
      ['Bob', 'bob'],
      ['ｂｏｂ', 'ｂｏｂ'], // legal before: a different key
      ['Ｃａｒｏｌ', 'ｃａｒｏｌ'],
      ['小红', '小红'],
      ['\u0391DMIN', 'αdmin'], // Greek Α
    ];
    for (const [username, key] of legacy)
      await db
        .insertInto('users')
        .values({ username, username_key: key, password_hash: 'x', created_at: 1 })
        .execute();
    const creator = await db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'Bob')
      .executeTakeFirstOrThrow();
    for (const name of ['Study  Group', 'ｃｒｅｗ'])
      await db
        .insertInto('groups')
        .values({
          name,
          name_key: name.toLowerCase(),
          creator_id: creator.id,
          owner_id: creator.id,
          created_at: 1,
        })
        .execute();
    await db.destroy();

    const server = await startServer(dialect, {}, database);
    try {
      const rows = await server.app.store.db
        .selectFrom('users')
        .select(['username', 'username_key', 'username_skeleton'])
        .orderBy('id')
        .execute();
      expect(rows).toEqual([
        { username: '\u0430dmin', username_key: '\u0430dmin', username_skeleton: 'adrnin' },
        { username: 'Bob', username_key: 'bob', username_skeleton: 'bob' },
        // Collides with Bob now: kept, under its old key, without a skeleton of its own.
        { username: 'ｂｏｂ', username_key: 'ｂｏｂ', username_skeleton: null },
        { username: 'Ｃａｒｏｌ', username_key: 'carol', username_skeleton: 'carol' },
        { username: '小红', username_key: '小红', username_skeleton: '小红' },
        { username: '\u0391DMIN', username_key: 'αdmin', username_skeleton: null },
      ]);
      // The legacy look-alike registered first: now the real name is refused beside it.
      const admin = await attempt(server, 'admin');
      expect(admin.status).toBe(409);
      expect(admin.error).toMatchObject({
        code: 'USERNAME_TAKEN',
        details: { rule: 'confusable', similarTo: '\u0430dmin' },
      });
      expect((await attempt(server, 'BOB')).error).toMatchObject({ details: { rule: 'same' } });
      expect((await attempt(server, 'caro1')).error).toMatchObject({
        details: { rule: 'confusable', similarTo: 'Ｃａｒｏｌ' },
      });
      const groups = await server.app.store.db
        .selectFrom('groups')
        .select(['name', 'name_key'])
        .orderBy('id')
        .execute();
      expect(groups).toEqual([
        { name: 'Study  Group', name_key: 'study group' },
        { name: 'ｃｒｅｗ', name_key: 'crew' },
      ]);
    } finally {
      await server.close();
    }
  });
});
