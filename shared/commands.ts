/**
 * The chat's command language: one line of text in, one typed intent (or a usage error) out.
 *
 * Runs in the browser and on the server, so nothing here may touch Node or DOM APIs. It holds no
 * words for people: a problem is data (`CommandError`, `UsageDetail`) that each front end words in
 * its language (web/src/core/commands.ts `parseErrorText`, from the messages in messages/*.json).
 *
 * Syntax:
 * - `[/]name arg arg ...`; the leading `/` is optional and names are case-insensitive.
 *   Full-width forms typed with a Chinese IME (`／ＡＤＤ`) are folded to ASCII (NFKC) for the name.
 * - Arguments are separated by any Unicode whitespace (including the ideographic space U+3000).
 * - A word that *starts* with `"` or `'` is quoted up to the matching quote; inside quotes `\"`,
 *   `\'` and `\\` are escapes and every other backslash is literal. A quote in the middle of a word
 *   is an ordinary character, so `don't` needs no escaping.
 * - For commands that end in a message, the message is everything after the fixed arguments,
 *   taken from the original line with its inner spacing intact; if it is one quoted word, the
 *   quoted content is used verbatim instead.
 */
import { SETTABLE_STATUSES, type SettableStatus } from './limits.ts';

/**
 * A group as typed: its local number from the `groups` list (digits, full-width too), or its name
 * as the spec writes it (`delgroup team`). A quoted word is always a name, so a group called "2"
 * is `delgroup "2"`.
 */
export type GroupRef = { number: number } | { name: string };

export type Intent =
  /** Without a password (the spec's form) the front end asks for it twice, without echo. */
  | { kind: 'reg'; username: string; password?: string }
  /** Without a password the front end asks for it. */
  | { kind: 'login'; username: string; password?: string }
  | { kind: 'logout' }
  | { kind: 'add'; username: string }
  | { kind: 'accept'; username: string }
  | { kind: 'decline'; username: string }
  | { kind: 'unfriend'; username: string }
  | { kind: 'friends' }
  | { kind: 'newgroup'; name: string }
  | { kind: 'delgroup'; group: GroupRef }
  | { kind: 'addgroupuser'; group: GroupRef; username: string }
  | { kind: 'delgroupuser'; group: GroupRef; username: string }
  | { kind: 'leavegroup'; group: GroupRef }
  /**
   * An invitation waiting for me, by its number in the `groups` list of invitations or by the
   * group's name.
   */
  | { kind: 'acceptgroup'; invitation: number | string }
  | { kind: 'declinegroup'; invitation: number | string }
  | { kind: 'groups' }
  | { kind: 'send'; username: string; text: string }
  | { kind: 'sendgroup'; group: number; text: string }
  | { kind: 'status'; status: SettableStatus }
  /** `command` is the canonical name (aliases and `/` resolved). */
  | { kind: 'help'; command?: string }
  // admin commands
  | { kind: 'allusers'; onlineOnly: boolean }
  | { kind: 'allgroup' }
  | { kind: 'adminsend'; username: string; text: string }
  /** Admins address groups by name + creator, not by anyone's local number. */
  | { kind: 'adminsendgroup'; group: string; creator: string; text: string }
  | { kind: 'broadcast'; text: string }
  | { kind: 'blockuser'; username: string }
  | { kind: 'unblockuser'; username: string }
  | { kind: 'blockgroup'; group: string; creator: string }
  | { kind: 'unblockgroup'; group: string; creator: string };

export type IntentKind = Intent['kind'];

/**
 * What was wrong with a line, as data: the closed set of problems the parser reports, each with
 * the details a front end needs to word it in its own language (web/src/core/text.ts,
 * `CoreText.problem`). `placeholder` is the usage line's own token (`<username>`); `got` is the
 * value typed, already quoted, escaped and cut short for display.
 */
