/**
 * One zod schema per payload. Every socket handler, HTTP route and data-channel frame parses its
 * input with one of these before any rule runs; unknown keys are stripped (zod's default), sizes
 * are capped from LIMITS.
 */
import { z } from 'zod';
import { LIMITS, MESSAGE_ID_PATTERN, SETTABLE_STATUSES } from './limits.ts';
import { normalizeUsername, usernameProblem } from './names.ts';

export const username = z
  .string()
  .transform(normalizeUsername)
  .superRefine((name, ctx) => {
    const problem = usernameProblem(name);
    if (problem)
      ctx.addIssue({ code: 'custom', message: problem.message, params: { rule: problem.rule } });
  });

/** A username to look up: looser than registration (no pattern), so a lookup says NOT_FOUND, not BAD_REQUEST. */
export const usernameRef = z
  .string()
  .trim()
  .min(1, 'name a user')
  .max(LIMITS.usernameMax)
  .transform(normalizeUsername);

export const password = z
  .string()
  .min(LIMITS.passwordMin, `a password has at least ${LIMITS.passwordMin} characters`)
  .max(LIMITS.passwordMax, `a password has at most ${LIMITS.passwordMax} characters`);

export const groupName = z
  .string()
  .trim()
  .min(LIMITS.groupNameMin, 'a group needs a name')
  .max(LIMITS.groupNameMax, `a group name has at most ${LIMITS.groupNameMax} characters`)
  .refine((s) => !/\p{Cc}/u.test(s), 'a group name may not contain control characters')
  .transform((s) => s.normalize('NFC'));

export const groupId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const messageId = z
  .string()
  .min(1)
  .max(LIMITS.messageIdMax)
  .regex(MESSAGE_ID_PATTERN, 'a message id is letters, digits, "_" and "-"');
export const systemText = z.string().trim().min(1, 'say something').max(LIMITS.systemTextMax);

/**
 * A payload that may be left out. Socket.IO sends a left-out argument as `null`, so null and
 * undefined both mean "use the defaults".
 */
function optional<T extends z.ZodType>(schema: T, fallback: z.input<T>) {
  return z.preprocess((v) => v ?? fallback, schema);
}

export const empty = optional(z.object({}), {});

// --- keys (opaque to the server) ---
/**
 * Key material the server stores without reading it: non-empty printable ASCII (what base64, hex
 * or JSON of such text are), so it can be neither a control character nor a megabyte.
 */
function opaqueKey(what: string, max: number) {
  return z
    .string()
    .min(1, `${what} is empty`)
    .max(max, `${what} has at most ${max} characters`)
    .regex(/^[\x21-\x7e]+$/, `${what} is printable ASCII without spaces`);
}
const publicKey = opaqueKey('a public key', LIMITS.publicKeyMax);
const keyBackup = opaqueKey('a key backup', LIMITS.keyBackupMax);

// --- auth ---
/** At login, any length up to the cap: an old short password still gets INVALID_CREDENTIALS. */
const currentPassword = z.string().min(1, 'enter a password').max(LIMITS.passwordMax);
export const credentials = z.object({ username, password });
export const loginCredentials = z.object({ username: usernameRef, password: currentPassword });
/** The backup is wrapped with a key derived from the password, so a new password needs a new one. */
export const changePassword = z.object({
  oldPassword: currentPassword,
  newPassword: password,
  backup: keyBackup,
});

// --- presence ---
export const presenceSet = z.object({ status: z.enum(SETTABLE_STATUSES) });

// --- friends ---
export const userTarget = z.object({ username: usernameRef });
export const friendRespond = z.object({ username: usernameRef, accept: z.boolean() });

// --- groups ---
export const groupCreate = z.object({ name: groupName });
export const groupTarget = z.object({ groupId });
export const groupUserTarget = z.object({ groupId, username: usernameRef });
export const groupSetRole = z.object({
  groupId,
  username: usernameRef,
  role: z.enum(['admin', 'member']),
});
/**
 * A group for the admin events, named either way: by id (what a client holding a listing has), or
 * as the spec's admin commands do, by its name and its creator's username (`blockgroup <name>
 * <creator>`). A payload naming it both ways is refused, so the two cannot disagree; otherwise a
 * `groupId` picks the id form, and the errors are the chosen form's (they name the bad field).
 */
function namedGroup<S extends z.ZodRawShape>(extra: S) {
  const byId = z.object({ groupId, ...extra });
  const byName = z.object({ group: groupName, creator: usernameRef, ...extra });
  type Out = z.output<typeof byId> | z.output<typeof byName>;
  type In = z.input<typeof byId> | z.input<typeof byName>;
  return z.unknown().transform((value, ctx): Out => {
    const o = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    const byIdGiven = o.groupId !== undefined;
    const byNameGiven = o.group !== undefined || o.creator !== undefined;
    if (byIdGiven === byNameGiven) {
      ctx.addIssue({
        code: 'custom',
        message: byIdGiven
          ? 'name the group by groupId or by group and creator, not both'
          : 'name a group by groupId, or by group and creator',
      });
      return z.NEVER;
    }
    const parsed = (byIdGiven ? byId : byName).safeParse(value);
    if (parsed.success) return parsed.data;
    ctx.issues.push(...(parsed.error.issues as typeof ctx.issues));
    return z.NEVER;
  }) as z.ZodType<Out, In>;
}
export const groupRef = namedGroup({});
export type GroupRef = z.output<typeof groupRef>;

