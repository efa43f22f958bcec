/**
 * 2. Signaling relay latency: an offer (~1 KB SDP) relayed A -> server -> B with many connections
 * held, at a fixed rate; then the highest rate one server process sustains (p99 < 100 ms and every
 * message delivered), found by stepping the rate up.
 */
import type { Child } from '../lib/ipc.ts';
import {
  SERVER_LABEL,
  Workers,
  newTokenPrefix,
  sleep,
  startServer,
  type Options,
  type Server,
  type ServerKind,
  type SuiteResult,
  loadNote,
} from '../lib/harness.ts';
import { fmtInt, fmtMs, round, summarize, type Summary } from '../lib/stats.ts';

interface RelayRun extends RelayLoad {
  targetRate: number;
}

interface RelayRow {
  server: ServerKind;
  connected: number;
  fixed: RelayRun;
  steps: RelayRun[];
  maxRate: number;
  maxLimitedBy: string;
}

/** An offer's SDP is about this size. */
export const SDP_BYTES = 1_000;

/** What one fixed-rate relay run measured, over however many nodes served it. */
export interface RelayLoad {
  achievedRate: number;
  sent: number;
  received: number;
  ackFailed: number;
  ackErrors: string[];
  latency: Summary;
  /** Worst node's event-loop lag p99. */
  serverLagP99: number;
  /** CPU time of all nodes together per relayed message (user + system), in microseconds. */
  serverCpuUsPerRelay: number;
}

/**
 * Seeds users 0..count-1 with tokens `${prefix}${i}` straight into our server's store, and makes
 * each relay pair (2k, 2k+1) friends, so the load generator's pairs may signal each other.
 */
export async function seedRelayPairs(server: Server, count: number, prefix: string): Promise<void> {
  await server.child.call('seedUsers', { from: 0, count, tokenPrefix: prefix }, 120_000);
  const pairs = Array.from({ length: Math.floor(count / 2) }, (_, k): [number, number] => [
    2 * k,
    2 * k + 1,
  ]);
  await server.child.call('seedFriends', { pairs }, 120_000);
}

/**
 * One fixed-rate run: every load generator relays its share of `rate` for `seconds`, and the
 * figures are merged across generators and across the nodes serving them.
 */
export async function relayLoad(
  servers: Server[],
  workers: Workers,
  rate: number,
  seconds: number,
): Promise<RelayLoad> {
  await Promise.all(servers.map((s) => s.resetLag()));
  const before = await Promise.all(servers.map((s) => s.stats(false)));
  const per = rate / workers.all.length;
  const parts = await Promise.all(
    workers.all.map((w: Child) =>
      w.call<{
        sent: number;
        received: number;
        ackFailed: number;
        ackErrors: string[];
        sendMs: number;
        latencies: number[];
      }>(
        'relay',
        { rate: per, seconds, payloadBytes: SDP_BYTES, drainMs: 3_000 },
        seconds * 2_000 + 30_000,
      ),
    ),
  );
  const after = await Promise.all(servers.map((s) => s.stats(false)));
  const sent = parts.reduce((s, p) => s + p.sent, 0);
  const sendMs = Math.max(...parts.map((p) => p.sendMs));
  const cpuMs = after.reduce((s, a, i) => s + a.cpuMs - (before[i]?.cpuMs ?? 0), 0);
  return {
    achievedRate: round((sent / sendMs) * 1000, 0),
    sent,
    received: parts.reduce((s, p) => s + p.received, 0),
    ackFailed: parts.reduce((s, p) => s + p.ackFailed, 0),
    ackErrors: parts.flatMap((p) => p.ackErrors).slice(0, 3),
    latency: summarize(parts.flatMap((p) => p.latencies)),
    serverLagP99: round(Math.max(...after.map((a) => a.lag.p99)), 2),
    serverCpuUsPerRelay: round((cpuMs * 1000) / Math.max(1, sent), 1),
  };
}

async function runAt(
  server: Server,
  workers: Workers,
  rate: number,
  seconds: number,
): Promise<RelayRun> {
  return { targetRate: rate, ...(await relayLoad([server], workers, rate, seconds)) };
}

const passes = (r: RelayRun) =>
  r.received === r.sent &&
  r.ackFailed === 0 &&
  r.latency.p99 < 100 &&
  r.achievedRate >= r.targetRate * 0.9;

