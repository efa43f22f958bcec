/**
 * Our signaling server under test, in its own process: `createApp` over a fresh SQLite file (or a
 * fresh PostgreSQL database), no static files, silent logs, rate limits out of the way.
 *
 * Users are seeded straight into the store (users + sessions rows with the SHA-256 of a token the
 * load generator can derive), because registering 10,000 users over HTTP costs 10,000 Argon2 hashes.
 */
import { sql } from 'kysely';
import pino from 'pino';
import { createApp, type App } from '../../signaling/app.ts';
import { loadConfig } from '../../signaling/config.ts';
import { hashToken } from '../../signaling/services/auth.ts';
import { hashPassword } from '../../signaling/services/passwords.ts';
import { freshDatabase, generousRateLimits } from '../../tests/helpers/platform.ts';
import { BENCH_PASSWORD } from '../lib/constants.ts';
import { serve } from '../lib/ipc.ts';
import { monitorHandlers, writeHeapProfile } from '../lib/monitor.ts';

let app: App | undefined;
let cleanup: () => Promise<void> = async () => {};
let passwordHash: string | undefined;

const need = (): App => {
  if (!app) throw new Error('server not started');
  return app;
};

/** Inserts `rows` in chunks inside one transaction per chunk. */
async function insertChunks<T>(rows: T[], chunk: number, insert: (part: T[]) => Promise<unknown>) {
  for (let i = 0; i < rows.length; i += chunk) await insert(rows.slice(i, i + chunk));
}

