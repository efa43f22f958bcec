/**
 * 5. Data channels in Chromium, through our stack: the real chat engine (web/src/core) in two
 * browser contexts, against our signaling server in its own process.
 *
 * (a) time from `sendPrivate` to a user we have no channel with yet, to the message reported
 *     delivered (the peer's ack over the new data channel received and recorded); one fresh user
 *     pair per sample, so every sample opens a new RTCPeerConnection;
 * (b) messages/s over an established channel through the engine (~1 KB text, acked, a window of
 *     messages awaiting their ack);
 * (c) the ceiling: a raw RTCDataChannel between the same two contexts carrying the same JSON frames
 *     with the same acks and window (plus an unacked bulk run), signaled through this process;
 * (d) the engine's parts alone in the page (its IndexedDB history work per message, zod frames);
 * (e) where (b) and (c) spend: CPU per delivered message by process (from /proc: both pages, the
 *     browser process that runs IndexedDB, the network service, the server) and each engine's
 *     IndexedDB transactions and write requests per message. BENCH_PROFILE=<dir> also writes V8 CPU
 *     profiles of both pages for the first engine and raw rounds.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { BenchPage, Rate, Throughput, TimedSend } from '../browser/api.ts';
import {
  loadNote,
  sleep,
  startServer,
  type Options,
  type Server,
  type SuiteResult,
} from '../lib/harness.ts';
import { fmtInt, fmtMs, round, summarize, type Summary } from '../lib/stats.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tests/helpers/platform.ts';

const PAGE_DIR = fileURLToPath(new URL('../browser/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASSWORD = 'bench browser password';
const MESSAGE_BYTES = 1_000;
const WINDOW = 32;

/**
 * Builds bench/browser/page.ts (which imports the engine) into `outDir` with the app's own Vite
 * settings for simple-peer's Node shims (aliases, `global`, injected `process`/`Buffer`), read from
 * vite.config.ts so the two cannot drift apart. Not minified, so profiles show names.
 */
export async function buildPage(outDir: string): Promise<number> {
  const t0 = performance.now();
  const { build } = await import('vite');
  const app = (await import('../../vite.config.ts')).default as {
    resolve?: { alias?: unknown };
    define?: Record<string, string>;
    build?: { rolldownOptions?: unknown };
  };
  await build({
    configFile: false,
    root: PAGE_DIR,
    base: '/',
    logLevel: 'warn',
    cacheDir: join(outDir, '.vite-cache'),
    envDir: REPO_ROOT,
    resolve: { alias: app.resolve?.alias as never },
    define: app.define,
    build: {
      outDir,
      emptyOutDir: false,
      target: 'es2022',
      minify: false,
      reportCompressedSize: false,
      rolldownOptions: app.build?.rolldownOptions as never,
    },
  });
  return performance.now() - t0;
}

/** Clock ticks per second of /proc/<pid>/stat's utime/stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** Bytes of a memory page, for /proc/<pid>/stat's rss (4 KiB on the machines we run on). */
const PAGE_BYTES = 4096;

/**
 * This process's descendants (Chromium's processes and the server) from /proc, each with its kind
 * (browser, renderer, gpu-process, utility <name>, server), CPU time so far (ms) and resident set
 * (bytes); empty on a system without /proc.
 */
export function descendants(): { kind: string; ms: number; rss: number }[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const info = new Map<number, { ppid: number; ms: number; rss: number; kind: string }>();
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      const type = /--type=([a-z-]+)/.exec(cmd)?.[1];
      const sub = /--utility-sub-type=([\w.]+)/.exec(cmd)?.[1];
      const kind = (cmd.split('\0')[0] ?? '').includes('chromium')
        ? type === undefined
          ? 'browser'
          : type === 'utility'
            ? `utility ${(sub ?? '').replace(/^.*\./, '')}`
            : type
        : 'server';
      info.set(Number(p), {
        ppid: Number(f[1]),
        ms: ((Number(f[11]) + Number(f[12])) * 1000) / USER_HZ,
        rss: Number(f[21]) * PAGE_BYTES,
        kind,
      });
    } catch {
      // The process ended between readdir and read.
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = info.get(pid)?.ppid, hops = 0; p !== undefined && hops < 20; hops++) {
      if (p === process.pid) return true;
      p = info.get(p)?.ppid;
    }
    return false;
  };
  return [...info].filter(([pid]) => mine(pid)).map(([, x]) => x);
}