export async function relay(opts: Options): Promise<SuiteResult> {
  const t0 = performance.now();
  const target = opts.connections ?? (opts.quick ? 200 : 10_000);
  const rate = opts.rate ?? (opts.quick ? 100 : 1_000);
  const seconds = opts.seconds ?? (opts.quick ? 2 : 10);
  const steps = opts.quick
    ? [200, 400]
    : (opts.steps ?? [2_000, 4_000, 6_000, 8_000, 11_000, 15_000, 20_000]);
  // Long enough to take in the full garbage collections a big heap runs every several seconds:
  // with 3 s steps a server can pass a rate between two collections that it cannot hold.
  const stepSeconds = opts.stepSeconds ?? (opts.quick ? 1 : 20);
  const rows: RelayRow[] = [];
  const notes: string[] = [];
  const loads: string[] = [loadNote()];
  for (const kind of opts.servers) {
    opts.log(
      `relay: ${SERVER_LABEL[kind]}, ${fmtInt(target)} connected, ${fmtInt(rate)}/s for ${seconds} s`,
    );
    const server = await startServer(kind, opts);
    const workers = await Workers.start(opts.workers);
    try {
      const prefix = newTokenPrefix();
      if (kind === 'ours') {
        await seedRelayPairs(server, target, prefix);
      }
      const c = await workers.connect(kind, server.port, 0, target, opts, prefix);
      opts.log(`  connected ${fmtInt(c.connected)} in ${(c.ms / 1000).toFixed(1)} s`);
      if (c.failed > 0)
        notes.push(
          `${SERVER_LABEL[kind]}: ${c.failed} connections failed (${c.errors.join('; ')})`,
        );
      await sleep(500);
      await runAt(server, workers, rate, Math.min(1, seconds)); // warm-up (JIT, caches)
      const fixed = await runAt(server, workers, rate, seconds);
      opts.log(
        `  ${fmtInt(fixed.received)}/${fmtInt(fixed.sent)} delivered, p50 ${fmtMs(fixed.latency.p50)} p99 ${fmtMs(fixed.latency.p99)}`,
      );
      const stepRuns: RelayRun[] = [];
      // The fixed-rate run counts as the first step.
      let maxRate = passes(fixed) ? fixed.achievedRate : 0;
      let limitedBy = 'not reached (highest step passed)';
      // Coarse steps up to the first failure, then one step halfway back to the last pass.
      const tryStep = async (step: number): Promise<boolean> => {
        const r = await runAt(server, workers, step, stepSeconds);
        stepRuns.push(r);
        opts.log(
          `  step ${fmtInt(step)}/s: achieved ${fmtInt(r.achievedRate)}/s, ${fmtInt(r.received)}/${fmtInt(r.sent)} delivered, p99 ${fmtMs(r.latency.p99)}`,
        );
        await sleep(300);
        if (passes(r)) {
          maxRate = Math.max(maxRate, r.achievedRate);
          return true;
        }
        limitedBy =
          r.received !== r.sent || r.ackFailed > 0
            ? `undelivered/failed at ${fmtInt(step)}/s`
            : r.latency.p99 >= 100
              ? `p99 ${fmtMs(r.latency.p99)} at ${fmtInt(step)}/s`
              : `generator reached only ${fmtInt(r.achievedRate)}/s of ${fmtInt(step)}/s`;
        return false;
      };
      let lastPassed = passes(fixed) ? rate : 0;
      for (const step of steps) {
        if (await tryStep(step)) {
          lastPassed = step;
          continue;
        }
        const half = Math.round((lastPassed + step) / 2 / 500) * 500;
        if (!opts.quick && half > lastPassed && half < step) await tryStep(half);
        break;
      }
      rows.push({
        server: kind,
        connected: c.connected,
        fixed,
        steps: stepRuns,
        maxRate,
        maxLimitedBy: limitedBy,
      });
    } finally {
      await workers.closeAll();
      await Promise.all([workers.stop(), server.stop()]);
    }
    loads.push(loadNote());
  }
  const peer = rows.find((r) => r.server === 'peerjs');
  const ours = rows.find((r) => r.server === 'ours');
  if (ours && peer) {
    const ratio = ours.fixed.latency.p99 / Math.max(0.001, peer.fixed.latency.p99);
    notes.push(
      `Goal p99 < 20 ms: ${fmtMs(ours.fixed.latency.p99)} (${ours.fixed.latency.p99 < 20 ? 'met' : 'NOT met'}); ` +
        `<= 1.5x PeerServer's p99: ${ratio.toFixed(2)}x (${ratio <= 1.5 ? 'met' : 'NOT met'}); ` +
        `max relays/s >= PeerServer's: ${fmtInt(ours.maxRate)} vs ${fmtInt(peer.maxRate)} (${ours.maxRate >= peer.maxRate ? 'met' : 'NOT met'})`,
    );
  }
  notes.push(
    'Latency is measured in the load generator that holds both A and B (one clock); on this ' +
      'machine the generators share the CPU cores with the server, so generator time is included.',
  );
  const p99Ratio = (r: RelayRow) =>
    peer ? `${(r.fixed.latency.p99 / Math.max(0.001, peer.fixed.latency.p99)).toFixed(2)}x` : '-';
  return {
    name: 'relay',
    title: '2. Signaling relay (offer ~1 KB, A -> server -> B)',
    conditions: [
      `machine: ${loads.join(' -> ')}`,
      `${fmtInt(target)} connected (${fmtInt(target / 2)} friend pairs), ${fmtInt(rate)} relays/s for ${seconds} s after a 1 s warm-up`,
      `max rate: steps of ${stepSeconds} s at ${steps.map(fmtInt).join(', ')} /s up to the first failure, then one step halfway back; passes while p99 < 100 ms, all delivered, no failed acks, generator reaches >= 90% of the step`,
      `${opts.workers} load-generator processes, source addresses 127.0.0.1-127.0.0.${opts.addresses}`,
    ],
    header: [
      'server',
      'connected',
      'delivered',
      'p50',
      'p90',
      'p99',
      'max',
      'p99 vs PeerServer',
      'server lag p99',
      'server CPU/relay',
      'max relays/s',
      'max limited by',
    ],
    rows: rows.map((r) => [
      SERVER_LABEL[r.server],
      fmtInt(r.connected),
      `${fmtInt(r.fixed.received)}/${fmtInt(r.fixed.sent)}`,
      fmtMs(r.fixed.latency.p50),
      fmtMs(r.fixed.latency.p90),
      fmtMs(r.fixed.latency.p99),
      fmtMs(r.fixed.latency.max),
      p99Ratio(r),
      fmtMs(r.fixed.serverLagP99),
      `${r.fixed.serverCpuUsPerRelay.toFixed(0)} µs`,
      fmtInt(r.maxRate),
      r.maxLimitedBy,
    ]),
    notes,
    data: { rows },
    wallMs: performance.now() - t0,
  };
}
