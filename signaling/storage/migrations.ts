/**
 * Schema migrations, run at start by every node (Kysely's Migrator takes a lock, so several nodes
 * starting at once on PostgreSQL apply each migration once). Only the id column and the trigger
 * language differ by dialect.
 */
import {
  sql,
  type CreateTableBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import type { Dialect } from './db.ts';
import { rekeyNames } from './name-keys.ts';

export function migrations(dialect: Dialect): MigrationProvider {
  // An auto-increment primary key, spelled per dialect.
  const id =
    (name: string) =>
    <T extends string>(table: CreateTableBuilder<T>): CreateTableBuilder<T> =>
      dialect === 'postgres'
        ? table.addColumn(name, 'bigserial', (c) => c.primaryKey())
        : table.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement());
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  const ref = dialect === 'postgres' ? 'bigint' : 'integer';

  const all: Record<string, Migration> = {
    '0001_accounts': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('users')
          .$call(id('id'))
          .addColumn('username', 'text', (c) => c.notNull())
          .addColumn('username_key', 'text', (c) => c.notNull().unique())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
          .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('public_key', 'text')
          .addColumn('created_at', time, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('sessions')
          .addColumn('user_id', ref, (c) =>
            c.primaryKey().references('users.id').onDelete('cascade'),
          )
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('ip', 'text', (c) => c.notNull())
          // Mirror of the live presence, so the admin CLI (another process) can list who is online.
          .addColumn('presence', 'text')
          .execute();
        await db.schema
          .createTable('login_log')
          .$call(id('id'))
          .addColumn('user_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('ip', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('login_log_user')
          .on('login_log')
          .columns(['user_id', 'at'])
          .execute();
      },
    },
    '0002_social': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('friend_requests')
          .addColumn('from_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('to_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('created_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('friend_requests_pk', ['from_id', 'to_id'])
          .execute();
        await db.schema
          .createIndex('friend_requests_to')
          .on('friend_requests')
          .column('to_id')
          .execute();
        await db.schema
          .createTable('friendships')
          .addColumn('user_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('friend_id', ref, (c) =>
            c.notNull().references('users.id').onDelete('cascade'),
          )
          .addColumn('created_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('friendships_pk', ['user_id', 'friend_id'])
          .execute();
        await db.schema
          .createTable('groups')
          .$call(id('id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('name_key', 'text', (c) => c.notNull())
          .addColumn('creator_id', ref, (c) => c.notNull().references('users.id'))
          .addColumn('owner_id', ref, (c) => c.notNull().references('users.id'))
          .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', time, (c) => c.notNull())
          .addUniqueConstraint('groups_creator_name', ['creator_id', 'name_key'])
          .execute();
        await db.schema.createIndex('groups_owner').on('groups').column('owner_id').execute();
        await db.schema
          .createTable('group_members')
          .addColumn('group_id', ref, (c) =>
            c.notNull().references('groups.id').onDelete('cascade'),
          )
          .addColumn('user_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('joined_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
          .execute();
        await db.schema
          .createIndex('group_members_user')
          .on('group_members')
          .column('user_id')
          .execute();
      },
    },
    '0003_offline_and_audit': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('offline_messages')
          .$call(id('seq'))
          .addColumn('recipient_id', ref, (c) =>
            c.notNull().references('users.id').onDelete('cascade'),
          )
          .addColumn('msg_id', 'text', (c) => c.notNull())
          .addColumn('sender_id', ref, (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('group_id', ref)
          .addColumn('group_name', 'text')
          .addColumn('group_creator', 'text')
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addUniqueConstraint('offline_recipient_msg', ['recipient_id', 'msg_id'])
          .execute();
        await db.schema
          .createIndex('offline_recipient_seq')
          .on('offline_messages')
          .columns(['recipient_id', 'seq'])
          .execute();
        await db.schema
          .createIndex('offline_created')
          .on('offline_messages')
          .column('created_at')
          .execute();
        await db.schema
          .createTable('admin_log')
          .$call(id('id'))
          .addColumn('admin', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target', 'text', (c) => c.notNull())
          .addColumn('at', time, (c) => c.notNull())
          .execute();
      },
    },
    '0004_mailboxes': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        // How many messages each user has waiting, so the quota is a primary-key read rather than
        // a walk of the mailbox's index. Kept by triggers on offline_messages, so every way rows
        // come and go (store, ack, expiry, a user's deletion, anything done by hand) keeps it right.
        await db.schema
          .createTable('mailboxes')
          .addColumn('user_id', ref, (c) =>
            c.primaryKey().references('users.id').onDelete('cascade'),
          )
          .addColumn('count', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        for (const statement of dialect === 'postgres' ? postgresMailboxes : sqliteMailboxes)
          await sql.raw(statement).execute(db);
        // Creating the triggers locked offline_messages (PostgreSQL) until this migration commits,
        // so the counts below cannot miss a row a running node inserts meanwhile.
        await sql`
          insert into mailboxes (user_id, count)
          select u.id, (select count(*) from offline_messages o where o.recipient_id = u.id)
          from users u
        `.execute(db);
      },
    },
    '0005_users_blocked': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        // Every node's block sweep (every SWEEP_INTERVAL_MS) asks for the blocked accounts; with
        // this partial index that reads the few blocked rows, not the whole users table.
        await db.schema
          .createIndex('users_blocked')
          .on('users')
          .column('id')
          .where(sql.ref('status'), '=', sql.lit('blocked'))
          .execute();
      },
    },
    '0006_name_keys': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        // Usernames unique by NFKC + case fold and by TR39 skeleton (look-alikes), issue 9.
        await db.schema.alterTable('users').addColumn('username_skeleton', 'text').execute();
        await rekeyNames(db);
        await db.schema
          .createIndex('users_username_skeleton')
          .on('users')
          .column('username_skeleton')
          .unique()
          .execute();
      },
    },
    '0007_block_events': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        // A block made by another process (the admin CLI) reaches running nodes through this log
        // (PostgreSQL NOTIFY, or a poll by primary key on SQLite) instead of the periodic sweep.
        await db.schema
          .createTable('block_events')
          .$call(id('id'))
          .addColumn('user_id', ref, (c) => c.notNull())
          .addColumn('blocked', 'integer', (c) => c.notNull())
          .addColumn('contacts_told', 'integer', (c) => c.notNull())
          .addColumn('at', time, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('block_acks')
          .addColumn('event_id', ref, (c) => c.notNull())
          .addColumn('node', 'text', (c) => c.notNull())
          .addColumn('at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('block_acks_pk', ['event_id', 'node'])
          .execute();
        await db.schema
          .createTable('nodes')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('seen_at', time, (c) => c.notNull())
          .execute();
      },
    },
    '0008_group_invitations': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        // An invitation is not a membership: the invitee joins (group_members) only by accepting.
        // One per group and invitee; gone with the group, the invitee or the inviter.
        await db.schema
          .createTable('group_invitations')
          .addColumn('group_id', ref, (c) =>
            c.notNull().references('groups.id').onDelete('cascade'),
          )
          .addColumn('user_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('inviter_id', ref, (c) =>
            c.notNull().references('users.id').onDelete('cascade'),
          )
          .addColumn('created_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('group_invitations_pk', ['group_id', 'user_id'])
          .execute();
        await db.schema
          .createIndex('group_invitations_user')
          .on('group_invitations')
          .column('user_id')
          .execute();
      },
    },
    '0009_mailbox_senders': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        // How many messages each sender has waiting in each mailbox, for the per-sender share
        // (OFFLINE_MAX_PER_SENDER): kept by triggers like `mailboxes` (0004), so the check is a
        // primary-key read. Rows that drop to 0 stay: one per pair that ever left a message.
        await db.schema
          .createTable('mailbox_senders')
          .addColumn('user_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('sender_id', ref, (c) => c.notNull())
          .addColumn('count', 'integer', (c) => c.notNull().defaultTo(0))
          .addPrimaryKeyConstraint('mailbox_senders_pk', ['user_id', 'sender_id'])
          // SQLite: one b-tree (the key) rather than a rowid table plus its key's index, so the
          // trigger's upsert on every stored message writes one tree, not two.
          .$call((t) => (dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t))
          .execute();
        for (const statement of dialect === 'postgres'
          ? postgresMailboxSenders
          : sqliteMailboxSenders)
          await sql.raw(statement).execute(db);
        // As in 0004: creating the triggers locked offline_messages until this commits.
        await sql`
          insert into mailbox_senders (user_id, sender_id, count)
          select recipient_id, sender_id, count(*) from offline_messages
          group by recipient_id, sender_id
        `.execute(db);
      },
    },
    '0010_keys_and_retention': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        // End-to-end encryption (issue 11): the private key's backup, wrapped by the client with a
        // key derived from the password. Opaque to the server; written with public_key, in one row.
        await db.schema.alterTable('users').addColumn('key_backup', 'text').execute();
        // Housekeeping deletes sign-ins older than LOGIN_LOG_DAYS every hour: by this index, not
        // a walk of the whole log.
        await db.schema.createIndex('login_log_at').on('login_log').column('at').execute();
      },
    },
    '0011_public_groups': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        // Rooms (issue 12): a public group is listed in the directory and anyone may join it
        // without an invitation. Off for every group that exists: only its owner or admins say so.
        await db.schema
          .alterTable('groups')
          .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        // The directory reads the few public groups, not the whole groups table.
        await db.schema
          .createIndex('groups_public')
          .on('groups')
          .column('id')
          .where(sql.ref('is_public'), '=', sql.lit(1))
          .execute();
      },
    },
    '0012_delivery_receipts': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
      async up(db: Kysely<any>) {
        // Delivery receipts (issue 12): when a recipient acknowledges a stored message, its sender
        // is told, and the receipt waits here until the sender acknowledges it (they may be offline
        // at pickup). Only the message id, who picked it up and when: never any content.
        await db.schema
          .createTable('receipts')
          .$call(id('seq'))
          .addColumn('sender_id', ref, (c) =>
            c.notNull().references('users.id').onDelete('cascade'),
          )
          .addColumn('recipient_id', ref, (c) =>
            c.notNull().references('users.id').onDelete('cascade'),
          )
          .addColumn('msg_id', 'text', (c) => c.notNull())
          .addColumn('at', time, (c) => c.notNull())
          .addUniqueConstraint('receipts_unique', ['sender_id', 'msg_id', 'recipient_id'])
          .execute();
        // A sender's receipts in order (pull, the per-sender cap) and the expiry sweep.
        await db.schema
          .createIndex('receipts_sender')
          .on('receipts')
          .columns(['sender_id', 'seq'])
          .execute();
        await db.schema.createIndex('receipts_at').on('receipts').column('at').execute();
      },
    },
  };
  return { getMigrations: async () => all };
}