// --- offline store ---
/**
 * Where a stored message goes. Most specific first: zod's union takes the first match and strips
 * unknown keys, so {groupId, username} (one unreachable member) would otherwise become a private
 * {username}.
 */
const privateTarget = z.object({ username: usernameRef });
const offlineTargets = z.union([
  z.object({ groupId, username: usernameRef }),
  privateTarget,
  // Strict: {groupId, username: ''} (a member named badly) must be refused, not widened to the
  // whole group by stripping the username the first branch could not take.
  z.strictObject({ groupId }),
]);
/**
 * `offlineTargets`, parsed faster in the common case. Without a groupId the union's first branch
 * can only fail, and the second's answer is the union's; building that failure was about half the
 * parse of a private item in a 250-item `offline:storeMany`. So a private target tries the second
 * branch alone, and anything else, or a private target that fails, goes through the union itself:
 * the same value, and for bad input the same issues (paths and messages), as the union.
 */
const offlineTarget = z.unknown().transform((to, ctx): z.output<typeof offlineTargets> => {
  if (
    typeof to === 'object' &&
    to !== null &&
    (to as { groupId?: unknown }).groupId === undefined
  ) {
    const quick = privateTarget.safeParse(to);
    if (quick.success) return quick.data;
  }
  const full = offlineTargets.safeParse(to);
  if (full.success) return full.data;
  ctx.issues.push(...(full.error.issues as typeof ctx.issues));
  return z.NEVER;
}) as z.ZodType<z.output<typeof offlineTargets>, z.input<typeof offlineTargets>>;
export const offlineStore = z.object({
  id: messageId,
  to: offlineTarget,
  payload: z.string().min(1).max(LIMITS.offlinePayloadMax),
});
/** Several stores in one event (an outbox flushed at once), each answered on its own. */
export const offlineStoreMany = z.object({
  items: z.array(offlineStore).min(1).max(LIMITS.ackBatchMax),
});
export const offlinePull = optional(
  z.object({ limit: z.number().int().min(1).max(LIMITS.ackBatchMax).optional() }),
  {},
);
export const offlineAck = z.object({ ids: z.array(messageId).min(1).max(LIMITS.ackBatchMax) });

// --- delivery receipts (issue 12) ---
export const receiptsPull = offlinePull;
export const receiptsAck = z.object({
  receipts: z
    .array(z.object({ id: messageId, to: usernameRef }))
    .min(1)
    .max(LIMITS.ackBatchMax),
});

// --- keys ---
export const keysPublish = z.object({ publicKey, backup: keyBackup });

// --- signaling relay ---
/** simple-peer's signal objects: {type:'offer'|'answer', sdp}, {type:'candidate', candidate}, {renegotiate}, {transceiverRequest}. */
export const signalData = z
  .record(z.string(), z.unknown())
  .refine((v) => jsonLengthAtMost(v, LIMITS.signalMax), 'signal too large');

/**
 * Whether `JSON.stringify(value).length <= max`, without building the string when the answer is
 * plain: the text of a string is at most 6 characters per character (`\u001f`) plus its quotes, so
 * when even that bound fits, it fits. Only a value near the limit is serialised to decide. On the
 * relay's hot path this saves serialising every signal (an SDP is ~1 KB) just to measure it.
 */
export function jsonLengthAtMost(value: unknown, max: number): boolean {
  let bound = 0;
  const walk = (v: unknown, depth: number): boolean => {
    if (depth > 64) return false; // deeper than any signal: let JSON.stringify decide
    if (typeof v === 'string') bound += v.length * 6 + 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) bound += 24;
    else if (Array.isArray(v)) {
      bound += 2;
      for (const item of v) if (!walk(item, depth + 1)) return false;
      bound += v.length;
    } else if (typeof v === 'object') {
      bound += 2;
      for (const key in v) {
        if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
        bound += key.length * 6 + 4;
        if (!walk((v as Record<string, unknown>)[key], depth + 1)) return false;
      }
    } else return false; // undefined, functions, bigint...: JSON.stringify's own rules
    return bound <= max;
  };
  if (walk(value, 0)) return true;
  return (JSON.stringify(value)?.length ?? 0) <= max;
}
export const signalSend = z.object({ to: usernameRef, signal: signalData });

// --- admin ---
export const adminUsers = optional(z.object({ onlineOnly: z.boolean().default(false) }), {});
export const adminSendUser = z.object({ username: usernameRef, text: systemText });
export const adminSendGroup = namedGroup({ text: systemText });
export const adminBroadcast = z.object({ text: systemText });
export const adminLog = optional(
  z.object({ limit: z.number().int().min(1).max(1_000).default(100) }),
  {},
);

// --- rooms (public groups) ---
/** The most rooms one directory page lists. */
export const ROOMS_PAGE_MAX = 50;
/** How far the directory pages: past this, narrow the search instead. */
export const ROOMS_OFFSET_MAX = 1_000;
export const roomsList = optional(
  z.object({
    /** Part of a room's name, compared as names are (case and width folded); empty: all rooms. */
    query: z
      .string()
      .max(LIMITS.groupNameMax, `a search has at most ${LIMITS.groupNameMax} characters`)
      .refine((s) => !/\p{Cc}/u.test(s), 'a search may not contain control characters')
      .default(''),
    limit: z.number().int().min(1).max(ROOMS_PAGE_MAX).default(ROOMS_PAGE_MAX),
    offset: z.number().int().min(0).max(ROOMS_OFFSET_MAX).default(0),
  }),
  {},
);
export const roomSetPublic = z.object({ groupId, public: z.boolean() });
