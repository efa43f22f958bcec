/**
 * Errors as sentences for people, in the reader's language, chosen by `code` and `details`
 * (PROTOCOL.md's error table), never by the `message`: that is the server's (or the engine's) own
 * terse English, for logs. The one rule for it: the web UI, the engine's command lines and the
 * terminal client all word errors with `wireErrorText`. The words are Paraglide messages (keys
 * `error_…` in messages/*.json), each called with its locale named (lang.ts); which sentence
 * fits which details is decided here.
 *
 * Keyed by every ErrorCode, so a code added to shared/errors.ts fails the type check until it has
 * a sentence here; a code from a newer server that this client does not know still reads as a
 * sentence (`error_unknownCode`). Besides the server's details, the engine's own errors carry a
 * `reason` where the code alone would say too little (`not-connected`, `key-changed`,
 * `file-too-large`, ...: each is handled below) and the `username` or file `name` concerned.
 */
import type { ErrorCode, WireError } from '../../../shared/errors.ts';
import { LIMITS } from '../../../shared/limits.ts';
import { m } from '../paraglide/messages.js';
import { at, type CoreLang, type PlainMessage as Message } from './lang.ts';

type Details = Readonly<Record<string, unknown>>;
type Options = ReturnType<typeof at>;
type Sentence = (d: Details, o: Options) => string;

/** An error as it may arrive: a code this client may not know, details of any shape. */
export type ErrorLike = Pick<WireError, 'details'> & { code: string };

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const hasGroup = (d: Details) => d.groupId !== undefined;

/** The fields a BAD_REQUEST names (a zod path), as words; any other gets the generic sentence. */
const FIELDS: Record<string, Message> = {
  username: m.error_field_username,
  password: m.error_field_password,
  oldPassword: m.error_field_oldPassword,
  newPassword: m.error_field_newPassword,
  text: m.error_field_text,
  name: m.error_field_name,
  group: m.error_field_group,
  status: m.error_field_status,
  publicKey: m.error_field_publicKey,
  backup: m.error_field_backup,
  fileName: m.error_field_fileName,
};

/** shared/names.ts `UsernameRule`: what a registration's username broke. */
const USERNAME_RULES: Record<string, Sentence> = {
  length: (_d, o) =>
    m.error_username_length({ min: LIMITS.usernameMin, max: LIMITS.usernameMax }, o),
  invisible: (_d, o) => m.error_username_invisible({}, o),
  characters: (_d, o) => m.error_username_characters({}, o),
  'mixed-script': (_d, o) => m.error_username_mixedScript({}, o),
};

/** The engine's own BAD_REQUESTs, by `reason`. */
const BAD_REQUEST_REASONS: Record<string, Sentence> = {
  'system-conversation': (_d, o) => m.error_systemConversation({}, o),
  'sending-now': (_d, o) => m.error_sendingNow({}, o),
  'not-failed': (_d, o) => m.error_notFailed({}, o),
  'no-interrupted-file': (_d, o) => m.error_noInterruptedFile({}, o),
  'other-file': (d, o) => m.error_otherFile({ name: str(d.name) ?? '' }, o),
  'file-too-large': (d, o) =>
    m.error_fileTooLarge({ name: str(d.name) ?? '', max: str(d.max) ?? '' }, o),
  'no-settled-key': (d, o) => m.error_noSettledKey({ username: str(d.username) ?? '' }, o),
};

/** The engine's own INTERNALs, by `reason`: the server is not to blame for these. */
const INTERNAL_REASONS: Record<string, Message> = {
  'not-connected': m.error_notConnected,
  'no-answer': m.error_noAnswer,
  unreachable: m.error_unreachable,
  engine: m.error_engine,
};

/** `table[key]` for a key that came over the wire: own keys only (not `constructor`). */
const pick = <T>(table: Record<string, T>, key: string | null): T | undefined =>
  key !== null && Object.hasOwn(table, key) ? table[key] : undefined;