/**
 * SQLite: row triggers. Every user gets a mailbox when created; a stored message adds one to its
 * recipient's, a deleted one takes one off (ack, expiry, and the cascade when a user is deleted).
 */
const sqliteMailboxes = [
  `create trigger users_mailbox after insert on users begin
     insert into mailboxes (user_id, count) values (new.id, 0) on conflict (user_id) do nothing;
   end`,
  `create trigger offline_messages_count_insert after insert on offline_messages begin
     insert into mailboxes (user_id, count) values (new.recipient_id, 1)
     on conflict (user_id) do update set count = count + 1;
   end`,
  `create trigger offline_messages_count_delete after delete on offline_messages begin
     update mailboxes set count = count - 1 where user_id = old.recipient_id;
   end`,
  `create trigger offline_messages_count_move after update of recipient_id on offline_messages
   when old.recipient_id <> new.recipient_id begin
     update mailboxes set count = count - 1 where user_id = old.recipient_id;
     insert into mailboxes (user_id, count) values (new.recipient_id, 1)
     on conflict (user_id) do update set count = count + 1;
   end`,
];

/**
 * PostgreSQL: statement triggers over the transition tables, so a multi-row insert or a sweep
 * updates each mailbox once, not once per row. Each locks the mailboxes it touches in user id order
 * before changing them, the order the offline service locks them in too, so two writers that
 * touch the same mailboxes wait for each other instead of deadlocking.
 */
