/**
 * The terminal client: the spec's command language at a prompt (or from a script), over the same
 * engine as the web client (web/src/core) with @roamhq/wrtc as its WebRTC, so a terminal and a
 * browser talk peer to peer. One engine per signed-in account, each over its own history file.
 */
import { Writable, type Readable } from 'node:stream';
import { createInterface, type Interface } from 'node:readline';
import { clearLine, cursorTo } from 'node:readline';
import { join } from 'node:path';
import wrtc from '@roamhq/wrtc';
import { IDBKeyRange, type IDBFactory } from 'fake-indexeddb';
import { COMMANDS, parseCommand } from '../shared/commands.ts';
import type { GroupInfo, PublicUser } from '../shared/events.ts';
import { sameUsername, usernameKey } from '../shared/names.ts';
import { EngineError, type ChatEngine, type ChatMessage } from '../web/src/core/api.ts';
import { describe, help } from '../web/src/core/command-lines.ts';
import { parseErrorText } from '../web/src/core/commands.ts';
import { createEngine, type EngineOptions } from '../web/src/core/engine.ts';
import { groupConversation, parseConversation, privateConversation } from '../web/src/core/ids.ts';
import { CORE_TEXT, type CoreLang } from '../web/src/core/text.ts';
import { wireErrorText } from '../web/src/core/error-text.ts';
import { fileProblemText } from '../web/src/core/files/problem.ts';
import { noticeText } from '../web/src/core/notices.ts';
import { DiskFileStore } from './file-store.ts';
import { FILE_COMMANDS, TerminalFiles } from './files.ts';
import { loadFactory, saveFactory } from './idb-file.ts';
import { TERMINAL_TEXT } from './text.ts';

/** What the process exit code says. */
export const EXIT = {
  ok: 0,
  /** A command failed (in a script: the first one; the rest did not run). */
  commandFailed: 1,
  /** Bad options, or the script file cannot be read. */
  usage: 2,
  /** The server cannot be reached, or the session was lost and not regained. */
  server: 3,
} as const;

export interface ClientOptions {
  server: string;
  lang: CoreLang;
  dataDir: string;
  /** A person at a terminal: prompt, line editing, no-echo passwords. Otherwise lines in, lines out. */
  interactive: boolean;
  json: boolean;
  /** In a script, carry on after a failed command (the exit code still says one failed). */
  keepGoing: boolean;
  input: Readable;
  output: NodeJS.WritableStream & { columns?: number; isTTY?: boolean };
  /** Engine timings, for tests. */
  directTimeoutMs?: number;
  /** How long the end of a script waits for file transfers that stopped moving. */
  filesIdleMs?: number;
}

const LOCAL_COMMANDS = ['quit', 'exit', 'sleep', 'history', ...FILE_COMMANDS];

/** Terminal columns a string takes: CJK and full-width forms take two. */
const WIDE =
  /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;
function fit(text: string, columns: number): string {
  let width = 0;
  let out = '';
  for (const c of text) {
    width += WIDE.test(c) ? 2 : 1;
    if (width > columns - 1) return out + '…';
    out += c;
  }
  return out;
}

/** Forwards to the real output except while a password is typed (then only line breaks). */
class MaskedOutput extends Writable {
  muted = false;
  constructor(private readonly target: ClientOptions['output']) {
    super({ decodeStrings: false });
  }
  get columns(): number {
    return this.target.columns ?? 80;
  }
  get isTTY(): boolean {
    return this.target.isTTY ?? false;
  }
  override _write(chunk: unknown, _enc: BufferEncoding, done: (err?: Error | null) => void) {
    const text = String(chunk);
    if (!this.muted) this.target.write(text);
    else if (text.includes('\n')) this.target.write('\r\n');
    done();
  }
}

