/**
 * The chat engine's public face: what the Svelte state modules (and tests) may use. The engine
 * (web/src/core/engine.ts) implements `ChatEngine`; nothing outside web/src/core reaches past this file.
 * No Svelte and no DOM rendering in web/src/core.
 */
import type { WireError } from '../../../shared/errors.ts';
import type {
  AdminAction,
  AdminGroup,
  AdminGroupRef,
  AdminUser,
  FriendInfo,
  GroupInfo,
  GroupInvitation,
  GroupMember,
  PublicUser,
  RoomInfo,
  SessionEndReason,
} from '../../../shared/events.ts';
import type { PresenceStatus, SettableStatus } from '../../../shared/limits.ts';
import type { FileTransfer, SendFileOptions } from './files/transfers.ts';
import type { FileProblem } from './files/problem.ts';
import type { EngineNotice, ImpostorReason } from './notices.ts';

import type { TrustState } from './e2ee/keyring.ts';
import type { KeysLockedReason } from './e2ee/keys.ts';
import type { CoreLang } from './text.ts';

export type { TrustState } from './e2ee/keyring.ts';
import type { HistoryWindow, SearchCursor, SearchResult } from './history.ts';

export type { HistoryWindow, SearchCursor, SearchHit, SearchResult } from './history.ts';
/** Query planning and highlighting are pure; the search view uses them to mark what matched. */
export { highlight, planQuery, type QueryPlan } from './search-terms.ts';

/**
 * A conversation key: `u:<username>` for a private chat, `g:<groupId>` for a group, and `system`
 * for the administrators' messages (to me, to one of my groups, or broadcast), which are nobody's
 * private chat and cannot be answered.
 */
export type ConversationId = `u:${string}` | `g:${number}` | 'system';

/** The conversation key's one codec (built and parsed nowhere else). */
export {
  groupConversation,
  parseConversation,
  privateConversation,
  SYSTEM_CONVERSATION,
} from './ids.ts';

export type DeliveryState =
  | 'sending' // in the outbox, trying the data channel
  | 'delivered' // acknowledged by the receiver over the data channel (direct, P2P)
  | 'stored' // handed to the server's offline store; the receiver gets it when they sign in
  | 'failed' // neither worked; `failure` (older records: `error`) says why
  | 'read'; // private only: the recipient's read receipt covers it (reads.ts; groups: readBy)

export interface ChatMessage {
  /** Sender-generated id (also the dedupe key on receipt and in the offline store). */
  id: string;
  conversation: ConversationId;
  from: string;
  text: string;
  /** Sender's clock, ms since the epoch. */
  sentAt: number;
  /** Own messages only. */
  state?: DeliveryState;
  /**
   * Own failed messages: why, as an error code with its details (and the English words), worded
   * in the reader's language when shown (`wireErrorText`), never stored as a sentence.
   */
  failure?: WireError;
  /** Own failed messages stored before `failure`: the reason as English text, shown as it is. */
  error?: string;
  /** For group messages sent by me: how many members got it directly / stored. */
  fanout?: { delivered: number; stored: number; total: number };
  /**
   * For group messages sent by me: the members who said (by a `read` frame, reads.ts) they have
   * seen it, in the order they did. Private messages say it with the state 'read' instead.
   */
  readBy?: string[];
  /** Admin system messages are shown differently. */
  system?: boolean;
  /**
   * A system message's audience, as the server said: everyone online, one of my groups, or me
   * alone. Missing on system messages stored before the System conversation existed.
   */
  systemTo?: SystemAudience;
  /** Received ones: true when it came from the server's offline store rather than a data channel. */
  viaServer?: boolean;
  /**
   * A group event (a join, a removal, the group deleted or blocked), kept in local history as a
   * line of the conversation: `from` is '' (no one wrote it, and no peer's id can collide with
   * it), `text` is '', and the UI words it in the reader's language from these fields.
   */
  event?: GroupEvent;
}

export type SystemAudience =
  { kind: 'broadcast' } | { kind: 'me' } | { kind: 'group'; groupId: number; name: string };

/** What happened in a group, as the server told it (`by` is the server's word, never a peer's). */
export type GroupEvent =
  | { kind: 'joined' | 'left'; username: string }
  | { kind: 'removed'; username: string; by: string }
  | { kind: 'role'; username: string; role: 'owner' | 'admin' | 'member'; by: string }
  /** Me: removed by `by`, or left myself. The conversation is over. */
  | { kind: 'you-removed'; by: string }
  | { kind: 'you-left' }
  | { kind: 'deleted'; by: string }
  | { kind: 'blocked' | 'unblocked' };