serve({
  ...monitorHandlers,

  async start(args: {
    dialect: 'sqlite' | 'postgres';
    pgAdminUrl: string;
    /** Another node's database: use it as it is, and leave dropping it to that node. */
    databaseUrl?: string;
    redisUrl?: string;
    redisPrefix?: string;
    staticDir?: string;
  }) {
    const db = args.databaseUrl
      ? { url: args.databaseUrl, drop: async () => {} }
      : await freshDatabase(args.dialect, { adminUrl: args.pgAdminUrl, prefix: 'p2sp_bench' });
    const config = {
      ...loadConfig({}),
      databaseUrl: db.url,
      redisUrl: args.redisUrl ?? null,
      redisPrefix: args.redisPrefix ?? 'p2sp-bench',
      host: '127.0.0.1',
      port: 0,
      staticDir: args.staticDir ?? null,
      logLevel: 'silent',
      rateLimits: generousRateLimits(1_000_000, 1),
    };
    try {
      app = await createApp({ config, logger: pino({ level: 'silent' }) });
    } catch (err) {
      await db.drop();
      throw err;
    }
    const { port } = await app.listen(0, '127.0.0.1');
    cleanup = async () => {
      await app?.close();
      app = undefined;
      await db.drop();
    };
    const { rows } = await (
      args.dialect === 'postgres'
        ? sql<{ v: string }>`select 'PostgreSQL ' || current_setting('server_version') as v`
        : sql<{ v: string }>`select 'SQLite ' || sqlite_version() as v`
    ).execute(app.store.db);
    const dbVersion = rows[0]?.v ?? args.dialect;
    return { port, dbVersion, databaseUrl: db.url };
  },

  /**
   * Users `u<from>`..`u<from+count-1>` with id = index + 1 and a session whose token is
   * `<tokenPrefix><index>`. All share one real Argon2id hash of BENCH_PASSWORD (hashed once).
   */
  async seedUsers(args: { from: number; count: number; tokenPrefix: string }) {
    const { db } = need().store;
    passwordHash ??= await hashPassword(BENCH_PASSWORD);
    const now = Date.now();
    const idx = Array.from({ length: args.count }, (_, k) => args.from + k);
    const t0 = performance.now();
    await insertChunks(idx, 500, (part) =>
      db
        .insertInto('users')
        .values(
          part.map((i) => ({
            id: i + 1,
            username: `u${i}`,
            username_key: `u${i}`,
            password_hash: passwordHash as string,
            status: 'active' as const,
            is_admin: 0,
            public_key: null,
            created_at: now,
          })),
        )
        .execute(),
    );
    await insertChunks(idx, 500, (part) =>
      db
        .insertInto('sessions')
        .values(
          part.map((i) => ({
            user_id: i + 1,
            token_hash: hashToken(`${args.tokenPrefix}${i}`),
            created_at: now,
            ip: '127.0.0.1',
          })),
        )
        .execute(),
    );
    return { ms: performance.now() - t0 };
  },

  /** Friendships (both directions) between user indexes. */
  async seedFriends(args: { pairs: [number, number][] }) {
    const { db } = need().store;
    const now = Date.now();
    const rows = args.pairs.flatMap(([a, b]) => [
      { user_id: a + 1, friend_id: b + 1, created_at: now },
      { user_id: b + 1, friend_id: a + 1, created_at: now },
    ]);
    await insertChunks(rows, 500, (part) => db.insertInto('friendships').values(part).execute());
    return { rows: rows.length };
  },

  /** `count` offline messages for one recipient, inserted in bulk (setup, not the measurement). */
  async seedOffline(args: {
    recipient: number;
    sender: number;
    count: number;
    /** Row k gets payloads[k % n]. */
    payloads: string[];
  }) {
    const { db } = need().store;
    const now = Date.now();
    const rows = Array.from({ length: args.count }, (_, k) => ({
      recipient_id: args.recipient + 1,
      msg_id: `seed${k}`,
      sender_id: args.sender + 1,
      kind: 'private' as const,
      group_id: null,
      group_name: null,
      group_creator: null,
      payload: args.payloads[k % args.payloads.length] as string,
      created_at: now,
    }));
    await insertChunks(rows, 500, (part) =>
      db.transaction().execute((tx) => tx.insertInto('offline_messages').values(part).execute()),
    );
    return { rows: rows.length };
  },

  /**
   * The floor for the offline store on this database: the same rows inserted `batch` per
   * transaction, no checks. What batched commits could reach.
   */
  async offlineFloor(args: {
    count: number;
    batch: number;
    recipients: number[];
    sender: number;
    /** Row k gets payloads[k % n]. */
    payloads: string[];
  }) {
    const { db } = need().store;
    const now = Date.now();
    const t0 = performance.now();
    for (let i = 0; i < args.count; i += args.batch) {
      const n = Math.min(args.batch, args.count - i);
      const rows = Array.from({ length: n }, (_, k) => ({
        recipient_id: (args.recipients[(i + k) % args.recipients.length] ?? 0) + 1,
        msg_id: `floor${i + k}`,
        sender_id: args.sender + 1,
        kind: 'private' as const,
        group_id: null,
        group_name: null,
        group_creator: null,
        payload: args.payloads[(i + k) % args.payloads.length] as string,
        created_at: now,
      }));
      await db.transaction().execute(async (tx) => {
        for (let j = 0; j < rows.length; j += 200)
          await tx
            .insertInto('offline_messages')
            .values(rows.slice(j, j + 200))
            .onConflict((oc) => oc.columns(['recipient_id', 'msg_id']).doNothing())
            .execute();
      });
    }
    const ms = performance.now() - t0;
    await db.deleteFrom('offline_messages').where('msg_id', 'like', 'floor%').execute();
    return { perSec: (args.count / ms) * 1000, ms };
  },

  /**
   * The offline store without the sockets: `OfflineService.store` called in this process,
   * `concurrency` calls in flight, so socket cost and service/database cost can be told apart.
   */
  async offlineServiceRate(args: {
    senders: number;
    recipients: number[];
    total: number;
    concurrency: number;
    /** Row k gets payloads[k % n]. */
    payloads: string[];
  }) {
    const { offline } = need().services;
    let issued = 0;
    let stored = 0;
    const errors: string[] = [];
    const t0 = performance.now();
    const deadline = t0 + 120_000;
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (issued < args.total && performance.now() < deadline) {
          const k = issued++;
          const to = args.recipients[k % args.recipients.length] ?? 0;
          try {
            const payload = args.payloads[k % args.payloads.length] as string;
            await offline.store((k % args.senders) + 1, `svc${k}`, { username: `u${to}` }, payload);
            stored++;
          } catch (err) {
            if (errors.length < 3) errors.push(String(err));
          }
        }
      }),
    );
    const ms = performance.now() - t0;
    await need().store.db.deleteFrom('offline_messages').where('msg_id', 'like', 'svc%').execute();
    return { stored, errors, perSec: (stored / ms) * 1000, ms };
  },

  async countOffline(args: { recipient?: number }) {
    const { db } = need().store;
    let q = db.selectFrom('offline_messages').select((eb) => eb.fn.countAll<number>().as('n'));
    if (args.recipient !== undefined) q = q.where('recipient_id', '=', args.recipient + 1);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** Argon2id hashes per second with `concurrency` hashes in flight (libuv pool). */
  async argonRate(args: { seconds: number; concurrency: number }) {
    const end = performance.now() + args.seconds * 1000;
    let done = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: args.concurrency }, async (_, k) => {
        while (performance.now() < end) {
          await hashPassword(`password number ${k} ${done}`);
          done++;
        }
      }),
    );
    return { hashes: done, perSec: (done / (performance.now() - t0)) * 1000 };
  },

  async close() {
    await writeHeapProfile();
    await cleanup();
    return null;
  },
});
