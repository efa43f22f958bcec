/**
 * The terminal's own words (prompts, notices, incoming lines, its file commands) in English and
 * 简体中文: `TerminalText` built from the Paraglide messages (messages/*.json, keys `term_…`),
 * each called with its locale named, as web/src/core/text.ts does for the engine's words.
 */
import type { SessionState, TransferState } from '../web/src/core/api.ts';
import { at, coreLang, type CoreLang, type PlainMessage as Message } from '../web/src/core/lang.ts';
import { CORE_TEXT } from '../web/src/core/text.ts';
import { m } from '../web/src/paraglide/messages.js';

export interface TerminalText {
  welcome: (server: string) => string;
  /** Nothing answered at the server's address (checked before anything else). */
  unreachable: (server: string) => string;
  /** `--help`, and what follows a problem with the options. */
  usage: string;
  /** What was wrong with the command line (main.ts), in words of its own. */
  options: {
    /** A `node:util` parseArgs error, by its code, naming the option it quotes. */
    parseError: (err: unknown) => string;
    badLang: string;
    badServer: (server: string) => string;
    noScript: (file: string) => string;
  };
  password: string;
  passwordAgain: string;
  passwordsDiffer: string;
  passwordEmpty: string;
  signInFirst: string;
  alreadySignedIn: (me: string) => string;
  systemMark: string;
  friendRequest: (from: string) => string;
  invitation: (group: string, creator: string, inviter: string) => string;
  presence: (user: string, status: string) => string;
  whichGroup: (name: string, choices: string) => string;
  noSuchChoice: string;
  historyError: (why: string) => string;
  sessionEnded: (why: string) => string;
  /** Why the server (or the engine) ended the session, by its reason, not by its message. */
  ended: (reason: EndReason | undefined) => string;
  bye: string;
  historyUsage: string;
  noHistory: string;
  terminalHelp: string[];
  files: FileText;
}

type EndReason = NonNullable<SessionState['endedBecause']>['reason'];

/** What a transfer is doing, in a word (FileTransfer['state']). */
type StateWords = Record<TransferState, string>;

/** The file commands' lines (terminal/files.ts). */
export interface FileText {
  usage: Record<'sendfile' | 'sendgroupfile' | 'savefile' | 'cancelfile', string>;
  noSuchFile: (path: string) => string;
  isDirectory: (path: string) => string;
  notAFile: (path: string) => string;
  cannotRead: (path: string, why: string) => string;
  tooLarge: (name: string, size: string, limit: string) => string;
  offline: (user: string) => string;
  noGroupMembers: (group: string) => string;
  sending: (name: string, size: string, to: string, n: number) => string;
  noSuchTransfer: (ref: string) => string;
  notIncoming: (n: number, name: string) => string;
  notArrived: (n: number, name: string, state: string) => string;
  exists: (path: string) => string;
  cannotWrite: (path: string, why: string) => string;
  saved: (name: string, path: string, size: string) => string;
  notLive: (n: number, name: string, state: string) => string;
  cancelled: (n: number, name: string) => string;
  noFiles: string;
  /** `3. ↓ photo.jpg (1.2 MiB) from alice: done` */
  line: (
    n: number,
    dir: 'in' | 'out',
    name: string,
    size: string,
    peer: string,
    state: string,
  ) => string;
  incoming: (from: string, name: string, size: string, n: number) => string;
  received: (from: string, name: string, n: number) => string;
  sent: (to: string, name: string) => string;
  failed: (dir: 'in' | 'out', peer: string, name: string, why: string) => string;
  stopped: (dir: 'in' | 'out', peer: string, name: string) => string;
  /** `↑ report.pdf → bob 42% 3.1 MiB/s 0:12 left`: `rate`/`eta` are empty when unknown. */
  progress: (
    dir: 'in' | 'out',
    peer: string,
    name: string,
    percent: number,
    rate: string,
    eta: string,
  ) => string;
  waiting: (count: number) => string;
  states: StateWords;
}

