/**
 * 7. Bans from the admin CLI (issue 9): how long from the CLI's block (its commit) until the banned
 * user's socket drops, and how many of the banned user's relays still reach their friend after the
 * CLI said "done".
 *
 * Real processes, as deployed: `signaling/main.ts` servers and `signaling/admin-cli.ts`, with the
 * block sweep set to ten minutes so only the block feed (signaling/block-feed.ts) can end a session.
 * Rows: SQLite with one node; PostgreSQL with two nodes and Redis, the banned user on node 2 and
 * their friend on node 1. During each ban the banned user relays a signal every 2 ms.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { io as connect, type Socket } from 'socket.io-client';
import { startMain, type RunningServer } from '../../tests/helpers/process.ts';
import { loadNote, sleep, type Options, type SuiteResult } from '../lib/harness.ts';
import { fmtInt, fmtMs, round, summarize, type Summary } from '../lib/stats.ts';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PASSWORD = 'bench bans password';

type Layout = 'sqlite-1' | 'postgres-2';
const LABEL: Record<Layout, string> = {
  'sqlite-1': 'SQLite, 1 node',
  'postgres-2': 'PostgreSQL + Redis, 2 nodes (banned user on the other node)',
};

/**
 * A node: the real entrypoint as a process (tests/helpers/process.ts), with the sweep out of the
 * way so only the block log can explain a fast ban, and the flood guards lifted.
 */
const startNode = (env: Record<string, string>): Promise<RunningServer> =>
  startMain({
    SWEEP_INTERVAL_MS: '600000',
    RATE_EVENTS_PER_USER: '1000000',
    RATE_REGISTER_PER_IP: '100000',
    ...env,
  });

function cli(databaseUrl: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/admin-cli.ts', ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.once('exit', (code) => r({ code, out })));
}

async function register(url: string, username: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  const body = (await res.json()) as { ok: boolean; data?: { token: string } };
  if (!body.ok || !body.data) throw new Error(`register ${username}: ${JSON.stringify(body)}`);
  return body.data.token;
}

function socketFor(url: string, token: string): Promise<Socket> {
  const s = connect(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    s.once('session:ready', () => resolve(s));
    s.once('connect_error', reject);
  });
}

const ask = (s: Socket, event: string, payload: unknown) =>
  s.timeout(10_000).emitWithAck(event, payload) as Promise<{ ok: boolean }>;

interface Ban {
  /** From the block's commit (its block_events row) to the banned client's disconnect. */
  commitToDrop: number;
  /** From the CLI's exit ("done") to the disconnect: negative when it dropped first. */
  doneToDrop: number;
  cliMs: number;
  relaysAfterDone: number;
  /** The CLI warned that some node did not acknowledge within its timeout. */
  unconfirmed: boolean;
}

async function ban(
  databaseUrl: string,
  victimUrl: string,
  friendUrl: string,
  name: string,
  db: { eventAt(): Promise<number> },
): Promise<Ban> {
  const victim = await socketFor(victimUrl, await register(victimUrl, `${name}v`));
  const friend = await socketFor(friendUrl, await register(friendUrl, `${name}f`));
  try {
    await ask(victim, 'friends:request', { username: `${name}f` });
    await ask(friend, 'friends:respond', { username: `${name}v`, accept: true });
    let doneAt = Number.POSITIVE_INFINITY;
    let afterDone = 0;
    friend.on('signal', () => {
      if (performance.now() > doneAt) afterDone++;
    });
    const dropped = new Promise<{ perf: number; wall: number }>((r) =>
      victim.once('disconnect', () => r({ perf: performance.now(), wall: Date.now() })),
    );
    const flood = setInterval(() => {
      victim.emit(
        'signal:send',
        { to: `${name}f`, signal: { type: 'offer', sdp: 'v=0' } },
        () => {},
      );
    }, 2);
    const t0 = performance.now();
    const res = await cli(databaseUrl, ['block', `${name}v`]);
    doneAt = performance.now();
    if (res.code !== 0) throw new Error(`admin CLI failed: ${res.out}`);
    const drop = await Promise.race([dropped, sleep(30_000).then(() => null)]);
    clearInterval(flood);
    if (!drop) throw new Error('the banned socket was not dropped within 30 s');
    // Let anything still in flight arrive before counting.
    await sleep(300);
    return {
      commitToDrop: drop.wall - (await db.eventAt()),
      doneToDrop: drop.perf - doneAt,
      cliMs: doneAt - t0,
      relaysAfterDone: afterDone,
      unconfirmed: res.out.includes('did not confirm'),
    };
  } finally {
    victim.close();
    friend.close();
  }
}

interface BansRow {
  layout: Layout;
  rounds: number;
  commitToDrop: Summary;
  doneToDrop: Summary;
  cliMs: Summary;
  relaysAfterDone: number;
  unconfirmed: number;
}