/**
 * CPU time (ms) used so far by this process's descendants, by kind, plus the whole machine's busy
 * time, from /proc; empty on a system without it. Read around a throughput round, it says where
 * each message's CPU goes (renderers = the two pages).
 */
export function cpuSnapshot(): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of descendants()) out.set(x.kind, (out.get(x.kind) ?? 0) + x.ms);
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1);
    // user nice system (idle iowait excluded) irq softirq steal
    const busy = [0, 1, 2, 5, 6, 7].reduce((a, i) => a + Number(cpu?.[i] ?? 0), 0);
    out.set('machine', (busy * 1000) / USER_HZ);
  } catch {
    // No /proc/stat: no machine figure.
  }
  return out;
}

/** µs of CPU per delivered message by kind between two snapshots. */
export function cpuPerMessage(
  before: Map<string, number>,
  after: Map<string, number>,
  messages: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, ms] of after) {
    const d = ms - (before.get(kind) ?? 0);
    if (d > 0) out[kind] = round((d * 1000) / Math.max(1, messages), 1);
  }
  return out;
}

const fmtCpu = (c: Record<string, number>): string => {
  const ours = Object.entries(c).filter(([k]) => k !== 'machine');
  const total = ours.reduce((a, [, v]) => a + v, 0);
  return (
    `${total.toFixed(0)} µs (` +
    ours
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ') +
    `; whole machine ${(c.machine ?? 0).toFixed(0)})`
  );
};

/**
 * Starts V8's sampling profiler in each page (over CDP); the returned function stops it and writes
 * `<dir>/<label>-page<i>.cpuprofile` (open in Chrome DevTools' Performance panel).
 */
export async function profile(
  pages: Page[],
): Promise<(dir: string, label: string) => Promise<string[]>> {
  const sessions = await Promise.all(pages.map((p) => p.context().newCDPSession(p)));
  for (const s of sessions) {
    await s.send('Profiler.enable');
    await s.send('Profiler.setSamplingInterval', { interval: 200 });
    await s.send('Profiler.start');
  }
  return async (dir, label) => {
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    for (const [i, s] of sessions.entries()) {
      const { profile: p } = await s.send('Profiler.stop');
      const file = join(dir, `${label}-page${i}.cpuprofile`);
      writeFileSync(file, JSON.stringify(p));
      files.push(file);
      await s.detach();
    }
    return files;
  };
}

type Call = <T>(
  page: Page,
  fn: (b: BenchPage, arg: never) => T | Promise<T>,
  arg?: unknown,
) => Promise<T>;

/** Runs `fn(window.bench, arg)` in the page. */
export const call: Call = (page, fn, arg) =>
  page.evaluate(
    ([src, a]) => {
      // The function is ours (a literal in this file), sent as source with its argument.
      const f = new Function(`return (${src})`)() as (b: BenchPage, x: unknown) => unknown;
      return f(window.bench, a);
    },
    [fn.toString(), arg ?? null] as const,
  ) as never;

interface SetupSample {
  path: 'initiator' | 'knock';
  state: string;
  /** send -> delivered (ack received and recorded) */
  deliveredMs: number;
  /** send -> the engine reports the channel open */
  openMs: number | null;
  /** send -> the receiving engine reports the message (after storing it) */
  atReceiverMs: number | null;
  /** send -> sendPrivate resolved (stored locally, attempt started) */
  queuedMs: number;
}