/** The spec marks administrators' messages this way whatever the language. */
const SYSTEM_MARK = '[系统消息]';

const ENDED: Record<EndReason, Message> = {
  elsewhere: m.term_ended_elsewhere,
  replaced: m.term_ended_replaced,
  blocked: m.term_ended_blocked,
  logout: m.term_ended_logout,
  network: m.term_ended_network,
  'keys-locked': m.term_ended_keysLocked,
  'keys-elsewhere': m.term_ended_keysElsewhere,
};

const STATES: Record<TransferState, Message> = {
  offered: m.term_fileState_offered,
  moving: m.term_fileState_moving,
  paused: m.term_fileState_paused,
  waiting: m.term_fileState_waiting,
  verifying: m.term_fileState_verifying,
  done: m.term_fileState_done,
  cancelled: m.term_fileState_cancelled,
  failed: m.term_fileState_failed,
  offline: m.term_fileState_offline,
  interrupted: m.term_fileState_interrupted,
};

/**
 * parseArgs says what went wrong in English only; its code says which problem it was and its
 * message quotes the option ('--foo', '--server <value>'), which is all that is kept of it.
 */
function parseErrorWords(err: unknown, o: ReturnType<typeof at>): string {
  const { code, message } = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    message?: unknown;
  };
  const quoted = typeof message === 'string' ? /'([^']*)'/.exec(message)?.[1] : undefined;
  if (quoted === undefined) return m.term_options_bad({}, o);
  const option = quoted.split(' ')[0] ?? quoted;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return m.term_options_unknown({ option }, o);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return m.term_options_unexpected({ arg: quoted }, o);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return quoted.includes('<value>')
        ? m.term_options_needsValue({ option }, o)
        : m.term_options_noValue({ option }, o);
    default:
      return m.term_options_bad({}, o);
  }
}

/**
 * The language the command line asks for, known before its options are parsed (so a problem
 * with them is said in it): `--lang zh|en` when given and valid, otherwise the environment's.
 */
export function chosenLang(args: readonly string[], envLang: string | undefined): CoreLang {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') break;
    const value = arg === '--lang' ? args[i + 1] : arg?.startsWith('--lang=') ? arg.slice(7) : null;
    if (value === 'zh' || value === 'en') return value;
  }
  return coreLang(envLang);
}

