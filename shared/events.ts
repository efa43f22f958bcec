/**
 * The socket contract: one map per direction, `domain:verb` names. The server's `Server` and the
 * client's socket are both typed with these maps, so a renamed event or a changed payload breaks
 * the build on both sides at once. Every client-to-server event takes a payload and an ack.
 */
import type { z } from 'zod';
import type { Ack, WireError } from './errors.ts';
import type { PresenceStatus, SettableStatus } from './limits.ts';
import type * as S from './schemas.ts';

export interface PublicUser {
  id: number;
  username: string;
  isAdmin: boolean;
}

export interface AuthResult {
  token: string;
  user: PublicUser;
}

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export type IceTransportPolicy = 'all' | 'relay';

/** What a client needs to open peer connections; TURN credentials in it expire. */
export interface IceConfig {
  iceServers: IceServer[];
  /**
   * How long from now the TURN credentials in iceServers stay good (ms); null: nothing expires.
   * Relative, so a client whose clock is off still refreshes in time.
   */
  iceTtlMs: number | null;
  iceTransportPolicy: IceTransportPolicy;
}

export interface SessionReady extends IceConfig {
  user: PublicUser;
  status: SettableStatus;
  groupMembersMax: number;
}

/**
 * What a refused Socket.IO handshake carries. The client's `connect_error` is an `Error` whose
 * `message` is the error's code and whose `data` is the catalogued error itself:
 * `UNAUTHENTICATED` (no token, or a dead one: sign in again), `RATE_LIMITED` (too many handshakes
 * from this address; `details.retryAfterMs`) or `INTERNAL`. A `connect_error`
 * without `data` is a transport failure, which Socket.IO retries by itself.
 */
export interface ConnectRefusal {
  message: WireError['code'];
  data: WireError;
}