const mbps = (t: Throughput) =>
  (t.delivered * t.bytesPerMessage) / 1e6 / Math.max(0.001, t.ms / 1000);
const perSec = (t: { delivered: number; ms: number } | Rate) =>
  ('count' in t ? t.count : t.delivered) / Math.max(0.001, t.ms / 1000);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? 0
    : s.length % 2
      ? (s[(s.length - 1) / 2] as number)
      : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

export async function browser(opts: Options): Promise<SuiteResult> {
  const t0 = performance.now();
  const measured = opts.connections ?? (opts.quick ? 6 : 40);
  const warmPairs = opts.quick ? 1 : 2;
  const seconds = opts.seconds ?? (opts.quick ? 1 : 5);
  const warmSeconds = opts.quick ? 0.5 : 2;
  const rounds = opts.quick ? 1 : 2;
  const cap = 500_000;
  const drainMs = 10_000;
  const loads = [loadNote()];
  const notes: string[] = [];
  const pageErrors: string[] = [];
  const pageWarnings: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'p2sp-bench-page-'));
  let server: Server | undefined;
  let chromium: Browser | undefined;
  const contexts: BrowserContext[] = [];
  try {
    const buildMs = await buildPage(dir);
    opts.log(`browser: page built in ${(buildMs / 1000).toFixed(1)} s`);
    server = await startServer('ours', opts, 'sqlite', { staticDir: dir });
    const url = `http://127.0.0.1:${server.port}/`;
    const { chromium: launcher } = await import('playwright-core');
    chromium = await launcher.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const version = chromium.version();
    const pages: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const context = await chromium.newContext();
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.length < 5 && pageErrors.push(err.message));
      page.on('console', (m) => {
        if (m.type() === 'error' && pageErrors.length < 5) pageErrors.push(m.text());
        // The engine's notices (a refused channel, locked keys) are warnings.
        if (m.type() === 'warning' && pageWarnings.length < 5) pageWarnings.push(m.text());
      });
      await page.goto(url);
      await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
      pages.push(page);
    }
    const [A, B] = pages as [Page, Page];

    // --- (a) a message to a new peer ---
    const tag = Math.random().toString(36).slice(2, 6);
    const total = warmPairs + measured;
    // Only the name that sorts first initiates: alternate which side that is.
    const senders = Array.from({ length: total }, (_, i) => `${i % 2 === 0 ? 'a' : 'z'}${tag}${i}`);
    const receivers = Array.from({ length: total }, (_, i) => `m${tag}${i}`);
    const tpSender = `a${tag}t`;
    const tpReceiver = `m${tag}t`;
    const tReg = performance.now();
    await Promise.all([
      call(A, (b, [n, p]: [string[], string]) => b.register(n, p, 4), [
        [...senders, tpSender],
        PASSWORD,
      ]),
      call(B, (b, [n, p]: [string[], string]) => b.register(n, p, 4), [
        [...receivers, tpReceiver],
        PASSWORD,
      ]),
    ]);
    const registerMs = performance.now() - tReg;
    opts.log(
      `  ${(total + 1) * 2} users registered over HTTP in ${(registerMs / 1000).toFixed(1)} s`,
    );
    // Sign-up runs Argon2id in the page for every user (their key backup), so on a loaded machine
    // a session can miss a heartbeat and reconnect meanwhile: every one is ready before we go on.
    await Promise.all([
      call(A, (b, n: string[]) => b.waitReady(n, 120_000), [...senders, tpSender]),
      call(B, (b, n: string[]) => b.waitReady(n, 120_000), [...receivers, tpReceiver]),
    ]);
    for (const [s, r] of [
      ...senders.map((s, i) => [s, receivers[i] as string]),
      [tpSender, tpReceiver],
    ]) {
      await call(A, (b, [me, o]: [string, string]) => b.addFriend(me, o), [s, r]);
      await call(B, (b, [me, o]: [string, string]) => b.acceptFriend(me, o), [r, s]);
      await call(A, (b, [me, o]: [string, string]) => b.waitFriendOnline(me, o, 10_000), [s, r]);
      await call(B, (b, [me, o]: [string, string]) => b.waitFriendOnline(me, o, 10_000), [r, s]);
    }
    opts.log(`  ${total + 1} friendships made`);

    const samples: SetupSample[] = [];
    for (let i = 0; i < total; i++) {
      const s = senders[i] as string;
      const r = receivers[i] as string;
      const res = await call<TimedSend>(
        A,
        (b, [from, to, text]: [string, string, string]) => b.timedSend(from, to, text, 20_000),
        [s, r, `hello ${i}`],
      );
      let at: number | null = null;
      for (let k = 0; k < 50 && at === null; k++) {
        at = await call<number | null>(B, (b, [me, id]: [string, string]) => b.receivedAt(me, id), [
          r,
          res.id,
        ]);
        if (at === null) await sleep(20);
      }
      if (i >= warmPairs) {
        samples.push({
          path: i % 2 === 0 ? 'initiator' : 'knock',
          state: res.state,
          deliveredMs: res.doneAt - res.t0,
          openMs: res.directAt === null ? null : res.directAt - res.t0,
          atReceiverMs: at === null ? null : at - res.t0,
          queuedMs: res.queuedAt - res.t0,
        });
      }
      await call(A, (b, n: string[]) => b.destroy(n), [s]);
      await call(B, (b, n: string[]) => b.destroy(n), [r]);
      await sleep(100);
    }
    const ok = samples.filter((x) => x.state === 'delivered');
    const sum = (xs: (number | null)[]) => summarize(xs.filter((v): v is number => v !== null));
    const setup = {
      all: sum(ok.map((x) => x.deliveredMs)),
      initiator: sum(ok.filter((x) => x.path === 'initiator').map((x) => x.deliveredMs)),
      knock: sum(ok.filter((x) => x.path === 'knock').map((x) => x.deliveredMs)),
      open: sum(ok.map((x) => x.openMs)),
      atReceiver: sum(ok.map((x) => x.atReceiverMs)),
      queued: sum(ok.map((x) => x.queuedMs)),
    };
    const p95 = (s: Summary) => s.p95;
    opts.log(
      `  new peer: ${ok.length}/${samples.length} delivered, p50 ${fmtMs(setup.all.p50)} p95 ${fmtMs(p95(setup.all))}`,
    );
    loads.push(loadNote());

    // --- (b) + (c) throughput over an established channel: engine vs raw ---
    // The engine's channel: opened by a first message, then warmed up.
    await call(A, (b, [from, to]: [string, string]) => b.timedSend(from, to, 'open', 20_000), [
      tpSender,
      tpReceiver,
    ]);
    const offer = await call<RTCSessionDescriptionInit>(A, (b) => b.rawOffer());
    const answer = await call<RTCSessionDescriptionInit>(
      B,
      (b, o: RTCSessionDescriptionInit) => b.rawAnswer(o),
      offer,
    );
    await call(A, (b, a: RTCSessionDescriptionInit) => b.rawConnect(a, 15_000), answer);
    const cpu = new Map<Throughput, Record<string, number>>();
    const measuredCpu = async (round: () => Promise<Throughput>) => {
      const before = cpuSnapshot();
      const t = await round();
      cpu.set(t, cpuPerMessage(before, cpuSnapshot(), t.delivered));
      return t;
    };
    type Writes = Record<string, { transactions: number; ms: number; requests: number }>;
    const idb = new Map<Throughput, { sender: Writes[string]; receiver: Writes[string] }>();
    /** Sampled messages' stages, ms: send -> resolved, -> stored at the receiver, -> delivered. */
    const stages = new Map<
      Throughput,
      { n: number; queued: Summary; atReceiver: Summary; back: Summary; total: Summary }
    >();
    /** The engine run, with each side's IndexedDB writes (its history database) counted. */
    const engineRound = async (round: () => Promise<Throughput>) => {
      const writes = () => Promise.all([A, B].map((p) => call<Writes>(p, (b) => b.idbWrites())));
      const before = await writes();
      const t = await round();
      const after = await writes();
      const side = (i: number, name: string) => {
        const none = { transactions: 0, ms: 0, requests: 0 };
        const a = after[i]?.[`p2sp-${name}`] ?? none;
        const b = before[i]?.[`p2sp-${name}`] ?? none;
        return {
          transactions: a.transactions - b.transactions,
          ms: a.ms - b.ms,
          requests: a.requests - b.requests,
        };
      };
      idb.set(t, { sender: side(0, tpSender), receiver: side(1, tpReceiver) });
      const shown = await call<Record<number, number>>(
        B,
        (b, me: string) => b.receivedSamples(me),
        tpReceiver,
      );
      const joined = (t.samples ?? []).flatMap((x) => {
        const at = shown[x.k];
        return at === undefined ? [] : [{ ...x, shown: at }];
      });
      stages.set(t, {
        n: joined.length,
        queued: summarize(joined.map((x) => x.queued - x.t0)),
        atReceiver: summarize(joined.map((x) => x.shown - x.t0)),
        back: summarize(joined.map((x) => x.done - x.shown)),
        total: summarize(joined.map((x) => x.done - x.t0)),
      });
      return t;
    };
    const run = {
      engine: (secs: number) =>
        engineRound(() =>
          measuredCpu(() =>
            call<Throughput>(
              A,
              (b, [from, to, o]: [string, string, Parameters<BenchPage['engineThroughput']>[2]]) =>
                b.engineThroughput(from, to, o),
              [
                tpSender,
                tpReceiver,
                { seconds: secs, window: WINDOW, size: MESSAGE_BYTES, cap, drainMs },
              ],
            ),
          ),
        ),
      raw: (secs: number) =>
        measuredCpu(() =>
          call<Throughput>(A, (b, o: Parameters<BenchPage['rawAcked']>[0]) => b.rawAcked(o), {
            seconds: secs,
            window: WINDOW,
            size: MESSAGE_BYTES,
            cap,
            drainMs,
          }),
        ),
      bulk: (secs: number) =>
        call<Throughput>(A, (b, o: Parameters<BenchPage['rawBulk']>[0]) => b.rawBulk(o), {
          seconds: secs,
          size: MESSAGE_BYTES,
          cap,
          drainMs,
        }),
    };
    // The receiver samples from here on instead of recording every message.
    await call(B, (b, me: string) => b.receivedSamples(me), tpReceiver);
    await run.engine(warmSeconds);
    await run.raw(warmSeconds);
    await run.bulk(warmSeconds);
    const engine: Throughput[] = [];
    const raw: Throughput[] = [];
    const bulk: Throughput[] = [];
    for (let k = 0; k < rounds; k++) {
      // BENCH_PROFILE=<dir>: V8 CPU profiles of both pages during the first engine and raw rounds.
      const profiling = k === 0 && process.env.BENCH_PROFILE ? await profile([A, B]) : null;
      engine.push(await run.engine(seconds));
      if (profiling) {
        const files = await profiling(process.env.BENCH_PROFILE as string, 'engine');
        notes.push(`CPU profiles of the pages during engine round 1: ${files.join(', ')}`);
      }
      const profilingRaw = k === 0 && process.env.BENCH_PROFILE ? await profile([A, B]) : null;
      raw.push(await run.raw(seconds));
      if (profilingRaw) {
        const files = await profilingRaw(process.env.BENCH_PROFILE as string, 'raw');
        notes.push(`CPU profiles of the pages during raw acked round 1: ${files.join(', ')}`);
      }
      bulk.push(await run.bulk(seconds));
      opts.log(
        `  round ${k + 1}: engine ${fmtInt(perSec(engine[k] as Throughput))} msg/s, raw (acked) ${fmtInt(perSec(raw[k] as Throughput))} msg/s, raw (bulk) ${fmtInt(perSec(bulk[k] as Throughput))} msg/s`,
      );
    }
    await call(A, (b) => b.rawClose());
    await call(B, (b) => b.rawClose());
    const engineRate = median(engine.map(perSec));
    const rawRate = median(raw.map(perSec));
    const ratio = engineRate / Math.max(0.001, rawRate);
    loads.push(loadNote());

    // --- (d) the engine's parts alone ---
    const partOpts = { seconds: opts.quick ? 0.5 : 3, window: WINDOW, size: MESSAGE_BYTES, cap };
    // A short first pass opens IndexedDB's backend paths and warms the code up.
    await call<Rate>(A, (b, o: typeof partOpts) => b.historySender(o), {
      ...partOpts,
      seconds: 0.3,
    });
    const historySender = await call<Rate>(
      A,
      (b, o: typeof partOpts) => b.historySender(o),
      partOpts,
    );
    const historyReceiver = await call<Rate>(
      A,
      (b, o: typeof partOpts) => b.historyReceiver(o),
      partOpts,
    );
    const historyBatched = await call<Rate>(
      A,
      (b, o: typeof partOpts) => b.historyBatched(o),
      partOpts,
    );
    const codecCount = opts.quick ? 500 : 5_000;
    await call<Rate>(A, (b, o: { count: number; size: number }) => b.codec(o), {
      count: 200,
      size: MESSAGE_BYTES,
    });
    const codec = await call<Rate>(A, (b, o: { count: number; size: number }) => b.codec(o), {
      count: codecCount,
      size: MESSAGE_BYTES,
    });
    const codecUs = (codec.ms * 1000) / Math.max(1, codec.count);
    loads.push(loadNote());

    // --- report ---
    const engineMs = 1000 / Math.max(0.001, engineRate);
    const senderDbMs = 1000 / Math.max(0.001, perSec(historySender));
    const receiverDbMs = 1000 / Math.max(0.001, perSec(historyReceiver));
    notes.push(
      `Goal p95 < 300 ms for a message to a new peer: ${fmtMs(p95(setup.all))} (${p95(setup.all) < 300 && ok.length === samples.length ? 'met' : 'NOT met'}); ` +
        `${ok.length}/${samples.length} delivered directly` +
        (ok.length < samples.length
          ? ` (others: ${samples
              .filter((x) => x.state !== 'delivered')
              .map((x) => x.state)
              .join(', ')})`
          : ''),
      `Goal engine throughput >= 0.8x the raw data channel (same frames, acks, window ${WINDOW}): ${ratio.toFixed(2)}x (${ratio >= 0.8 ? 'met' : 'NOT met'})`,
      `Engine parts alone, same page, window ${WINDOW}: the sender's IndexedDB work per message (History.addOwn, settleOwn + 2 conversations() calls, group-committed across the window) ` +
        `${fmtInt(perSec(historySender))}/s = ${senderDbMs.toFixed(2)} ms/msg at that concurrency; the receiver's (addReceived + conversations()) ` +
        `${fmtInt(perSec(historyReceiver))}/s; both sides' rows written ${WINDOW} per transaction instead: ${fmtInt(perSec(historyBatched))}/s; ` +
        `zod encode+parse of a msg and an ack frame ${codecUs.toFixed(0)} µs/msg. ` +
        `The engine ran at ${engineMs.toFixed(2)} ms/msg; sender + receiver IndexedDB work in series (both pages share the browser's IndexedDB backend) ` +
        `${(senderDbMs + receiverDbMs).toFixed(2)} ms/msg.`,
      `IndexedDB writes per delivered message (read-write transactions / write requests; counted in the pages) and commit latency (mean ms from creating a transaction to its complete; % of the run with one in flight): ` +
        engine
          .map((t, k) => {
            const w = idb.get(t);
            if (!w) return `round ${k + 1} not counted`;
            const side = (x: { transactions: number; ms: number; requests: number }) => {
              const per = (n: number) => (n / Math.max(1, t.delivered)).toFixed(2);
              const mean = x.ms / Math.max(1, x.transactions);
              const busy = (100 * x.ms) / Math.max(1, t.ms);
              return `${per(x.transactions)} / ${per(x.requests)}, ${mean.toFixed(2)} ms, ${busy.toFixed(0)}%`;
            };
            return `round ${k + 1} sender ${side(w.sender)}; receiver ${side(w.receiver)}`;
          })
          .join('; ') +
        '.',
      `Where a message's time goes in the engine runs (p50 of every 16th message; window ${WINDOW}): ` +
        engine
          .map((t, k) => {
            const x = stages.get(t);
            return x && x.n > 0
              ? `round ${k + 1} (n ${x.n}): sendPrivate resolved ${fmtMs(x.queued.p50)}, stored and shown at the receiver ${fmtMs(x.atReceiver.p50)}, then delivered at the sender ${fmtMs(x.back.p50)} later; send -> delivered ${fmtMs(x.total.p50)} (p95 ${fmtMs(x.total.p95)})`
              : `round ${k + 1} no samples`;
          })
          .join('; ') +
        '.',
      `CPU per delivered message (from /proc; renderers = both pages, browser = Chromium's browser process, which runs IndexedDB; "whole machine" includes everything else running): ` +
        [
          ...engine.map((t, k) => `engine round ${k + 1} ${fmtCpu(cpu.get(t) ?? {})}`),
          ...raw.map((t, k) => `raw acked round ${k + 1} ${fmtCpu(cpu.get(t) ?? {})}`),
        ].join('; ') +
        '.',
      'Both pages are separate browser contexts of one Chromium; the raw connection is signaled by this process (non-trickle offer/answer passed between the pages through Playwright), host candidates only, no STUN/TURN.',
    );
    if (pageErrors.length)
      notes.push(`page errors/console errors: ${pageErrors.slice(0, 3).join(' | ')}`);
    if (pageWarnings.length)
      notes.push(`page console warnings (engine notices): ${pageWarnings.slice(0, 3).join(' | ')}`);

    const row = (
      what: string,
      n: number,
      delivered: string,
      s: Summary | null,
      t: Throughput | null,
      vs: string,
    ) => [
      what,
      fmtInt(n),
      delivered,
      s ? fmtMs(s.p50) : '',
      s ? fmtMs(p95(s)) : '',
      s ? fmtMs(s.max) : '',
      t ? fmtInt(perSec(t)) : '',
      t ? mbps(t).toFixed(2) : '',
      vs,
    ];
    const nPath = (p: string) => samples.filter((x) => x.path === p);
    const rows: string[][] = [
      row(
        'new peer: send -> delivered (ack)',
        samples.length,
        `${ok.length}/${samples.length}`,
        setup.all,
        null,
        '',
      ),
      row(
        '  sender initiates (its name sorts first)',
        nPath('initiator').length,
        `${nPath('initiator').filter((x) => x.state === 'delivered').length}/${nPath('initiator').length}`,
        setup.initiator,
        null,
        '',
      ),
      row(
        '  sender knocks, receiver initiates',
        nPath('knock').length,
        `${nPath('knock').filter((x) => x.state === 'delivered').length}/${nPath('knock').length}`,
        setup.knock,
        null,
        '',
      ),
      row('  send -> channel open', setup.open.count, '', setup.open, null, ''),
      row('  send -> shown at receiver', setup.atReceiver.count, '', setup.atReceiver, null, ''),
      row('  send -> sendPrivate resolved', setup.queued.count, '', setup.queued, null, ''),
      ...engine.map((t, k) =>
        row(
          `engine, window ${WINDOW}, round ${k + 1}`,
          t.sent,
          `${fmtInt(t.delivered)}/${fmtInt(t.sent)}`,
          null,
          t,
          `${(perSec(t) / Math.max(0.001, perSec(raw[k] as Throughput))).toFixed(2)}x`,
        ),
      ),
      ...raw.map((t, k) =>
        row(
          `raw channel, acked, window ${WINDOW}, round ${k + 1}`,
          t.sent,
          `${fmtInt(t.delivered)}/${fmtInt(t.sent)}`,
          null,
          t,
          '1.00x',
        ),
      ),
      ...bulk.map((t, k) =>
        row(
          `raw channel, bulk (no acks), round ${k + 1}`,
          t.sent,
          `${fmtInt(t.delivered)}/${fmtInt(t.sent)}`,
          null,
          t,
          '',
        ),
      ),
    ];
    return {
      name: 'browser',
      title: '5. Data channels in Chromium (engine vs raw RTCDataChannel)',
      conditions: [
        `machine: ${loads.join(' -> ')}`,
        `Chromium ${version} (${CHROMIUM_PATH}), headless, two browser contexts (one page each); flags ${CHROMIUM_ARGS.join(' ')}`,
        `page: bench/browser/page.ts (the engine from web/src/core) built with Vite (vite.config.ts's aliases/define/inject, not minified) in ${(buildMs / 1000).toFixed(1)} s, served by the server under test (same origin)`,
        'server: createApp in its own process (bench/servers/ours.ts), fresh SQLite file, rate limits out of the way; users registered over HTTP, friends via engine calls (addFriend / respondFriend)',
        // Not a measured figure: set-up, and what end-to-end encryption adds to a first sign-in.
        `${(total + 1) * 2} users signed up through the engine, 4 at a time per page, in ${(registerMs / 1000).toFixed(1)} s: each first sign-in makes its identity keys and wraps them with Argon2id (19 MiB, t=2) in the page, then publishes them`,
        'every channel is bound to its account: each offer and answer carries an Ed25519 signature over its DTLS fingerprints, checked before the SDP is used; direct messages are not sealed (DTLS), stored copies are',
        `new peer: ${measured} samples after ${warmPairs} warm-up, each a fresh user pair (new RTCPeerConnection), engines destroyed after; half the senders' names sort first (they initiate), half sort last (they knock and the receiver initiates)`,
        `throughput: ~${MESSAGE_BYTES} B text per message, ${WINDOW} awaiting their ack at a time, ${rounds} round(s) of ${seconds} s each after a ${warmSeconds} s warm-up of each; engine and raw alternate; MB/s counts text bytes`,
      ],
      header: [
        'measurement',
        'n',
        'delivered',
        'p50',
        'p95',
        'max',
        'msg/s',
        'MB/s',
        'vs raw (acked)',
      ],
      rows,
      notes,
      data: {
        chromium: version,
        measured,
        samples,
        setup: { ...setup, p95: p95(setup.all) },
        engine,
        raw,
        bulk,
        idbWrites: engine.map((t) => idb.get(t) ?? null),
        stages: engine.map((t) => stages.get(t) ?? null),
        cpuUsPerMessage: {
          engine: engine.map((t) => cpu.get(t) ?? {}),
          raw: raw.map((t) => cpu.get(t) ?? {}),
        },
        engineRate: round(engineRate, 1),
        rawRate: round(rawRate, 1),
        ratio: round(ratio, 3),
        parts: {
          historySenderPerSec: round(perSec(historySender), 1),
          historyReceiverPerSec: round(perSec(historyReceiver), 1),
          historyBatchedPerSec: round(perSec(historyBatched), 1),
          codecUsPerMessage: round(codecUs, 1),
        },
        pageErrors,
        registerMs: round(registerMs),
      },
      wallMs: performance.now() - t0,
    };
  } catch (err) {
    // What the pages said is often why: keep it with the failure.
    const said = [...pageErrors, ...pageWarnings];
    if (err instanceof Error && said.length) err.message += `\npages said: ${said.join(' | ')}`;
    throw err;
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await chromium?.close().catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
