/**
 * Files at the terminal (issue 13): `sendfile`, `sendgroupfile`, `files`, `savefile`, `cancelfile`
 * over the engine's transfers (web/src/core/files), the same frames a browser speaks.
 *
 * These are the terminal's own commands, beside `history`, not the shared command language's: a
 * path on this computer means nothing to the web client, which attaches files with its picker.
 *
 * A file is sent from disk as it goes (`openAsBlob`: the engine slices it a chunk at a time), and
 * incoming files are taken at once, as the web client takes them, into the data folder
 * (terminal/file-store.ts); `savefile` writes one out, streamed from there. Transfers are numbered
 * in the order this session first saw them (oldest first at sign-in), like the `groups` numbers.
 */
import { createWriteStream, openAsBlob } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { tokenize } from '../shared/commands.ts';
import { LIMITS } from '../shared/limits.ts';
import {
  EngineError,
  type ChatEngine,
  type FileTransfer,
  type TransferState,
} from '../web/src/core/api.ts';
import type { FileProblem } from '../web/src/core/files/problem.ts';
import { formatBytes } from '../web/src/core/files/transfers.ts';
import type { CoreText } from '../web/src/core/text.ts';
import type { FileText } from './text.ts';

export const FILE_COMMANDS = ['sendfile', 'sendgroupfile', 'files', 'savefile', 'cancelfile'];

const FINAL: ReadonlySet<TransferState> = new Set(['done', 'cancelled', 'failed', 'offline']);
const UNPRINTABLE = /[\t\n\r\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
/** With stdout not a terminal, a transfer prints a progress line at each quarter, no more. */
const QUARTERS = 4;

/** A few types the web client shows inline (images) or names; anything else is octet-stream. */
const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.zip': 'application/zip',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
};

export interface FilesHost {
  t: FileText;
  core: CoreText;
  emit(kind: string, text: string, extra?: Record<string, unknown>): void;
  /** The one line that updates in place (null: none); only called when stdout is a terminal. */
  status(text: string | null): void;
  /** Progress in place (a terminal), or sparse lines (a pipe, a file, --json). */
  inPlace: boolean;
  errorText(err: unknown): string;
  /** A transfer's problem in the chosen language (problem.ts `fileProblemText`). */
  problemText(problem: FileProblem): string;
  /** Largest file sent; the engine's own limit (its `maxFileBytes`, LIMITS by default). */
  maxFileBytes?: number;
}

export interface Outcome {
  ok: boolean;
  lines: string[];
}

const clockOf = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
};

/** `~/x` as a shell reads it, then absolute from the working directory. */
const expand = (path: string): string =>
  resolve(path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path);

/**
 * The words of a file command: the command, `fixed` words, then the path: one quoted word, or
 * everything after the fixed words (a path may hold spaces without quotes, like a message).
 */
function split(line: string, fixed: number): { args: string[]; path: string | undefined } | null {
  const words = tokenize(line.trim());
  if (!words.ok) return null;
  const args = words.tokens.slice(1, 1 + fixed);
  const after = words.tokens.slice(1 + fixed);
  if (after.length <= 1) return { args, path: after[0] };
  const raw = line.trim().replace(new RegExp(`^(\\S+\\s+){${fixed + 1}}`, 'u'), '');
  return { args, path: raw.trimEnd() };
}

export class TerminalFiles {
  readonly #numbers = new Map<string, number>();
  readonly #keys: string[] = [];
  readonly #views = new Map<string, FileTransfer>();
  readonly #printed = new Map<string, number>();
  /** Transfers cancelled by a command here: the command says so, the event need not. */
  readonly #quiet = new Set<string>();
  #changedAt = Date.now();

  constructor(private readonly host: FilesHost) {}

  /** Numbers what this device already knows, oldest first, so they read the same each session. */
  async signedIn(engine: ChatEngine): Promise<void> {
    const known = await engine.files.list();
    for (const f of [...known].reverse()) {
      this.#number(f.key);
      this.#keep(f);
    }
  }

  reset(): void {
    this.#numbers.clear();
    this.#keys.length = 0;
    this.#views.clear();
    this.#printed.clear();
    this.#quiet.clear();
    this.#drawStatus();
  }

