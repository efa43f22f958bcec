/**
 * 12. Files in Chromium (issue 13): the chat engine's file transfer (web/src/core/files) between two
 * pages of one headless Chromium, against a raw RTCDataChannel between the same pages.
 *
 * (a) MB/s of a generated file (1 GiB; --quick 8 MiB; --file-mib N) through the engine: binary
 *     chunk frames, SHA-256 per chunk and the file's content hash over them, the receiver's window
 *     of acks and its IndexedDB batches, timed from `files.sendPrivate` to the sender's transfer
 *     done (which waits for the receiver to check the content hash);
 * (b) the same bytes as 64 KiB binary frames on a raw RTCDataChannel with the engine's pacing
 *     (under 1 MiB queued, `bufferedamountlow` at 64 KiB), run before and after (a), their mean the
 *     ceiling; goal (a) >= 0.8x (b);
 * (c) memory while (a) moves: each page's JS heap (CDP Performance.getMetrics; the pages are not
 *     cross-origin isolated, so performance.measureUserAgentSpecificMemory is not there) and the
 *     resident set of Chromium's processes (from /proc), sampled every 100 ms; peaks by the share
 *     of the file confirmed (up to 10 %, 10–50 %, 50–100 %): goal flat, not growing with the file;
 * (d) where (a) and (b) spend: CPU ms per MiB moved by Chromium's processes (both pages, the
 *     browser process that runs IndexedDB and the blob store, the network service), from /proc.
 *
 * The file is one 1 MiB Blob part referenced over and over, so the sender page never holds it; the
 * pages share a persistent (on-disk) profile so the receiver's IndexedDB is on disk, as a user's is
 * (a browser context in Playwright keeps IndexedDB in memory). BENCH_PROFILE=<dir> writes V8 CPU
 * profiles of both pages during (a).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import type { BenchPage, FileRun } from '../browser/api.ts';
import {
  loadNote,
  startServer,
  type Options,
  type Server,
  type SuiteResult,
} from '../lib/harness.ts';
import { fmtInt, round } from '../lib/stats.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tests/helpers/platform.ts';
import { LIMITS } from '../../shared/limits.ts';
import { buildPage, call, cpuPerMessage, cpuSnapshot, descendants, profile } from './browser.ts';

const PASSWORD = 'bench files password';
const MIB = 1024 * 1024;
const PART_BYTES = MIB;
/** The engine's chunk and high-water mark (web/src/core/files/transfers.ts), for the raw run. */
const CHUNK = LIMITS.fileChunkMax;
const HIGH_WATER = MIB;
const SAMPLE_MS = 100;
const GOAL = 0.8;

interface Sample {
  /** Share of the file the receiver confirmed, 0..1. */
  fraction: number;
  /** JS heap used, bytes: sender page, receiver page. */
  heap: [number, number];
  /** Resident set of Chromium's processes by kind (renderers = both pages), bytes. */
  rss: Record<string, number>;
}

const heapOf = async (s: CDPSession): Promise<number> => {
  const { metrics } = (await s.send('Performance.getMetrics')) as {
    metrics: { name: string; value: number }[];
  };
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
};

function rssByKind(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of descendants()) if (p.kind !== 'server') out[p.kind] = (out[p.kind] ?? 0) + p.rss;
  return out;
}

const mb = (bytes: number) => bytes / 1e6;
const fmtMiB = (bytes: number | null) => (bytes === null ? '–' : `${(bytes / MIB).toFixed(1)} MiB`);
const rate = (bytes: number, ms: number) => mb(bytes) / Math.max(0.001, ms / 1000);

/** Peaks of each figure over the samples in (lo, hi] of the transfer; null where none fell. */
function peaks(samples: Sample[], lo: number, hi: number) {
  const inside = samples.filter((s) => s.fraction > lo && s.fraction <= hi);
  if (inside.length === 0) return null;
  const max = (f: (s: Sample) => number) => Math.max(...inside.map(f));
  const kinds = new Set(inside.flatMap((s) => Object.keys(s.rss)));
  return {
    n: inside.length,
    sender: max((s) => s.heap[0]),
    receiver: max((s) => s.heap[1]),
    rss: Object.fromEntries([...kinds].map((k) => [k, max((s) => s.rss[k] ?? 0)])),
    rssTotal: max((s) => Object.values(s.rss).reduce((a, b) => a + b, 0)),
  };
}