function terminalText(lang: CoreLang): TerminalText {
  const o = at(lang);
  const core = CORE_TEXT[lang];
  return {
    welcome: (server) => m.term_welcome({ server }, o),
    unreachable: (server) => m.term_unreachable({ server }, o),
    usage: m.term_options_usage({}, o),
    options: {
      parseError: (err) => parseErrorWords(err, o),
      badLang: m.term_options_badLang({}, o),
      badServer: (server) => m.term_options_badServer({ server }, o),
      noScript: (file) => m.term_options_noScript({ file }, o),
    },
    password: m.term_password({}, o),
    passwordAgain: m.term_passwordAgain({}, o),
    passwordsDiffer: m.term_passwordsDiffer({}, o),
    passwordEmpty: m.term_passwordEmpty({}, o),
    signInFirst: m.term_signInFirst({}, o),
    alreadySignedIn: (me) => m.term_alreadySignedIn({ me }, o),
    systemMark: SYSTEM_MARK,
    friendRequest: (from) => m.term_friendRequest({ from }, o),
    invitation: (group, creator, inviter) => m.term_invitation({ group, creator, inviter }, o),
    presence: (username, status) =>
      status === 'online'
        ? m.term_presenceOnline({ username }, o)
        : status === 'offline'
          ? m.term_presenceOffline({ username }, o)
          : m.term_presence({ username, status: core.presence(status) }, o),
    whichGroup: (name, choices) => m.term_whichGroup({ name, choices }, o),
    noSuchChoice: m.term_noSuchChoice({}, o),
    historyError: (why) => m.term_historyError({ why }, o),
    sessionEnded: (why) => m.term_sessionEnded({ why }, o),
    // A reason from a newer server reads as the generic one.
    ended: (reason) =>
      (reason !== undefined && Object.hasOwn(ENDED, reason) ? ENDED[reason] : ENDED.logout)({}, o),
    bye: m.term_bye({}, o),
    historyUsage: m.term_historyUsage({}, o),
    noHistory: m.term_noHistory({}, o),
    terminalHelp: [
      m.term_help_history({}, o),
      m.term_help_quit({}, o),
      m.term_help_sleep({}, o),
      m.term_help_sendfile({}, o),
      m.term_help_sendgroupfile({}, o),
      m.term_help_files({}, o),
      m.term_help_savefile({}, o),
      m.term_help_cancelfile({}, o),
    ],
    files: {
      usage: {
        sendfile: m.term_fileUsage_sendfile({}, o),
        sendgroupfile: m.term_fileUsage_sendgroupfile({}, o),
        savefile: m.term_fileUsage_savefile({}, o),
        cancelfile: m.term_fileUsage_cancelfile({}, o),
      },
      noSuchFile: (path) => m.term_file_noSuchFile({ path }, o),
      isDirectory: (path) => m.term_file_isDirectory({ path }, o),
      notAFile: (path) => m.term_file_notAFile({ path }, o),
      cannotRead: (path, why) => m.term_file_cannotRead({ path, why }, o),
      tooLarge: (name, size, limit) => m.term_file_tooLarge({ name, size, limit }, o),
      offline: (username) => m.term_file_offline({ username }, o),
      noGroupMembers: (group) => m.term_file_noGroupMembers({ group }, o),
      sending: (name, size, to, n) => m.term_file_sending({ name, size, to, n }, o),
      noSuchTransfer: (ref) => m.term_file_noSuchTransfer({ ref }, o),
      notIncoming: (n, name) => m.term_file_notIncoming({ n, name }, o),
      notArrived: (n, name, state) => m.term_file_notArrived({ n, name, state }, o),
      exists: (path) => m.term_file_exists({ path }, o),
      cannotWrite: (path, why) => m.term_file_cannotWrite({ path, why }, o),
      saved: (name, path, size) => m.term_file_saved({ name, path, size }, o),
      notLive: (n, name, state) => m.term_file_notLive({ n, name, state }, o),
      cancelled: (n, name) => m.term_file_cancelled({ n, name }, o),
      noFiles: m.term_file_noFiles({}, o),
      line: (n, dir, name, size, peer, state) =>
        dir === 'out'
          ? m.term_file_lineOut({ n, name, size, peer, state }, o)
          : m.term_file_lineIn({ n, name, size, peer, state }, o),
      incoming: (from, name, size, n) => m.term_file_incoming({ from, name, size, n }, o),
      received: (from, name, n) => m.term_file_received({ from, name, n }, o),
      sent: (to, name) => m.term_file_sent({ to, name }, o),
      failed: (dir, peer, name, why) =>
        dir === 'out'
          ? m.term_file_failedOut({ peer, name, why }, o)
          : m.term_file_failedIn({ peer, name, why }, o),
      stopped: (dir, peer, name) =>
        dir === 'out'
          ? m.term_file_stoppedOut({ peer, name }, o)
          : m.term_file_stoppedIn({ peer, name }, o),
      // Arrows, a percentage and a rate read the same in both languages: only "left" is words.
      progress: (dir, peer, name, percent, rate, eta) =>
        [
          dir === 'out' ? `↑ ${name} → ${peer} ${percent}%` : `↓ ${name} ← ${peer} ${percent}%`,
          ...(rate ? [`${rate}/s`] : []),
          ...(eta ? [m.term_file_timeLeft({ eta }, o)] : []),
        ].join(' '),
      waiting: (count) => m.term_file_waiting({ count }, o),
      states: Object.fromEntries(
        Object.entries(STATES).map(([state, message]) => [state, message({}, o)]),
      ) as StateWords,
    },
  };
}

export const TERMINAL_TEXT: Record<CoreLang, TerminalText> = {
  en: terminalText('en'),
  zh: terminalText('zh'),
};
