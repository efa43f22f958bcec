/**
 * 10. End-to-end encryption, client side: what sealing and opening a stored copy costs per
 * message, and what the once-per-contact and once-per-connection steps cost (pairwise key, bundle
 * check, channel signature and its check, safety number, a new identity, the password-wrapped
 * backup). Measured in Chromium, where the engine runs (its V8, its IndexedDB, a page clock made
 * fine by cross-origin isolation), and in this Node process (fake-indexeddb), where the engine's
 * tests and the soak run it. The measuring code is one module for both: bench/lib/crypto-costs.ts.
 */
import { existsSync } from 'node:fs';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { BACKUP_KDF } from '../../web/src/core/e2ee/backup.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tests/helpers/platform.ts';
import {
  SAMPLE_SDP,
  cryptoBench,
  type MessageCase,
  type MessageOp,
  type MessageSamples,
  type OnceOp,
  type Sizes,
} from '../lib/crypto-costs.ts';
import { loadNote, type Options, type SuiteResult } from '../lib/harness.ts';
import { fmtInt, round, summarize, type Summary } from '../lib/stats.ts';

/** The issue's goal for what encryption adds to one message, ms. */
const GOAL_MS = 0.2;
const ORIGIN = 'http://127.0.0.1:9';
const PAGE_ENTRY = fileURLToPath(new URL('../browser/crypto-page.ts', import.meta.url));

const MESSAGE_OPS: MessageOp[] = [
  'seal',
  'open',
  'seal-fn',
  'open-fn',
  'aead-encrypt',
  'aead-decrypt',
  'b64-encode',
  'b64-decode',
];
const ONCE_OPS: OnceOp[] = [
  'pairKey',
  'parseBundle',
  'signChannel',
  'verifyChannel',
  'safetyNumber',
  'generateIdentity',
  'backupWrap',
  'backupUnwrap',
];

const OP_LABEL: Record<MessageOp | OnceOp, string> = {
  seal: 'seal (Keys.seal: cached pair key, XChaCha20-Poly1305, base64url)',
  open: 'open (Keys.open: cached pair key, decrypt + verify tag, UTF-8)',
  'seal-fn': '  part: seal() alone (associated data, nonce, UTF-8, AEAD, base64url)',
  'open-fn': '  part: open() alone (associated data, base64url, AEAD, UTF-8)',
  'aead-encrypt': '  part: XChaCha20-Poly1305 encrypt alone',
  'aead-decrypt': '  part: XChaCha20-Poly1305 decrypt alone',
  'b64-encode': '  part: base64url encode of the box (codec.ts)',
  'b64-decode': '  part: base64url decode of the box (codec.ts, canonical check)',
  pairKey: 'pairKey: X25519 + HKDF-SHA256 (first copy to/from a contact)',
  parseBundle: "parseBundle: Ed25519 verify of the bundle's binding",
  signChannel: 'signChannel: Ed25519 sign of the SDP fingerprints',
  verifyChannel: 'verifyChannel: Ed25519 verify of a peer offer/answer',
  safetyNumber: 'safetyNumber: 2 x 5,200 SHA-512',
  generateIdentity: 'generateIdentity: Ed25519 + X25519 keys, bundle signed',
  backupWrap: `backup wrap: Argon2id m=${(BACKUP_KDF.m / 1024).toFixed(0)} MiB t=${BACKUP_KDF.t} + seal`,
  backupUnwrap: `backup unwrap: Argon2id m=${(BACKUP_KDF.m / 1024).toFixed(0)} MiB t=${BACKUP_KDF.t} + open`,
};

interface Sizing {
  iterations: Record<MessageCase, number>;
  warmup: Record<MessageCase, number>;
  runs: Record<OnceOp, { runs: number; warmup: number }>;
}

function sizing(opts: Options): Sizing {
  const typical = opts.iterations ?? (opts.quick ? 200 : 10_000);
  const max = Math.max(20, Math.round(typical / 10));
  const fast = opts.quick ? { runs: 10, warmup: 2 } : { runs: 200, warmup: 20 };
  return {
    iterations: { typical, max },
    warmup: {
      typical: Math.max(20, Math.round(typical / 5)),
      max: Math.max(5, Math.round(max / 5)),
    },
    runs: {
      pairKey: fast,
      parseBundle: fast,
      signChannel: fast,
      verifyChannel: fast,
      safetyNumber: opts.quick ? { runs: 3, warmup: 1 } : { runs: 50, warmup: 5 },
      generateIdentity: fast,
      backupWrap: opts.quick ? { runs: 1, warmup: 0 } : { runs: 5, warmup: 1 },
      backupUnwrap: opts.quick ? { runs: 1, warmup: 0 } : { runs: 5, warmup: 1 },
    },
  };
}