export async function bans(opts: Options): Promise<SuiteResult> {
  const t0 = performance.now();
  const rounds = opts.quick ? 2 : 10;
  const runId = randomBytes(4).toString('hex');
  const rows: BansRow[] = [];
  const loads = [loadNote()];
  for (const layout of ['sqlite-1', 'postgres-2'] as Layout[]) {
    opts.log(`bans: ${LABEL[layout]}, ${rounds} bans`);
    let databaseUrl: string;
    let drop: () => Promise<void>;
    if (layout === 'sqlite-1') {
      const dir = mkdtempSync(join(tmpdir(), 'p2sp-bench-bans-'));
      databaseUrl = `sqlite:${join(dir, 'chat.db')}`;
      drop = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const name = `p2sp_bench_bans_${process.pid}_${runId}`;
      const admin = new pg.Client({ connectionString: opts.pgAdminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(opts.pgAdminUrl);
      url.pathname = `/${name}`;
      databaseUrl = url.toString();
      drop = async () => {
        const c = new pg.Client({ connectionString: opts.pgAdminUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      };
    }
    const env: Record<string, string> = { DATABASE_URL: databaseUrl };
    if (layout === 'postgres-2') {
      env.REDIS_URL = REDIS_URL;
      env.REDIS_PREFIX = `p2sp-bench-bans-${runId}`;
    }
    const nodes: RunningServer[] = [];
    const results: Ban[] = [];
    try {
      nodes.push(await startNode(env));
      if (layout === 'postgres-2') nodes.push(await startNode(env));
      // The time of the last block, as the CLI wrote it (same machine, same clock).
      const eventAt = async (): Promise<number> => {
        if (layout === 'sqlite-1') {
          const { default: SQLite } = await import('better-sqlite3');
          const file = databaseUrl.replace(/^sqlite:/, '');
          const db = new SQLite(file, { readonly: true });
          try {
            const row = db.prepare('select max(at) as at from block_events').get() as {
              at: number;
            };
            return row.at;
          } finally {
            db.close();
          }
        }
        const c = new pg.Client({ connectionString: databaseUrl });
        await c.connect();
        try {
          const r = await c.query<{ at: string }>('select max(at) as at from block_events');
          return Number(r.rows[0]!.at);
        } finally {
          await c.end();
        }
      };
      const victimNode = nodes[nodes.length - 1]!;
      const friendNode = nodes[0]!;
      for (let i = 0; i < rounds; i++) {
        const r = await ban(databaseUrl, victimNode.url, friendNode.url, `bb${runId}${i}`, {
          eventAt,
        });
        results.push(r);
        opts.log(
          `  ban ${i + 1}: commit -> drop ${fmtMs(r.commitToDrop)}, done -> drop ${fmtMs(r.doneToDrop)}, ${r.relaysAfterDone} relays after done${r.unconfirmed ? ', CLI timed out on an ack' : ''}`,
        );
      }
    } finally {
      for (const n of [...nodes].reverse()) await n.stop();
      await drop();
    }
    rows.push({
      layout,
      rounds,
      commitToDrop: summarize(results.map((r) => r.commitToDrop)),
      doneToDrop: summarize(results.map((r) => r.doneToDrop)),
      cliMs: summarize(results.map((r) => r.cliMs)),
      relaysAfterDone: results.reduce((n, r) => n + r.relaysAfterDone, 0),
      unconfirmed: results.filter((r) => r.unconfirmed).length,
    });
    loads.push(loadNote());
  }
  return {
    name: 'bans',
    title: '7. Bans from the admin CLI: block to dropped socket',
    conditions: [
      `machine: ${loads.join(' -> ')}`,
      `${rounds} bans per row; real server processes (signaling/main.ts) and the real CLI; SWEEP_INTERVAL_MS=600000, so only the block feed ends sessions`,
      'the banned user relays a signal to their friend every 2 ms during each ban',
    ],
    header: [
      'layout',
      'bans',
      'commit -> drop p50',
      'commit -> drop max',
      'done -> drop p50',
      'done -> drop max',
      'CLI run p50',
      'relays delivered after done',
      'CLI timed out on an ack',
    ],
    rows: rows.map((r) => [
      LABEL[r.layout],
      String(r.rounds),
      fmtMs(r.commitToDrop.p50),
      fmtMs(r.commitToDrop.max),
      fmtMs(r.doneToDrop.p50),
      fmtMs(r.doneToDrop.max),
      fmtMs(r.cliMs.p50),
      fmtInt(r.relaysAfterDone),
      String(r.unconfirmed),
    ]),
    notes: [
      '"commit -> drop": from the block_events row\'s time (the CLI\'s clock) to the disconnect seen by the banned client (wall clocks on one machine, ms resolution).',
      '"done -> drop": negative means the client saw its socket close before the CLI exited. The CLI waits for every running node\'s acknowledgement (their sockets of that user are gone) before it says done.',
      '"CLI run" includes starting Node and tsx, which is most of it.',
    ],
    data: {
      rows: rows.map((r) => ({
        layout: r.layout,
        rounds: r.rounds,
        commitToDropP50: round(r.commitToDrop.p50),
        commitToDropMax: round(r.commitToDrop.max),
        doneToDropMax: round(r.doneToDrop.max),
        relaysAfterDone: r.relaysAfterDone,
        unconfirmed: r.unconfirmed,
      })),
    },
    wallMs: performance.now() - t0,
  };
}