export type UsageDetail =
  | { kind: 'missing'; placeholder: string }
  | { kind: 'empty'; placeholder: string }
  | { kind: 'noArguments' }
  | { kind: 'tooMany'; expected: number; got: number }
  | {
      kind: 'groupNumber';
      rule: 'atLeastOne' | 'tooLarge' | 'negative' | 'fraction' | 'notANumber';
      got: string;
    }
  | { kind: 'oneCommandName' }
  | { kind: 'status'; allowed: readonly string[]; got: string }
  | { kind: 'unexpectedArgument'; got: string }
  | { kind: 'unknownOption'; got: string }
  | { kind: 'optionTwice'; option: string }
  | { kind: 'unterminatedQuote'; quote: '"' | "'"; column: number }
  | { kind: 'tooLong'; max: number }
  | { kind: 'unparsable' };

export interface CommandError {
  code: 'UNKNOWN_COMMAND' | 'USAGE' | 'EMPTY';
  /** USAGE: the problem as data. */
  detail?: UsageDetail;
  /** The command's usage line, without the `usage: ` prefix (same as `CommandSpec.usage`). */
  usage?: string;
  /**
   * Canonical name for USAGE errors; for UNKNOWN_COMMAND the name as typed, escaped and cut short
   * for display (`displayed`), or '' for a `/` with no name after it.
   */
  command?: string;
  /** UNKNOWN_COMMAND: the nearest command name, if one is close. */
  suggestion?: string;
  /** UNKNOWN_COMMAND: the command whose argument it was (`help sendd`), when it was one. */
  within?: IntentKind;
}

export type ParseResult = { ok: true; intent: Intent } | { ok: false; error: CommandError };

export interface CommandSpec {
  readonly name: IntentKind;
  readonly aliases: readonly string[];
  /** e.g. `add <username>` */
  readonly usage: string;
  readonly admin: boolean;
}

/** Longest line `parseCommand` will look at, in UTF-16 code units. */
export const MAX_COMMAND_LENGTH = 70_000;

// ---------------------------------------------------------------------------------------------
// Tokenizer

interface Token {
  value: string;
  /** Offsets into the original line: `start` is the first character, `end` is one past the last. */
  start: number;
  end: number;
  /** The whole word was exactly one quoted section (`"a b"`, not `"a"b`). */
  quoted: boolean;
}

type LexResult =
  { ok: true; tokens: Token[] } | { ok: false; detail: UsageDetail; tokens: Token[] };

const SPACE = /\s/u;
const isSpace = (c: string): boolean => SPACE.test(c);

function lex(line: string): LexResult {
  const tokens: Token[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(line.charAt(i))) i++;
    if (i >= n) return { ok: true, tokens };
    const start = i;
    const quote = line.charAt(i);
    let value = '';
    let j = i;
    let quoted = false;
    if (quote === '"' || quote === "'") {
      j = i + 1;
      let chunk = j;
      let closed = false;
      while (j < n) {
        const c = line.charAt(j);
        if (c === '\\' && j + 1 < n) {
          const next = line.charAt(j + 1);
          if (next === quote || next === '\\') {
            value += line.slice(chunk, j) + next;
            j += 2;
            chunk = j;
            continue;
          }
        }
        if (c === quote) {
          value += line.slice(chunk, j);
          closed = true;
          j++;
          break;
        }
        j++;
      }
      if (!closed) {
        const detail: UsageDetail = {
          kind: 'unterminatedQuote',
          quote: quote === '"' ? '"' : "'",
          column: column(line, start),
        };
        return { ok: false, tokens, detail };
      }
      quoted = true;
    }
    // A bare word, or whatever is glued to a closing quote: read up to the next whitespace.
    let k = j;
    while (k < n && !isSpace(line.charAt(k))) k++;
    if (k > j) {
      value += line.slice(j, k);
      quoted = false;
    }
    tokens.push({ value, start, end: k, quoted });
    i = k;
  }
}

