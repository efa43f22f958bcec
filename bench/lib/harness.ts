/**
 * Shared plumbing for the suites: starting a server under test, a pool of load generators, and
 * splitting connections between them.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Child } from './ipc.ts';
import type { ClientKind } from '../load/worker.ts';
import type { ServerStats } from './monitor.ts';

export type ServerKind = 'ours' | 'plain' | 'peerjs';

export const SERVER_LABEL: Record<ServerKind, string> = {
  ours: 'P2SP signaling',
  plain: 'plain Socket.IO relay',
  peerjs: 'PeerJS PeerServer',
};

export interface Options {
  quick: boolean;
  /** Overrides of the suite's default sizes. */
  connections?: number;
  rate?: number;
  seconds?: number;
  /** Chat messages the soak sends. */
  messages?: number;
  /** Crypto suite: typical messages sealed and opened per runtime (the maximum ones a tenth). */
  iterations?: number;
  /** Files suite: the size of the file sent, MiB (default 1024, quick 8). */
  fileMib?: number;
  /** Offline suite: what is stored, sealed copies of a typical msg frame or the old plain text. */
  payload?: 'sealed' | 'plain';
  /** Relay max-rate search: the rates tried and how long each is held. */
  steps?: number[];
  stepSeconds?: number;
  /** Which servers the side-by-side suites run (default all three). */
  servers: ServerKind[];
  /** Load generator processes. */
  workers: number;
  /** Loopback source addresses, 127.0.0.1 .. 127.0.0.N. */
  addresses: number;
  /**
   * The Socket.IO client the relay-type loads use: `raw` (bench/load/sio-raw.ts, the same wire
   * protocol for a fraction of the generator's CPU) or `socket.io` (socket.io-client).
   */
  client: ClientKind;
  pgAdminUrl: string;
  log: (line: string) => void;
}

/** 1-minute load average / cores, to show when something else was using the machine. */
export const loadNote = (): string => {
  const [one] = loadavg();
  return `load average ${(one ?? 0).toFixed(1)} on ${cpus().length} cores`;
};

export interface SuiteResult {
  name: string;
  title: string;
  conditions: string[];
  header: string[];
  rows: string[][];
  notes: string[];
  /** Machine-readable figures (what the smoke test checks). */
  data: Record<string, unknown>;
  wallMs: number;
}

export const loopbackAddresses = (n: number): string[] =>
  Array.from({ length: Math.max(1, Math.min(254, n)) }, (_, i) => `127.0.0.${i + 1}`);

export const newTokenPrefix = (): string => `bench-${randomBytes(6).toString('hex')}-`;

export interface Server {
  kind: ServerKind;
  child: Child;
  port: number;
  dbVersion?: string;
  /** Ours: the database it uses (a second node can join it). */
  databaseUrl?: string;
  stats(gc?: boolean): Promise<ServerStats>;
  resetLag(): Promise<void>;
  stop(): Promise<void>;
}

/** Extra settings for our server (`servers/ours.ts` `start`); the others ignore them. */
export interface OursStart {
  /** Join an existing database (another node's) instead of creating a fresh one. */
  databaseUrl?: string;
  /** Run as one node of several: Socket.IO Redis adapter, presence over Redis. */
  redisUrl?: string;
  redisPrefix?: string;
  /** Serve these built files (the browser benchmark's page), same origin as the API. */
  staticDir?: string;
}

export async function startServer(
  kind: ServerKind,
  opts: Options,
  dialect: 'sqlite' | 'postgres' = 'sqlite',
  extra: OursStart = {},
): Promise<Server> {
  const child = await Child.start(`${kind} server`, `../servers/${kind}.ts`, [
    '--max-old-space-size=4096',
    // Experiments only (a profile, a GC flag): extra node flags for the server under test.
    ...(process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean),
  ]);
  try {
    const started = await child.call<{ port: number; dbVersion?: string; databaseUrl?: string }>(
      'start',
      { dialect, pgAdminUrl: opts.pgAdminUrl, ...extra },
      60_000,
    );
    return {
      kind,
      child,
      port: started.port,
      dbVersion: started.dbVersion,
      databaseUrl: started.databaseUrl,
      stats: (gc = false) => child.call<ServerStats>('stats', { gc }, 60_000),
      resetLag: async () => {
        await child.call('resetLag');
      },
      stop: async () => {
        await child.call('close', {}, 15_000).catch(() => {});
        await child.stop();
      },
    };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

export class Workers {
  private constructor(readonly all: Child[]) {}

  static async start(n: number): Promise<Workers> {
    const all = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        Child.start(`load generator ${i + 1}`, '../load/worker.ts', ['--max-old-space-size=4096']),
      ),
    );
    return new Workers(all);
  }

  /** Splits [from, from+count) into one even-sized range per worker (pairs stay together). */
  ranges(from: number, count: number): { from: number; count: number }[] {
    const pairs = Math.floor(count / 2);
    const per = Math.floor(pairs / this.all.length);
    let extra = pairs - per * this.all.length;
    let at = from;
    return this.all.map(() => {
      const n = (per + (extra-- > 0 ? 1 : 0)) * 2;
      const r = { from: at, count: n };
      at += n;
      return r;
    });
  }

  async connect(
    kind: ServerKind,
    port: number,
    from: number,
    count: number,
    opts: Options,
    tokenPrefix: string,
    extra: {
      /** Several nodes: connection i goes to ports[i % ports.length]. */
      ports?: number[];
      /** Instead of `opts.client` (the offline loads need socket.io-client's acks API). */
      client?: ClientKind;
      /** Every connection at once with the web client's reconnect timing (see the worker). */
      storm?: boolean;
    } = {},
  ): Promise<{ connected: number; failed: number; retries: number; errors: string[]; ms: number }> {
    const { ports, client = opts.client, storm = false } = extra;
    const t0 = performance.now();
    const timeoutMs = Math.max(60_000, count * 20);
    const parts = await Promise.all(
      this.ranges(from, count).map((r, i) =>
        (this.all[i] as Child).call<{
          connected: number;
          failed: number;
          retries?: number;
          errors: string[];
        }>(
          'connect',
          {
            kind,
            port,
            ports,
            from: r.from,
            count: r.count,
            addresses: loopbackAddresses(opts.addresses),
            concurrency: 64,
            storm,
            tokenPrefix,
            timeoutMs,
            client,
          },
          timeoutMs + 30_000,
        ),
      ),
    );
    return {
      connected: parts.reduce((s, p) => s + p.connected, 0),
      failed: parts.reduce((s, p) => s + p.failed, 0),
      retries: parts.reduce((s, p) => s + (p.retries ?? 0), 0),
      errors: parts.flatMap((p) => p.errors).slice(0, 5),
      ms: performance.now() - t0,
    };
  }

  async alive(): Promise<number> {
    const parts = await Promise.all(this.all.map((w) => w.call<number>('alive')));
    return parts.reduce((s, n) => s + n, 0);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all.map((w) => w.call('closeAll').catch(() => {})));
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((w) => w.stop()));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
