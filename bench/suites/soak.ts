/**
 * 8. Soak: the chaos scenario of tests/integration/chaos.test.ts, longer and on two nodes
 * (PostgreSQL + the Redis adapter): real engines in Node over real WebRTC, private and group
 * traffic, network drops, tab reloads and SIGKILLs of a node. Counts what was lost, shown twice and
 * shown out of order. Goal: 0, 0 and 0 for 10,000 messages.
 */
import { runChaos, type ChaosResult } from '../../tests/helpers/chaos.ts';
import { freshDatabase } from '../../tests/helpers/server.ts';
import { loadNote, type Options, type SuiteResult } from '../lib/harness.ts';
import { fmtInt } from '../lib/stats.ts';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function soak(opts: Options): Promise<SuiteResult> {
  const t0 = performance.now();
  const messages = opts.quick ? 60 : (opts.messages ?? 10_000);
  const users = 10;
  const faults = opts.quick
    ? { socketDrops: 2, reloads: 1, serverKills: 1 }
    : { socketDrops: 40, reloads: 20, serverKills: 4 };
  const db = await freshDatabase('postgres');
  const prefix = `p2sp-soak-${process.pid}-${Date.now().toString(36)}`;
  const node = {
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    CLUSTER_HEARTBEAT_MS: '500',
    // Ten people sending a message every ~70 ms between them, each new channel a dozen signals,
    // all from one address: past the flood guards (200 events per user per 10 s, 120 handshakes
    // per address a minute), which this soak is not about.
    RATE_EVENTS_PER_USER: '100000',
    RATE_CONNECTS_PER_IP: '100000',
  };
  opts.log(`soak: ${fmtInt(messages)} messages, ${users} users on 2 nodes`);
  let result: ChaosResult;
  try {
    result = await runChaos({
      nodes: [node, node],
      users,
      messages,
      groupShare: 0.3,
      pauseMs: opts.quick ? 10 : 5,
      ...faults,
      settleMs: opts.quick ? 60_000 : 180_000,
      seed: Date.now() % 1_000_000,
      log: opts.log,
    });
  } finally {
    await db.drop();
  }
  const row = [
    fmtInt(result.sent),
    fmtInt(result.expected),
    fmtInt(result.lost),
    fmtInt(result.refused.length),
    fmtInt(result.duplicates),
    fmtInt(result.outOfOrder),
    `${result.faults.socketDrops} / ${result.faults.reloads} / ${result.faults.serverKills}`,
    `${(result.settleMs / 1000).toFixed(1)} s`,
  ];
  return {
    name: 'soak',
    title: 'Soak: chaos on two nodes (lost, shown twice, out of order)',
    conditions: [
      `${users} users (real engines in one Node process, @roamhq/wrtc, fake-indexeddb), each behind its own TCP proxy to a node`,
      'friends in a ring, one group of 5; 30% of a member’s messages go to the group',
      '2 server processes on one fresh PostgreSQL database with the Redis adapter; a killed node’s users reconnect to the other',
      loadNote(),
    ],
    header: [
      'messages',
      'deliveries expected',
      'lost',
      'refused',
      'shown twice',
      'out of order',
      'drops / reloads / SIGKILLs',
      'settle',
    ],
    rows: [row],
    notes: [
      `goal: 0 lost, 0 shown twice, 0 out of order; measured ${result.lost}, ${result.duplicates}, ${result.outOfOrder}`,
      ...result.refused.slice(0, 5).map((r) => `refused: ${r}`),
    ],
    data: result as unknown as Record<string, unknown>,
    wallMs: performance.now() - t0,
  };
}