/** 1-based column in code points, so an emoji counts as one character. */
function column(line: string, index: number): number {
  return Array.from(line.slice(0, index)).length + 1;
}

/** Splits a line into words using the quoting rules above. Never throws. */
export function tokenize(
  line: string,
): { ok: true; tokens: string[] } | { ok: false; detail: UsageDetail } {
  if (typeof line !== 'string') return { ok: false, detail: { kind: 'unparsable' } };
  const r = lex(line);
  return r.ok
    ? { ok: true, tokens: r.tokens.map((t) => t.value) }
    : { ok: false, detail: r.detail };
}

// ---------------------------------------------------------------------------------------------
// Argument helpers

/** Thrown inside a command parser; turned into a USAGE error by `parseCommand`. */
class UsageProblem extends Error {
  constructor(readonly detail: UsageDetail) {
    super(detail.kind);
  }
}

class Args {
  private readonly placeholders: string[];

  constructor(
    readonly spec: CommandSpec,
    private readonly tokens: readonly Token[],
    private readonly line: string,
  ) {
    this.placeholders = spec.usage.match(/<[^>]+>|\[[^\]]+\]/g) ?? [];
  }

  get count(): number {
    return this.tokens.length;
  }

  /** The raw value of argument `i`, complaining about the missing placeholder if absent. */
  get(i: number): string {
    const t = this.tokens[i];
    if (t === undefined)
      throw new UsageProblem({ kind: 'missing', placeholder: this.placeholder(i) });
    return t.value;
  }

  /** Exactly `n` arguments. */
  arity(n: number): void {
    if (this.tokens.length < n) this.get(this.tokens.length);
    if (this.tokens.length > n) {
      throw new UsageProblem(
        n === 0
          ? { kind: 'noArguments' }
          : { kind: 'tooMany', expected: n, got: this.tokens.length },
      );
    }
  }

  nonEmpty(i: number): string {
    const v = this.get(i);
    if (v.trim() === '') throw this.#empty(i);
    return v;
  }

  /** Passwords are taken verbatim (spaces are allowed) but may not be empty. */
  password(i: number): string {
    const v = this.get(i);
    if (v === '') throw this.#empty(i);
    return v;
  }

  groupNumber(i: number): number {
    const raw = this.get(i);
    // Fold full-width digits from a Chinese IME (`３` -> `3`).
    const v = raw.normalize('NFKC').trim();
    const problem = (rule: Extract<UsageDetail, { kind: 'groupNumber' }>['rule']): UsageProblem =>
      new UsageProblem({ kind: 'groupNumber', rule, got: show(raw) });
    if (/^\d+$/.test(v)) {
      const num = Number(v);
      if (num === 0) throw problem('atLeastOne');
      if (!Number.isSafeInteger(num)) throw problem('tooLarge');
      return num;
    }
    if (/^-\d+(\.\d*)?$/.test(v)) throw problem('negative');
    if (/^\+?(\d+\.\d*|\.\d+)$/.test(v)) throw problem('fraction');
    throw problem('notANumber');
  }

  /** A group by number (unquoted digits) or by name (anything else, or quoted). */
  groupRef(i: number): GroupRef {
    const t = this.tokens[i];
    if (t === undefined) this.get(i);
    if (t !== undefined && !t.quoted && /^[\d.+-]+$/.test(t.value.normalize('NFKC').trim())) {
      return { number: this.groupNumber(i) };
    }
    return { name: this.nonEmpty(i) };
  }

  /** The message: everything from argument `i` to the end of the line. */
  text(i: number): string {
    this.get(i);
    const first = this.tokens[i];
    const last = this.tokens[this.tokens.length - 1];
    if (first === undefined || last === undefined)
      throw new UsageProblem({ kind: 'missing', placeholder: this.placeholder(i) });
    const text =
      first === last && first.quoted ? first.value : this.line.slice(first.start, last.end);
    if (text.trim() === '') throw this.#empty(i);
    return text;
  }

  #empty(i: number): UsageProblem {
    return new UsageProblem({ kind: 'empty', placeholder: this.placeholder(i) });
  }

  private placeholder(i: number): string {
    return this.placeholders[i] ?? 'argument';
  }
}

