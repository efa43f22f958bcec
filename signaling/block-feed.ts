/**
 * Blocks made by another process reach running nodes in well under a second (issue 9), not at the
 * next block sweep (SWEEP_INTERVAL_MS, still there as the safety net).
 *
 * Every block and unblock appends a row to `block_events` in the same transaction as the status
 * change. Nodes follow that log by primary key:
 *
 * - PostgreSQL: the transaction also sends `NOTIFY p2sp_blocks` (delivered at commit); every node
 *   holds one LISTEN connection and reads the new rows when told. When that connection drops, the
 *   node reconnects and reads whatever it missed, so a lost notification costs time, never a block.
 * - SQLite (one node, the CLI on the same file): the node reads new rows every BLOCK_POLL_MS. The
 *   query is a range scan on the primary key that finds nothing almost always: a few microseconds.
 *
 * A node that has applied an event (its sockets of that user are gone, its block list updated)
 * writes a row to `block_acks`. Nodes also keep a heartbeat row in `nodes`, so the admin CLI can
 * wait until every running node has acknowledged its block before it says "done": after that, no
 * node relays for the blocked user.
 */
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from './storage/schema.ts';
import type { Dialect, Store } from './storage/db.ts';

export const BLOCK_CHANNEL = 'p2sp_blocks';
/** How often a SQLite node looks for new block events. */
export const BLOCK_POLL_MS = 100;
/** Nodes refresh their `nodes` row this often; a row older than NODE_STALE_MS is a node gone. */
export const NODE_BEAT_MS = 2_000;
export const NODE_STALE_MS = NODE_BEAT_MS * 5;
/** Events and acknowledgements older than this are deleted (they only matter for seconds). */
const EVENT_KEEP_MS = 24 * 3600_000;
/** The LISTEN connection's application_name, so an operator (or a test) can find it. */
export const LISTENER_NAME = 'p2sp-block-feed';

export interface BlockEvent {
  id: number;
  userId: number;
  blocked: boolean;
  /** The process that made it already told the user's contacts (a running server did). */
  contactsTold: boolean;
}

