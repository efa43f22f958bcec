/**
 * 7. Reconnect storm: what a restart looks like to the server. Every client holds a token and
 * comes back at once: N websocket handshakes, each authenticated by token, each writing presence,
 * against a freshly started process with nothing cached. Measured: the time until all N are back
 * (session:ready for ours, connect for plain Socket.IO), failures, and the server's event-loop lag
 * during the storm.
 */
import {
  SERVER_LABEL,
  Workers,
  loadNote,
  newTokenPrefix,
  sleep,
  startServer,
  type Options,
  type ServerKind,
  type SuiteResult,
} from '../lib/harness.ts';
import { fmtInt, fmtMs, round } from '../lib/stats.ts';

export interface StormRow {
  server: ServerKind;
  target: number;
  connected: number;
  failed: number;
  /** Attempts that failed and were retried (the client's backoff), not counted as failures. */
  retries: number;
  ms: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
  cpuMs: number;
}

export async function storm(opts: Options): Promise<SuiteResult> {
  const t0 = performance.now();
  const target = opts.connections ?? (opts.quick ? 300 : 10_000);
  const servers = opts.servers.filter((k) => k !== 'peerjs');
  const rows: StormRow[] = [];
  const loads: string[] = [loadNote()];
  const notes: string[] = [];
  for (const kind of servers) {
    opts.log(`storm: ${SERVER_LABEL[kind]}, ${fmtInt(target)} sockets at once`);
    const server = await startServer(kind, opts);
    const workers = await Workers.start(opts.workers);
    try {
      const prefix = newTokenPrefix();
      if (kind === 'ours') {
        await server.child.call(
          'seedUsers',
          { from: 0, count: target, tokenPrefix: prefix },
          120_000,
        );
      }
      await sleep(500);
      const before = await server.stats(true);
      await server.resetLag();
      // Every socket at once, as after a restart: no pacing beyond the client's own backoff.
      const c = await workers.connect(kind, server.port, 0, target, opts, prefix, { storm: true });
      const after = await server.stats(false);
      opts.log(
        `  back ${fmtInt(c.connected)}/${fmtInt(target)} in ${(c.ms / 1000).toFixed(2)} s` +
          (c.errors.length ? ` (errors: ${c.errors.join('; ')})` : ''),
      );
      rows.push({
        server: kind,
        target,
        connected: c.connected,
        failed: c.failed,
        retries: c.retries,
        ms: round(c.ms),
        lagP50: round(after.lag.p50, 3),
        lagP99: round(after.lag.p99, 3),
        lagMax: round(after.lag.max, 3),
        cpuMs: round(after.cpuMs - before.cpuMs),
      });
      if (c.errors.length) notes.push(`${SERVER_LABEL[kind]} errors: ${c.errors.join('; ')}`);
    } finally {
      await workers.closeAll();
      await Promise.all([workers.stop(), server.stop()]);
    }
    loads.push(loadNote());
  }
  const ours = rows.find((r) => r.server === 'ours');
  const plain = rows.find((r) => r.server === 'plain');
  const ratio = ours && plain && plain.ms > 0 ? ours.ms / plain.ms : 0;
  if (ours && plain)
    notes.push(
      `Goal: back within 1.5x plain Socket.IO, no failures, lag p99 < 50 ms -> ` +
        `${ratio.toFixed(2)}x (${ratio <= 1.5 ? 'met' : 'NOT met'}), failures ${ours.failed} ` +
        `(${ours.failed === 0 && ours.connected === ours.target ? 'met' : 'NOT met'}), ` +
        `lag p99 ${fmtMs(ours.lagP99)} (${ours.lagP99 < 50 ? 'met' : 'NOT met'})`,
    );
  return {
    name: 'storm',
    title: '7. Reconnect storm (every client back at once)',
    conditions: [
      `machine: ${loads.join(' -> ')}`,
      `${fmtInt(target)} sockets with live tokens come back at once to a freshly started server, timed as the web client reconnects: first attempt after 250 ms +-50%, a failed one retried with backoff (x2 up to 5 s, +-50%)`,
      `${opts.workers} load-generator processes, source addresses 127.0.0.1-127.0.0.${opts.addresses}, websocket transport only, ${opts.client} client`,
      'time = storm start to the last session:ready (ours) / connect (plain); failed = not back within the deadline',
    ],
    header: [
      'server',
      'back',
      'failed',
      'retried attempts',
      'time',
      'server CPU',
      'lag p50',
      'lag p99',
      'lag max',
    ],
    rows: rows.map((r) => [
      SERVER_LABEL[r.server],
      fmtInt(r.connected),
      fmtInt(r.failed),
      fmtInt(r.retries),
      `${(r.ms / 1000).toFixed(2)} s`,
      `${(r.cpuMs / 1000).toFixed(2)} s`,
      fmtMs(r.lagP50),
      fmtMs(r.lagP99),
      fmtMs(r.lagMax),
    ]),
    notes,
    data: { rows, ratio },
    wallMs: performance.now() - t0,
  };
}
