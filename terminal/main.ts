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
import { coreLang } from '../web/src/core/text.ts';
import { EXIT, runClient } from './client.ts';
import { TERMINAL_TEXT } from './text.ts';

const USAGE = `usage: npm run chat -- [--server URL] [--lang zh|en] [--script FILE] [--json]
                       [--keep-going] [--data-dir DIR]
  --server URL    the signaling server (default: $P2SP_SERVER or http://localhost:8080)
  --lang zh|en    language of the client's lines (default: from $LANG)
  --script FILE   run the commands in FILE ("-" for stdin) instead of a prompt
  --json          one JSON object per output line (scripts and bots)
  --keep-going    in a script, carry on after a failed command
  --data-dir DIR  where history files live (default: the user's data directory)
exit codes: 0 ok, 1 a command failed, 2 bad options or unreadable script, 3 server unreachable`;

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
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return EXIT.ok;
  }
  if (values.lang !== undefined && !['zh', 'en'].includes(values.lang)) {
    process.stderr.write(`--lang must be zh or en\n${USAGE}\n`);
    return EXIT.usage;
  }
  const server = values.server ?? process.env.P2SP_SERVER ?? 'http://localhost:8080';
  try {
    const u = new URL(server);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    process.stderr.write(`--server must be an http:// or https:// URL, got ${server}\n`);
    return EXIT.usage;
  }
  const lang =
    values.lang === 'zh' || values.lang === 'en' ? values.lang : coreLang(process.env.LANG);

  let input: Readable = process.stdin;
  if (values.script !== undefined && values.script !== '-') {
    try {
      await access(values.script);
    } catch {
      process.stderr.write(`cannot read the script ${values.script}\n`);
      return EXIT.usage;
    }
    input = createReadStream(values.script, 'utf8');
  }
  // Fail early and plainly when nothing answers, rather than at the first sign-in.
  try {
    const res = await fetch(new URL('/healthz', server), { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
  } catch {
    process.stderr.write(TERMINAL_TEXT[lang].unreachable(server) + '\n');
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
