/**
 * 6. Two nodes: signaling relay latency when the two peers are connected to different signaling
 * processes (PostgreSQL shared, Socket.IO Redis adapter between them), against one process with the
 * same connections and the same load.
 *
 * Rows, run back to back on the same load:
 * - one node, PostgreSQL, no Redis (the single-node deployment);
 * - two nodes, every pair split: A on node 1, B on node 2, so every relay crosses Redis;
 * - one node with the Redis adapter (a cluster of one), to tell the adapter's own cost from the
 *   cost of crossing between processes.
 *
 * Users, sessions and friendships are seeded once per database straight into PostgreSQL (as in
 * servers/ours.ts); the second node joins the first one's database. REDIS_PREFIX is unique per run.
 */
import { randomBytes } from 'node:crypto';
import {
  Workers,
  loadNote,
  newTokenPrefix,
  sleep,
  startServer,
  type Options,
  type Server,
  type SuiteResult,
} from '../lib/harness.ts';
import { fmtInt, fmtMs, round, type Summary } from '../lib/stats.ts';
import { SDP_BYTES, relayLoad, seedRelayPairs } from './relay.ts';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

type Layout = 'single' | 'two-nodes' | 'single-redis';

const LABEL: Record<Layout, string> = {
  single: '1 node (PostgreSQL, no Redis)',
  'two-nodes': '2 nodes, A and B on different nodes',
  'single-redis': '1 node + Redis adapter (cluster of one)',
};

interface NodesRun {
  layout: Layout;
  nodes: number;
  connected: number;
  sent: number;
  received: number;
  ackFailed: number;
  ackErrors: string[];
  achievedRate: number;
  latency: Summary;
  /** Worst node's event-loop lag p99. */
  serverLagP99: number;
  /** CPU time of all nodes together per relayed message, µs. */
  serverCpuUsPerRelay: number;
}