const postgresMailboxes = [
  `create function users_mailbox() returns trigger language plpgsql as $$
   begin
     insert into mailboxes (user_id, count) select id, 0 from new_users order by id
     on conflict (user_id) do nothing;
     return null;
   end $$`,
  `create trigger users_mailbox after insert on users
   referencing new table as new_users for each statement execute function users_mailbox()`,
  `create function mailboxes_add() returns trigger language plpgsql as $$
   begin
     perform 1 from mailboxes where user_id in (select recipient_id from new_rows)
       order by user_id for update;
     insert into mailboxes (user_id, count)
       select recipient_id, count(*) from new_rows group by recipient_id order by recipient_id
     on conflict (user_id) do update set count = mailboxes.count + excluded.count;
     return null;
   end $$`,
  `create function mailboxes_remove() returns trigger language plpgsql as $$
   begin
     perform 1 from mailboxes where user_id in (select recipient_id from old_rows)
       order by user_id for update;
     update mailboxes m set count = m.count - d.n
       from (select recipient_id, count(*) as n from old_rows group by recipient_id) d
       where m.user_id = d.recipient_id;
     return null;
   end $$`,
  `create function mailboxes_move() returns trigger language plpgsql as $$
   begin
     perform 1 from mailboxes
       where user_id in (select recipient_id from old_rows union select recipient_id from new_rows)
       order by user_id for update;
     insert into mailboxes (user_id, count)
       select recipient_id, sum(n) from (
         select recipient_id, -1 as n from old_rows
         union all select recipient_id, 1 as n from new_rows
       ) d group by recipient_id having sum(n) <> 0 order by recipient_id
     on conflict (user_id) do update set count = mailboxes.count + excluded.count;
     return null;
   end $$`,
  `create trigger offline_messages_count_insert after insert on offline_messages
   referencing new table as new_rows for each statement execute function mailboxes_add()`,
  `create trigger offline_messages_count_delete after delete on offline_messages
   referencing old table as old_rows for each statement execute function mailboxes_remove()`,
  `create trigger offline_messages_count_move after update on offline_messages
   referencing old table as old_rows new table as new_rows
   for each statement execute function mailboxes_move()`,
  // TRUNCATE fires no delete trigger. (SQLite has none: its DELETE without WHERE fires the above.)
  `create function mailboxes_empty() returns trigger language plpgsql as $$
   begin
     update mailboxes set count = 0 where count <> 0;
     return null;
   end $$`,
  `create trigger offline_messages_count_truncate after truncate on offline_messages
   for each statement execute function mailboxes_empty()`,
];

