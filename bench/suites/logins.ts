/**
 * 4. Logins: Argon2id hashes per second in the server process, and the server's event-loop lag
 * while it answers a steady burst of real HTTP logins (each one an Argon2id verify).
 */
import { BENCH_PASSWORD } from '../lib/constants.ts';
import type { Child } from '../lib/ipc.ts';
import {
  Workers,
  loopbackAddresses,
  newTokenPrefix,
  sleep,
  startServer,
  type Options,
  type SuiteResult,
  loadNote,
} from '../lib/harness.ts';
import { fmtInt, fmtMs, round, summarize } from '../lib/stats.ts';

export async function logins(opts: Options): Promise<SuiteResult> {
  const t0 = performance.now();
  const rate = opts.rate ?? (opts.quick ? 10 : 50);
  const count = opts.quick ? 10 : rate * (opts.seconds ?? 10);
  const hashSeconds = opts.quick ? 1 : 3;
  const notes: string[] = [];
  const loads: string[] = [loadNote()];
  opts.log(`logins: ${fmtInt(count)} logins at ${rate}/s`);
  const server = await startServer('ours', opts);
  const workers = await Workers.start(1);
  try {
    const users = Math.min(500, count);
    await server.child.call(
      'seedUsers',
      { from: 0, count: users, tokenPrefix: newTokenPrefix() },
      120_000,
    );
    const hash1 = await server.child.call<{ perSec: number; hashes: number }>(
      'argonRate',
      { seconds: hashSeconds, concurrency: 1 },
      60_000,
    );
    const hashN = await server.child.call<{ perSec: number; hashes: number }>(
      'argonRate',
      { seconds: hashSeconds, concurrency: 4 },
      60_000,
    );
    await server.resetLag();
    await sleep(opts.quick ? 500 : 2_000);
    const idle = await server.stats(false);
    await server.resetLag();
    const r = await (workers.all[0] as Child).call<{
      issued: number;
      ok: number;
      errors: string[];
      sendMs: number;
      latencies: number[];
    }>(
      'logins',
      {
        port: server.port,
        rate,
        count,
        usernames: Array.from({ length: users }, (_, i) => `u${i}`),
        password: BENCH_PASSWORD,
        addresses: loopbackAddresses(opts.addresses),
        timeoutMs: (count / rate) * 1000 + 30_000,
      },
      (count / rate) * 1000 + 60_000,
    );
    const burst = await server.stats(false);
    const lat = summarize(r.latencies);
    if (r.errors.length) notes.push(`login errors: ${r.errors.join('; ')}`);
    notes.push(
      `Goal lag p99 < 10 ms during ${rate} logins/s: ${fmtMs(burst.lag.p99)} (${burst.lag.p99 < 10 ? 'met' : 'NOT met'})`,
      'Argon2id: m=19 MiB, t=2, p=1 (@node-rs/argon2 on the libuv pool, ' +
        `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}).`,
    );
    const data = {
      hashesPerSec1: round(hash1.perSec, 1),
      hashesPerSec4: round(hashN.perSec, 1),
      issued: r.issued,
      ok: r.ok,
      achievedRate: round((r.issued / r.sendMs) * 1000, 1),
      latency: lat,
      idleLag: idle.lag,
      burstLag: burst.lag,
    };
    return {
      name: 'logins',
      title: '4. Logins (Argon2id)',
      conditions: [
        `machine: ${[...loads, loadNote()].join(' -> ')}`,
        `hash rate: ${hashSeconds} s with 1 and with 4 hashes in flight, in the server process`,
        `burst: ${fmtInt(count)} POST /api/auth/login at ${rate}/s over ${users} seeded users (correct password)`,
      ],
      header: [
        'hashes/s (1 in flight)',
        'hashes/s (4 in flight)',
        'logins ok',
        'login p50',
        'login p99',
        'idle lag p99',
        'burst lag p50',
        'burst lag p99',
        'burst lag max',
      ],
      rows: [
        [
          data.hashesPerSec1.toFixed(1),
          data.hashesPerSec4.toFixed(1),
          `${fmtInt(r.ok)}/${fmtInt(r.issued)}`,
          fmtMs(lat.p50),
          fmtMs(lat.p99),
          fmtMs(idle.lag.p99),
          fmtMs(burst.lag.p50),
          fmtMs(burst.lag.p99),
          fmtMs(burst.lag.max),
        ],
      ],
      notes,
      data,
      wallMs: performance.now() - t0,
    };
  } finally {
    await Promise.all([workers.stop(), server.stop()]);
  }
}
