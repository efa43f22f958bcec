/**
 * Every error the server answers with, each defined once: its code, its message as a function of
 * typed parameters, and the details it carries (fastify's lib/errors.js is the model). A throw site
 * names the error and passes only its parameters, `throw errors.userNotFound({ username })`, so one
 * error reads the same wherever it is raised, and PROTOCOL.md's error table is checked against this
 * list (tests/unit/protocol-doc.test.ts). No `new AppError(` anywhere else in signaling/
 * (tests/unit/error-catalogue.test.ts).
 *
 * The HTTP status is the code's (HTTP_STATUS in shared/errors.ts), not the entry's: the wire
 * promises one status per code, so two entries of one code cannot disagree.
 *
 * Server-side, not in shared/: the wire carries the rendered message, which clients show as it is
 * and never parse (they switch on `code` and read `details`), so a browser has no use for the
 * templates.
 */
import { AppError, type ErrorCode } from '../shared/errors.ts';
import { LIMITS } from '../shared/limits.ts';

/**
 * An entry's details, key by key: each value is read from the error's parameters, and a key whose
 * value is undefined is left out. Declared per key (not as one function) so the keys an entry can
 * carry are known without raising it: PROTOCOL.md documents them.
 */
type DetailsSpec<P> = Readonly<Record<string, (p: P) => unknown>>;

interface ErrorSpec<C extends ErrorCode, P> {
  code: C;
  message: (p: P) => string;
  details?: DetailsSpec<P>;
}

/** An entry without parameters is called with none: `errors.notSignedIn()`. */
type Params<P> = unknown extends P ? [] : [params: P];

export interface ErrorEntry<C extends ErrorCode = ErrorCode, P = never> {
  (...params: Params<P>): AppError;
  readonly code: C;
  /** The `details` keys this error may carry. */
  readonly detailKeys: readonly string[];
}

function define<const C extends ErrorCode, P = unknown>(spec: ErrorSpec<C, P>): ErrorEntry<C, P> {
  const detailKeys = Object.keys(spec.details ?? {});
  const raise = (...params: Params<P>): AppError => {
    const p = params[0] as P;
    let details: Record<string, unknown> | undefined;
    for (const key of detailKeys) {
      const value = spec.details![key]!(p);
      if (value !== undefined) (details ??= {})[key] = value;
    }
    return new AppError(spec.code, spec.message(p), details);
  };
  return Object.assign(raise, { code: spec.code, detailKeys });
}

