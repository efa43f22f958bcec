/**
 * What a server under test reports about itself: memory (after a full GC, so the figure is live
 * data, not garbage) and event-loop lag (perf_hooks histogram, timer resolution subtracted).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 1;
const lag = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
lag.enable();

export interface ServerStats {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  lag: { p50: number; p99: number; max: number; mean: number };
  handles: number;
  /** CPU time this process has used, user + system, in ms (deltas give the cost of a load). */
  cpuMs: number;
}

const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

/**
 * Profiling runs only: with BENCH_HEAP_PROFILE=<file>, the server samples every allocation site
 * from its start, INCLUDING objects the garbage collector has already freed (what a load churns
 * through, not only what it keeps), and writes a .heapprofile (Chrome DevTools format) at close.
 */
let heapProfile: { session: Session; file: string } | undefined;
const heapProfileFile = process.env.BENCH_HEAP_PROFILE;
if (heapProfileFile) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 8192,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  heapProfile = { session, file: heapProfileFile };
}

/** Writes the heap profile (if one is being taken); called by each server's `close`. */
export function writeHeapProfile(): Promise<void> {
  const p = heapProfile;
  if (!p) return Promise.resolve();
  heapProfile = undefined;
  return new Promise((resolve) => {
    p.session.post('HeapProfiler.stopSampling', (err, res) => {
      if (!err) writeFileSync(`${p.file}.${process.pid}.heapprofile`, JSON.stringify(res.profile));
      p.session.disconnect();
      resolve();
    });
  });
}

export const monitorHandlers = {
  /** Starts a new event-loop-lag window. */
  resetLag() {
    lag.reset();
    return null;
  },
  /** Memory after GC (when `gc` is set) and lag since the last reset. */
  stats(args: { gc?: boolean }): ServerStats {
    if (args?.gc) gc();
    const m = process.memoryUsage();
    const handles =
      (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.()
        .length ?? 0;
    return {
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      lag: {
        p50: ms(lag.percentile(50)),
        p99: ms(lag.percentile(99)),
        max: ms(lag.max),
        mean: ms(lag.mean),
      },
      handles,
      cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    };
  },
};