/** The events after which a group conversation is over, read-only, kept with its name. */
export const ENDING_EVENTS: ReadonlySet<GroupEvent['kind']> = new Set([
  'you-removed',
  'you-left',
  'deleted',
]);

export interface Conversation {
  id: ConversationId;
  /** Username, or the group's name. */
  title: string;
  lastMessage: ChatMessage | null;
  unread: number;
  /**
   * Admin system messages live in the `system` conversation; history from before it may still
   * hold some in `u:<admin>`, marked system too.
   */
  system?: boolean;
}

/** Whether a conversation reaches its peer directly right now. */
export type LinkState = 'direct' | 'connecting' | 'offline-store';

export type SessionPhase = 'signed-out' | 'connecting' | 'ready' | 'reconnecting';

export interface SessionState {
  phase: SessionPhase;
  user: PublicUser | null;
  status: SettableStatus;
  /** Why the last session ended, shown on the sign-in screen ("You signed in somewhere else..."). */
  endedBecause: { reason: SessionEndReason | 'network' | KeysLockedReason; message: string } | null;
}

/** A contact's presence as the engine can vouch for it: unknown while the server is away. */
export type ContactPresence = PresenceStatus | 'unknown';

/** The rule `ChatEngine.presence` applies, for state layers that mirror the session and social. */
export function contactPresence(
  session: SessionState,
  status: PresenceStatus | undefined,
): ContactPresence {
  if (session.phase !== 'ready') return 'unknown';
  return status ?? 'offline';
}

export interface SocialState {
  friends: FriendInfo[];
  incoming: string[];
  outgoing: string[];
  /** The user's groups in the server's order; `number` is the spec's local number. */
  groups: GroupInfo[];
  /** Invitations to groups waiting for my answer, oldest first (I am not a member yet). */
  invitations: GroupInvitation[];
}

/** How one typed command runs: the language of its lines, and how to pick among same-named groups. */
export interface CommandOptions {
  /** The language of the result lines (web/src/core/text.ts); default English. */
  lang?: CoreLang;
  /**
   * Two of my groups share the typed name: the front end asks which; undefined means "not
   * answered" and the command fails listing the numbers to use.
   */
  chooseGroup?: (name: string, candidates: GroupInfo[]) => Promise<GroupInfo | undefined>;
}

/** What a typed command produced: lines to show in the conversation as a local notice. */
export type CommandOutcome =
  | { ok: true; lines: string[]; openConversation?: ConversationId }
  | { ok: false; message: string; usage?: string };

/**
 * What one sign-in (or reconnect) came to, once the mail the server stored for me has been read
 * (issue 12): the one place a front end learns whether this browser is new for the account and
 * what it could open, instead of guessing from the conversation list the mail has already filled.
 */
export interface SignInOutcome {
  username: string;
  /**
   * This browser held no history for the account before the stored mail was written: history
   * lives in each browser, so a new one starts with only what the server kept for me.
   */
  firstInBrowser: boolean;
  /** This sign-in restored my keys from the server's password-wrapped backup. */
  keysRestored: boolean;
  /** Messages stored for me while I was away (sealed private and group copies) opened here. */
  storedOpened: number;
  /**
   * Stored copies no key of this browser opens (sealed to an older key of mine, say): dropped,
   * each also said by a 'notice'. Copies waiting for a contact's key change are in neither count.
   */
  storedUnreadable: number;
}

export type EngineEvent =
  | { type: 'session'; session: SessionState }
  /** A sign-in or reconnect is ready and the mail stored meanwhile has been read. */
  | { type: 'signed-in'; outcome: SignInOutcome }
  | { type: 'social'; social: SocialState }
  | { type: 'presence'; username: string; status: PresenceStatus }
  /** A message was added or its state changed (mine or received). */
  | { type: 'message'; message: ChatMessage }
  | { type: 'conversations'; conversations: Conversation[] }
  | { type: 'link'; username: string; link: LinkState }
  /** Worded where it is shown, by `noticeText` (web/src/core/notices.ts). */
  | { type: 'notice'; notice: EngineNotice; level: 'info' | 'error' }
  /** Someone's key was pinned, changed, accepted or verified (e2ee/keyring.ts). */
  | { type: 'trust'; trust: TrustState }
  /** A connection claiming to be `username` was refused: its signature did not match their key. */
  | { type: 'impostor'; username: string; reason: ImpostorReason }
  /** A file transfer started, moved, paused or ended (files/transfers.ts; issue 13). */
  | { type: 'file'; file: FileTransfer }
  /** Something about files worth saying (an offer refused on arrival, a sender cut off), as data. */
  | { type: 'file-notice'; problem: FileProblem; level: 'info' | 'error' }
  /** Who is typing in a conversation now (typing.ts, issue 12); an empty list when no one is. */
  | { type: 'typing'; conversation: ConversationId; usernames: string[] };