/** A value typed, for an error to show: escaped (control characters too), and cut short. */
export function displayed(s: string): string {
  return show(s).slice(1, -1);
}

/** `displayed`, in quotes. */
function show(s: string): string {
  const cps = Array.from(s);
  return JSON.stringify(cps.length > 40 ? cps.slice(0, 40).join('') + '…' : s);
}

// ---------------------------------------------------------------------------------------------
// The command table

type IntentOf<K extends IntentKind> = Extract<Intent, { kind: K }>;

interface Definition<K extends IntentKind> {
  aliases?: readonly string[];
  usage: string;
  admin?: boolean;
  parse: (a: Args) => IntentOf<K>;
}

const username = (a: Args, i: number): string => a.nonEmpty(i);
/** Digits (full-width too) are an invitation's number; anything else is a group's name. */
const invitationRef = (a: Args): number | string =>
  /^\d+$/.test(a.get(0).normalize('NFKC').trim()) ? a.groupNumber(0) : a.nonEmpty(0);

/** Keyed by kind so the compiler insists every intent has a command. Order is the help order. */
const DEFINITIONS: { [K in IntentKind]: Definition<K> } = {
  help: {
    usage: 'help [command]',
    parse: (a) => {
      if (a.count > 1) throw new UsageProblem({ kind: 'oneCommandName' });
      if (a.count === 0) return { kind: 'help' };
      const wanted = a.get(0);
      const spec = findCommand(wanted);
      if (spec === undefined) throw new UnknownCommand(wanted);
      return { kind: 'help', command: spec.name };
    },
  },
  reg: {
    usage: 'reg <username> [password]',
    parse: (a) => {
      if (a.count < 2) a.arity(1);
      else a.arity(2);
      return a.count === 1
        ? { kind: 'reg', username: username(a, 0) }
        : { kind: 'reg', username: username(a, 0), password: a.password(1) };
    },
  },
  login: {
    usage: 'login <username> [password]',
    parse: (a) => {
      if (a.count < 2) a.arity(1);
      else a.arity(2);
      return a.count === 1
        ? { kind: 'login', username: username(a, 0) }
        : { kind: 'login', username: username(a, 0), password: a.password(1) };
    },
  },
  logout: {
    usage: 'logout',
    parse: (a) => {
      a.arity(0);
      return { kind: 'logout' };
    },
  },
  status: {
    usage: `status <${SETTABLE_STATUSES.join('|')}>`,
    parse: (a) => {
      a.arity(1);
      const v = a.get(0).toLowerCase();
      const status = SETTABLE_STATUSES.find((s) => s === v);
      if (status === undefined) {
        throw new UsageProblem({ kind: 'status', allowed: SETTABLE_STATUSES, got: show(a.get(0)) });
      }
      return { kind: 'status', status };
    },
  },
  add: {
    usage: 'add <username>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'add', username: username(a, 0) };
    },
  },
  accept: {
    usage: 'accept <username>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'accept', username: username(a, 0) };
    },
  },
  decline: {
    usage: 'decline <username>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'decline', username: username(a, 0) };
    },
  },
  unfriend: {
    aliases: ['delfriend'],
    usage: 'unfriend <username>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'unfriend', username: username(a, 0) };
    },
  },
  friends: {
    usage: 'friends',
    parse: (a) => {
      a.arity(0);
      return { kind: 'friends' };
    },
  },
  send: {
    aliases: ['.send'],
    usage: 'send <username> <message...>',
    parse: (a) => ({ kind: 'send', username: username(a, 0), text: a.text(1) }),
  },
  newgroup: {
    usage: 'newgroup <name>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'newgroup', name: a.nonEmpty(0) };
    },
  },
  groups: {
    usage: 'groups',
    parse: (a) => {
      a.arity(0);
      return { kind: 'groups' };
    },
  },
  sendgroup: {
    usage: 'sendgroup <group-number> <message...>',
    parse: (a) => ({ kind: 'sendgroup', group: a.groupNumber(0), text: a.text(1) }),
  },
  addgroupuser: {
    usage: 'addgroupuser <group> <username>',
    parse: (a) => {
      a.arity(2);
      return { kind: 'addgroupuser', group: a.groupRef(0), username: username(a, 1) };
    },
  },
  delgroupuser: {
    usage: 'delgroupuser <group> <username>',
    parse: (a) => {
      a.arity(2);
      return { kind: 'delgroupuser', group: a.groupRef(0), username: username(a, 1) };
    },
  },
  leavegroup: {
    usage: 'leavegroup <group>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'leavegroup', group: a.groupRef(0) };
    },
  },
  delgroup: {
    usage: 'delgroup <group>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'delgroup', group: a.groupRef(0) };
    },
  },
  acceptgroup: {
    usage: 'acceptgroup <invitation-number|group-name>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'acceptgroup', invitation: invitationRef(a) };
    },
  },
  declinegroup: {
    usage: 'declinegroup <invitation-number|group-name>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'declinegroup', invitation: invitationRef(a) };
    },
  },
  allusers: {
    admin: true,
    usage: 'allusers [--online]',
    parse: (a) => {
      let onlineOnly = false;
      for (let i = 0; i < a.count; i++) {
        const v = a.get(i);
        if (!v.startsWith('-'))
          throw new UsageProblem({ kind: 'unexpectedArgument', got: show(v) });
        if (v.toLowerCase() !== '--online')
          throw new UsageProblem({ kind: 'unknownOption', got: show(v) });
        if (onlineOnly) throw new UsageProblem({ kind: 'optionTwice', option: '--online' });
        onlineOnly = true;
      }
      return { kind: 'allusers', onlineOnly };
    },
  },
  allgroup: {
    admin: true,
    usage: 'allgroup',
    parse: (a) => {
      a.arity(0);
      return { kind: 'allgroup' };
    },
  },
  adminsend: {
    admin: true,
    usage: 'adminsend <username> <message...>',
    parse: (a) => ({ kind: 'adminsend', username: username(a, 0), text: a.text(1) }),
  },
  adminsendgroup: {
    admin: true,
    usage: 'adminsendgroup <group-name> <creator> <message...>',
    parse: (a) => ({
      kind: 'adminsendgroup',
      group: a.nonEmpty(0),
      creator: username(a, 1),
      text: a.text(2),
    }),
  },
  broadcast: {
    admin: true,
    usage: 'broadcast <message...>',
    parse: (a) => ({ kind: 'broadcast', text: a.text(0) }),
  },
  blockuser: {
    admin: true,
    usage: 'blockuser <username>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'blockuser', username: username(a, 0) };
    },
  },
  unblockuser: {
    admin: true,
    usage: 'unblockuser <username>',
    parse: (a) => {
      a.arity(1);
      return { kind: 'unblockuser', username: username(a, 0) };
    },
  },
  blockgroup: {
    admin: true,
    usage: 'blockgroup <group-name> <creator>',
    parse: (a) => {
      a.arity(2);
      return { kind: 'blockgroup', group: a.nonEmpty(0), creator: username(a, 1) };
    },
  },
  unblockgroup: {
    admin: true,
    usage: 'unblockgroup <group-name> <creator>',
    parse: (a) => {
      a.arity(2);
      return { kind: 'unblockgroup', group: a.nonEmpty(0), creator: username(a, 1) };
    },
  },
};

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = Object.freeze(
  (Object.keys(DEFINITIONS) as IntentKind[]).map((name) => {
    const d = DEFINITIONS[name];
    return Object.freeze({
      name,
      aliases: Object.freeze([...(d.aliases ?? [])]),
      usage: d.usage,
      admin: d.admin ?? false,
    });
  }),
);

