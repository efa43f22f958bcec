/**
 * What a server under test reports about itself: memory (after a full GC, so the figure is live
 * data, not garbage) and event-loop lag (perf_hooks histogram, timer resolution subtracted).
 */
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