/** A wait in whole seconds for a message, never "0 s". */
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export const errors = {
  // --- payloads and requests ---
  /** A payload that failed its schema: the first bad field, and the rule it broke when it has one. */
  badRequest: define({
    code: 'BAD_REQUEST',
    message: (p: { problem: string; field?: string | undefined; rule?: string | undefined }) =>
      p.field ? `${p.field}: ${p.problem}` : p.problem,
    details: { field: (p) => p.field, rule: (p) => p.rule },
  }),
  payloadTooLarge: define({ code: 'BAD_REQUEST', message: () => 'payload too large' }),
  notJson: define({
    code: 'BAD_REQUEST',
    message: () => 'send a JSON body with Content-Type: application/json',
  }),
  bodyTooLarge: define({
    code: 'BAD_REQUEST',
    message: () => `body larger than ${LIMITS.httpBodyMax} bytes`,
  }),
  invalidJson: define({ code: 'BAD_REQUEST', message: () => 'body is not valid JSON' }),
  targetNotPath: define({
    code: 'BAD_REQUEST',
    message: () => 'the request target must be a path',
  }),
  badPercentEncoding: define({
    code: 'BAD_REQUEST',
    message: () => 'the request path is not valid percent-encoding',
  }),
  rangeBackwards: define({
    code: 'BAD_REQUEST',
    message: () => 'Range: the last byte is before the first',
  }),
  rangeMalformed: define({
    code: 'BAD_REQUEST',
    message: () => 'Range: expected "bytes=<first>-<last>"',
  }),
  wrongMethod: define({
    code: 'BAD_REQUEST',
    message: (p: { methods: readonly string[]; path: string }) =>
      `use ${p.methods.join(' or ')} for ${p.path}`,
  }),
  noRoute: define({ code: 'NOT_FOUND', message: (p: { path: string }) => `no route ${p.path}` }),
  /** A static file that is not there. */
  fileNotFound: define({ code: 'NOT_FOUND', message: () => 'not found' }),
  webClientNotBuilt: define({
    code: 'NOT_FOUND',
    message: () => 'the web client is not built; run `npm run build`',
  }),
  unknownEvent: define({
    code: 'UNKNOWN_EVENT',
    message: (p: { event: string }) => `unknown event "${p.event}"`,
  }),

  // --- sessions, accounts and the admin gate ---
  notSignedIn: define({ code: 'UNAUTHENTICATED', message: () => 'not signed in' }),
  /** A socket handshake without a token. */
  signInFirst: define({ code: 'UNAUTHENTICATED', message: () => 'sign in first' }),
  /** A socket handshake with a token that is no longer good. */
  sessionEnded: define({
    code: 'UNAUTHENTICATED',
    message: () => 'your session has ended; sign in again',
  }),
  adminTokenMissing: define({
    code: 'UNAUTHENTICATED',
    message: () => 'send an admin token as "Authorization: Bearer <token>"',
  }),
  adminOnly: define({ code: 'FORBIDDEN', message: () => 'only administrators can do that' }),
  invalidCredentials: define({
    code: 'INVALID_CREDENTIALS',
    message: () => 'wrong username or password',
  }),
  /** A password change whose old password is wrong (the user is known: no username to hide). */
  wrongPassword: define({ code: 'INVALID_CREDENTIALS', message: () => 'wrong password' }),
  /** A password change from a session that ended while it ran. */
  sessionGone: define({ code: 'UNAUTHENTICATED', message: () => 'your session has ended' }),
  usernameTaken: define({
    code: 'USERNAME_TAKEN',
    message: (p: { username: string }) => `the username "${p.username}" is taken`,
    details: { rule: () => 'same' },
  }),
  usernameConfusable: define({
    code: 'USERNAME_TAKEN',
    message: (p: { username: string; similarTo: string }) =>
      `the username "${p.username}" looks too much like the existing user "${p.similarTo}"`,
    details: { rule: () => 'confusable', similarTo: (p) => p.similarTo },
  }),
  accountBlocked: define({
    code: 'USER_BLOCKED',
    message: () => 'this account is blocked by an administrator',
  }),
  /** The sender of a signal is blocked (a block this node has heard of before the socket ended). */
  senderBlocked: define({ code: 'USER_BLOCKED', message: () => 'you are blocked' }),
  /** The user addressed is blocked. */
  userBlocked: define({
    code: 'USER_BLOCKED',
    message: (p: { username: string }) => `${p.username} is blocked`,
    details: { username: (p) => p.username },
  }),
  blockSelf: define({ code: 'SELF', message: () => 'you cannot block yourself' }),

  // --- rate limits ---
  tooMany: define({
    code: 'RATE_LIMITED',
    message: (p: { what: string; retryAfterMs: number }) =>
      `too many ${p.what}; try again in ${seconds(p.retryAfterMs)} s`,
    details: { retryAfterMs: (p) => p.retryAfterMs },
  }),
  /** The password hashing queue is full. */
  serverBusy: define({
    code: 'RATE_LIMITED',
    message: (p: { retryAfterMs: number }) =>
      `server busy, try again in ${seconds(p.retryAfterMs)} s`,
    details: { retryAfterMs: (p) => p.retryAfterMs },
  }),

  // --- users and friends ---
  userNotFound: define({
    code: 'NOT_FOUND',
    message: (p: { username: string }) => `no user named "${p.username}"`,
    details: { username: (p) => p.username },
  }),
  /** A user id from the server's own records that is gone (deleted meanwhile). */
  userIdNotFound: define({ code: 'NOT_FOUND', message: () => 'no such user' }),
  befriendSelf: define({ code: 'SELF', message: () => 'you cannot befriend yourself' }),
  alreadyFriends: define({
    code: 'ALREADY_FRIENDS',
    message: (p: { username: string }) => `you and ${p.username} are already friends`,
  }),
  requestPending: define({
    code: 'REQUEST_PENDING',
    message: (p: { username: string }) => `you already asked ${p.username}; waiting for an answer`,
  }),
  noFriendRequest: define({
    code: 'NOT_FOUND',
    message: (p: { username: string }) => `${p.username} has not asked to be your friend`,
  }),
  notFriends: define({
    code: 'NOT_FRIENDS',
    message: (p: { username: string }) => `you and ${p.username} are not friends`,
  }),

  // --- the signaling relay ---
  signalSelf: define({ code: 'SELF', message: () => 'you cannot signal yourself' }),
  /** Neither friends nor in an unblocked group together: the relay's reach rule. */
  unreachable: define({
    code: 'NOT_FRIENDS',
    message: (p: { username: string }) =>
      `you and ${p.username} are neither friends nor in an unblocked group together`,
  }),
  recipientOffline: define({
    code: 'OFFLINE',
    message: (p: { username: string }) => `${p.username} is offline`,
  }),

  // --- groups ---
  groupNotFound: define({
    code: 'NOT_FOUND',
    message: (_p: { groupId: number }) => 'no such group',
    details: { groupId: (p) => p.groupId },
  }),
  /** The admin commands' way of naming a group: its name and its creator. */
  groupNotFoundByName: define({
    code: 'NOT_FOUND',
    message: (p: { name: string; creator: string }) =>
      `no group "${p.name}" created by ${p.creator}`,
    details: { group: (p) => p.name, creator: (p) => p.creator },
  }),
  notMember: define({
    code: 'NOT_MEMBER',
    message: (_p: { groupId: number }) => 'you are not a member of this group',
    details: { groupId: (p) => p.groupId },
  }),
  /** Someone else, named by the caller, is not in the group. */
  memberNotInGroup: define({
    code: 'NOT_MEMBER',
    message: (p: { username: string }) => `${p.username} is not in this group`,
  }),
  /** The caller's role in the group does not allow this; `what` names the roles that may. */
  groupRoleRequired: define({
    code: 'FORBIDDEN',
    message: (p: { groupId: number; what: string }) => `only the group's ${p.what}`,
    details: { groupId: (p) => p.groupId },
  }),
  removeForbidden: define({
    code: 'FORBIDDEN',
    message: () => 'only the owner can remove an admin, and nobody can remove the owner',
  }),
  ownerKeepsRole: define({ code: 'FORBIDDEN', message: () => 'the owner keeps the owner role' }),
  kickSelf: define({ code: 'SELF', message: () => 'to leave a group, use leave' }),
  groupLimit: define({
    code: 'GROUP_LIMIT',
    message: () => `you already own ${LIMITS.groupsOwnedMax} groups, the most one person may own`,
  }),
  groupExists: define({
    code: 'GROUP_EXISTS',
    message: (p: { name: string }) => `you already created a group named "${p.name}"`,
  }),
  alreadyMember: define({
    code: 'ALREADY_MEMBER',
    message: (p: { username: string }) => `${p.username} is already in this group`,
  }),
  groupFull: define({
    code: 'GROUP_FULL',
    message: (p: { max: number }) => `a group holds at most ${p.max} members`,
  }),
  invitationsFull: define({
    code: 'GROUP_FULL',
    message: (p: { max: number }) => `a group has at most ${p.max} invitations waiting`,
  }),
  noInvitation: define({
    code: 'NOT_FOUND',
    message: (_p: { groupId: number }) => 'you have no invitation to this group',
    details: { groupId: (p) => p.groupId },
  }),
  /** What a member of a blocked group hears when they use it. */
  groupBlocked: define({
    code: 'GROUP_BLOCKED',
    message: () => 'this group is blocked by an administrator',
  }),
  /** What an admin hears sending to a blocked group. */
  groupBlockedForAdmin: define({
    code: 'GROUP_BLOCKED',
    message: (p: { name: string; creator: string }) =>
      `${p.name} (${p.creator}) is blocked; unblock it first`,
  }),

  // --- rooms (public groups) ---
  /** No such group, or not a public one: a private group is not told apart, so ids cannot be probed. */
  roomNotFound: define({
    code: 'NOT_FOUND',
    message: (_p: { groupId: number }) => 'there is no public room with this id',
    details: { groupId: (p) => p.groupId },
  }),
  roomJoinedAlready: define({
    code: 'ALREADY_MEMBER',
    message: (_p: { groupId: number }) => 'you are already in this room',
    details: { groupId: (p) => p.groupId },
  }),

  // --- the offline store ---
  sendSelf: define({ code: 'SELF', message: () => 'you cannot send to yourself' }),
  mailboxFull: define({
    code: 'QUOTA_EXCEEDED',
    message: (p: { username: string }) => `${p.username}'s mailbox is full; try again later`,
  }),
  /** The sender's share of one recipient's mailbox is used up: the mailbox may have room for others. */
  shareFull: define({
    code: 'QUOTA_EXCEEDED',
    message: (p: { username: string; perSender: number }) =>
      `you already have ${p.perSender} messages waiting for ${p.username}, the most one sender may; try again once they have read some`,
    details: { perSender: (p) => p.perSender },
  }),

  // --- our fault ---
  /** Whatever was not one of ours: the client sees this, the operator's log has the rest. */
  internal: define({ code: 'INTERNAL', message: () => 'something went wrong on the server' }),
  /** The health check's answer when the store does not answer. */
  storeUnreachable: define({ code: 'INTERNAL', message: () => 'store unreachable' }),
};