export interface ChatEngine {
  readonly session: SessionState;
  readonly social: SocialState;

  /** Subscribe; returns the unsubscribe function. */
  on(listener: (event: EngineEvent) => void): () => void;

  // --- session ---
  register(username: string, password: string): Promise<void>;
  login(username: string, password: string): Promise<void>;
  /** Signs out: open channels first pass on what was sent on them (at most 3 s), then the server. */
  logout(): Promise<void>;
  /** Signs back in with a stored token, if there is one. Resolves false when there is none or it is dead. */
  resume(): Promise<boolean>;
  setStatus(status: SettableStatus): Promise<void>;

  // --- social (each rejects with an Error whose `wire` property is the server's WireError) ---
  addFriend(username: string): Promise<void>;
  respondFriend(username: string, accept: boolean): Promise<void>;
  removeFriend(username: string): Promise<void>;
  createGroup(name: string): Promise<GroupInfo>;
  deleteGroup(groupId: number): Promise<void>;
  /** Invites a user: they join when they accept (see `respondGroupInvite`). */
  inviteToGroup(groupId: number, username: string): Promise<void>;
  /** Accepts (joins the group) or declines an invitation of mine. */
  respondGroupInvite(groupId: number, accept: boolean): Promise<void>;
  kickFromGroup(groupId: number, username: string): Promise<void>;
  /** The server's answer: whether the group went with me (I was the last), else its owner now. */
  leaveGroup(groupId: number): Promise<{ deleted: boolean; newOwner: string | null }>;
  /** Owner only: make a member a group admin (may invite and remove plain members), or undo it. */
  setGroupRole(groupId: number, username: string, role: 'admin' | 'member'): Promise<void>;
  groupMembers(groupId: number): Promise<GroupMember[]>;

  // --- rooms (public groups, issue 12) ---
  rooms: {
    /** The directory: public groups whose name contains `query`, most members first. */
    list(options?: {
      query?: string;
      limit?: number;
      offset?: number;
    }): Promise<{ rooms: RoomInfo[]; more: boolean }>;
    /** Joins a room without an invitation; leave it with `leaveGroup`. */
    join(groupId: number): Promise<GroupInfo>;
    /** Owner and group admins: list the group in the directory (open to anyone), or not. */
    setPublic(groupId: number, open: boolean): Promise<void>;
  };

  // --- messages ---
  sendPrivate(username: string, text: string): Promise<ChatMessage>;
  sendGroup(groupId: number, text: string): Promise<ChatMessage>;
  // --- retry / delete of a failed message (issue 12) ---
  /**
   * Sends one of my failed messages again with the same id (receivers dedupe a first try that did
   * arrive); it is 'sending' again and ends like any send. Rejects NOT_FOUND (no such message in
   * the conversation), FORBIDDEN (not mine) or BAD_REQUEST (not failed, or being sent right now).
   */
  retryMessage(conversation: ConversationId, id: string): Promise<ChatMessage>;
  /** Removes one of my failed messages from this browser's history only; the same errors. */
  deleteMessage(conversation: ConversationId, id: string): Promise<void>;
  conversations(): Promise<Conversation[]>;
  /** Newest last; `before` (a sentAt) pages backwards for scrolling up. */
  history(
    conversation: ConversationId,
    options?: { before?: number; limit?: number },
  ): Promise<ChatMessage[]>;
  markRead(conversation: ConversationId): Promise<void>;

  // --- typing indicators and read receipts (issue 12), peer to peer only ---
  /** The composer of `conversation` now holds `text`: says "typing" (throttled) or "stopped". */
  typing(conversation: ConversationId, text: string): void;
  /** Who is typing in `conversation` now (later changes come as 'typing' events). */
  typingIn(conversation: ConversationId): string[];
  /** The user sees `conversation` (open, tab visible): a private one's peer gets a read receipt. */
  readReceipt(conversation: ConversationId): Promise<void>;
  /** Off: no read receipts are sent, and those that arrive are ignored. On by default. */
  setReadReceipts(on: boolean): void;