  #number(key: string): number {
    let n = this.#numbers.get(key);
    if (n === undefined) {
      this.#keys.push(key);
      n = this.#keys.length;
      this.#numbers.set(key, n);
    }
    return n;
  }

  /** Transfers still going. */
  live(): FileTransfer[] {
    return [...this.#views.values()].filter((f) => !FINAL.has(f.state));
  }

  /**
   * Resolves once no transfer is going, or none has moved for `idleMs` (a peer that went away
   * leaves its transfer waiting for a connection that may never come), or `stop` says so (Ctrl-C).
   */
  async settle(idleMs = 30_000, stop: () => boolean = () => false): Promise<void> {
    const count = this.live().length;
    if (count === 0) return;
    this.host.emit('notice', this.host.t.waiting(count));
    while (this.live().length > 0 && Date.now() - this.#changedAt < idleMs && !stop()) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Leaving: the files I am sending stop, and their receivers are told at once. They could not
   * go on after a restart (the engine cannot reopen a file it was given), and a receiver told
   * nothing waits for a connection that never comes.
   */
  async stopSending(engine: ChatEngine): Promise<void> {
    for (const f of this.live()) {
      if (f.direction === 'out') await engine.files.cancel(f.key).catch(() => undefined);
    }
  }

  // --- events --------------------------------------------------------------------------------

  /**
   * A peer names its files: the wire refuses control characters but not tabs, line breaks or
   * direction overrides, which would rewrite or reorder the terminal's line (a fake "received").
   */
  #keep(raw: FileTransfer): FileTransfer {
    const view = { ...raw, name: raw.name.replace(UNPRINTABLE, '_') };
    this.#views.set(view.key, view);
    return view;
  }

  onFile(raw: FileTransfer): void {
    const { t } = this.host;
    const before = this.#views.get(raw.key);
    const n = this.#number(raw.key);
    const view = this.#keep(raw);
    if (before?.bytes !== view.bytes || before.state !== view.state) this.#changedAt = Date.now();
    const extra = {
      n,
      id: view.id,
      direction: view.direction,
      peer: view.peer,
      name: view.name,
      size: view.size,
      bytes: view.bytes,
      state: view.state,
    };
    if (before === undefined && view.direction === 'in' && !FINAL.has(view.state)) {
      this.host.emit('file', t.incoming(view.peer, view.name, formatBytes(view.size), n), extra);
    }
    if (FINAL.has(view.state)) {
      // Only an end this session watched: an outgoing one starts with the command's own line.
      if (before !== undefined && !FINAL.has(before.state)) {
        const quiet = this.#quiet.delete(view.key);
        const line = this.#endLine(view, n);
        const error = view.error && this.host.problemText(view.error);
        if (!quiet) this.host.emit('file', line, { ...extra, error, problem: view.error });
      }
      this.#printed.delete(view.key);
    } else if (!this.host.inPlace && view.state === 'moving' && view.size > 0) {
      const quarter = Math.floor((view.bytes * QUARTERS) / view.size);
      if (quarter > 0 && quarter < QUARTERS && quarter > (this.#printed.get(view.key) ?? 0)) {
        this.#printed.set(view.key, quarter);
        this.host.emit('file-progress', this.#progress(view), extra);
      }
    }
    this.#drawStatus();
  }

  #endLine(view: FileTransfer, n: number): string {
    const { t } = this.host;
    switch (view.state) {
      case 'done':
        return view.direction === 'in'
          ? t.received(view.peer, view.name, n)
          : t.sent(view.peer, view.name);
      case 'cancelled':
        return t.stopped(view.direction, view.peer, view.name);
      default:
        return t.failed(
          view.direction,
          view.peer,
          view.name,
          view.error ? this.host.problemText(view.error) : t.states[view.state],
        );
    }
  }

  #progress(view: FileTransfer): string {
    const percent = view.size === 0 ? 100 : Math.floor((view.bytes * 100) / view.size);
    const rate = view.rate > 0 ? formatBytes(Math.round(view.rate)) : '';
    const eta = view.etaMs !== null && view.rate > 0 ? clockOf(view.etaMs) : '';
    return this.host.t.progress(view.direction, view.peer, view.name, percent, rate, eta);
  }

  #drawStatus(): void {
    if (!this.host.inPlace) return;
    const live = this.live();
    this.host.status(live.length === 0 ? null : live.map((f) => this.#progress(f)).join(' · '));
  }

  // --- commands ------------------------------------------------------------------------------

  /** Runs a file command (`word` is one of FILE_COMMANDS) on a signed-in engine. */
  run(word: string, line: string, engine: ChatEngine): Promise<Outcome> {
    switch (word) {
      case 'sendfile':
        return this.#sendFile(line, engine);
      case 'sendgroupfile':
        return this.#sendGroupFile(line, engine);
      case 'files':
        return this.#list(line, engine);
      case 'savefile':
        return this.#save(line, engine);
      default:
        return this.#cancel(line, engine);
    }
  }

  #usage(command: keyof FileText['usage']): Outcome {
    return { ok: false, lines: [this.host.core.helpUsage(this.host.t.usage[command])] };
  }

  /** The file at `path`, as a Blob read from disk as it is sliced; or why it cannot be sent. */
  async #source(path: string): Promise<{ blob: Blob; name: string } | string> {
    const { t } = this.host;
    const full = expand(path);
    let info;
    try {
      info = await stat(full);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return t.noSuchFile(path);
      return t.cannotRead(path, (err as Error).message);
    }
    if (info.isDirectory()) return t.isDirectory(path);
    if (!info.isFile()) return t.notAFile(path);
    const name = basename(full);
    const limit = this.host.maxFileBytes ?? LIMITS.fileSizeDefaultMax;
    if (info.size > limit) return t.tooLarge(name, formatBytes(info.size), formatBytes(limit));
    try {
      const type = MIME[extname(name).toLowerCase()] ?? 'application/octet-stream';
      return { blob: await openAsBlob(full, { type }), name };
    } catch (err) {
      return t.cannotRead(path, (err as Error).message);
    }
  }

  async #sendFile(line: string, engine: ChatEngine): Promise<Outcome> {
    const words = split(line, 1);
    const [to] = words?.args ?? [];
    if (!words || to === undefined || !words.path) return this.#usage('sendfile');
    const source = await this.#source(words.path);
    if (typeof source === 'string') return { ok: false, lines: [source] };
    try {
      const view = await engine.files.sendPrivate(to, source.blob, source.name);
      const n = this.#number(view.key);
      return {
        ok: true,
        lines: [this.host.t.sending(view.name, formatBytes(view.size), view.peer, n)],
      };
    } catch (err) {
      if (err instanceof EngineError && err.wire.code === 'OFFLINE')
        return { ok: false, lines: [this.host.t.offline(to)] };
      return { ok: false, lines: [this.host.errorText(err)] };
    }
  }

  async #sendGroupFile(line: string, engine: ChatEngine): Promise<Outcome> {
    const words = split(line, 1);
    const [ref] = words?.args ?? [];
    const folded = ref?.normalize('NFKC') ?? '';
    if (!words || !/^\d+$/.test(folded) || !words.path) return this.#usage('sendgroupfile');
    const group = engine.social.groups.find((g) => g.number === Number(folded));
    if (group === undefined)
      return { ok: false, lines: [this.host.core.noGroupNumber(Number(folded))] };
    const source = await this.#source(words.path);
    if (typeof source === 'string') return { ok: false, lines: [source] };
    let views;
    try {
      views = await engine.files.sendGroup(group.id, source.blob, source.name);
    } catch (err) {
      return { ok: false, lines: [this.host.errorText(err)] };
    }
    if (views.length === 0) return { ok: false, lines: [this.host.t.noGroupMembers(group.name)] };
    const lines = views.map((v) =>
      v.state === 'offline'
        ? this.host.t.offline(v.peer)
        : this.host.t.sending(v.name, formatBytes(v.size), v.peer, this.#number(v.key)),
    );
    return { ok: views.some((v) => v.state !== 'offline'), lines };
  }

  async #list(line: string, engine: ChatEngine): Promise<Outcome> {
    if (!split(line, 0) || (split(line, 0)?.path ?? '') !== '')
      return { ok: false, lines: [this.host.core.helpUsage('files')] };
    for (const f of await engine.files.list()) {
      this.#number(f.key);
      this.#keep(f);
    }
    const { t } = this.host;
    const lines = this.#keys.flatMap((key, i) => {
      const f = this.#views.get(key);
      if (f === undefined) return [];
      const state = FINAL.has(f.state)
        ? t.states[f.state]
        : f.state === 'moving'
          ? this.#progress(f)
          : `${this.#progress(f)} (${t.states[f.state]})`;
      return [t.line(i + 1, f.direction, f.name, formatBytes(f.size), f.peer, state)];
    });
    return { ok: true, lines: lines.length === 0 ? [t.noFiles] : lines };
  }

  /** A transfer by its number here or by its id. */
  async #find(ref: string, engine: ChatEngine): Promise<[number, FileTransfer] | null> {
    const folded = ref.normalize('NFKC');
    const byId = () => this.#keys.find((k) => this.#views.get(k)?.id === ref);
    let key = /^\d+$/.test(folded) ? this.#keys[Number(folded) - 1] : byId();
    if (key === undefined) {
      // Something may have come in since the last look (a reload of the list is cheap).
      for (const f of await engine.files.list()) {
        this.#number(f.key);
        this.#keep(f);
      }
      key = /^\d+$/.test(folded) ? this.#keys[Number(folded) - 1] : byId();
    }
    const view = key === undefined ? undefined : this.#views.get(key);
    return key === undefined || view === undefined ? null : [this.#number(key), view];
  }

  async #save(line: string, engine: ChatEngine): Promise<Outcome> {
    const { t } = this.host;
    const words = split(line, 1);
    const [ref] = words?.args ?? [];
    if (!words || ref === undefined) return this.#usage('savefile');
    const found = await this.#find(ref, engine);
    if (found === null) return { ok: false, lines: [t.noSuchTransfer(ref)] };
    const [n, view] = found;
    if (view.direction !== 'in') return { ok: false, lines: [t.notIncoming(n, view.name)] };
    const blob = view.state === 'done' ? await engine.files.blob(view.key) : null;
    if (blob === null)
      return { ok: false, lines: [t.notArrived(n, view.name, t.states[view.state])] };
    // The name came from the peer: never a path (the wire refuses slashes), never `.` or `..`.
    const name = view.name === '.' || view.name === '..' ? 'file' : view.name;
    // The peer's name is only ever a name here (never `~`-expanded); the user's path is a path.
    let target = words.path === undefined ? resolve(name) : expand(words.path);
    if (words.path !== undefined) {
      const into = await stat(target).catch(() => null);
      if (into?.isDirectory()) target = join(target, name);
    }
    try {
      // `wx`: an existing file is never overwritten.
      const out = createWriteStream(target, { flags: 'wx', mode: 0o644 });
      const opened = new Promise<void>((ok, fail) => {
        out.once('open', () => ok());
        out.once('error', fail);
      });
      await opened;
      try {
        await pipeline(Readable.fromWeb(blob.stream() as NodeReadableStream), out);
      } catch (err) {
        await unlink(target).catch(() => undefined);
        throw err;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return { ok: false, lines: [t.exists(target)] };
      return { ok: false, lines: [t.cannotWrite(target, (err as Error).message)] };
    }
    return { ok: true, lines: [t.saved(view.name, target, formatBytes(view.size))] };
  }

  async #cancel(line: string, engine: ChatEngine): Promise<Outcome> {
    const { t } = this.host;
    const words = split(line, 1);
    const [ref] = words?.args ?? [];
    if (!words || ref === undefined || words.path !== undefined) return this.#usage('cancelfile');
    const found = await this.#find(ref, engine);
    if (found === null) return { ok: false, lines: [t.noSuchTransfer(ref)] };
    const [n, view] = found;
    if (FINAL.has(view.state))
      return { ok: false, lines: [t.notLive(n, view.name, t.states[view.state])] };
    this.#quiet.add(view.key);
    await engine.files.cancel(view.key);
    return { ok: true, lines: [t.cancelled(n, view.name)] };
  }
}
