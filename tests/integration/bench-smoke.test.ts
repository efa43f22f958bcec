/**
 * Benchmarks are not tests, and nothing here asserts a timing. This runs every benchmark once at
 * its smallest size (`--quick`) so the suite cannot rot: each one must finish and produce its
 * figures, with every connection made and every message delivered. The quick browser (Chromium)
 * and two-node (PostgreSQL + Redis) runs take about 20 s each, the crypto one (Chromium and Node,
 * two Argon2id backups in each) about 15 s, the search one (5,000 messages in Chromium) about 15 s,
 * the files one (an 8 MiB file between two Chromium pages, and over a raw channel twice) about 10 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../bench/run.ts';

interface Result {
  name: string;
  rows: string[][];
  data: Record<string, unknown>;
}

const dir = mkdtempSync(join(tmpdir(), 'p2sp-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench', () => {
  it('parses its command line', () => {
    const a = parseArgs(['relay', '--quick', '--rate', '300', '--connections', '400']);
    expect(a.suites).toEqual(['relay']);
    expect(a.options).toMatchObject({ quick: true, rate: 300, connections: 400 });
    expect(parseArgs(['files', '--file-mib', '16']).options).toMatchObject({ fileMib: 16 });
    const c = parseArgs(['crypto', 'offline', '--iterations', '50', '--payload', 'plain']);
    expect(c.suites).toEqual(['crypto', 'offline']);
    expect(c.options).toMatchObject({ iterations: 50, payload: 'plain' });
    expect(() => parseArgs(['offline', '--payload', 'zip'])).toThrow(/sealed or plain/);
    expect(parseArgs([]).suites).toEqual([
      'connections',
      'relay',
      'offline',
      'logins',
      'browser',
      'nodes',
      'storm',
      'bans',
      'soak',
      'crypto',
      'bundle',
      'search',
      'files',
    ]);
    expect(() => parseArgs(['nonsense'])).toThrow(/unknown argument/);
  });

  it('runs every benchmark in quick mode and reports its figures', { timeout: 480_000 }, () => {
    const out = join(dir, 'bench.json');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', 'all', '--quick', '--json', out],
      { encoding: 'utf8', timeout: 460_000, killSignal: 'SIGINT' },
    );
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { results: Result[] };
    const byName = new Map(report.results.map((r) => [r.name, r.data]));
    expect([...byName.keys()]).toEqual([
      'connections',
      'relay',
      'offline',
      'logins',
      'browser',
      'nodes',
      'storm',
      'bans',
      'soak',
      'crypto',
      'bundle',
      'search',
      'files',
    ]);

    // The build's split, read off Vite's manifest: a first load, and the chat behind it.
    const bundle = byName.get('bundle') as {
      firstLoadJsGzipBytes: number;
      firstLoadFiles: string[];
      lazy: { name: string; jsGzipBytes: number; files: string[] }[];
    };
    expect(bundle.firstLoadJsGzipBytes).toBeGreaterThan(0);
    const chat = bundle.lazy.find((l) => l.name === 'chat');
    expect(chat?.jsGzipBytes).toBeGreaterThan(0);
    expect(bundle.firstLoadFiles.some((f) => chat?.files.includes(f))).toBe(false);

    // Search of local history in Chromium: every query answered, conversations opened whole.
    const searchData = byName.get('search') as {
      messages: number;
      queries: { label: string; p95: number; hits: number }[];
      open: { p95: number };
      around: { p95: number };
    };
    expect(searchData.messages).toBe(5_000);
    expect(searchData.queries.length).toBeGreaterThan(5);
    for (const q of searchData.queries) expect(q.p95, q.label).toBeGreaterThan(0);
    expect(searchData.queries.find((q) => q.label === 'no match')?.hits).toBe(0);
    expect(searchData.queries.find((q) => q.label === 'Chinese word, rare')?.hits).toBeGreaterThan(
      0,
    );
    expect(searchData.open.p95).toBeGreaterThan(0);
    expect(searchData.around.p95).toBeGreaterThan(0);

    // 12. Files in Chromium: the file arrived whole and checked, the raw channel carried every byte,
    // and memory was sampled while it moved.
    const filesRun = byName.get('files') as {
      bytes: number;
      file: { state: string; stored: number; receiverState: string; samples: number };
      raw: { sent: number; delivered: number }[];
      fileRate: number;
      ratio: number;
      heapAfterGc: { before: number[]; after: number[] };
    };
    expect(filesRun.bytes).toBe(8 * 1024 * 1024);
    expect(filesRun.file).toMatchObject({ state: 'done', receiverState: 'done' });
    expect(filesRun.file.stored).toBe(filesRun.bytes);
    expect(filesRun.file.samples).toBeGreaterThan(0);
    for (const r of filesRun.raw) expect(r.delivered).toBe(filesRun.bytes);
    expect(filesRun.fileRate).toBeGreaterThan(0);
    expect(filesRun.ratio).toBeGreaterThan(0);
    for (const h of [...filesRun.heapAfterGc.before, ...filesRun.heapAfterGc.after])
      expect(h).toBeGreaterThan(0);

    type ConnRow = {
      server: string;
      target: number;
      connected: number;
      stillOpen: number;
      rssPerConn: number;
      heapPerConn: number;
    };
    const conns = (byName.get('connections') as { rows: ConnRow[] }).rows;
    expect(conns.map((r) => r.server)).toEqual(['ours', 'plain', 'peerjs']);
    for (const r of conns) {
      expect(r.connected).toBe(r.target);
      expect(r.stillOpen).toBe(r.target);
      // Heap after a full GC grows with every connection held. RSS is only measured, not checked
      // for sign: with the smoke run's 200 connections, pages V8 hands back after start-up can
      // outweigh them (one CI run measured -9.4 KB per connection).
      expect(r.heapPerConn).toBeGreaterThan(0);
      expect(Number.isFinite(r.rssPerConn)).toBe(true);
    }

    type Run = {
      sent: number;
      received: number;
      ackFailed: number;
      latency: { p50: number; p99: number };
    };
    const relays = (byName.get('relay') as { rows: { server: string; fixed: Run; steps: Run[] }[] })
      .rows;
    expect(relays.map((r) => r.server)).toEqual(['ours', 'plain', 'peerjs']);
    for (const r of relays) {
      expect(r.fixed.sent).toBeGreaterThan(0);
      expect(r.fixed.received).toBe(r.fixed.sent);
      expect(r.fixed.ackFailed).toBe(0);
      expect(r.fixed.latency.p99).toBeGreaterThan(0);
      expect(r.steps.length).toBeGreaterThan(0);
    }

    type OfflineRow = {
      dialect: string;
      stored: number;
      failed: number;
      storedPerSec: number;
      rowsInDb: number;
      delivered: number;
      acked: number;
      left: number;
    };
    const offline = byName.get('offline') as {
      rows: OfflineRow[];
      total: number;
      inbox: number;
      payload: string;
      payloadChars: number;
    };
    // What the engine stores: sealed copies (a typical frame's is ~480 characters).
    expect(offline.payload).toBe('sealed');
    expect(offline.payloadChars).toBeGreaterThan(300);
    expect(offline.rows.map((r) => r.dialect)).toEqual(['sqlite', 'postgres']);
    for (const r of offline.rows) {
      expect(r.failed).toBe(0);
      expect(r.stored).toBeGreaterThanOrEqual(offline.total);
      expect(r.rowsInDb).toBe(r.stored);
      expect(r.storedPerSec).toBeGreaterThan(0);
      expect(r.delivered).toBe(offline.inbox);
      expect(r.acked).toBe(offline.inbox);
      expect(r.left).toBe(0);
    }

    const logins = byName.get('logins') as {
      hashesPerSec1: number;
      issued: number;
      ok: number;
      burstLag: { p99: number };
    };
    expect(logins.hashesPerSec1).toBeGreaterThan(0);
    expect(logins.issued).toBeGreaterThan(0);
    expect(logins.ok).toBe(logins.issued);

    // 5. Chromium: every message to a new peer delivered directly; every throughput message too.
    type Tp = { sent: number; delivered: number; notDirect: number };
    const browser = byName.get('browser') as {
      measured: number;
      samples: { state: string; deliveredMs: number }[];
      setup: { p95: number };
      engine: Tp[];
      raw: Tp[];
      bulk: Tp[];
      ratio: number;
      parts: { historySenderPerSec: number; codecUsPerMessage: number };
    };
    expect(browser.samples).toHaveLength(browser.measured);
    for (const s of browser.samples) expect(s.state).toBe('delivered');
    expect(browser.setup.p95).toBeGreaterThan(0);
    for (const t of [...browser.engine, ...browser.raw, ...browser.bulk]) {
      expect(t.sent).toBeGreaterThan(0);
      expect(t.delivered).toBe(t.sent);
      expect(t.notDirect).toBe(0);
    }
    expect(browser.ratio).toBeGreaterThan(0);
    expect(browser.parts.historySenderPerSec).toBeGreaterThan(0);

    // 6. Two nodes: single node, split pairs across two nodes, one node with Redis; all delivered.
    const nodes = byName.get('nodes') as {
      runs: (Run & { layout: string; nodes: number; connected: number })[];
      target: number;
      p99Ratio: number;
    };
    expect(nodes.runs.map((r) => [r.layout, r.nodes])).toEqual([
      ['single', 1],
      ['two-nodes', 2],
      ['single-redis', 1],
    ]);
    for (const r of nodes.runs) {
      expect(r.connected).toBe(nodes.target);
      expect(r.sent).toBeGreaterThan(0);
      expect(r.received).toBe(r.sent);
      expect(r.ackFailed).toBe(0);
      expect(r.latency.p99).toBeGreaterThan(0);
    }
    expect(nodes.p99Ratio).toBeGreaterThan(0);

    // 7. Reconnect storm: ours and plain Socket.IO, every socket back, none failed.
    type StormRow = {
      server: string;
      target: number;
      connected: number;
      failed: number;
      ms: number;
    };
    const stormRows = (byName.get('storm') as { rows: StormRow[] }).rows;
    expect(stormRows.map((r) => r.server)).toEqual(['ours', 'plain']);
    for (const r of stormRows) {
      expect(r.connected).toBe(r.target);
      expect(r.failed).toBe(0);
      expect(r.ms).toBeGreaterThan(0);
    }

    // 7. Bans from the admin CLI: every banned socket dropped, on one node and on two.
    type BansRow = { layout: string; rounds: number; commitToDropP50: number };
    const bans = byName.get('bans') as { rows: BansRow[] };
    expect(bans.rows.map((r) => r.layout)).toEqual(['sqlite-1', 'postgres-2']);
    for (const r of bans.rows) {
      expect(r.rounds).toBeGreaterThan(0);
      expect(Number.isFinite(r.commitToDropP50)).toBe(true);
    }

    // 10. Crypto: every runtime measured every operation, and every sealed copy opened.
    type Figures = { count: number; p50: number; p95: number };
    const cryptoRun = byName.get('crypto') as {
      failures: number;
      runtimes: {
        where: string;
        messages: { op: string; case: string; us: Figures; failures: number }[];
        once: { op: string; ms: Figures }[];
      }[];
    };
    expect(cryptoRun.runtimes.map((r) => r.where.split(' ')[0])).toEqual(['Chromium', 'Node']);
    expect(cryptoRun.failures).toBe(0);
    for (const r of cryptoRun.runtimes) {
      for (const c of ['typical', 'max'])
        for (const op of ['seal', 'open'])
          expect(r.messages.find((m) => m.op === op && m.case === c)?.us.count).toBeGreaterThan(0);
      expect(r.once.map((o) => o.op)).toEqual([
        'pairKey',
        'parseBundle',
        'signChannel',
        'verifyChannel',
        'safetyNumber',
        'generateIdentity',
        'backupWrap',
        'backupUnwrap',
      ]);
      for (const o of r.once) expect(o.ms.count).toBeGreaterThan(0);
    }
    expect(run.stdout).toContain('## 10. End-to-end encryption: client-side cost');
    expect(run.stdout).toMatch(/\| Chromium [^|]*\| seal \(Keys\.seal/);

    const soak = byName.get('soak') as {
      sent: number;
      expected: number;
      lost: number;
      refused: string[];
      duplicates: number;
      outOfOrder: number;
      faults: Record<string, number>;
    };
    expect(soak.sent).toBeGreaterThan(0);
    expect(soak.expected).toBeGreaterThanOrEqual(soak.sent);
    expect(soak.faults).toEqual({ socketDrops: 2, reloads: 1, serverKills: 1 });
    // The figures are counted and reported; whether they meet the goal (all 0) is the chaos
    // test's assertion (tests/integration/chaos.test.ts) and the full soak's report. One CI run of
    // this 60-message quick soak counted 1 lost: an open finding, see BENCHMARKS.md section 9.
    for (const n of [soak.lost, soak.duplicates, soak.outOfOrder, soak.refused.length]) {
      expect(Number.isInteger(n)).toBe(true);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(soak.expected);
    }
  });
});