  // --- search of local history (history.ts, search-terms.ts) ---
  /** Every conversation's stored messages matching a query, newest first, a page at a time. */
  searchHistory(
    query: string,
    options?: { limit?: number; olderThan?: SearchCursor },
  ): Promise<SearchResult>;
  /** A window of one conversation around a message (a search result opened in context). */
  historyAround(
    conversation: ConversationId,
    at: { id: string; sentAt: number },
    limit?: number,
  ): Promise<HistoryWindow>;
  /** Oldest first, after `after` (a sentAt, exclusive): paging forwards from such a window. */
  historyAfter(conversation: ConversationId, after: number, limit?: number): Promise<ChatMessage[]>;

  link(username: string): LinkState;
  /** A friend's or group member's presence; 'unknown' while the server is away. */
  presence(username: string): ContactPresence;

  // --- end-to-end encryption (e2ee/) ---
  /** What I know of someone's key: none yet, pinned, or changed and waiting for me. */
  trust(username: string): TrustState;
  /** Everyone whose key changed and waits for my decision. */
  keyChanges(): TrustState[];
  /**
   * Twelve groups of five digits, the same on both sides; with `pending`, computed with the
   * changed key (to compare before accepting it). Null when a key is missing.
   */
  safetyNumber(username: string, options?: { pending?: boolean }): string[] | null;
  /** Takes someone's changed key as theirs: stored messages sealed with it are opened now. */
  acceptKey(username: string): Promise<void>;
  /** After comparing safety numbers: mark (or unmark) someone's key as verified. */
  setVerified(username: string, verified: boolean): Promise<void>;
  /** Changes the password and re-wraps the key backup with it, in one request. */
  changePassword(oldPassword: string, newPassword: string): Promise<void>;

  // --- the command language (shared/commands.ts), for the composer's `/` commands ---
  runCommand(line: string, options?: CommandOptions): Promise<CommandOutcome>;

  // --- admin (reject with FORBIDDEN for non-admins) ---
  admin: {
    users(onlineOnly?: boolean): Promise<AdminUser[]>;
    groups(): Promise<AdminGroup[]>;
    sendUser(username: string, text: string): Promise<void>;
    sendGroup(group: string, creator: string, text: string): Promise<void>;
    broadcast(text: string): Promise<void>;
    setUserBlocked(username: string, blocked: boolean): Promise<void>;
    /** By id where the caller has one (the admin view's listing), by name and creator otherwise. */
    setGroupBlocked(group: AdminGroupRef, blocked: boolean): Promise<void>;
    log(): Promise<AdminAction[]>;
  };

  // --- files (issue 13): browser to browser over the data channel, never through the server ---
  readonly files: ChatFiles;

  /** Close sockets, peers and the database (tests, page unload). */
  destroy(): Promise<void>;
}

export type { FileTransfer, SendFileOptions, TransferState } from './files/transfers.ts';

/** Files in private and group conversations; each call rejects with an EngineError. */
export interface ChatFiles {
  /** Rejects with OFFLINE ("files go directly: bob is offline") when the peer is offline. */
  sendPrivate(
    to: string,
    file: Blob,
    name: string,
    options?: SendFileOptions,
  ): Promise<FileTransfer>;
  /** One transfer per member; an offline member's is in state 'offline'. */
  sendGroup(
    groupId: number,
    file: Blob,
    name: string,
    options?: SendFileOptions,
  ): Promise<FileTransfer[]>;
  pause(key: string): void;
  resume(key: string): void;
  cancel(key: string): Promise<void>;
  list(): Promise<FileTransfer[]>;
  /** A received file, whole, or null while it is incomplete. */
  blob(key: string): Promise<Blob | null>;
  usage(): Promise<{ files: number; bytes: number }>;
  /** Deletes every stored file not moving now. */
  clear(): Promise<void>;
  remove(key: string): Promise<void>;
  /**
   * An interrupted outgoing file (its page reloaded) picked again: the receiver goes on from the
   * chunks it stored. Rejects with BAD_REQUEST when `file` is not the same file (size, first chunk).
   */
  resend(key: string, file: Blob): Promise<FileTransfer>;
}

/** An Error carrying the server's catalogued error. */
export class EngineError extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
    this.name = 'EngineError';
  }
}