/** Why the server ends a session (`session:ended`); PROTOCOL.md lists exactly these. */
export const SESSION_END_REASONS = ['elsewhere', 'blocked', 'logout', 'replaced'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

export interface FriendInfo {
  username: string;
  status: PresenceStatus;
  publicKey: string | null;
}

export interface FriendsList {
  friends: FriendInfo[];
  /** Usernames who asked me. */
  incoming: string[];
  /** Usernames I asked. */
  outgoing: string[];
}

export type GroupRole = 'owner' | 'admin' | 'member';

export interface GroupInfo {
  id: number;
  /** The spec's local number: 1-based position in this user's list, ordered by group id. */
  number: number;
  name: string;
  creator: string;
  owner: string;
  role: GroupRole;
  online: number;
  total: number;
  blocked: boolean;
  /** A room: listed in the directory (`rooms:list`), and anyone may join it (`rooms:join`). */
  public: boolean;
}

export interface GroupMember {
  username: string;
  role: GroupRole;
  status: PresenceStatus;
  publicKey: string | null;
}

export interface OfflineMessage {
  /** The sender's message id (dedupe key). */
  id: string;
  from: string;
  kind: 'private' | 'group' | 'system';
  group: { id: number; name: string; creator: string } | null;
  payload: string;
  /** When the server stored it, ms since the epoch. */
  at: number;
}

/**
 * Delivery receipt (issue 12): the stored message `id` that I sent was picked up by `to` at `at`
 * (ms since the epoch, the server's clock). Nothing of the content.
 */
export interface DeliveryReceipt {
  id: string;
  to: string;
  at: number;
}

/** One item of `offline:storeMany`: stored (as `offline:store` would answer), or refused. */
export type OfflineStoreResult =
  { id: string; ok: true; copies: number } | { id: string; ok: false; error: WireError };

export interface SystemMessage {
  id: string;
  text: string;
  at: number;
  from: string;
  group: { id: number; name: string; creator: string } | null;
  broadcast: boolean;
}

/** An invitation to a group, waiting for the invitee to accept or decline it. */
export interface GroupInvitation {
  groupId: number;
  name: string;
  creator: string;
  /** Who invited you (the owner or one of the group's admins). */
  inviter: string;
  /** When, ms since the epoch. */
  at: number;
}

/** Why an invitation is gone: answered, or withdrawn because the group or the inviter's right went. */
export type InvitationEndReason = 'accepted' | 'declined' | 'group-deleted' | 'withdrawn';

export interface AdminUser {
  id: number;
  username: string;
  isAdmin: boolean;
  blocked: boolean;
  status: PresenceStatus;
  createdAt: number;
}

export interface AdminGroup {
  id: number;
  name: string;
  creator: string;
  owner: string;
  online: number;
  total: number;
  blocked: boolean;
  /** A room (public group): listed in the directory. */
  public: boolean;
}

export interface AdminAction {
  id: number;
  admin: string;
  action: string;
  target: string;
  at: number;
}

// --- rooms (public groups, issue 12) ---
/** One room in the directory, as `rooms:list` answers it. Blocked groups are never listed. */
export interface RoomInfo {
  id: number;
  name: string;
  creator: string;
  owner: string;
  /** Members online now, and members in all (the member cap is `SessionReady.groupMembersMax`). */
  online: number;
  total: number;
  /** Whether the asker is already a member. */
  member: boolean;
}

type In<T extends z.ZodType> = z.input<T>;
/** A group for the admin events: `{ groupId }`, or `{ group, creator }` as the spec's commands name it. */
export type AdminGroupRef = In<typeof S.groupRef>;
type Handler<P, R> = (payload: P, ack: (res: Ack<R>) => void) => void;
type Empty = Record<string, never> | undefined;

export interface ClientToServer {
  'presence:set': Handler<In<typeof S.presenceSet>, { status: SettableStatus }>;

  'friends:list': Handler<Empty, FriendsList>;
  'friends:request': Handler<
    In<typeof S.userTarget>,
    { username: string; state: 'pending' | 'friends' }
  >;
  'friends:respond': Handler<
    In<typeof S.friendRespond>,
    { username: string; state: 'friends' | 'declined' }
  >;
  'friends:remove': Handler<In<typeof S.userTarget>, { username: string }>;

  'groups:list': Handler<Empty, GroupInfo[]>;
  'groups:create': Handler<In<typeof S.groupCreate>, GroupInfo>;
  'groups:delete': Handler<In<typeof S.groupTarget>, { groupId: number }>;
  'groups:invite': Handler<In<typeof S.groupUserTarget>, { groupId: number; username: string }>;
  'groups:kick': Handler<In<typeof S.groupUserTarget>, { groupId: number; username: string }>;
  'groups:leave': Handler<
    In<typeof S.groupTarget>,
    { groupId: number; deleted: boolean; newOwner: string | null }
  >;
  'groups:setRole': Handler<
    In<typeof S.groupSetRole>,
    { groupId: number; username: string; role: GroupRole }
  >;
  'groups:members': Handler<In<typeof S.groupTarget>, GroupMember[]>;

  'offline:store': Handler<In<typeof S.offlineStore>, { id: string; copies: number }>;
  /** Up to LIMITS.ackBatchMax stores in one event; one result per item, in order. */
  'offline:storeMany': Handler<In<typeof S.offlineStoreMany>, { results: OfflineStoreResult[] }>;
  'offline:pull': Handler<
    { limit?: number } | undefined,
    { messages: OfflineMessage[]; more: boolean }
  >;
  'offline:ack': Handler<In<typeof S.offlineAck>, { deleted: number }>;

  // --- delivery receipts (issue 12) ---
  /** Receipts for my stored messages waiting for me, oldest first (kept until `receipts:ack`). */
  'receipts:pull': Handler<
    { limit?: number } | undefined,
    { receipts: DeliveryReceipt[]; more: boolean }
  >;
  /** I have these receipts: the server forgets them. Pairs that are not mine delete nothing. */
  'receipts:ack': Handler<In<typeof S.receiptsAck>, { deleted: number }>;

  /**
   * My public key and the wrapped backup of my private key, stored together (opaque to the
   * server). A changed key is announced to everyone related to me (`keys:changed`).
   */
  'keys:publish': Handler<In<typeof S.keysPublish>, { publicKey: string }>;
  /** What I published (null before the first `keys:publish`): how a new device gets its key. */
  'keys:restore': Handler<Empty, { publicKey: string | null; backup: string | null }>;

  /**
   * A new password, with the key backup re-wrapped for it; the old password must be right
   * (INVALID_CREDENTIALS, counted like a failed login).
   */
  'auth:changePassword': Handler<In<typeof S.changePassword>, Record<string, never>>;

  'signal:send': Handler<In<typeof S.signalSend>, { to: string }>;

  /** Fresh ICE servers (new TURN credentials) for a session that outlives its credentials. */
  'session:ice': Handler<Empty, IceConfig>;

  'admin:users': Handler<{ onlineOnly?: boolean } | undefined, AdminUser[]>;
  'admin:groups': Handler<Empty, AdminGroup[]>;
  'admin:sendUser': Handler<In<typeof S.adminSendUser>, { delivered: 'live' | 'stored' }>;
  'admin:sendGroup': Handler<In<typeof S.adminSendGroup>, { live: number; stored: number }>;
  'admin:broadcast': Handler<In<typeof S.adminBroadcast>, { live: number }>;
  'admin:blockUser': Handler<In<typeof S.userTarget>, { username: string; blocked: boolean }>;
  'admin:unblockUser': Handler<In<typeof S.userTarget>, { username: string; blocked: boolean }>;
  'admin:blockGroup': Handler<AdminGroupRef, { groupId: number; blocked: boolean }>;
  'admin:unblockGroup': Handler<AdminGroupRef, { groupId: number; blocked: boolean }>;
  'admin:log': Handler<{ limit?: number } | undefined, AdminAction[]>;

  /** Invitations waiting for me, oldest first. */
  'groups:invitations': Handler<Empty, GroupInvitation[]>;
  /** Accept an invitation: I become a member; the group as `groups:list` shows it. */
  'groups:accept': Handler<In<typeof S.groupTarget>, GroupInfo>;
  'groups:decline': Handler<In<typeof S.groupTarget>, { groupId: number }>;

  // --- rooms (public groups, issue 12) ---
  /** The directory: public groups whose name contains `query`, most members first. */
  'rooms:list': Handler<In<typeof S.roomsList>, { rooms: RoomInfo[]; more: boolean }>;
  /** Join a room without an invitation (leave with `groups:leave`); the group as `groups:list` shows it. */
  'rooms:join': Handler<In<typeof S.groupTarget>, GroupInfo>;
  /** The owner or a group admin lists the group as a room, or takes it out of the directory. */
  'rooms:setPublic': Handler<In<typeof S.roomSetPublic>, { groupId: number; public: boolean }>;
}

export type ClientEvent = keyof ClientToServer;

/** Why two people may no longer talk (`relation:ended`); PROTOCOL.md lists exactly these. */
export const RELATION_END_REASONS = [
  'unfriended',
  'removed-from-group',
  'group-deleted',
  'group-blocked',
  'user-blocked',
] as const;
export type RelationEndReason = (typeof RELATION_END_REASONS)[number];

export interface ServerToClient {
  'session:ready': (data: SessionReady) => void;
  'session:ended': (data: { reason: SessionEndReason; message: string }) => void;

  'presence:changed': (data: { username: string; status: PresenceStatus }) => void;

  'friends:requested': (data: { from: string }) => void;
  'friends:added': (data: { friend: FriendInfo }) => void;
  'friends:declined': (data: { username: string }) => void;
  'friends:removed': (data: { username: string }) => void;

  /** A group I am in was created, joined, or changed (owner, counts, blocked flag, my role). */
  'groups:changed': (data: { group: Omit<GroupInfo, 'number'> }) => void;
  /** `by`: who did it (the owner who deleted it, the owner or admin who removed me, or me). */
  'groups:removed': (data: {
    groupId: number;
    reason: 'deleted' | 'kicked' | 'left';
    by: string;
  }) => void;
  /**
   * `by`: who did it — the member themself for a join or a leave, the owner or admin who removed
   * them, the owner who changed a role (or the owner who left, when the group passes to an heir).
   */
  'groups:memberChanged': (data: {
    groupId: number;
    username: string;
    change: 'joined' | 'left' | 'role';
    role: GroupRole | null;
    by: string;
  }) => void;

  /** Close any peer connection to this user: the server no longer lets the two of you talk. */
  'relation:ended': (data: { username: string; reason: RelationEndReason }) => void;

  signal: (data: { from: string; signal: Record<string, unknown> }) => void;

  /** A friend or group peer published a new public key (`friends:list` and `groups:members` show it too). */
  'keys:changed': (data: { username: string; publicKey: string }) => void;

  /**
   * Messages are waiting in the offline store: pull them with `offline:pull`. Sent right after
   * `session:ready` with the total when the mailbox is not empty, and while connected with how
   * many were just stored.
   */
  'offline:available': (data: { count: number }) => void;

  'system:message': (data: SystemMessage) => void;

  // --- delivery receipts (issue 12) ---
  /** Stored messages of mine were just picked up: acknowledge them with `receipts:ack`. */
  'receipts:delivered': (data: { receipts: DeliveryReceipt[] }) => void;
  /** Receipts waited while I was away (sent right behind `session:ready`): `receipts:pull` them. */
  'receipts:available': (data: { count: number }) => void;

  /** Sent once, when a client emits an event the server does not know. */
  'error:unknownEvent': (data: { event: string }) => void;

  /** Someone invited me to a group: accept or decline it (until then I am not a member). */
  'groups:invited': (data: { invitation: GroupInvitation }) => void;
  /** An invitation of mine is gone (answered here or on another device, or withdrawn). */
  'groups:inviteEnded': (data: { groupId: number; reason: InvitationEndReason }) => void;
}

/** Per-socket data the server keeps (typed for `socket.data`). */
export interface SocketData {
  userId: number;
  username: string;
  isAdmin: boolean;
  /** The client's address as the handshake saw it (TRUST_PROXY applied), for per-address limits. */
  ip: string;
}