/** SQLite: row triggers keeping mailbox_senders, beside the mailboxes ones. */
const sqliteMailboxSenders = [
  `create trigger offline_messages_sender_insert after insert on offline_messages begin
     insert into mailbox_senders (user_id, sender_id, count)
     values (new.recipient_id, new.sender_id, 1)
     on conflict (user_id, sender_id) do update set count = count + 1;
   end`,
  `create trigger offline_messages_sender_delete after delete on offline_messages begin
     update mailbox_senders set count = count - 1
     where user_id = old.recipient_id and sender_id = old.sender_id;
   end`,
  `create trigger offline_messages_sender_move after update of recipient_id, sender_id
   on offline_messages
   when old.recipient_id <> new.recipient_id or old.sender_id <> new.sender_id begin
     update mailbox_senders set count = count - 1
     where user_id = old.recipient_id and sender_id = old.sender_id;
     insert into mailbox_senders (user_id, sender_id, count)
     values (new.recipient_id, new.sender_id, 1)
     on conflict (user_id, sender_id) do update set count = count + 1;
   end`,
];

/**
 * PostgreSQL: statement triggers over the transition tables, as for mailboxes. They need no locks
 * of their own: PostgreSQL fires a table's triggers for one event in name order, so the
 * `offline_messages_count_*` ones (0004) have locked these recipients' mailboxes first, and every
 * writer of a recipient's mailbox_senders rows holds that lock.
 */
const postgresMailboxSenders = [
  `create function mailbox_senders_add() returns trigger language plpgsql as $$
   begin
     insert into mailbox_senders (user_id, sender_id, count)
       select recipient_id, sender_id, count(*) from new_rows
       group by recipient_id, sender_id order by recipient_id, sender_id
     on conflict (user_id, sender_id) do update set count = mailbox_senders.count + excluded.count;
     return null;
   end $$`,
  `create function mailbox_senders_remove() returns trigger language plpgsql as $$
   begin
     update mailbox_senders m set count = m.count - d.n
       from (select recipient_id, sender_id, count(*) as n from old_rows
             group by recipient_id, sender_id) d
       where m.user_id = d.recipient_id and m.sender_id = d.sender_id;
     return null;
   end $$`,
  `create function mailbox_senders_move() returns trigger language plpgsql as $$
   begin
     insert into mailbox_senders (user_id, sender_id, count)
       select recipient_id, sender_id, sum(n) from (
         select recipient_id, sender_id, -1 as n from old_rows
         union all select recipient_id, sender_id, 1 as n from new_rows
       ) d group by recipient_id, sender_id having sum(n) <> 0 order by recipient_id, sender_id
     on conflict (user_id, sender_id) do update set count = mailbox_senders.count + excluded.count;
     return null;
   end $$`,
  `create trigger offline_messages_sender_insert after insert on offline_messages
   referencing new table as new_rows for each statement execute function mailbox_senders_add()`,
  `create trigger offline_messages_sender_delete after delete on offline_messages
   referencing old table as old_rows for each statement execute function mailbox_senders_remove()`,
  `create trigger offline_messages_sender_move after update on offline_messages
   referencing old table as old_rows new table as new_rows
   for each statement execute function mailbox_senders_move()`,
  `create function mailbox_senders_empty() returns trigger language plpgsql as $$
   begin
     update mailbox_senders set count = 0 where count <> 0;
     return null;
   end $$`,
  `create trigger offline_messages_sender_truncate after truncate on offline_messages
   for each statement execute function mailbox_senders_empty()`,
];