const BY_NAME = new Map<string, CommandSpec>();
for (const spec of COMMANDS) {
  BY_NAME.set(spec.name, spec);
  for (const alias of spec.aliases) BY_NAME.set(alias, spec);
}

/** `/ADD`, `add`, `／ａｄｄ` -> `add`. */
function normalizeName(name: string): string {
  const n = name.normalize('NFKC').trim().toLowerCase();
  return n.startsWith('/') ? n.slice(1) : n;
}

/** Looks a command up by name or alias; case-insensitive, leading `/` optional. */
export function findCommand(name: string): CommandSpec | undefined {
  if (typeof name !== 'string') return undefined;
  return BY_NAME.get(normalizeName(name));
}

export function isAdminCommand(kind: IntentKind): boolean {
  return COMMANDS.some((c) => c.name === kind && c.admin);
}

// ---------------------------------------------------------------------------------------------
// Suggestions

class UnknownCommand extends Error {
  constructor(readonly typed: string) {
    super(typed);
  }
}

/** Optimal-string-alignment distance (a swap of neighbours counts as one edit). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] ?? [];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? Math.max(a.length, b.length);
}

function suggest(typed: string): string | undefined {
  const name = normalizeName(typed);
  if (name === '') return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of BY_NAME.keys()) {
    if (Math.abs(candidate.length - name.length) >= bestDistance) continue;
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function unknownCommand(typed: string, within?: IntentKind): CommandError {
  const suggestion = suggest(typed);
  return {
    code: 'UNKNOWN_COMMAND',
    command: displayed(typed),
    ...(suggestion === undefined ? {} : { suggestion }),
    ...(within === undefined ? {} : { within }),
  };
}

// ---------------------------------------------------------------------------------------------
// Entry point

const fail = (error: CommandError): ParseResult => ({ ok: false, error });

function usageError(spec: CommandSpec, detail: UsageDetail): ParseResult {
  return fail({ code: 'USAGE', command: spec.name, usage: spec.usage, detail });
}

/** A USAGE error with no command to name (the line is too long, say). */
function lineError(detail: UsageDetail): ParseResult {
  return fail({ code: 'USAGE', detail });
}

