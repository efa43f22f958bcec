/**
 * Opens the store named by DATABASE_URL: an embedded SQLite file by default (zero configuration),
 * PostgreSQL for `postgres://` URLs. One query code path (Kysely), two dialects.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations.ts';
import { FifoSqliteDialect } from './sqlite-dialect.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where it lives, for logs (no password). */
  describe: string;
  /**
   * SQLite files only: a second, read-only connection for hot single-statement reads, run
   * synchronously. It sees committed data only (WAL), never another request's open transaction, and
   * needs neither Kysely's connection lock nor a promise per query. Absent on PostgreSQL and in
   * memory, where callers go through `db`.
   */
  reader?: SyncReader;
  ping(): Promise<void>;
  /**
   * SQLite: copies the write-ahead log into the database file and truncates it to nothing, so page
   * images of deleted rows do not linger in the -wal file. Resolves false when a reader kept it
   * from finishing (the next run catches up). Nothing to do on PostgreSQL (see README, Data kept).
   */
  checkpoint(): Promise<boolean>;
  close(): Promise<void>;
}

export interface SyncReader {
  all<Row>(sql: string, parameters: readonly unknown[]): Row[];
}

// bigint columns (ids, times) come back from pg as strings by default; our values fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export async function openStore(url: string): Promise<Store> {
  const store =
    url.startsWith('postgres://') || url.startsWith('postgresql://')
      ? openPostgres(url)
      : openSqlite(url);
  try {
    await migrate(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

function openSqlite(url: string): Store {
  const file = url === ':memory:' ? ':memory:' : resolve(url.replace(/^sqlite:(\/\/)?/, ''));
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits).
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // A deleted row's bytes are overwritten with zeros in its page, so an acknowledged offline
  // message (or a replaced key backup) is not left readable in the file's free space.
  sqlite.pragma('secure_delete = ON');
  const db = new Kysely<Database>({
    dialect: new FifoSqliteDialect({ database: cachingStatements(sqlite) }),
  });
  // Opened lazily: the file's tables exist only once the migrations (on `db`) have run.
  let readConnection: SqliteDatabase | undefined;
  let closed = false;
  const reader: SyncReader | undefined =
    file === ':memory:'
      ? undefined
      : {
          all<Row>(text: string, parameters: readonly unknown[]): Row[] {
            // A batched lookup asked for before close may run after it: refuse, do not reopen.
            if (closed) throw new Error('the store is closed');
            readConnection ??= cachingStatements(new SQLite(file, { readonly: true }));
            return readConnection.prepare(text).all(parameters) as Row[];
          },
        };
  return {
    db,
    dialect: 'sqlite',
    describe: `sqlite:${file}`,
    ...(reader ? { reader } : {}),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async checkpoint() {
      if (file === ':memory:') return true;
      // On the write connection, held for the three statements (after any open transaction). A
      // TRUNCATE checkpoint waits for readers, and better-sqlite3 waits synchronously: with the
      // busy timeout off, a reader in another process (the admin CLI) makes it give up at once
      // instead of stalling the event loop for up to 5 s. (Our own read connection is synchronous
      // too, so it is never mid-read while this runs.)
      return db.connection().execute(async (conn) => {
        await sql`pragma busy_timeout = 0`.execute(conn);
        try {
          const { rows } = await sql<{ busy: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(
            conn,
          );
          return rows[0]?.busy === 0;
        } finally {
          await sql`pragma busy_timeout = 5000`.execute(conn);
        }
      });
    },
    async close() {
      closed = true;
      readConnection?.close();
      readConnection = undefined;
      await db.destroy();
    },
  };
}

/** Distinct SQL texts kept prepared; the app has a few dozen, IN lists of varying length add more. */
const STATEMENT_CACHE_MAX = 500;

/**
 * Kysely's SQLite driver prepares every query it runs, and preparing (parsing and planning the SQL)
 * cost more than running it: about half the database time of a relayed signal. This keeps the
 * prepared statements by SQL text, least recently used out first. A statement is only reused when
 * it is not in the middle of an iteration (`busy`), so a streamed query cannot be disturbed.
 */
function cachingStatements(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(text: string) {
      const hit = cache.get(text);
      if (hit && !hit.busy) {
        // Move to the back: the Map's order is the recency order.
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const stmt = sqlite.prepare(text);
      if (!hit) {
        cache.set(text, stmt);
        if (cache.size > STATEMENT_CACHE_MAX) cache.delete(cache.keys().next().value as string);
      }
      return stmt;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
}

function openPostgres(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const safe = new URL(url);
  safe.password = '';
  return {
    db,
    dialect: 'postgres',
    describe: safe.toString(),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async checkpoint() {
      return true;
    },
    async close() {
      await db.destroy();
    },
  };
}

async function migrate(store: Store): Promise<void> {
  const migrator = new Migrator({ db: store.db, provider: migrations(store.dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, {
      cause: error,
    });
  }
}

/** True when `err` is a unique-constraint violation, in either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
