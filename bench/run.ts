/**
 * `npm run bench -- [connections|relay|offline|logins|browser|nodes|storm|bans|soak|crypto|bundle|search|files|all] [--quick]
 *  [--connections N] [--rate N] [--seconds N] [--servers ours,plain,peerjs] [--workers N] [--addresses N]
 *  [--client raw|socket.io] [--steps N,N,...] [--step-seconds N] [--messages N] [--iterations N]
 *  [--payload sealed|plain] [--file-mib N] [--json FILE]`
 *
 * Each server under test and each load generator runs in its own process; this one only drives
 * them and prints the figures with the conditions they were measured under.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { Options, ServerKind, SuiteResult } from './lib/harness.ts';
import { table } from './lib/stats.ts';
import { bans } from './suites/bans.ts';
import { browser } from './suites/browser.ts';
import { bundle } from './suites/bundle.ts';
import { connections } from './suites/connections.ts';
import { cryptoCosts } from './suites/crypto.ts';
import { files } from './suites/files.ts';
import { logins } from './suites/logins.ts';
import { nodes } from './suites/nodes.ts';
import { offline } from './suites/offline.ts';
import { relay } from './suites/relay.ts';
import { search } from './suites/search.ts';
import { soak } from './suites/soak.ts';
import { storm } from './suites/storm.ts';

const SUITES = {
  connections,
  relay,
  offline,
  logins,
  browser,
  nodes,
  storm,
  bans,
  soak,
  crypto: cryptoCosts,
  bundle,
  search,
  files,
} as const;
type SuiteName = keyof typeof SUITES;

const USAGE = [
  'usage: npm run bench -- [connections|relay|offline|logins|browser|nodes|storm|bans|soak|crypto|bundle|search|files|all] [--quick] [--connections N] ' +
    '[--rate N] [--seconds N] [--servers ours,plain,peerjs] [--workers N] [--addresses N] [--client raw|socket.io] ' +
    '[--steps N,N,...] [--step-seconds N] [--messages N] [--iterations N] [--payload sealed|plain] [--file-mib N] [--json FILE]',
  '  crypto: client-side cost of end-to-end encryption (seal/open per stored copy, pair key, channel signatures, ' +
    'safety number, Argon2id backup) in Chromium and Node; --iterations N typical messages (default 10,000, quick 200)',
  '  bundle: the production build split into the first load (the sign-in form) and the chunks loaded when first used, gzipped',
  '  search: local history search and conversation opening in Chromium over 100,000 messages (--quick 5,000; --messages N)',
  "  files: a file through the engine's transfer between two Chromium pages vs a raw RTCDataChannel, with both " +
    "pages' memory while it moves; --file-mib N (default 1024, quick 8)",
  '  offline: --payload sealed (default: sealed copies of a typical msg frame) or plain (the old 256-character text)',
].join('\n');

export interface Args {
  suites: SuiteName[];
  options: Omit<Options, 'log'>;
  json: string | null;
}

export function parseArgs(argv: string[]): Args {
  const names: SuiteName[] = [];
  const options: Omit<Options, 'log'> = {
    quick: false,
    servers: ['ours', 'plain', 'peerjs'],
    workers: 2,
    addresses: 8,
    client: 'raw',
    pgAdminUrl:
      process.env.BENCH_PG_ADMIN_URL ??
      process.env.TEST_PG_ADMIN_URL ??
      'postgres://postgres@127.0.0.1:5432/test',
  };
  let json: string | null = null;
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n <= 0)
      throw new Error(`${flag} needs a positive number\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--quick') options.quick = true;
    else if (a === '--connections') options.connections = Math.round(num(a, argv[++i]));
    else if (a === '--rate') options.rate = num(a, argv[++i]);
    else if (a === '--messages') options.messages = Math.round(num(a, argv[++i]));
    else if (a === '--file-mib') options.fileMib = num(a, argv[++i]);
    else if (a === '--iterations') options.iterations = Math.round(num(a, argv[++i]));
    else if (a === '--payload') {
      const p = argv[++i];
      if (p !== 'sealed' && p !== 'plain')
        throw new Error(`--payload takes sealed or plain\n${USAGE}`);
      options.payload = p;
    } else if (a === '--seconds') options.seconds = num(a, argv[++i]);
    else if (a === '--workers') options.workers = Math.round(num(a, argv[++i]));
    else if (a === '--addresses') options.addresses = Math.round(num(a, argv[++i]));
    else if (a === '--json') json = argv[++i] ?? null;
    else if (a === '--steps') options.steps = (argv[++i] ?? '').split(',').map((v) => num(a, v));
    else if (a === '--step-seconds') options.stepSeconds = num(a, argv[++i]);
    else if (a === '--client') {
      const c = argv[++i];
      if (c !== 'raw' && c !== 'socket.io')
        throw new Error(`--client takes raw or socket.io\n${USAGE}`);
      options.client = c;
    } else if (a === '--servers') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      if (list.length === 0 || list.some((k) => !['ours', 'plain', 'peerjs'].includes(k)))
        throw new Error(`--servers takes a list of ours,plain,peerjs\n${USAGE}`);
      options.servers = list as ServerKind[];
    } else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else if (a === 'all') names.push(...(Object.keys(SUITES) as SuiteName[]));
    else if (a in SUITES) names.push(a as SuiteName);
    else throw new Error(`unknown argument "${a}"\n${USAGE}`);
  }
  return {
    suites: names.length ? [...new Set(names)] : (Object.keys(SUITES) as SuiteName[]),
    options,
    json,
  };
}

function versions(): Record<string, string> {
  const v = (pkg: string) => {
    try {
      const path = new URL(`../node_modules/${pkg}/package.json`, import.meta.url);
      return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  return {
    node: process.version,
    'socket.io': v('socket.io'),
    'socket.io-client': v('socket.io-client'),
    'engine.io': v('engine.io'),
    ws: v('ws'),
    peer: v('peer'),
    'better-sqlite3': v('better-sqlite3'),
    pg: v('pg'),
    '@node-rs/argon2': v('@node-rs/argon2'),
    bufferutil: v('bufferutil') === '?' ? 'not installed' : v('bufferutil'),
  };
}

export function render(results: SuiteResult[], header: string[]): string {
  const out = [...header, ''];
  for (const r of results) {
    out.push(`## ${r.title}`, '');
    for (const c of r.conditions) out.push(`- ${c}`);
    out.push(`- wall time ${(r.wallMs / 1000).toFixed(1)} s`, '', table(r.header, r.rows), '');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const started = Date.now();
  const cpu = cpus();
  const v = versions();
  const header = [
    `# P2SP Chat benchmarks${args.options.quick ? ' (quick)' : ''}`,
    '',
    `- ${new Date(started).toISOString()}; command: npm run bench -- ${process.argv.slice(2).join(' ')}`,
    `- ${cpu.length} cores (${cpu[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${process.platform}`,
    `- ${Object.entries(v)
      .map(([k, x]) => `${k} ${x}`)
      .join(', ')}`,
  ];
  console.log(header.join('\n'));
  const options: Options = { ...args.options, log: (line) => console.log(`  · ${line}`) };
  const results: SuiteResult[] = [];
  let failed = false;
  for (const name of args.suites) {
    try {
      const r = await SUITES[name](options);
      results.push(r);
      console.log('\n' + render([r], []).trim() + '\n');
    } catch (err) {
      failed = true;
      console.error(`benchmark ${name} failed:`, err);
    }
  }
  const wall = (Date.now() - started) / 1000;
  console.log(`total wall time ${wall.toFixed(1)} s`);
  if (args.json) {
    writeFileSync(
      args.json,
      JSON.stringify(
        { versions: v, cores: cpu.length, quick: args.options.quick, wallSeconds: wall, results },
        null,
        2,
      ),
    );
  }
  process.exit(failed ? 1 : 0);
}

// Runs when started as a script, not when the smoke test imports parseArgs.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) void main();