/** Appends an event inside the caller's transaction; on PostgreSQL also NOTIFYs, sent at commit. */
export async function appendBlockEvent(
  tx: Transaction<Database> | Kysely<Database>,
  dialect: Dialect,
  event: { userId: number; blocked: boolean; contactsTold: boolean; at: number },
): Promise<number> {
  const row = await tx
    .insertInto('block_events')
    .values({
      user_id: event.userId,
      blocked: event.blocked ? 1 : 0,
      contacts_told: event.contactsTold ? 1 : 0,
      at: event.at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (dialect === 'postgres')
    await sql`select pg_notify(${BLOCK_CHANNEL}, ${String(row.id)})`.execute(tx);
  return row.id;
}

/**
 * Waits until every node alive now has acknowledged the event, or the timeout. Returns the nodes
 * waited for and those that did not answer (they still apply it, at the latest at their sweep).
 */
export async function awaitAcks(
  store: Store,
  eventId: number,
  timeoutMs: number,
): Promise<{ nodes: string[]; missing: string[] }> {
  const { db } = store;
  const nodes = (
    await db
      .selectFrom('nodes')
      .select('id')
      .where('seen_at', '>', Date.now() - NODE_STALE_MS)
      .execute()
  ).map((r) => r.id);
  const deadline = Date.now() + timeoutMs;
  let missing = nodes;
  while (missing.length > 0) {
    const acked = new Set(
      (
        await db.selectFrom('block_acks').select('node').where('event_id', '=', eventId).execute()
      ).map((r) => r.node),
    );
    missing = missing.filter((n) => !acked.has(n));
    if (missing.length === 0 || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { nodes, missing };
}

export interface BlockFeed {
  close(): Promise<void>;
}

export interface BlockFeedOptions {
  nodeId: string;
  /** For the PostgreSQL LISTEN connection (the pool's connections cannot hold a LISTEN). */
  databaseUrl: string;
  logger: Logger;
  /** Applies one event on this node; the acknowledgement is written once it resolves. */
  apply: (event: BlockEvent) => Promise<void>;
}

/**
 * Follows `block_events` from now on, in order, acknowledging each event once and applying a
 * user's latest one in each read (an earlier one it supersedes is acknowledged, not applied).
 */
export async function followBlocks(store: Store, options: BlockFeedOptions): Promise<BlockFeed> {
  const { db } = store;
  const { nodeId, logger } = options;
  const last = await db
    .selectFrom('block_events')
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirst();
  let cursor = Number(last?.max ?? 0);
  let closed = false;

  const beat = async () => {
    const now = Date.now();
    await db
      .insertInto('nodes')
      .values({ id: nodeId, seen_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at: now }))
      .execute();
  };
  const prune = async () => {
    const before = Date.now() - EVENT_KEEP_MS;
    await db.deleteFrom('block_acks').where('at', '<', before).execute();
    await db.deleteFrom('block_events').where('at', '<', before).execute();
    await db.deleteFrom('nodes').where('seen_at', '<', before).execute();
  };
  await beat();
  await prune();

  // One reader at a time; a call while one runs asks it to look once more when it is done.
  let running: Promise<void> | null = null;
  let again = false;
  const catchUp = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        const rows = await db
          .selectFrom('block_events')
          .select(['id', 'user_id', 'blocked', 'contacts_told'])
          .where('id', '>', cursor)
          .orderBy('id')
          .execute();
        // Only a user's last event in the read counts: the ones before it are history. A block
        // undone before this node looked (an unblock, then a sign-in, within one poll) applied in
        // order ended the session begun after the unblock, which was never blocked.
        const last = new Map<number, number>();
        for (const r of rows) last.set(r.user_id, r.id);
        for (const r of rows) {
          if (closed) return;
          if (last.get(r.user_id) === r.id) {
            await options.apply({
              id: r.id,
              userId: r.user_id,
              blocked: r.blocked === 1,
              contactsTold: r.contacts_told === 1,
            });
          }
          cursor = r.id;
        }
        if (rows.length > 0) {
          const at = Date.now();
          await db
            .insertInto('block_acks')
            .values(rows.map((r) => ({ event_id: r.id, node: nodeId, at })))
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
      } while (again && !closed);
    })().finally(() => {
      running = null;
    });
    return running;
  };
  const follow = () => {
    catchUp().catch((err: unknown) => logger.error({ err }, 'reading block events failed'));
  };

  const beats = setInterval(() => {
    beat().catch((err: unknown) => logger.error({ err }, 'node heartbeat failed'));
  }, NODE_BEAT_MS);
  const prunes = setInterval(() => {
    prune().catch((err: unknown) => logger.error({ err }, 'pruning block events failed'));
  }, 3600_000);
  beats.unref();
  prunes.unref();

  let poll: NodeJS.Timeout | null = null;
  let listener: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  if (store.dialect === 'sqlite') {
    poll = setInterval(follow, BLOCK_POLL_MS);
    poll.unref();
  } else {
    let delay = 250;
    const listen = async (): Promise<void> => {
      const client = new pg.Client({
        connectionString: options.databaseUrl,
        application_name: LISTENER_NAME,
      });
      let lost = false;
      const reconnect = (err?: unknown) => {
        if (lost || closed) return;
        lost = true;
        listener = null;
        logger.warn({ err }, 'block event listener lost; reconnecting');
        client.end().catch(() => {});
        retry = setTimeout(() => {
          retry = null;
          listen().catch(() => reconnect());
        }, delay);
        delay = Math.min(delay * 2, 5_000);
      };
      client.on('error', reconnect);
      client.on('end', () => reconnect());
      client.on('notification', follow);
      try {
        await client.connect();
        await client.query(`LISTEN ${BLOCK_CHANNEL}`);
      } catch (err) {
        reconnect(err);
        return;
      }
      if (closed) {
        await client.end();
        return;
      }
      listener = client;
      delay = 250;
      // Whatever was appended while we were not listening.
      follow();
    };
    await listen();
  }

  return {
    async close() {
      closed = true;
      clearInterval(beats);
      clearInterval(prunes);
      if (poll) clearInterval(poll);
      if (retry) clearTimeout(retry);
      const client = listener;
      listener = null;
      await client?.end().catch(() => {});
      await running?.catch(() => {});
      await db
        .deleteFrom('nodes')
        .where('id', '=', nodeId)
        .execute()
        .catch(() => {});
    },
  };
}