/** Parses one line typed by the user. Never throws. */
export function parseCommand(line: string): ParseResult {
  try {
    return parseUnsafe(line);
  } catch {
    // Unreachable by design; the contract is that hostile input never throws.
    return lineError({ kind: 'unparsable' });
  }
}

function parseUnsafe(line: string): ParseResult {
  if (typeof line !== 'string' || line.trim() === '') {
    return fail({ code: 'EMPTY' });
  }
  if (line.length > MAX_COMMAND_LENGTH) {
    return lineError({ kind: 'tooLong', max: MAX_COMMAND_LENGTH });
  }

  const lexed = lex(line);
  const [first, ...rest] = lexed.tokens;
  const spec = first === undefined ? undefined : findCommand(first.value);

  if (!lexed.ok) {
    if (spec === undefined) return lineError(lexed.detail);
    return usageError(spec, lexed.detail);
  }
  if (first === undefined) return fail({ code: 'EMPTY' });

  if (spec === undefined) {
    if (normalizeName(first.value) === '') {
      return rest.length === 0
        ? fail({ code: 'EMPTY' })
        : fail({ code: 'UNKNOWN_COMMAND', command: '' });
    }
    return fail(unknownCommand(first.value));
  }

  try {
    return { ok: true, intent: DEFINITIONS[spec.name].parse(new Args(spec, rest, line)) };
  } catch (e) {
    if (e instanceof UsageProblem) return usageError(spec, e.detail);
    if (e instanceof UnknownCommand) return fail(unknownCommand(e.typed, spec.name));
    throw e;
  }
}
