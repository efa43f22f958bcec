/**
 * Schema migrations, run at start by every node (Kysely's Migrator takes a lock, so several nodes
 * starting at once on PostgreSQL apply each migration once). Only the id column differs by dialect.
 */
import type { CreateTableBuilder, Kysely, Migration, MigrationProvider } from 'kysely';
import type { Dialect } from './db.ts';

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
  };
  return { getMigrations: async () => all };
}
