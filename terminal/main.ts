/**
 * `npm run chat [-- --server URL] [--lang zh|en] [--script FILE] [--json] [--keep-going]
 * [--data-dir DIR]`: the terminal client. Interactive when stdin is a terminal and no script is
 * given; otherwise commands are read line by line from the script or stdin.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { EXIT, runClient } from './client.ts';
import { chosenLang, TERMINAL_TEXT } from './text.ts';

/** The platform's per-user data directory, then a folder of ours. */
function defaultDataDir(): string {
  const env = process.env;
  if (env.P2SP_DATA_DIR) return env.P2SP_DATA_DIR;
  if (process.platform === 'win32')
    return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'p2sp-chat');
  if (process.platform === 'darwin')
    return join(homedir(), 'Library', 'Application Support', 'p2sp-chat');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'p2sp-chat');
}

async function main(): Promise<number> {
  // Known before parsing, so a problem with the options is said in it too.
  const lang = chosenLang(process.argv.slice(2), process.env.LANG);
  const words = TERMINAL_TEXT[lang];
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        server: { type: 'string' },
        lang: { type: 'string' },
        script: { type: 'string' },
        json: { type: 'boolean', default: false },
        'keep-going': { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`${words.options.parseError(err)}\n${words.usage}\n`);
    return EXIT.usage;
  }
  if (values.help) {
    process.stdout.write(words.usage + '\n');
    return EXIT.ok;
  }
  if (values.lang !== undefined && !['zh', 'en'].includes(values.lang)) {
    process.stderr.write(`${words.options.badLang}\n${words.usage}\n`);
    return EXIT.usage;
  }
  const server = values.server ?? process.env.P2SP_SERVER ?? 'http://localhost:8080';
  try {
    const u = new URL(server);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    process.stderr.write(words.options.badServer(server) + '\n');
    return EXIT.usage;
  }

  let input: Readable = process.stdin;
  if (values.script !== undefined && values.script !== '-') {
    try {
      await access(values.script);
    } catch {
      process.stderr.write(words.options.noScript(values.script) + '\n');
      return EXIT.usage;
    }
    input = createReadStream(values.script, 'utf8');
  }
  // Fail early and plainly when nothing answers, rather than at the first sign-in.
  try {
    const res = await fetch(new URL('/healthz', server), { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
  } catch {
    process.stderr.write(words.unreachable(server) + '\n');
    return EXIT.server;
  }
  const interactive = values.script === undefined && process.stdin.isTTY === true && !values.json;
  return runClient({
    server,
    lang,
    dataDir: values['data-dir'] ?? defaultDataDir(),
    interactive,
    json: values.json,
    keepGoing: values['keep-going'],
    input,
    output: process.stdout,
  });
}

const code = await main();
// Leave at once, with the code, once signed out: sockets and timers of the destroyed engine must
// not keep a finished script alive, and letting the loop drain with @roamhq/wrtc's threads still
// winding down sometimes ended the process by a signal instead of the code (seen in tmux).
process.stdout.write('', () => process.exit(code));
