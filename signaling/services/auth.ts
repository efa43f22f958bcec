/**
 * Accounts and sessions. A token is 32 random bytes handed to the client once; the server keeps only
 * its SHA-256. Each user has one session row: a login replaces it (so the old token dies) and ends
 * the old live sockets with "logged in elsewhere".
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.ts';
import type { AuthResult, PublicUser } from '../../shared/events.ts';
import { isUniqueViolation } from '../storage/db.ts';
import type { UserRow } from '../storage/schema.ts';
import type { ServiceContext } from './deps.ts';
import { decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import { authLimiters } from './rate-limits.ts';
import { usernameKey } from './users.ts';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function publicUser(row: Pick<UserRow, 'id' | 'username' | 'is_admin'>): PublicUser {
  return { id: row.id, username: row.username, isAdmin: row.is_admin === 1 };
}

export class AuthService {
  readonly #limits;
  readonly #users;

  constructor(private readonly deps: ServiceContext) {
    this.#limits = authLimiters(deps.config, deps.limiterStore);
    this.#users = deps.users;
  }

  async register(username: string, password: string, ip: string): Promise<AuthResult> {
    await this.#limits.registerPerIp.consume(ip);
    const user = await this.createUser(username, password, false);
    return this.#startSession(user, ip);
  }

  /** Creates an account without a session (the admin CLI's create-admin uses this too). */
  async createUser(username: string, password: string, isAdmin: boolean): Promise<UserRow> {
    const passwordHash = await hashPassword(password);
    try {
      return await this.deps.store.db
        .insertInto('users')
        .values({
          username,
          username_key: usernameKey(username),
          password_hash: passwordHash,
          status: 'active',
          is_admin: isAdmin ? 1 : 0,
          public_key: null,
          created_at: this.deps.now(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err))
        throw new AppError('USERNAME_TAKEN', `the username "${username}" is taken`);
      throw err;
    }
  }

  async login(username: string, password: string, ip: string): Promise<AuthResult> {
    const key = usernameKey(username);
    await this.#limits.loginPerIp.consume(ip);
    await this.#limits.loginFailuresPerUser.check(key);
    const user = await this.#users.byName(username);
    const ok = await verifyPassword(user?.password_hash ?? (await decoyHash()), password);
    if (!user || !ok) {
      await this.#limits.loginFailuresPerUser.consume(key).catch(() => {});
      throw new AppError('INVALID_CREDENTIALS', 'wrong username or password');
    }
    if (user.status === 'blocked')
      throw new AppError('USER_BLOCKED', 'this account is blocked by an administrator');
    await this.#limits.loginFailuresPerUser.reset(key);
    return this.#startSession(user, ip);
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
    if (!user) throw new AppError('UNAUTHENTICATED', 'not signed in');
    await this.deps.store.db.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    this.deps.notifier.endSessions(user.id, 'logout');
  }

  /** The active user holding this token, or undefined. */
  async authenticate(token: string): Promise<UserRow | undefined> {
    if (!token || token.length > 128) return undefined;
    return this.deps.store.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('users')
      .where('sessions.token_hash', '=', hashToken(token))
      .where('users.status', '=', 'active')
      .executeTakeFirst();
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

  /** Read fresh for each admin action, so a demotion (from the CLI, say) takes effect at once. */
  async isAdmin(userId: number): Promise<boolean> {
    const row = await this.deps.store.db
      .selectFrom('users')
      .select(['is_admin', 'status'])
      .where('id', '=', userId)
      .executeTakeFirst();
    return row?.is_admin === 1 && row.status === 'active';
  }

  /** A public key, opaque to the server, shown to friends and group peers. */
  async publishKey(
    userId: number,
    publicKey: string | null,
  ): Promise<{ publicKey: string | null }> {
    await this.deps.store.db
      .updateTable('users')
      .set({ public_key: publicKey })
      .where('id', '=', userId)
      .execute();
    return { publicKey };
  }
}