/** `http://127.0.0.1:8080` -> `http_127.0.0.1_8080`: one folder of history files per server. */
export function serverSlug(server: string): string {
  const u = new URL(server);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.protocol.replace(':', '')}_${u.hostname}_${port}`.replace(/[^a-zA-Z0-9._-]/g, '_');
}

/** One history file per account and server; the name is the username's server-side fold, hex. */
export function historyFile(dataDir: string, server: string, username: string): string {
  const key = Buffer.from(usernameKey(username), 'utf8').toString('hex');
  return join(dataDir, serverSlug(server), `${key}.idb`);
}

/** Received (and sent) files' records and data, beside the history file (file-store.ts). */
export function filesFolder(historyPath: string): string {
  return historyPath.replace(/\.idb$/, '.files');
}

const pad = (n: number) => String(n).padStart(2, '0');
const clock = (ms: number) => {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

export async function runClient(o: ClientOptions): Promise<number> {
  const t = CORE_TEXT[o.lang];
  const tt = TERMINAL_TEXT[o.lang];
  const masked = new MaskedOutput(o.output);
  let engine: ChatEngine | null = null;
  let factory: IDBFactory | null = null;
  let file = '';
  let me: PublicUser | null = null;
  let failed = false;
  let busy = true;
  let quitting = false;
  const seen = new Set<string>();
  /**
   * My messages' last states while a send command runs; after it, those it left at "sending",
   * whose outcome is printed when it comes.
   */
  let watching: Map<string, string> | null = null;
  const late = new Set<string>();
  let knownRequests = new Set<string>();
  let knownInvitations = new Set<number>();
  /** A question on the prompt line (a password, which group): no progress in the prompt then. */
  let asking = false;

  const rl: Interface = createInterface({
    input: o.input,
    ...(o.interactive ? { output: masked, terminal: true } : { terminal: false }),
    historySize: 1000,
    prompt: '> ',
    completer: (line: string) => complete(line),
  });

  // --- output -------------------------------------------------------------------------------

  /**
   * File progress, in place on a terminal: at the prompt it leads the prompt (readline redraws
   * the line with what was half typed); while a command runs (or in a script) it is the line at
   * the cursor, cleared before anything else is printed and drawn again after.
   */
  const inPlace = !o.json && o.output.isTTY === true;
  let statusText: string | null = null;
  let statusDrawn = false;
  const columns = () => o.output.columns ?? 80;
  const promptText = () =>
    inPlace && statusText !== null ? `${fit(statusText, Math.floor(columns() / 2))} > ` : '> ';

  function clearStatus(): void {
    if (!statusDrawn) return;
    cursorTo(o.output, 0);
    clearLine(o.output, 0);
    statusDrawn = false;
  }

  function drawStatus(): void {
    if (!inPlace || asking) return;
    if (o.interactive && !busy) {
      rl.setPrompt(promptText());
      rl.prompt(true);
      return;
    }
    clearStatus();
    if (statusText === null) return;
    o.output.write(fit(statusText, columns()));
    statusDrawn = true;
  }

  /** Lines out while no prompt is on screen (a command runs, or a script). */
  function write(text: string): void {
    clearStatus();
    o.output.write(text);
    drawStatus();
  }

  function showPrompt(): void {
    clearStatus();
    rl.setPrompt(promptText());
    rl.prompt();
  }

  function emit(kind: string, text: string, extra: Record<string, unknown> = {}): void {
    if (o.json) {
      o.output.write(JSON.stringify({ type: kind, text, ...extra }) + '\n');
      return;
    }
    if (o.interactive && !busy && !asking) {
      // Printed above the prompt, and the half-typed line comes back as it was.
      clearLine(o.output, 0);
      cursorTo(o.output, 0);
      o.output.write(text + '\n');
      rl.prompt(true);
      return;
    }
    write(text + '\n');
  }

  const errorText = (err: unknown): string => {
    if (err instanceof EngineError) return wireErrorText(err.wire, o.lang);
    return err instanceof Error ? err.message : String(err);
  };

  const files = new TerminalFiles({
    t: tt.files,
    core: t,
    emit,
    status: (text) => {
      statusText = text;
      drawStatus();
    },
    inPlace,
    errorText,
    problemText: (problem) => fileProblemText(problem, o.lang),
  });

  // --- input --------------------------------------------------------------------------------

  const lines = rl[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | undefined> => {
    const r = await lines.next();
    return r.done ? undefined : (r.value as string);
  };

  /** Asks a question on the prompt line (in a script, the next line is the answer). */
  async function ask(question: string, secret = false): Promise<string | undefined> {
    if (!o.interactive) return nextLine();
    clearStatus();
    asking = true;
    rl.setPrompt(question);
    rl.prompt();
    masked.muted = secret;
    try {
      const answer = await nextLine();
      // A password must not be one arrow-up away in the line history.
      const history = (rl as unknown as { history?: string[] }).history;
      if (secret && answer !== undefined && history?.[0] === answer) history.shift();
      return answer;
    } finally {
      masked.muted = false;
      asking = false;
      rl.setPrompt(promptText());
    }
  }

  function complete(line: string): [string[], string] {
    const words = line.split(/\s+/);
    const last = words[words.length - 1] ?? '';
    let pool: string[];
    if (words.length <= 1) {
      pool = [...COMMANDS.flatMap((c) => [c.name, ...c.aliases]), ...LOCAL_COMMANDS];
    } else {
      const s = engine?.social;
      pool = s
        ? [
            ...s.friends.map((f) => f.username),
            ...s.incoming,
            ...s.groups.map((g) => g.name),
            ...s.invitations.map((i) => i.name),
          ]
        : [];
    }
    const hits = [...new Set(pool)].filter((w) => w.toLowerCase().startsWith(last.toLowerCase()));
    return [hits.sort(), last];
  }

  // --- the engine ---------------------------------------------------------------------------

  let saveTimer: ReturnType<typeof setTimeout> | null = null;
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    const f = factory;
    const path = file;
    if (f === null) return saving;
    saving = saving
      .then(() => saveFactory(f, path))
      .catch((err: unknown) => emit('error', tt.historyError(errorText(err))));
    return saving;
  };
  const saveSoon = () => {
    if (saveTimer !== null) return;
    saveTimer = setTimeout(() => {
      saveTimer = null;
      void save();
    }, 300);
  };

  function groupName(id: number): string {
    return engine?.social.groups.find((g) => g.id === id)?.name ?? `#${id}`;
  }

  function incoming(m: ChatMessage): void {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    const target = parseConversation(m.conversation);
    // A system message to a group lives in the group's conversation; older ones kept in System
    // name their group themselves.
    const group =
      target.kind === 'group'
        ? `[${groupName(target.groupId)}] `
        : m.systemTo?.kind === 'group'
          ? `[${m.systemTo.name}] `
          : '';
    const text = m.system
      ? `[${clock(m.sentAt)}] ${tt.systemMark} ${group}${m.text}`
      : `[${clock(m.sentAt)}] ${group}${m.from}: ${m.text}`;
    emit('message', text, {
      id: m.id,
      from: m.from,
      conversation: m.conversation,
      body: m.text,
      sentAt: m.sentAt,
      system: m.system ?? false,
      viaServer: m.viaServer ?? false,
    });
  }

  function attach(e: ChatEngine): void {
    e.on((event) => {
      switch (event.type) {
        case 'message': {
          const m = event.message;
          if (me !== null && !sameUsername(m.from, me.username)) incoming(m);
          else if (late.has(m.id) && m.state !== 'sending') {
            // An earlier send command gave up waiting; say how it ended when it does (also while
            // another send runs: that one watches its own message only).
            late.delete(m.id);
            const target = parseConversation(m.conversation);
            const to =
              target.kind === 'group'
                ? groupName(target.groupId)
                : target.kind === 'private'
                  ? target.username
                  : '';
            emit('delivery', describe(m, to, t), { id: m.id, state: m.state ?? 'sending' });
          } else if (watching !== null && !late.has(m.id)) {
            watching.set(m.id, m.state ?? 'sending');
          }
          saveSoon();
          break;
        }
        case 'social': {
          const s = event.social;
          for (const from of s.incoming) {
            if (!knownRequests.has(from)) emit('friend-request', tt.friendRequest(from), { from });
          }
          knownRequests = new Set(s.incoming);
          for (const i of s.invitations) {
            if (!knownInvitations.has(i.groupId)) {
              emit('invitation', tt.invitation(i.name, i.creator, i.inviter), {
                group: i.name,
                creator: i.creator,
              });
            }
          }
          knownInvitations = new Set(s.invitations.map((i) => i.groupId));
          saveSoon();
          break;
        }
        case 'presence':
          emit('presence', tt.presence(event.username, event.status), {
            username: event.username,
            status: event.status,
          });
          break;
        case 'notice':
          emit(event.level === 'error' ? 'error' : 'notice', noticeText(event.notice, o.lang));
          break;
        case 'file-notice':
          emit(
            event.level === 'error' ? 'error' : 'notice',
            fileProblemText(event.problem, o.lang),
          );
          break;
        case 'session':
          if (event.session.phase === 'signed-out' && me !== null && !quitting) {
            emit('session-ended', tt.sessionEnded(tt.ended(event.session.endedBecause?.reason)));
            void dropEngine();
          }
          break;
        case 'file':
          files.onFile(event.file);
          break;
        case 'conversations':
        case 'trust':
          saveSoon();
          break;
        default:
          break;
      }
    });
  }

  async function dropEngine(): Promise<void> {
    const e = engine;
    if (e === null) return;
    if (saveTimer !== null) clearTimeout(saveTimer);
    saveTimer = null;
    await save();
    engine = null;
    me = null;
    factory = null;
    files.reset();
    await e.destroy();
  }

  async function signIn(kind: 'reg' | 'login', username: string, password: string) {
    file = historyFile(o.dataDir, o.server, username);
    factory = await loadFactory(file);
    const options: EngineOptions = {
      serverUrl: o.server,
      // @roamhq/wrtc's classes stand in for the DOM ones; their declared signatures differ slightly.
      wrtc: wrtc as unknown as EngineOptions['wrtc'],
      indexedDB: factory,
      IDBKeyRange,
      openFileStorage: () => DiskFileStore.open(filesFolder(file)),
      ...(o.directTimeoutMs === undefined ? {} : { directTimeoutMs: o.directTimeoutMs }),
    };
    const e = createEngine(options);
    engine = e;
    knownRequests = new Set();
    knownInvitations = new Set();
    try {
      if (kind === 'reg') await e.register(username, password);
      else await e.login(username, password);
      await ready(e);
    } catch (err) {
      engine = null;
      factory = null;
      await e.destroy();
      throw err;
    }
    me = e.session.user;
    attach(e);
    await files.signedIn(e);
    await save();
    return me?.username ?? username;
  }

  /** Signed in includes this device's keys being ready (Argon2id: about a second). */
  function ready(e: ChatEngine): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (e.session.phase === 'ready') {
          off();
          clearTimeout(timer);
          resolve();
        } else if (e.session.phase === 'signed-out') {
          off();
          clearTimeout(timer);
          reject(new Error(tt.ended(e.session.endedBecause?.reason)));
        }
      };
      const timer = setTimeout(() => {
        off();
        reject(new Error('timed out waiting for the session'));
      }, 60_000);
      const off = e.on((ev) => {
        if (ev.type === 'session') check();
      });
      check();
    });
  }

  async function chooseGroup(name: string, candidates: GroupInfo[]) {
    const choices = candidates.map((g) => `${g.number}. ${g.name} (${g.creator})`).join('; ');
    const answer = (await ask(tt.whichGroup(name, choices)))?.trim() ?? '';
    const n = Number(answer.normalize('NFKC'));
    const chosen =
      candidates.find((g) => /^\d+$/.test(answer.normalize('NFKC')) && g.number === n) ??
      candidates.find((g) => sameUsername(g.creator, answer));
    if (chosen === undefined) emit('error', tt.noSuchChoice);
    return chosen;
  }

  // --- one line -----------------------------------------------------------------------------

  const result = (command: string, ok: boolean, out: string[]) => {
    if (!ok) failed = true;
    if (o.json) {
      o.output.write(JSON.stringify({ type: 'result', command, ok, lines: out }) + '\n');
    } else if (out.length > 0) {
      write(out.map((l) => l + '\n').join(''));
    }
    return ok;
  };

  /** Runs one line; false when it failed. Password lines never reach `command` in the output. */
  async function handle(line: string): Promise<boolean | 'quit'> {
    const trimmed = line.trim();
    if (trimmed === '') return true;
    const word = (trimmed.split(/\s+/)[0] ?? '').toLowerCase();
    if (word === 'quit' || word === 'exit') return 'quit';
    if (word === 'sleep') {
      const seconds = Number(trimmed.split(/\s+/)[1] ?? '1');
      if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600)
        return result('sleep', false, ['sleep <seconds>']);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      return true;
    }
    if (word === 'history') return showHistory(trimmed.split(/\s+/).slice(1));
    if (FILE_COMMANDS.includes(word)) {
      if (engine === null) return result(word, false, [tt.signInFirst]);
      const outcome = await files.run(word, trimmed, engine);
      return result(word, outcome.ok, outcome.lines);
    }
    const helpWord = /^\/?help\s+\/?(\S+)$/iu.exec(trimmed)?.[1]?.toLowerCase();
    if (helpWord !== undefined && LOCAL_COMMANDS.includes(helpWord)) {
      // The terminal's own commands have their help here, not in the shared table.
      const entry = tt.terminalHelp.filter((l) => l.split(/[\s（(]/)[0] === helpWord);
      return result('help', true, entry);
    }
    const parsed = parseCommand(trimmed);
    if (!parsed.ok) return result(word, false, [parseErrorText(parsed.error, t)]);
    const intent = parsed.intent;
    if (intent.kind === 'help' && engine === null) {
      return result('help', true, [...help(intent.command, false, t), ...tt.terminalHelp]);
    }
    if (intent.kind === 'reg' || intent.kind === 'login') {
      if (me !== null) return result(intent.kind, false, [tt.alreadySignedIn(me.username)]);
      let password = intent.password;
      if (password === undefined) {
        password = await ask(tt.password, true);
        if (password === undefined || password === '')
          return result(intent.kind, false, [tt.passwordEmpty]);
        if (intent.kind === 'reg') {
          const again = await ask(tt.passwordAgain, true);
          if (again !== password) return result(intent.kind, false, [tt.passwordsDiffer]);
        }
      }
      try {
        const name = await signIn(intent.kind, intent.username, password);
        return result(intent.kind, true, [
          intent.kind === 'reg' ? t.registered(name) : t.signedIn(name),
        ]);
      } catch (err) {
        return result(intent.kind, false, [errorText(err)]);
      }
    }
    const e = engine;
    if (e === null) return result(intent.kind, false, [tt.signInFirst]);
    if (intent.kind === 'logout') {
      quitting = true;
      try {
        await e.logout();
      } finally {
        await dropEngine();
        quitting = false;
      }
      return result('logout', true, [t.signedOut]);
    }
    const sending = intent.kind === 'send' || intent.kind === 'sendgroup';
    if (sending) watching = new Map();
    let outcome;
    try {
      outcome = await e.runCommand(trimmed, { lang: o.lang, chooseGroup });
    } finally {
      const states = watching ?? new Map<string, string>();
      watching = null;
      // Still "sending" when the command returned: the final word comes later, as a notice. One
      // whose outcome came while the command ran is settled: the command's line said how.
      for (const [id, state] of states) if (state === 'sending') late.add(id);
    }
    if (outcome.ok) {
      const extra = intent.kind === 'help' && intent.command === undefined ? tt.terminalHelp : [];
      return result(intent.kind, true, [...outcome.lines, ...extra]);
    }
    return result(intent.kind, false, [outcome.message]);
  }

  /** `history <username>` or `history <group-number>`: the last messages kept on this device. */
  async function showHistory(args: string[]): Promise<boolean> {
    const [who, ...rest] = args;
    if (who === undefined || rest.length > 0) return result('history', false, [tt.historyUsage]);
    const e = engine;
    if (e === null) return result('history', false, [tt.signInFirst]);
    let conversation;
    const folded = who.normalize('NFKC');
    if (/^\d+$/.test(folded)) {
      const g = e.social.groups.find((x) => x.number === Number(folded));
      if (g === undefined) return result('history', false, [t.noGroupNumber(Number(folded))]);
      conversation = groupConversation(g.id);
    } else {
      conversation = privateConversation(who);
    }
    const messages = await e.history(conversation, { limit: 50 });
    const target = parseConversation(conversation);
    const group = target?.kind === 'group' ? `[${groupName(target.groupId)}] ` : '';
    return result(
      'history',
      true,
      messages.length === 0
        ? [tt.noHistory]
        : messages.map((m) =>
            m.system
              ? `[${clock(m.sentAt)}] ${tt.systemMark} ${group}${m.text}`
              : `[${clock(m.sentAt)}] ${group}${m.from}: ${m.text}`,
          ),
    );
  }

  async function shutdown(): Promise<void> {
    quitting = true;
    const e = engine;
    if (e !== null) {
      await files.stopSending(e);
      // Signing out tells the server at once (friends see "offline"), not after a timeout.
      await e.logout().catch(() => undefined);
      await dropEngine();
    }
  }

  // --- the loop -----------------------------------------------------------------------------

  let interrupted = false;
  const interrupt = () => {
    // Ctrl-C: sign out cleanly and leave (closing ends the line iterator).
    interrupted = true;
    rl.close();
  };
  // At the prompt readline reads Ctrl-C as a key; while a command runs the terminal is not raw,
  // and the same key is a real SIGINT, which without a handler ends the process by the signal
  // (no sign-out, no exit code). Both mean the same.
  rl.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);

  if (o.interactive) o.output.write(tt.welcome(o.server) + '\n');
  let code: number = EXIT.ok;
  for (;;) {
    busy = false;
    if (o.interactive) showPrompt();
    const line = await nextLine();
    busy = true;
    if (line === undefined) break;
    let outcome: boolean | 'quit';
    try {
      outcome = await handle(line);
    } catch (err) {
      outcome = result('', false, [errorText(err)]);
    }
    if (outcome === 'quit') break;
    if (!outcome && !o.interactive && !o.keepGoing) break;
  }
  if (failed) code = EXIT.commandFailed;
  // A script's last line may have started a file: signing out now would cut it off.
  if (!o.interactive && !interrupted) await files.settle(o.filesIdleMs, () => interrupted);
  await shutdown();
  clearStatus();
  if (o.interactive || interrupted) emit('bye', tt.bye);
  rl.close();
  process.off('SIGINT', interrupt);
  return code;
}