export const ERROR_SENTENCES: Record<ErrorCode, Sentence> = {
  BAD_REQUEST: (d, o) => {
    const reason = pick(BAD_REQUEST_REASONS, str(d.reason));
    if (reason) return reason(d, o);
    const field = str(d.field);
    const rule = field === 'username' ? pick(USERNAME_RULES, str(d.rule)) : undefined;
    if (rule) return rule(d, o);
    // A password has one rule, its length (shared/schemas.ts).
    if (field === 'password' || field === 'newPassword')
      return m.error_passwordLength({ min: LIMITS.passwordMin, max: LIMITS.passwordMax }, o);
    const label = pick(FIELDS, field);
    return label ? m.error_badRequest_field({ field: label({}, o) }, o) : m.error_badRequest({}, o);
  },
  UNAUTHENTICATED: (d, o) =>
    d.reason === 'keys-locked' ? m.error_keysLocked({}, o) : m.error_unauthenticated({}, o),
  FORBIDDEN: (d, o) => {
    const username = str(d.username);
    if (d.reason === 'key-changed' && username) return m.error_keyChanged({ username }, o);
    if (d.reason === 'system-conversation') return m.error_systemConversation({}, o);
    if (d.reason === 'not-yours') return m.error_notYours({}, o);
    return hasGroup(d) ? m.error_forbiddenInGroup({}, o) : m.error_forbidden({}, o);
  },
  INVALID_CREDENTIALS: (_d, o) => m.error_invalidCredentials({}, o),
  USERNAME_TAKEN: (d, o) => {
    const similarTo = str(d.similarTo);
    return d.rule === 'confusable' && similarTo
      ? m.error_usernameConfusable({ similarTo }, o)
      : m.error_usernameTaken({}, o);
  },
  USER_BLOCKED: (d, o) => {
    const username = str(d.username);
    return username ? m.error_userBlockedNamed({ username }, o) : m.error_userBlocked({}, o);
  },
  RATE_LIMITED: (d, o) => {
    const ms = d.retryAfterMs;
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return m.error_rateLimited({}, o);
    return m.error_rateLimitedFor({ seconds: Math.max(1, Math.ceil(ms / 1000)) }, o);
  },
  NOT_FOUND: (d, o) => {
    const username = str(d.username);
    if (d.reason === 'no-key' && username) return m.error_noKey({ username }, o);
    if (d.reason === 'no-message') return m.error_noMessage({}, o);
    if (username) return m.error_noUser({ username }, o);
    if (hasGroup(d)) return m.error_noGroup({}, o);
    const group = str(d.group);
    const creator = str(d.creator);
    if (group && creator) return m.error_noGroupByCreator({ group, creator }, o);
    return m.error_notFound({}, o);
  },
  SELF: (_d, o) => m.error_self({}, o),
  ALREADY_FRIENDS: (_d, o) => m.error_alreadyFriends({}, o),
  REQUEST_PENDING: (_d, o) => m.error_requestPending({}, o),
  NOT_FRIENDS: (d, o) => {
    const username = str(d.username);
    return username ? m.error_notFriendsNamed({ username }, o) : m.error_notFriends({}, o);
  },
  NOT_MEMBER: (d, o) => {
    const username = str(d.username);
    if (username) return m.error_notMemberNamed({ username }, o);
    return hasGroup(d) ? m.error_notMemberYou({}, o) : m.error_notMember({}, o);
  },
  // rooms:join names the room (details.groupId) when it is you who are in it already.
  ALREADY_MEMBER: (d, o) =>
    hasGroup(d) ? m.error_inRoomAlready({}, o) : m.error_alreadyMember({}, o),
  GROUP_EXISTS: (_d, o) => m.error_groupExists({}, o),
  GROUP_LIMIT: (_d, o) => m.error_groupLimit({ max: LIMITS.groupsOwnedMax }, o),
  GROUP_FULL: (_d, o) => m.error_groupFull({}, o),
  GROUP_BLOCKED: (_d, o) => m.error_groupBlocked({}, o),
  OFFLINE: (d, o) => {
    const username = str(d.username);
    return d.reason === 'file' && username
      ? m.error_offlineForFile({ username }, o)
      : m.error_offline({}, o);
  },
  QUOTA_EXCEEDED: (d, o) =>
    typeof d.perSender === 'number'
      ? m.error_shareFull({ perSender: d.perSender }, o)
      : m.error_quotaExceeded({}, o),
  UNKNOWN_EVENT: (_d, o) => m.error_unknownEvent({}, o),
  INTERNAL: (d, o) => (pick(INTERNAL_REASONS, str(d.reason)) ?? m.error_internal)({}, o),
};

/** An error as a sentence in `lang`, whatever arrived: never its `message`, never a throw. */
export function wireErrorText(wire: ErrorLike, lang: CoreLang): string {
  const o = at(lang);
  const details: Details =
    typeof wire.details === 'object' && wire.details !== null ? wire.details : {};
  const sentence = pick(ERROR_SENTENCES, typeof wire.code === 'string' ? wire.code : null);
  return sentence ? sentence(details, o) : m.error_unknownCode({}, o);
}
