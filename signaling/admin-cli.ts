/**
 * The operator's command line: `npm run admin -- <command> [args]`. It opens the same store as the
 * server (DATABASE_URL) and calls the same services. It has no sockets: a block made here is a row in
 * `block_events` that running servers follow (signaling/block-feed.ts), and the CLI says "done" only
 * once every running server has acknowledged it (their sockets of that user are gone), or after
 * ACK_TIMEOUT_MS with a warning naming how many did not answer.
 *
 * Exit codes: 0 done, 1 the action failed (no such user, ...), 2 wrong usage.
 */
import { createInterface } from 'node:readline';
import { AppError } from '../shared/errors.ts';
import * as S from '../shared/schemas.ts';
import { awaitAcks } from './block-feed.ts';
import { badRequest, parseOrRefuse as parse } from './errors.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { createServices } from './services/index.ts';
import { offlineNotifier } from './services/notifier.ts';
import { PresenceRegistry } from './services/presence-registry.ts';
import { openStore } from './storage/db.ts';

const USAGE = `usage: npm run admin -- <command>

  create-admin <username>   create an administrator (password read from the terminal or stdin)
  promote <username>        make an existing user an administrator
  demote <username>         take administrator rights away
  block <username>          block a user (their session ends at once; they cannot log in)
  unblock <username>        unblock a user
  users [--online]          list users with status and presence
  groups                    list every group
  log [n]                   the last n admin actions (default 20)

The store is DATABASE_URL (default sqlite:./data/p2sp.db), as for the server.`;

class UsageError extends Error {}

/** How long a block waits for running servers' acknowledgements before it reports them missing. */
const ACK_TIMEOUT_MS = 3_000;

/** Reads a password: hidden at a terminal, else the first line of stdin (never from argv). */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const rl = createInterface({ input: stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  process.stdout.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve) => {
    let value = '';
    const onData = (ch: string) => {
      if (ch === '\r' || ch === '\n' || ch === '\u0004') {
        stdin.setRawMode(false);
        stdin.pause();
        stdin.off('data', onData);
        process.stdout.write('\n');
        resolve(value);
      } else if (ch === '\u0003') {
        process.stdout.write('\n');
        process.exit(130);
      } else if (ch === '\u007f') {
        value = value.slice(0, -1);
      } else {
        value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

function one(args: string[], what: string): string {
  if (args.length !== 1 || !args[0]) throw new UsageError(`expected one ${what}`);
  return args[0];
}

function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '(none)';
  const keys = Object.keys(rows[0]!);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(keys), ...rows.map((r) => line(keys.map((k) => String(r[k]))))].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const store = await openStore(config.databaseUrl);
  const services = createServices({
    store,
    config,
    logger,
    notifier: offlineNotifier,
    presence: new PresenceRegistry(),
    now: Date.now,
  });
  const cli = { username: 'cli' };
  try {
    switch (command) {
      case 'create-admin': {
        // The registration schemas, one field at a time: a bad name is refused before the prompt.
        const username = parse(S.credentials.shape.username, one(args, 'username'));
        const password = parse(
          S.credentials.shape.password,
          await readPassword(`password for ${username}: `),
        );
        const user = await services.auth.createUser(username, password, true);
        console.log(`created administrator ${user.username} (id ${user.id})`);
        return 0;
      }
      case 'promote':
      case 'demote': {
        const { username } = parse(S.userTarget, { username: one(args, 'username') });
        const user = await services.auth.setAdmin(username, command === 'promote');
        console.log(
          `${user.username} is ${command === 'promote' ? 'now' : 'no longer'} an administrator`,
        );
        return 0;
      }
      case 'block':
      case 'unblock': {
        const { username } = parse(S.userTarget, { username: one(args, 'username') });
        const res = await services.moderation.blockUser(cli, username, command === 'block');
        const { missing } = await awaitAcks(store, res.eventId, ACK_TIMEOUT_MS);
        if (missing.length > 0) {
          console.error(
            `warning: ${missing.length} running server(s) did not confirm within ${ACK_TIMEOUT_MS / 1000} s; ` +
              'they apply it at their next block sweep (SWEEP_INTERVAL_MS)',
          );
        }
        console.log(`${res.username} is ${res.blocked ? 'blocked' : 'unblocked'}`);
        return 0;
      }
      case 'users': {
        if (args.some((a) => a !== '--online')) throw new UsageError('users takes only --online');
        const { onlineOnly } = parse(S.adminUsers, { onlineOnly: args.includes('--online') });
        // Who is online, as the running servers keep it in the store (this process has no sockets).
        await services.presence.adoptMirror();
        const users = await services.moderation.users(onlineOnly);
        console.log(
          table(
            users.map((u) => ({
              id: u.id,
              username: u.username,
              admin: u.isAdmin ? 'yes' : '',
              status: u.blocked ? 'blocked' : 'active',
              presence: u.status,
            })),
          ),
        );
        return 0;
      }
      case 'groups': {
        const groups = await services.moderation.allGroups();
        console.log(
          table(
            groups.map((g, i) => ({
              '#': i + 1,
              name: g.name,
              creator: g.creator,
              owner: g.owner,
              members: g.total,
              status: g.blocked ? 'blocked' : 'active',
            })),
          ),
        );
        return 0;
      }
      case 'log': {
        if (args.length > 1) throw new UsageError('log takes one count');
        const counted = S.adminLog.safeParse({
          limit: args[0] === undefined ? 20 : Number(args[0]),
        });
        if (!counted.success)
          throw new UsageError(`log takes a count: ${badRequest(counted.error).message}`);
        const entries = await services.moderation.log(counted.data.limit);
        console.log(
          table(
            entries.map((e) => ({
              when: new Date(e.at).toISOString(),
              admin: e.admin,
              action: e.action,
              target: e.target,
            })),
          ),
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (err instanceof AppError) {
      console.error(`error: ${err.message}`);
      process.exit(1);
    }
    console.error(err);
    process.exit(1);
  },
);
