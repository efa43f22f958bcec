/**
 * Accounts and sessions. A token is 32 random bytes handed to the client once; the server keeps only
 * its SHA-256. Each user has one session row: a login replaces it (so the old token dies) and ends
 * the old live sockets with "logged in elsewhere". Also the user's end-to-end key material (issue
 * 11), which the server stores and hands out without reading it.
 */
import { hash, randomBytes } from 'node:crypto';
import { errors } from '../error-catalogue.ts';
import type { AuthResult, PublicUser } from '../../shared/events.ts';
import { usernameKey } from '../../shared/names.ts';
import { addressKey } from '../client-address.ts';
import { isUniqueViolation } from '../storage/db.ts';
import { preparedIn } from '../storage/prepared.ts';
import { USER_COLUMNS, type UserRow } from '../storage/schema.ts';
import { BatchedLookup, LOOKUP_BATCH_MAX } from './batched-lookup.ts';
import type { ServiceContext } from './deps.ts';
import { decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import { authLimiters } from './rate-limits.ts';
import { usernameSkeleton } from './skeleton.ts';

export function hashToken(token: string): string {
  // The one-shot hash: no Hash object per call (every handshake hashes its token).
  return hash('sha256', token, 'hex');
}

export function publicUser(row: Pick<UserRow, 'id' | 'username' | 'is_admin'>): PublicUser {
  return { id: row.id, username: row.username, isAdmin: row.is_admin === 1 };
}

/** Who holds a token: what every caller of `authenticate` needs, and not the password hash. */
export type SessionUser = Pick<UserRow, 'id' | 'username' | 'is_admin'>;

export class AuthService {
  readonly #limits;
  readonly #users;
  /**
   * Every (re)connect runs this. The tokens of one event-loop turn are looked up together, one
   * `token_hash IN (...)` query (compiled once per list length, and on SQLite run on the
   * synchronous read connection): in a reconnect storm thousands of handshakes land in a few turns,
   * and one query each was most of the server's own time per reconnect.
   */
  readonly #byTokenHash: BatchedLookup<string, SessionUser>;

  constructor(private readonly deps: ServiceContext) {
    this.#limits = authLimiters(deps.config, deps.limiterStore);
    this.#users = deps.users;
    const { db, reader } = deps.store;
    const byTokenHashes = preparedIn(
      db,
      (tokenHashes: string[]) =>
        db
          .selectFrom('sessions')
          .innerJoin('users', 'users.id', 'sessions.user_id')
          .select([
            'sessions.token_hash as token_hash',
            'users.id as id',
            'users.username as username',
            'users.is_admin as is_admin',
          ])
          .where('sessions.token_hash', 'in', tokenHashes)
          .where('users.status', '=', 'active'),
      '',
      LOOKUP_BATCH_MAX,
      reader,
    );
    this.#byTokenHash = new BatchedLookup('token lookup', async (tokenHashes) => {
      const found = new Map<string, SessionUser>();
      for (const r of await byTokenHashes(tokenHashes))
        found.set(r.token_hash, { id: r.id, username: r.username, is_admin: r.is_admin });
      return found;
    });
  }

  async register(username: string, password: string, ip: string): Promise<AuthResult> {
    await this.#limits.registerPerIp.consume(addressKey(ip));
    const user = await this.createUser(username, password, false);
    return this.#startSession(user, ip);
  }

  /**
   * Creates an account without a session (the admin CLI's create-admin uses this too). The name is
   * refused when another user has its key (the same name up to case and NFKC) or its TR39 skeleton
   * (a look-alike); both columns are unique, so of two racing registrations only one gets in.
   */
  async createUser(username: string, password: string, isAdmin: boolean): Promise<UserRow> {
    const key = usernameKey(username);
    const skeleton = usernameSkeleton(username);
    // Checked before hashing so a taken name costs no Argon2; the unique indexes decide races.
    await this.#refuseTaken(username, key, skeleton);
    const passwordHash = await hashPassword(password);
    try {
      return await this.deps.store.db
        .insertInto('users')
        .values({
          username,
          username_key: key,
          username_skeleton: skeleton,
          password_hash: passwordHash,
          status: 'active',
          is_admin: isAdmin ? 1 : 0,
          public_key: null,
          key_backup: null,
          created_at: this.deps.now(),
        })
        .returning(USER_COLUMNS)
        .executeTakeFirstOrThrow();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await this.#refuseTaken(username, key, skeleton);
      throw errors.usernameTaken({ username });
    }
  }

  /** USERNAME_TAKEN if a user holds this key or skeleton; `details.rule` says which. */
  async #refuseTaken(username: string, key: string, skeleton: string): Promise<void> {
    const holder = await this.deps.store.db
      .selectFrom('users')
      .select(['username', 'username_key'])
      .where((eb) => eb.or([eb('username_key', '=', key), eb('username_skeleton', '=', skeleton)]))
      .orderBy('id')
      .executeTakeFirst();
    if (!holder) return;
    if (holder.username_key === key) throw errors.usernameTaken({ username });
    throw errors.usernameConfusable({ username, similarTo: holder.username });
  }

  /**
   * Failed logins are counted per username *and address*, so a guesser elsewhere cannot lock the
   * owner out, and per username from everywhere, a much higher ceiling for guessers with many
   * addresses. Once the ceiling is spent, an address the owner has signed in from before still gets
   * its own per-address attempts: a distributed guesser cannot lock the owner out either.
   *
   * Points are spent before the password is checked and given back on success: checking first and
   * counting after let a burst of parallel guesses all pass the check.
   */
  async login(username: string, password: string, ip: string): Promise<AuthResult> {
    const key = usernameKey(username);
    const pair = `${key}|${addressKey(ip)}`;
    await this.#limits.loginPerIp.consume(addressKey(ip));
    await this.#limits.loginFailuresPerUserIp.consume(pair);
    const user = await this.#users.byName(username);
    let spentCeiling = true;
    try {
      await this.#limits.loginFailuresPerUser.consume(key);
    } catch (err) {
      if (!user || !(await this.#signedInFrom(user.id, ip))) throw err;
      spentCeiling = false;
    }
    const ok = await verifyPassword(user?.password_hash ?? (await decoyHash()), password);
    if (!user || !ok) throw errors.invalidCredentials();
    if (user.status === 'blocked') throw errors.accountBlocked();
    await this.#limits.loginFailuresPerUserIp.reset(pair);
    if (spentCeiling) await this.#limits.loginFailuresPerUser.reward(key);
    return this.#startSession(user, ip);
  }

  /** Has this user signed in (or registered) from this address before? */
  async #signedInFrom(userId: number, ip: string): Promise<boolean> {
    const row = await this.deps.store.db
      .selectFrom('login_log')
      .select('id')
      .where('user_id', '=', userId)
      .where('ip', '=', ip)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * The socket handshake: counted per address before anything else, since a made-up token costs
   * a database lookup and nothing else stops a client from trying token after token.
   */
  async authenticateConnection(token: string, ip: string): Promise<SessionUser | undefined> {
    await this.#limits.connectsPerIp.consume(addressKey(ip));
    return this.authenticate(token);
  }

  async #startSession(user: UserRow, ip: string): Promise<AuthResult> {
    const token = randomBytes(32).toString('base64url');
    const now = this.deps.now();
    await this.deps.store.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('sessions')
        .values({ user_id: user.id, token_hash: hashToken(token), created_at: now, ip })
        .onConflict((oc) =>
          oc.column('user_id').doUpdateSet({ token_hash: hashToken(token), created_at: now, ip }),
        )
        .execute();
      await tx.insertInto('login_log').values({ user_id: user.id, at: now, ip }).execute();
    });
    // The old token is dead now; close whatever was using it.
    this.deps.notifier.endSessions(user.id, 'elsewhere');
    return { token, user: publicUser(user) };
  }

  async logout(token: string): Promise<void> {
    const user = await this.authenticate(token);
    if (!user) throw errors.notSignedIn();
    await this.deps.store.db.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    this.deps.notifier.endSessions(user.id, 'logout');
  }

  /** The active user holding this token, or undefined. */
  async authenticate(token: string): Promise<SessionUser | undefined> {
    if (!token || token.length > 128) return undefined;
    return this.#byTokenHash.get(hashToken(token));
  }

  async setAdmin(username: string, isAdmin: boolean): Promise<UserRow> {
    const user = await this.#users.require(username);
    await this.deps.store.db
      .updateTable('users')
      .set({ is_admin: isAdmin ? 1 : 0 })
      .where('id', '=', user.id)
      .execute();
    return { ...user, is_admin: isAdmin ? 1 : 0 };
  }

  /**
   * The one admin gate, for the socket's admin events and the REST admin API alike: the user's row
   * is read for every action, so a demotion or a block (from the CLI, say) takes effect at once on
   * every surface, whatever the session was when it started. Returns the admin as the actor.
   */
  async requireAdmin(userId: number): Promise<{ id: number; username: string }> {
    const row = await this.deps.store.db
      .selectFrom('users')
      .select(['id', 'username', 'is_admin', 'status'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (row?.is_admin !== 1 || row.status !== 'active') throw errors.adminOnly();
    return { id: row.id, username: row.username };
  }

  /**
   * A public key (shown to friends and group peers) and the wrapped backup of its private key,
   * written in one update so a device that restores the backup never gets one that does not match
   * the published key. When the key is new or different, everyone who may see the user's presence
   * (friends, members of a shared group) and is online hears of it.
   */
  async publishKey(
    me: { id: number; username: string },
    publicKey: string,
    backup: string,
  ): Promise<{ publicKey: string }> {
    const previous = await this.deps.store.db.transaction().execute(async (tx) => {
      // Locked on PostgreSQL (SQLite has one writer): two publishes at once announce in the order
      // they were stored, so the last key a peer hears of is the stored one.
      const row = await tx
        .selectFrom('users')
        .select('public_key')
        .where('id', '=', me.id)
        .$if(this.deps.store.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      await tx
        .updateTable('users')
        .set({ public_key: publicKey, key_backup: backup })
        .where('id', '=', me.id)
        .execute();
      return row?.public_key ?? null;
    });
    if (previous !== publicKey) {
      const audience = await this.deps.relations.audience(me.id);
      this.deps.notifier.toUsers(
        audience.filter((id) => this.deps.presence.isOnline(id)),
        'keys:changed',
        { username: me.username, publicKey },
      );
    }
    return { publicKey };
  }

  /** The caller's own key material, for a new device: nobody else is ever given the backup. */
  async restoreKeys(userId: number): Promise<{ publicKey: string | null; backup: string | null }> {
    const row = await this.deps.store.db
      .selectFrom('users')
      .select(['public_key', 'key_backup'])
      .where('id', '=', userId)
      .executeTakeFirst();
    return { publicKey: row?.public_key ?? null, backup: row?.key_backup ?? null };
  }

  /**
   * A new password, and the key backup re-wrapped for it, in one update: a backup wrapped for one
   * password beside the hash of another could never be opened again.
   *
   * The old password is checked as a login checks it, and a wrong one spends a point of the same
   * per-user-and-address limit (spent first, given back on success), so a stolen session cannot
   * be used to guess the password faster than logging in would.
   *
   * The session making the change stays signed in. A user has one session, so normally there is
   * no other to revoke; but a login with the old password may replace the session while the hashes
   * run. The change then deletes every session but the caller's (`tokenHash`; for a socket, the
   * session as it was when the change began) and ends their sockets.
   */
  async changePassword(change: {
    userId: number;
    ip: string;
    oldPassword: string;
    newPassword: string;
    backup: string;
    /** The caller's session (HTTP: its bearer token's hash); read from the store when absent. */
    tokenHash?: string;
  }): Promise<Record<string, never>> {
    const { db } = this.deps.store;
    const user = await this.#users.requireId(change.userId);
    const keep =
      change.tokenHash ??
      (
        await db
          .selectFrom('sessions')
          .select('token_hash')
          .where('user_id', '=', user.id)
          .executeTakeFirst()
      )?.token_hash;
    if (keep === undefined) throw errors.sessionGone();
    const pair = `${user.username_key}|${addressKey(change.ip)}`;
    await this.#limits.loginFailuresPerUserIp.consume(pair);
    if (!(await verifyPassword(user.password_hash, change.oldPassword)))
      throw errors.wrongPassword();
    await this.#limits.loginFailuresPerUserIp.reset(pair);
    const passwordHash = await hashPassword(change.newPassword);
    const revoked = await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('users')
        .set({ password_hash: passwordHash, key_backup: change.backup })
        .where('id', '=', user.id)
        .execute();
      const gone = await tx
        .deleteFrom('sessions')
        .where('user_id', '=', user.id)
        .where('token_hash', '!=', keep)
        .executeTakeFirst();
      return Number(gone.numDeletedRows);
    });
    // The replaced session's login already ended the caller's sockets; what is left is the other's.
    if (revoked > 0) this.deps.notifier.endSessions(user.id, 'elsewhere');
    return {};
  }

  /**
   * Forgets sign-ins older than LOGIN_LOG_DAYS (housekeeping, hourly): the log is what lets a user
   * in from a known address past the failed-login ceiling, and it need not remember more.
   */
  async pruneLoginLog(): Promise<number> {
    const before = this.deps.now() - this.deps.config.loginLogMaxAgeMs;
    const res = await this.deps.store.db
      .deleteFrom('login_log')
      .where('at', '<', before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
