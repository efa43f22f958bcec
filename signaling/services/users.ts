/**
 * Looking people up. Usernames are matched by their key (NFKC + case fold, shared/names.ts).
 */
import { errors } from '../error-catalogue.ts';
import { usernameKey } from '../../shared/names.ts';
import { USER_COLUMNS, type UserRow } from '../storage/schema.ts';
import type { ServiceDeps } from './deps.ts';

export class Users {
  constructor(private readonly deps: Pick<ServiceDeps, 'store'>) {}

  async byName(username: string): Promise<UserRow | undefined> {
    return this.deps.store.db
      .selectFrom('users')
      .select(USER_COLUMNS)
      .where('username_key', '=', usernameKey(username))
      .executeTakeFirst();
  }

  async byId(id: number): Promise<UserRow | undefined> {
    return this.deps.store.db
      .selectFrom('users')
      .select(USER_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The user, or NOT_FOUND naming them. */
  async require(username: string): Promise<UserRow> {
    const user = await this.byName(username);
    if (!user) throw errors.userNotFound({ username });
    return user;
  }

  async requireId(id: number): Promise<UserRow> {
    const user = await this.byId(id);
    if (!user) throw errors.userIdNotFound();
    return user;
  }
}