/** One runtime's measurements, taken through `drive` (this process, or a page over CDP). */
interface Drive {
  where: string;
  setup(): Promise<Sizes[]>;
  message(
    op: MessageOp,
    c: MessageCase,
    o: { iterations: number; warmup: number },
  ): Promise<MessageSamples>;
  once(op: OnceOp, o: { runs: number; warmup: number }): Promise<number[]>;
  /** CPU ms used so far by the thread (page) or process (Node) doing the work. */
  cpuMs(): Promise<number>;
  resolutionMs(): Promise<number>;
  close(): Promise<void>;
}

export interface MessageFigure {
  op: MessageOp;
  case: MessageCase;
  /** µs per message. */
  us: Summary;
  /** CPU µs per message (mean over the run, warm-up included). */
  cpuUs: number;
  /** Messages timed (after the warm-up). */
  iterations: number;
  batch: number;
  failures: number;
}

export interface OnceFigure {
  op: OnceOp;
  /** ms per run. */
  ms: Summary;
}

export interface Runtime {
  where: string;
  resolutionUs: number;
  sizes: Record<MessageCase, Sizes>;
  messages: MessageFigure[];
  once: OnceFigure[];
}

async function measure(drive: Drive, s: Sizing, log: (line: string) => void): Promise<Runtime> {
  const [typical, max] = await drive.setup();
  const messages: MessageFigure[] = [];
  for (const c of ['typical', 'max'] as const) {
    for (const op of MESSAGE_OPS) {
      const cpu0 = await drive.cpuMs();
      const r = await drive.message(op, c, { iterations: s.iterations[c], warmup: s.warmup[c] });
      const cpu = (await drive.cpuMs()) - cpu0;
      messages.push({
        op,
        case: c,
        us: scaled(summarize(r.samples), 1000),
        cpuUs: round((cpu * 1000) / Math.max(1, r.done), 1),
        iterations: s.iterations[c],
        batch: r.batch,
        failures: r.failures,
      });
    }
    const seal = messages.find((m) => m.op === 'seal' && m.case === c) as MessageFigure;
    const open = messages.find((m) => m.op === 'open' && m.case === c) as MessageFigure;
    log(
      `  ${drive.where}, ${c}: seal p50 ${fmtUs(seal.us.p50)} p95 ${fmtUs(seal.us.p95)}; open p50 ${fmtUs(open.us.p50)} p95 ${fmtUs(open.us.p95)}`,
    );
  }
  const once: OnceFigure[] = [];
  for (const op of ONCE_OPS) once.push({ op, ms: summarize(await drive.once(op, s.runs[op])) });
  log(
    `  ${drive.where}: ${once.map((o) => `${o.op} ${o.ms.p50.toFixed(o.ms.p50 < 10 ? 2 : 0)} ms`).join(', ')}`,
  );
  return {
    where: drive.where,
    resolutionUs: round((await drive.resolutionMs()) * 1000, 3),
    sizes: { typical: typical as Sizes, max: max as Sizes },
    messages,
    once,
  };
}

const scaled = (s: Summary, k: number): Summary => ({
  count: s.count,
  p50: round(s.p50 * k, 2),
  p90: round(s.p90 * k, 2),
  p95: round(s.p95 * k, 2),
  p99: round(s.p99 * k, 2),
  max: round(s.max * k, 2),
});

const fmtUs = (us: number): string => `${us < 100 ? us.toFixed(1) : fmtInt(us)} µs`;
const fmtOnce = (ms: number): string =>
  ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 100 ? `${ms.toFixed(2)} ms` : `${fmtInt(ms)} ms`;

function nodeDrive(): Drive {
  const bench = cryptoBench({ indexedDB: new IDBFactory(), IDBKeyRange });
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  return {
    where: `Node ${process.version}`,
    setup: () => bench.setup(),
    message: async (op, c, o) => bench.message(op, c, o),
    once: (op, o) => bench.once(op, o),
    cpuMs: async () => cpu(),
    resolutionMs: async () => bench.clockResolution(),
    close: async () => bench.close(),
  };
}

