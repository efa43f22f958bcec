/**
 * Row types as Kysely sees them. Times are milliseconds since the epoch (bigint in PostgreSQL,
 * parsed to number; integer in SQLite). Flags are 0/1 integers so both dialects read the same.
 */
import type { Generated, Insertable, Selectable } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  /** The username's NFKC + case-fold key (shared/names.ts): unique, so "Bob" and "bob" are one user. */
  username_key: string;
  /**
   * TR39 skeleton of the key (services/skeleton.ts), unique, so look-alikes (`аdmin` with a
   * Cyrillic а beside `admin`) cannot both exist. Null only for legacy rows that collided with an
   * older one when migration 0006 filled the column.
   */
  username_skeleton: string | null;
  password_hash: string;
  status: 'active' | 'blocked';
  is_admin: number;
  /** Published by the client, opaque to the server, shown to friends and group peers. */
  public_key: string | null;
  /**
   * The private key's backup, wrapped by the client with a key derived from the password (issue
   * 11): opaque to the server, handed back only to its owner (`keys:restore`).
   */
  key_backup: string | null;
  created_at: number;
}

/** One row per user: a user has at most one live session, and a login replaces it. */
export interface SessionsTable {
  user_id: number;
  /** SHA-256 of the token; the token itself is never stored. */
  token_hash: string;
  created_at: number;
  ip: string;
  /** The live status while connected (online / away / busy), null while offline. */
  presence: 'online' | 'away' | 'busy' | null;
}

export interface LoginLogTable {
  id: Generated<number>;
  user_id: number;
  at: number;
  ip: string;
}

export interface FriendRequestsTable {
  from_id: number;
  to_id: number;
  created_at: number;
}

/** Stored in both directions (two rows per friendship) so "my friends" is one indexed lookup. */
export interface FriendshipsTable {
  user_id: number;
  friend_id: number;
  created_at: number;
}

export interface GroupsTable {
  id: Generated<number>;
  name: string;
  /** shared/names.ts `groupNameKey`: unique per creator. */
  name_key: string;
  creator_id: number;
  owner_id: number;
  blocked: number;
  created_at: number;
  /** 1: a room (public group), listed in the directory and open to anyone (migration 0011). */
  is_public: number;
}

export interface GroupMembersTable {
  group_id: number;
  user_id: number;
  role: 'owner' | 'admin' | 'member';
  joined_at: number;
}

/** An invitation to a group, not yet answered: the invitee is not a member until they accept. */
export interface GroupInvitationsTable {
  group_id: number;
  user_id: number;
  inviter_id: number;
  created_at: number;
}

/**
 * How many offline messages each sender has waiting in each recipient's mailbox: the per-sender
 * share is checked here. Kept by triggers on offline_messages (migration 0006), like mailboxes.
 */
export interface MailboxSendersTable {
  user_id: number;
  sender_id: number;
  count: number;
}

export interface OfflineMessagesTable {
  /** Store order: delivery follows it. */
  seq: Generated<number>;
  recipient_id: number;
  msg_id: string;
  sender_id: number;
  kind: 'private' | 'group' | 'system';
  group_id: number | null;
  /** Denormalised so a message still says where it came from after its group is deleted. */
  group_name: string | null;
  group_creator: string | null;
  payload: string;
  created_at: number;
}

/**
 * How many offline messages each user has waiting: the quota is checked here. Kept by triggers on
 * offline_messages (migration 0004), never written by the application.
 */
export interface MailboxesTable {
  user_id: number;
  count: number;
}

export interface AdminLogTable {
  id: Generated<number>;
  admin: string;
  action: string;
  target: string;
  at: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  login_log: LoginLogTable;
  friend_requests: FriendRequestsTable;
  friendships: FriendshipsTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  offline_messages: OfflineMessagesTable;
  mailboxes: MailboxesTable;
  admin_log: AdminLogTable;
  group_invitations: GroupInvitationsTable;
  mailbox_senders: MailboxSendersTable;
  block_events: BlockEventsTable;
  block_acks: BlockAcksTable;
  nodes: NodesTable;
  receipts: ReceiptsTable;
}

/**
 * A stored message its recipient picked up, waiting for its sender to hear of it (migration 0011).
 * Id, who, when: nothing of the content.
 */
export interface ReceiptsTable {
  seq: Generated<number>;
  sender_id: number;
  recipient_id: number;
  msg_id: string;
  at: number;
}

/** Every user block and unblock, in order: running nodes follow it (signaling/block-feed.ts). */
export interface BlockEventsTable {
  id: Generated<number>;
  user_id: number;
  blocked: number;
  /** 1 when a running server made it and told the user's contacts itself; 0 from the admin CLI. */
  contacts_told: number;
  at: number;
}

/** A node has applied a block event (its sockets of that user are gone). */
export interface BlockAcksTable {
  event_id: number;
  node: string;
  at: number;
}

/** Running server processes, by heartbeat, so the admin CLI knows whose acknowledgement to wait for. */
export interface NodesTable {
  id: string;
  seen_at: number;
}

/**
 * A user as the services read one: every column but the key backup, which is up to 8 KiB that
 * only its owner's `keys:restore` needs. Lookups select `USER_COLUMNS` rather than `*`.
 */
export type UserRow = Omit<Selectable<UsersTable>, 'key_backup'>;
export const USER_COLUMNS = [
  'id',
  'username',
  'username_key',
  'username_skeleton',
  'password_hash',
  'status',
  'is_admin',
  'public_key',
  'created_at',
] as const satisfies readonly (keyof UserRow)[];
export type NewOfflineMessage = Insertable<OfflineMessagesTable>;