export async function files(opts: Options): Promise<SuiteResult> {
  const t0 = performance.now();
  const bytes = Math.round((opts.fileMib ?? (opts.quick ? 8 : 1024)) * MIB);
  // Generous: a loaded 2-core machine moves a 1 GiB file in about a minute.
  const timeoutMs = 60_000 + (bytes / MIB) * 1_000;
  const warmBytes = (opts.quick ? 2 : 32) * MIB;
  const loads = [loadNote()];
  const notes: string[] = [];
  const pageErrors: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'p2sp-bench-files-page-'));
  const profileDir = mkdtempSync(join(tmpdir(), 'p2sp-bench-files-profile-'));
  let server: Server | undefined;
  let context: BrowserContext | undefined;
  try {
    const buildMs = await buildPage(dir);
    opts.log(`files: page built in ${(buildMs / 1000).toFixed(1)} s`);
    server = await startServer('ours', opts, 'sqlite', { staticDir: dir });
    const url = `http://127.0.0.1:${server.port}/`;
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    });
    const version = context.browser()?.version() ?? '?';
    const pages: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.length < 5 && pageErrors.push(err.message));
      page.on('console', (m) => {
        if (m.type() === 'error' && pageErrors.length < 5) pageErrors.push(m.text());
      });
      await page.goto(url);
      await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
      pages.push(page);
    }
    const [A, B] = pages as [Page, Page];
    const uaMemory = await A.evaluate(
      () => self.crossOriginIsolated && 'measureUserAgentSpecificMemory' in performance,
    );

    const tag = Math.random().toString(36).slice(2, 6);
    const sender = `a${tag}f`;
    const receiver = `m${tag}f`;
    await Promise.all([
      call(A, (b, [n, p]: [string[], string]) => b.register(n, p, 1), [[sender], PASSWORD]),
      call(B, (b, [n, p]: [string[], string]) => b.register(n, p, 1), [[receiver], PASSWORD]),
    ]);
    await call(A, (b, n: string[]) => b.waitReady(n, 120_000), [sender]);
    await call(B, (b, n: string[]) => b.waitReady(n, 120_000), [receiver]);
    await call(A, (b, [me, o]: [string, string]) => b.addFriend(me, o), [sender, receiver]);
    await call(B, (b, [me, o]: [string, string]) => b.acceptFriend(me, o), [receiver, sender]);
    await call(A, (b, [me, o]: [string, string]) => b.waitFriendOnline(me, o, 10_000), [
      sender,
      receiver,
    ]);
    await call(B, (b, [me, o]: [string, string]) => b.waitFriendOnline(me, o, 10_000), [
      receiver,
      sender,
    ]);
    // The engine's channel, opened by a first message.
    const opened = await call<{ state: string }>(
      A,
      (b, [from, to]: [string, string]) => b.timedSend(from, to, 'open', 20_000),
      [sender, receiver],
    );
    if (opened.state !== 'delivered') throw new Error(`no channel: first message ${opened.state}`);
    const offer = await call<RTCSessionDescriptionInit>(A, (b) => b.rawOffer());
    const answer = await call<RTCSessionDescriptionInit>(
      B,
      (b, o: RTCSessionDescriptionInit) => b.rawAnswer(o),
      offer,
    );
    await call(A, (b, a: RTCSessionDescriptionInit) => b.rawConnect(a, 15_000), answer);

    const cdp = await Promise.all([A, B].map((p) => context!.newCDPSession(p)));
    for (const s of cdp) await s.send('Performance.enable');
    const heaps = async (gc: boolean): Promise<[number, number]> => {
      if (gc) for (const s of cdp) await s.send('HeapProfiler.collectGarbage');
      return [await heapOf(cdp[0] as CDPSession), await heapOf(cdp[1] as CDPSession)];
    };

    /** CPU per MiB moved by Chromium's processes (renderers = both pages), µs. */
    const cpuOf = async <T>(n: number, run: () => Promise<T>) => {
      const before = cpuSnapshot();
      const r = await run();
      return { ...r, cpu: cpuPerMessage(before, cpuSnapshot(), n / MIB) };
    };
    const rawRun = (n: number) =>
      cpuOf(n, () =>
        call<{ sent: number; delivered: number; ms: number }>(
          A,
          (b, o: Parameters<BenchPage['rawFile']>[0]) => b.rawFile(o),
          { bytes: n, chunk: CHUNK, highWater: HIGH_WATER, timeoutMs },
        ),
      );
    const fileRun = async (n: number, sample: boolean) => {
      const samples: Sample[] = [];
      let running = true;
      const run = call<FileRun>(
        A,
        (b, [from, to, o]: [string, string, Parameters<BenchPage['fileSend']>[2]]) =>
          b.fileSend(from, to, o),
        [sender, receiver, { bytes: n, partBytes: PART_BYTES, timeoutMs }],
      ).finally(() => (running = false));
      const sampler = (async () => {
        while (sample && running) {
          const p = await call<{ bytes: number; size: number } | null>(
            A,
            (b, me: string) => b.fileProgress(me),
            sender,
          );
          const heap = await heaps(false);
          if (p && p.size === n) samples.push({ fraction: p.bytes / n, heap, rss: rssByKind() });
          await new Promise((r) => setTimeout(r, SAMPLE_MS));
        }
      })();
      const r = await run;
      await sampler;
      // The receiver's stored file, whole: its Blob from the stored chunks has every byte.
      const got = await call<{ state: string; bytes: number } | null>(
        B,
        (b, [me, id]: [string, string]) => b.fileReceived(me, id),
        [receiver, r.id],
      );
      await call(B, (b, me: string) => b.fileClear(me), receiver);
      await call(A, (b, me: string) => b.fileClear(me), sender);
      return { ...r, stored: got?.bytes ?? 0, receiverState: got?.state ?? 'none', samples };
    };

    if (warmBytes > 0) {
      await rawRun(warmBytes);
      await fileRun(warmBytes, false);
    }
    opts.log(`files: raw channel, ${fmtInt(bytes / MIB)} MiB…`);
    const rawBefore = await rawRun(bytes);
    const before = await heaps(true);
    const rssBefore = rssByKind();
    opts.log(`files: the engine's transfer, ${fmtInt(bytes / MIB)} MiB…`);
    const profiling = process.env.BENCH_PROFILE ? await profile([A, B]) : null;
    const file = await cpuOf(bytes, () => fileRun(bytes, true));
    if (profiling) {
      const written = await profiling(process.env.BENCH_PROFILE as string, 'files');
      notes.push(`CPU profiles of the pages during the transfer: ${written.join(', ')}`);
    }
    const after = await heaps(true);
    // What the collection let go of in the browser process (blob data the pages' Blob objects held)
    // is released over IPC after it: a moment later, not at once.
    await new Promise((r) => setTimeout(r, 1_000));
    const rssAfter = rssByKind();
    opts.log(`files: raw channel again…`);
    const rawAfter = await rawRun(bytes);
    loads.push(loadNote());
    if (pageErrors.length) throw new Error(`pages said: ${pageErrors.join(' | ')}`);
    if (file.state !== 'done')
      throw new Error(`the transfer ended ${file.state}: ${file.error ?? 'no error given'}`);

    const fileRate = rate(bytes, file.ms);
    const raws = [rawBefore, rawAfter].map((r) => ({ ...r, rate: rate(r.delivered, r.ms) }));
    const rawRate = (raws[0]!.rate + raws[1]!.rate) / 2;
    const ratio = fileRate / rawRate;
    const segments = [
      { label: 'up to 10 %', ...{ p: peaks(file.samples, -1, 0.1) } },
      { label: '10–50 %', ...{ p: peaks(file.samples, 0.1, 0.5) } },
      { label: '50–100 %', ...{ p: peaks(file.samples, 0.5, 1) } },
    ];
    const rss = (x: Record<string, number>, k: string) => x[k] ?? 0;
    const mem = (p: ReturnType<typeof peaks>) =>
      p
        ? [
            `${fmtMiB(p.sender)} / ${fmtMiB(p.receiver)}`,
            `${fmtMiB(rss(p.rss, 'browser'))} / ${fmtMiB(rss(p.rss, 'renderer'))}`,
          ]
        : ['–', '–'];
    const rows: string[][] = [
      [
        "engine's file transfer (chunks, hashes, acks, IndexedDB)",
        fmtInt(bytes / MIB),
        (file.ms / 1000).toFixed(1),
        fileRate.toFixed(1),
        `${ratio.toFixed(2)}x`,
        ...mem(peaks(file.samples, -1, 1)),
      ],
      ...segments.map((s) => [
        `  the same, ${s.label} of it confirmed (${s.p?.n ?? 0} samples)`,
        '',
        '',
        '',
        '',
        ...mem(s.p),
      ]),
      ...raws.map((r, i) => [
        `raw RTCDataChannel, 64 KiB binary frames, ${i === 0 ? 'before' : 'after'}`,
        fmtInt(r.delivered / MIB),
        (r.ms / 1000).toFixed(1),
        r.rate.toFixed(1),
        '',
        '',
        '',
      ]),
    ];
    const fmtCpu = (c: Record<string, number>) =>
      Object.entries(c)
        .filter(([k]) => k !== 'machine' && k !== 'server')
        .sort((x, y) => y[1] - x[1])
        .map(([k, us]) => `${k} ${(us / 1000).toFixed(1)}`)
        .join(', ');
    notes.push(
      `CPU ms per MiB moved, by process (from /proc; renderers = both pages): engine ${fmtCpu(file.cpu)}; raw ${fmtCpu(raws[0]!.cpu)}`,
      `goal: the engine's transfer >= ${GOAL}x the raw channel: ${ratio.toFixed(2)}x (${ratio >= GOAL ? 'met' : 'not met'})`,
      `goal: memory flat while the file moves, not growing with it (peaks above by share of the file confirmed); JS heap after a full GC, sender / receiver: before ${fmtMiB(before[0])} / ${fmtMiB(before[1])}, after ${fmtMiB(after[0])} / ${fmtMiB(after[1])}; Chromium's RSS before: browser ${fmtMiB(rss(rssBefore, 'browser'))}, renderers ${fmtMiB(rss(rssBefore, 'renderer'))}; after, a second after that GC: browser ${fmtMiB(rss(rssAfter, 'browser'))}, renderers ${fmtMiB(rss(rssAfter, 'renderer'))}`,
      `the receiver stored ${fmtInt(file.stored)} of ${fmtInt(bytes)} bytes (state ${file.receiverState}) and checked the file's content hash before it said done`,
    );
    return {
      name: 'files',
      title: `12. Files in Chromium (engine transfer vs raw RTCDataChannel), ${fmtInt(bytes / MIB)} MiB`,
      conditions: [
        `machine: ${loads.join(' -> ')}`,
        `Chromium ${version} (${CHROMIUM_PATH}), headless, one persistent (on-disk) profile, two pages, one user each; flags ${CHROMIUM_ARGS.join(' ')}`,
        'page: bench/browser/page.ts (the engine from web/src/core) built with Vite as in section 5, served by our signaling server in its own process; the file channel is the one the engine opened for a first chat message',
        `file: ${fmtInt(bytes)} bytes, a Blob of one ${PART_BYTES / MIB} MiB part referenced over and over; engine chunks of ${CHUNK / 1024} KiB; raw: the same bytes as ${CHUNK / 1024} KiB binary frames with the engine's pacing (${HIGH_WATER / MIB} MiB high-water mark)${warmBytes ? `; after a ${warmBytes / MIB} MiB warm-up of each` : ''}`,
        `memory: sampled every ${SAMPLE_MS} ms; JS heap by CDP Performance.getMetrics (JSHeapUsedSize) per page (performance.measureUserAgentSpecificMemory ${uaMemory ? 'available but not used' : 'not available: the page is not cross-origin isolated'}); RSS of Chromium's processes from /proc`,
      ],
      header: [
        'measurement',
        'MiB',
        's',
        'MB/s',
        'vs raw',
        'peak JS heap, sender / receiver',
        'peak RSS, browser process / renderers',
      ],
      rows,
      notes,
      data: {
        chromium: version,
        bytes,
        file: {
          state: file.state,
          ms: round(file.ms),
          stored: file.stored,
          receiverState: file.receiverState,
          samples: file.samples.length,
          cpuUsPerMiB: file.cpu,
        },
        raw: raws.map((r) => ({
          sent: r.sent,
          delivered: r.delivered,
          ms: round(r.ms),
          cpuUsPerMiB: r.cpu,
        })),
        fileRate: round(fileRate, 2),
        rawRate: round(rawRate, 2),
        ratio: round(ratio, 3),
        heapAfterGc: { before, after },
        rssAfterGc: { before: rssBefore, after: rssAfter },
        peaks: segments.map((s) => ({ label: s.label, ...(s.p ?? {}) })),
        pageErrors,
      },
      wallMs: performance.now() - t0,
    };
  } finally {
    await context?.close().catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
  }
}