/** The page's module, bundled whole (no shims needed: the e2ee code is plain ESM). */
async function bundlePage(): Promise<string> {
  const { build } = await import('vite');
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      write: false,
      target: 'es2022',
      minify: false,
      reportCompressedSize: false,
      lib: { entry: PAGE_ENTRY, formats: ['iife'], name: 'cryptoBenchPage', fileName: 'crypto' },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as { output: { code?: string }[] }[];
  const code = outputs[0]?.output[0]?.code;
  if (!code) throw new Error('the crypto page did not build');
  return code;
}

/**
 * Chromium, one page served from a routed origin with COOP/COEP, so the page is cross-origin
 * isolated and its clock moves in 5 µs steps instead of 100 µs. CPU is the page's main thread
 * (CDP Performance.getMetrics ThreadTime).
 */
async function chromiumDrive(): Promise<{ drive: Drive; sdp: string; browser: Browser }> {
  const code = await bundlePage();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext();
    const page: Page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.route(`${ORIGIN}/**`, (route) => {
      const isolated = {
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      };
      if (new URL(route.request().url()).pathname === '/crypto.js')
        return route.fulfill({ body: code, contentType: 'text/javascript', headers: isolated });
      return route.fulfill({
        body: '<!doctype html><meta charset="utf-8"><title>crypto bench</title><script src="/crypto.js"></script>',
        contentType: 'text/html',
        headers: isolated,
      });
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => window.cryptoPage !== undefined, null, { timeout: 30_000 });
    if (errors.length) throw new Error(`crypto page: ${errors.join('; ')}`);
    const isolated = await page.evaluate(() => window.crossOriginIsolated);
    const sdp = await page.evaluate(() => window.cryptoPage.offerSdp());
    const cdp: CDPSession = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const drive: Drive = {
      where: `Chromium ${browser.version()}${isolated ? '' : ' (not cross-origin isolated)'}`,
      setup: () =>
        page.evaluate(
          (s) => window.cryptoPage.start(s),
          sdp.includes('a=fingerprint:') ? sdp : SAMPLE_SDP,
        ),
      message: (op, c, o) =>
        page.evaluate((a) => window.cryptoPage.bench!.message(a.op, a.c, a.o), { op, c, o }),
      once: (op, o) => page.evaluate((a) => window.cryptoPage.bench!.once(a.op, a.o), { op, o }),
      cpuMs: async () => {
        const { metrics } = await cdp.send('Performance.getMetrics');
        return (metrics.find((m) => m.name === 'ThreadTime')?.value ?? 0) * 1000;
      },
      resolutionMs: () => page.evaluate(() => window.cryptoPage.bench?.clockResolution() ?? 0),
      close: async () => {
        await page.evaluate(() => window.cryptoPage.bench?.close());
        await context.close();
      },
    };
    return { drive, sdp, browser };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

export async function cryptoCosts(opts: Options): Promise<SuiteResult> {
  const t0 = performance.now();
  const s = sizing(opts);
  const loads = [loadNote()];
  const notes: string[] = [];
  const runtimes: Runtime[] = [];
  let sdpNote = 'the sample SDP in bench/lib/crypto-costs.ts';
  if (existsSync(CHROMIUM_PATH)) {
    opts.log(`crypto: Chromium (${CHROMIUM_PATH})`);
    const { drive, sdp, browser } = await chromiumDrive();
    try {
      if (sdp.includes('a=fingerprint:'))
        sdpNote = `a real offer from this Chromium (${fmtInt(sdp.length)} characters)`;
      runtimes.push(await measure(drive, s, opts.log));
      await drive.close();
    } finally {
      await browser.close();
    }
    loads.push(loadNote());
  } else {
    notes.push(`Chromium not found at ${CHROMIUM_PATH}: measured in Node only.`);
  }
  opts.log(`crypto: Node ${process.version}`);
  const node = nodeDrive();
  try {
    runtimes.push(await measure(node, s, opts.log));
  } finally {
    await node.close();
  }
  loads.push(loadNote());

  const rows: string[][] = [];
  for (const r of runtimes) {
    for (const m of r.messages) {
      const size = r.sizes[m.case];
      const judged = m.op === 'seal' || m.op === 'open';
      rows.push([
        r.where,
        OP_LABEL[m.op],
        m.case === 'typical'
          ? `typical (${size.textChars} chars, frame ${fmtInt(size.frameBytes)} B)`
          : `max (${fmtInt(size.textChars)} CJK, frame ${fmtInt(size.frameBytes)} B)`,
        fmtInt(m.iterations),
        String(m.batch),
        fmtUs(m.us.p50),
        fmtUs(m.us.p95),
        fmtUs(m.cpuUs),
        judged ? verdict(m.us) : '',
      ]);
    }
    for (const o of r.once)
      rows.push([
        r.where,
        OP_LABEL[o.op],
        'once',
        String(o.ms.count),
        '1',
        fmtOnce(o.ms.p50),
        fmtOnce(o.ms.p95),
        '',
        '',
      ]);
  }

  for (const r of runtimes) {
    const get = (op: MessageOp, c: MessageCase) =>
      r.messages.find((m) => m.op === op && m.case === c) as MessageFigure;
    const typ = [get('seal', 'typical'), get('open', 'typical')];
    notes.push(
      `${r.where}: goal "encryption adds under ${GOAL_MS} ms a message": typical message seal p50 ${fmtUs(typ[0]!.us.p50)} / p95 ${fmtUs(typ[0]!.us.p95)} (${verdict(typ[0]!.us)}), ` +
        `open p50 ${fmtUs(typ[1]!.us.p50)} / p95 ${fmtUs(typ[1]!.us.p95)} (${verdict(typ[1]!.us)}); ` +
        `maximum message seal p50 ${fmtUs(get('seal', 'max').us.p50)}, open p50 ${fmtUs(get('open', 'max').us.p50)}. ` +
        `Sealed copy: ${fmtInt(r.sizes.typical.sealedChars)} characters for the typical frame (${fmtInt(r.sizes.typical.frameChars)}), ` +
        `${fmtInt(r.sizes.max.sealedChars)} for the maximum (${fmtInt(r.sizes.max.frameChars)}); clock step ${r.resolutionUs} µs.`,
    );
  }
  const failures = runtimes.flatMap((r) => r.messages).reduce((n, m) => n + m.failures, 0);
  if (failures)
    notes.push(`${failures} sealed copies did not open to what was sealed: a bug, not a timing.`);
  notes.push(
    'Only copies stored through the server are sealed (offline:store / storeMany: one seal per recipient, so a group message for n offline members is sealed n times; one open per copy pulled). A message sent directly over a data channel is not sealed: DTLS encrypts it, and the channel is bound to the account by the signed fingerprint (signChannel/verifyChannel, once per connection).',
    '"once" costs are per contact (pairKey on the first copy to or from them, then cached per bundle; parseBundle when their key is first seen), per connection (signChannel for each offer/answer sent, verifyChannel for each received), per safety-number view, and per sign-in with the password (backup unwrap on a new device; a new identity and its backup wrap on the first sign-in, again on a password change).',
    `Each per-message sample is the mean of "batch" consecutive messages, batch sized so the clock's step is at most 5% of a sample (1 in Node); p50/p95 are over those samples after the warm-up. CPU/op is the page's main-thread time (CDP ThreadTime) or Node's process CPU over the whole run, warm-up and timer calls included. Channel signatures are over ${sdpNote}.`,
  );

  return {
    name: 'crypto',
    title: '10. End-to-end encryption: client-side cost',
    conditions: [
      `machine: ${loads.join(' -> ')}`,
      `per message: ${fmtInt(s.iterations.typical)} typical messages (after ${fmtInt(s.warmup.typical)} warm-up) and ${fmtInt(s.iterations.max)} maximum ones (after ${fmtInt(s.warmup.max)}), each with its own id, sealed by one keyring and opened by the other; msg frames built by shared/peer-wire.ts frames.msg + encodeFrame`,
      `once: ${ONCE_OPS.map((o) => `${o} ${s.runs[o].runs}`).join(', ')} runs (after a warm-up)`,
      'Chromium: one page, cross-origin isolated (COOP/COEP on a routed 127.0.0.1 origin), its own IndexedDB; Node: fake-indexeddb for the keyrings',
    ],
    header: [
      'runtime',
      'operation',
      'size',
      'n',
      'batch',
      'p50',
      'p95',
      'CPU/op',
      `goal < ${GOAL_MS} ms`,
    ],
    rows,
    notes,
    data: { runtimes, goalMs: GOAL_MS, failures },
    wallMs: performance.now() - t0,
  };
}

function verdict(us: Summary): string {
  const goal = GOAL_MS * 1000;
  if (us.p95 < goal) return 'met';
  if (us.p50 < goal) return 'met at p50, not p95';
  return 'NOT met';
}
