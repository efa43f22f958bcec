/**
 * 1. Connections held: authenticated idle connections one server process holds, memory per
 * connection (RSS after a full GC, minus the same server's RSS before any connection) and
 * event-loop lag while they sit idle through at least one heartbeat.
 */
import {
  SERVER_LABEL,
  Workers,
  newTokenPrefix,
  sleep,
  startServer,
  type Options,
  type ServerKind,
  type SuiteResult,
  loadNote,
} from '../lib/harness.ts';
import { fmtInt, fmtKB, fmtMB, fmtMs, round } from '../lib/stats.ts';

export interface ConnectionsRow {
  server: ServerKind;
  target: number;
  connected: number;
  failed: number;
  stillOpen: number;
  connectMs: number;
  baseRss: number;
  rss: number;
  rssPerConn: number;
  heapPerConn: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
  rssAt50k: number;
}

export async function connections(opts: Options): Promise<SuiteResult> {
  const t0 = performance.now();
  const target = opts.connections ?? (opts.quick ? 200 : 19_000);
  const holdMs = (opts.seconds ?? (opts.quick ? 1 : 12)) * 1000;
  const rows: ConnectionsRow[] = [];
  const notes: string[] = [];
  const loads: string[] = [loadNote()];
  for (const kind of opts.servers) {
    opts.log(`connections: ${SERVER_LABEL[kind]}, ${fmtInt(target)} connections`);
    const server = await startServer(kind, opts);
    const workers = await Workers.start(opts.workers);
    try {
      const prefix = newTokenPrefix();
      if (kind === 'ours') {
        const seeded = await server.child.call<{ ms: number }>(
          'seedUsers',
          { from: 0, count: target, tokenPrefix: prefix },
          120_000,
        );
        opts.log(`  seeded ${fmtInt(target)} users + sessions in ${fmtMs(seeded.ms)}`);
      }
      await sleep(500);
      const base = await server.stats(true);
      const c = await workers.connect(kind, server.port, 0, target, opts, prefix);
      opts.log(
        `  connected ${fmtInt(c.connected)}/${fmtInt(target)} in ${(c.ms / 1000).toFixed(1)} s` +
          (c.errors.length ? ` (errors: ${c.errors.join('; ')})` : ''),
      );
      await server.resetLag();
      await sleep(holdMs);
      const idle = await server.stats(false);
      const after = await server.stats(true);
      const stillOpen = await workers.alive();
      const n = Math.max(1, c.connected);
      const perConn = (after.rss - base.rss) / n;
      rows.push({
        server: kind,
        target,
        connected: c.connected,
        failed: c.failed,
        stillOpen,
        connectMs: round(c.ms),
        baseRss: base.rss,
        rss: after.rss,
        rssPerConn: round(perConn),
        heapPerConn: round((after.heapUsed - base.heapUsed) / n),
        lagP50: round(idle.lag.p50, 3),
        lagP99: round(idle.lag.p99, 3),
        lagMax: round(idle.lag.max, 3),
        rssAt50k: base.rss + perConn * 50_000,
      });
      if (c.errors.length)
        notes.push(`${SERVER_LABEL[kind]} connect errors: ${c.errors.join('; ')}`);
    } finally {
      await workers.closeAll();
      await Promise.all([workers.stop(), server.stop()]);
    }
    loads.push(loadNote());
  }
  const plain = rows.find((r) => r.server === 'plain');
  const ours = rows.find((r) => r.server === 'ours');
  const ratio = (r: ConnectionsRow) =>
    plain && plain.rssPerConn > 0 ? `${(r.rssPerConn / plain.rssPerConn).toFixed(2)}x` : '-';
  notes.push(
    `Goal: ~19,000 held, no failures; RSS/conn <= plain Socket.IO's` +
      (ours && plain
        ? ` -> ours ${fmtKB(ours.rssPerConn)} vs plain ${fmtKB(plain.rssPerConn)} ` +
          `(${ours.rssPerConn <= plain.rssPerConn ? 'met' : 'NOT met'}); ` +
          `failures ${ours.failed + (ours.connected - ours.stillOpen)} (${ours.failed === 0 && ours.stillOpen === ours.connected ? 'met' : 'NOT met'})`
        : ''),
  );
  notes.push(
    'Users and sessions are seeded straight into the database (no Argon2 per user); each client ' +
      'authenticates with its token in the Socket.IO handshake and waits for session:ready.',
  );
  return {
    name: 'connections',
    title: '1. Connections held (idle, authenticated)',
    conditions: [
      `machine: ${loads.join(' -> ')}`,
      `${fmtInt(target)} connections per server, held ${holdMs / 1000} s idle (heartbeat every 10 s Socket.IO / 5 s PeerJS)`,
      `${opts.workers} load-generator processes, source addresses 127.0.0.1-127.0.0.${opts.addresses}, websocket transport only`,
      'RSS per connection = (RSS after full GC with connections - RSS after full GC before) / connections',
    ],
    header: [
      'server',
      'connected',
      'failed',
      'still open',
      'connect time',
      'RSS before',
      'RSS after',
      'RSS/conn',
      'heap/conn',
      'vs plain',
      'lag p50',
      'lag p99',
      'lag max',
      'RSS at 50k (extrap.)',
    ],
    rows: rows.map((r) => [
      SERVER_LABEL[r.server],
      fmtInt(r.connected),
      fmtInt(r.failed),
      fmtInt(r.stillOpen),
      `${(r.connectMs / 1000).toFixed(1)} s`,
      fmtMB(r.baseRss),
      fmtMB(r.rss),
      fmtKB(r.rssPerConn),
      fmtKB(r.heapPerConn),
      ratio(r),
      fmtMs(r.lagP50),
      fmtMs(r.lagP99),
      fmtMs(r.lagMax),
      fmtMB(r.rssAt50k),
    ]),
    notes,
    data: { rows },
    wallMs: performance.now() - t0,
  };
}
