/**
 * Why a file transfer failed, and the engine's notices about files, as data (issue 12): a closed
 * set of reasons with the names and sizes each sentence needs, worded only where it is shown, in
 * the reader's language, by `fileProblemText` (the web's file cards and toasts, the terminal).
 * The engine stores a transfer's problem with its record in IndexedDB, so a row is read back by
 * a client that may be older or newer than the one that wrote it: an `error` string from before
 * problems were data, or a reason this client does not know, reads as the generic sentence.
 */
import { m } from '../../paraglide/messages.js';
import { at, type CoreLang } from '../lang.ts';

export type FileProblem =
  /** Files go directly: the recipient (a group member) is offline. */
  | { reason: 'offline'; username: string }
  /** This device could not store a received chunk (IndexedDB refused it). */
  | { reason: 'store-failed' }
  /** The received file's content hash did not match the sender's. */
  | { reason: 'damaged' }
  /** Too many damaged or missing chunks. */
  | { reason: 'damaged-often' }
  /** The receiver's app checks another digest (an older version). */
  | { reason: 'peer-app-old'; username: string }
  /** The peer stopped the transfer (its `file-cancel` reason). */
  | { reason: 'peer-too-large'; username: string }
  | { reason: 'peer-no-room'; username: string }
  | { reason: 'peer-damaged'; username: string }
  | { reason: 'peer-gone'; username: string }
  | { reason: 'peer-protocol'; username: string }
  | { reason: 'peer-refused'; username: string }
  /** The sender broke the rules of the transfer, so this side stopped it. */
  | { reason: 'cut-off'; username: string; name: string; what: CutOff }
  /** Notices about an offer refused on arrival. */
  | { reason: 'offer-app-old'; username: string; name: string }
  | { reason: 'offer-too-large'; username: string; name: string; size: number; max: number }
  | { reason: 'offer-no-room'; username: string; name: string }
  /** A row from an older version (an English `error` string), or nothing more is known. */
  | { reason: 'unknown' };

export type CutOff = 'oversent' | 'chunk-size' | 'repeats';

export type FileProblemReason = FileProblem['reason'];

type Options = ReturnType<typeof at>;
type Fields = Readonly<Record<string, unknown>>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

const CUT_OFF: Record<CutOff, (o: Options) => string> = {
  oversent: (o) => m.files_problem_cutOff_oversent({}, o),
  'chunk-size': (o) => m.files_problem_cutOff_chunkSize({}, o),
  repeats: (o) => m.files_problem_cutOff_repeats({}, o),
};

/** Keyed by every reason, so a reason added above fails the type check until it has words. */
const SENTENCES: Record<FileProblemReason, (f: Fields, o: Options) => string> = {
  offline: (f, o) => m.files_problem_offline({ username: str(f.username) }, o),
  'store-failed': (_f, o) => m.files_problem_storeFailed({}, o),
  damaged: (_f, o) => m.files_problem_damaged({}, o),
  'damaged-often': (_f, o) => m.files_problem_damagedOften({}, o),
  'peer-app-old': (f, o) => m.files_problem_peerAppOld({ username: str(f.username) }, o),
  'peer-too-large': (f, o) => m.files_problem_peerTooLarge({ username: str(f.username) }, o),
  'peer-no-room': (f, o) => m.files_problem_peerNoRoom({ username: str(f.username) }, o),
  'peer-damaged': (_f, o) => m.files_problem_peerDamaged({}, o),
  'peer-gone': (f, o) => m.files_problem_peerGone({ username: str(f.username) }, o),
  'peer-protocol': (f, o) => m.files_problem_peerProtocol({ username: str(f.username) }, o),
  'peer-refused': (f, o) => m.files_problem_peerRefused({ username: str(f.username) }, o),
  'cut-off': (f, o) => {
    const what = typeof f.what === 'string' && Object.hasOwn(CUT_OFF, f.what) ? f.what : null;
    return m.files_problem_cutOff(
      {
        username: str(f.username),
        name: str(f.name),
        what: what === null ? m.files_problem_cutOff_other({}, o) : CUT_OFF[what as CutOff](o),
      },
      o,
    );
  },
  'offer-app-old': (f, o) =>
    m.files_problem_offerAppOld({ username: str(f.username), name: str(f.name) }, o),
  'offer-too-large': (f, o) =>
    m.files_problem_offerTooLarge(
      {
        username: str(f.username),
        name: str(f.name),
        size: formatBytes(num(f.size)),
        max: formatBytes(num(f.max)),
      },
      o,
    ),
  'offer-no-room': (f, o) =>
    m.files_problem_offerNoRoom({ username: str(f.username), name: str(f.name) }, o),
  unknown: (_f, o) => m.files_problem_unknown({}, o),
};

/**
 * A file problem as a sentence in `lang`, whatever was stored: an older row's English string, a
 * newer version's reason or a missing field read as the generic sentence or an empty name,
 * never a throw and never the stored text itself.
 */
export function fileProblemText(problem: unknown, lang: CoreLang): string {
  const o = at(lang);
  const fields: Fields = typeof problem === 'object' && problem !== null ? (problem as Fields) : {};
  const reason = typeof fields.reason === 'string' ? fields.reason : '';
  const sentence = Object.hasOwn(SENTENCES, reason)
    ? SENTENCES[reason as FileProblemReason]
    : SENTENCES.unknown;
  return sentence(fields, o);
}

/** What a stored record's `error` was (a string before problems were data) as a problem. */
export function storedProblem(stored: FileProblem | string | undefined): FileProblem | undefined {
  if (stored === undefined) return undefined;
  return typeof stored === 'string' ? { reason: 'unknown' } : stored;
}