export async function nodes(opts: Options): Promise<SuiteResult> {
  const t0 = performance.now();
  const target = opts.connections ?? (opts.quick ? 100 : 2_000);
  const rate = opts.rate ?? (opts.quick ? 50 : 500);
  const seconds = opts.seconds ?? (opts.quick ? 2 : 10);
  // Warm-up per row: the load generators are reused across rows, the servers are new each row.
  const warmSeconds = opts.quick ? 1 : 3;
  const workerCount = opts.quick ? Math.min(2, opts.workers) : opts.workers;
  const runId = randomBytes(4).toString('hex');
  const layouts: Layout[] = ['single', 'two-nodes', 'single-redis'];
  const runs: NodesRun[] = [];
  const loads = [loadNote()];
  const notes: string[] = [];
  let dbVersion = '';
  const workers = await Workers.start(workerCount);
  try {
    for (const layout of layouts) {
      opts.log(
        `nodes: ${LABEL[layout]}, ${fmtInt(target)} connected, ${fmtInt(rate)}/s for ${seconds} s`,
      );
      const redis =
        layout === 'single'
          ? {}
          : { redisUrl: REDIS_URL, redisPrefix: `p2sp-bench-${runId}-${layout}` };
      const servers: Server[] = [];
      try {
        const first = await startServer('ours', opts, 'postgres', redis);
        servers.push(first);
        dbVersion = first.dbVersion ?? dbVersion;
        const prefix = newTokenPrefix();
        await seedRelayPairs(first, target, prefix);
        if (layout === 'two-nodes') {
          // The second node joins the same database and the same Redis channels.
          servers.push(
            await startServer('ours', opts, 'postgres', {
              ...redis,
              databaseUrl: first.databaseUrl,
            }),
          );
          // Let the nodes exchange heartbeats/presence snapshots before any load.
          await sleep(500);
        }
        const ports = servers.map((s) => s.port);
        // Pairs are (2k, 2k+1): with two ports, A goes to node 1 and B to node 2.
        const c = await workers.connect('ours', first.port, 0, target, opts, prefix, { ports });
        opts.log(`  connected ${fmtInt(c.connected)} in ${(c.ms / 1000).toFixed(1)} s`);
        if (c.failed > 0)
          notes.push(`${LABEL[layout]}: ${c.failed} connections failed (${c.errors.join('; ')})`);
        await sleep(500);
        await relayLoad(servers, workers, rate, warmSeconds); // warm-up (JIT, caches, pools)
        const r = await relayLoad(servers, workers, rate, seconds);
        runs.push({ layout, nodes: servers.length, connected: c.connected, ...r });
        opts.log(
          `  ${fmtInt(r.received)}/${fmtInt(r.sent)} delivered, p50 ${fmtMs(r.latency.p50)} p99 ${fmtMs(r.latency.p99)}, ${r.serverCpuUsPerRelay.toFixed(0)} µs CPU/relay`,
        );
      } finally {
        await workers.closeAll();
        // The second node first: the first one drops the database it created.
        for (const s of [...servers].reverse()) await s.stop();
      }
      loads.push(loadNote());
    }
  } finally {
    await workers.stop();
  }

  const single = runs.find((r) => r.layout === 'single');
  const two = runs.find((r) => r.layout === 'two-nodes');
  const ratio = (r: NodesRun) =>
    single ? r.latency.p99 / Math.max(0.001, single.latency.p99) : Number.NaN;
  if (single && two) {
    const x = ratio(two);
    notes.push(
      `Goal p99 across two nodes <= 2x single-node p99: ${fmtMs(two.latency.p99)} vs ${fmtMs(single.latency.p99)} = ${x.toFixed(2)}x (${x <= 2 ? 'met' : 'NOT met'})`,
    );
  }
  notes.push(
    'Latency is measured in the load generator that holds both A and B (one clock); generators, ' +
      'both nodes, PostgreSQL and Redis share the machine\'s cores. "server CPU/relay" sums every node.',
  );
  return {
    name: 'nodes',
    title: '6. Two nodes: relay across nodes (PostgreSQL + Redis) vs one node',
    conditions: [
      `machine: ${loads.join(' -> ')}`,
      `${fmtInt(target)} connected (${fmtInt(target / 2)} friend pairs), ${fmtInt(rate)} relays/s (offer ~${SDP_BYTES} B) for ${seconds} s after a ${warmSeconds} s warm-up, same load for every row`,
      `${dbVersion}, a fresh database per row, users/sessions/friendships seeded straight into it; Redis ${REDIS_URL}, channel prefix p2sp-bench-${runId}-<row>`,
      `two nodes: two createApp processes (bench/servers/ours.ts) on one database with REDIS_URL; connection i goes to node (i mod 2), so every pair is split`,
      `${workerCount} load-generator processes, source addresses 127.0.0.1-127.0.0.${opts.addresses}`,
    ],
    header: [
      'layout',
      'nodes',
      'connected',
      'delivered',
      'acks failed',
      'p50',
      'p90',
      'p99',
      'max',
      'p99 vs 1 node',
      'server lag p99',
      'server CPU/relay',
    ],
    rows: runs.map((r) => [
      LABEL[r.layout],
      String(r.nodes),
      fmtInt(r.connected),
      `${fmtInt(r.received)}/${fmtInt(r.sent)}`,
      fmtInt(r.ackFailed),
      fmtMs(r.latency.p50),
      fmtMs(r.latency.p90),
      fmtMs(r.latency.p99),
      fmtMs(r.latency.max),
      `${ratio(r).toFixed(2)}x`,
      fmtMs(r.serverLagP99),
      `${r.serverCpuUsPerRelay.toFixed(0)} µs`,
    ]),
    notes,
    data: {
      target,
      rate,
      seconds,
      runs,
      p99Ratio: single && two ? round(ratio(two), 3) : null,
    },
    wallMs: performance.now() - t0,
  };
}
