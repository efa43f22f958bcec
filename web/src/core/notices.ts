/**
 * The engine's notices about keys, channels and stored messages, as data (issue 12): a closed set
 * of kinds with the names and cause codes each sentence needs, worded only where it is shown, in
 * the reader's language, by `noticeText` (the web's toasts, the terminal's lines). Nothing here is
 * stored, but the words are read from an event, so a kind or cause this client does not know reads
 * as a generic sentence rather than as a throw.
 */
import { m } from '../paraglide/messages.js';
import { at, type CoreLang } from './lang.ts';

/** Why a stored copy was dropped: opened by no key (`no-key`, `integrity`), or not what it says. */
export type StoredDropCause =
  /** No key is pinned for its sender. */
  | 'no-key'
  /** The pinned key does not open it: changed on the way, or not sealed by them. */
  | 'integrity'
  /** Its payload is not a message. */
  | 'not-a-message'
  /** Its id differs from the stored one. */
  | 'id-differs'
  /** A group copy that names no group. */
  | 'no-group'
  /** Its group differs from the stored one. */
  | 'group-differs'
  /** A group message stored as a private one. */
  | 'group-as-private';

/** Why the key backup would not open (backup.ts `BackupError.reason`). */
export type BackupCause = 'malformed' | 'wrong-password';

/** Why a connection was refused as an impostor's, shown in the toast and in the banner. */
export type ImpostorReason = 'bad-signature';

export type EngineNotice =
  /** A channel from someone whose key this device does not know yet. */
  | { kind: 'refused-no-key'; username: string }
  /** A channel signed with a key change I have not decided on: most likely their new device. */
  | { kind: 'connecting-new-key'; username: string }
  /** A channel whose signature no key of theirs made. */
  | { kind: 'impostor'; username: string; reason: ImpostorReason }
  /** A resumed session with keys the server does not hold: the password is needed to publish. */
  | { kind: 'publish-key-needed' }
  /** The server's backup did not open with the password: new keys were made. */
  | { kind: 'backup-unopened'; cause: BackupCause }
  /** A stored copy was dropped as forged or corrupt. */
  | { kind: 'stored-dropped'; from: string; cause: StoredDropCause };

export type EngineNoticeKind = EngineNotice['kind'];

type Options = ReturnType<typeof at>;
type Fields = Readonly<Record<string, unknown>>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const pick = <K extends string, W>(table: Record<K, W>, v: unknown): W | null =>
  typeof v === 'string' && Object.hasOwn(table, v) ? table[v as K] : null;

const IMPOSTOR: Record<ImpostorReason, (name: string, o: Options) => string> = {
  'bad-signature': (name, o) => m.banners_refusedReason_badSignature({ name }, o),
};

/** Why a connection was refused, as the clause the banner and the toast put after "refused:". */
export function impostorReasonText(reason: unknown, name: string, lang: CoreLang): string {
  const o = at(lang);
  const word = pick(IMPOSTOR, reason) ?? IMPOSTOR['bad-signature'];
  return word(name, o);
}

const BACKUP: Record<BackupCause, (o: Options) => string> = {
  malformed: (o) => m.notices_backupCause_malformed({}, o),
  'wrong-password': (o) => m.notices_backupCause_wrongPassword({}, o),
};

const DROPPED: Record<StoredDropCause, (f: Fields, o: Options) => string> = {
  'no-key': (f, o) => m.notices_droppedCause_noKey({ name: str(f.from) }, o),
  integrity: (_f, o) => m.notices_droppedCause_integrity({}, o),
  'not-a-message': (_f, o) => m.notices_droppedCause_notAMessage({}, o),
  'id-differs': (_f, o) => m.notices_droppedCause_idDiffers({}, o),
  'no-group': (_f, o) => m.notices_droppedCause_noGroup({}, o),
  'group-differs': (_f, o) => m.notices_droppedCause_groupDiffers({}, o),
  'group-as-private': (_f, o) => m.notices_droppedCause_groupAsPrivate({}, o),
};

/** Keyed by every kind, so a kind added above fails the type check until it has words. */
const SENTENCES: Record<EngineNoticeKind, (f: Fields, o: Options, lang: CoreLang) => string> = {
  'refused-no-key': (f, o) => m.notices_refusedNoKey({ name: str(f.username) }, o),
  'connecting-new-key': (f, o) => m.notices_connectingNewKey({ name: str(f.username) }, o),
  impostor: (f, o, lang) => {
    const name = str(f.username);
    return m.banners_refused({ name, reason: impostorReasonText(f.reason, name, lang) }, o);
  },
  'publish-key-needed': (_f, o) => m.notices_publishKeyNeeded({}, o),
  'backup-unopened': (f, o) =>
    m.notices_backupUnopened({ cause: (pick(BACKUP, f.cause) ?? BACKUP.malformed)(o) }, o),
  'stored-dropped': (f, o) => {
    const cause = pick(DROPPED, f.cause);
    return m.notices_storedDropped(
      {
        name: str(f.from),
        cause: cause ? cause(f, o) : m.notices_droppedCause_unknown({}, o),
      },
      o,
    );
  },
};

/**
 * An engine notice as a sentence in `lang`: a kind or cause from a newer version, or a missing
 * field, reads as the generic sentence or an empty name, never a throw.
 */
export function noticeText(notice: unknown, lang: CoreLang): string {
  const o = at(lang);
  const fields: Fields = typeof notice === 'object' && notice !== null ? (notice as Fields) : {};
  const kind = typeof fields.kind === 'string' ? fields.kind : '';
  if (!Object.hasOwn(SENTENCES, kind)) return m.notices_unknown({}, o);
  return SENTENCES[kind as EngineNoticeKind](fields, o, lang);
}
