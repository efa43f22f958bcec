/**
 * Migration 0006: usernames become unique by their NFKC + case-fold key and by their TR39
 * skeleton (issue 9), group names by their own key (shared/names.ts). The rows written under the
 * old key (NFC + toLowerCase) are re-keyed here, in JavaScript, because neither database has NFKC
 * or the confusables table.
 *
 * Rows that collide under the new rules were legal before, so none is refused or lost: the first
 * row to claim a key or a skeleton keeps it (a row whose key does not change first, then by id);
 * a later one keeps its old key (or, if even that is taken, the old key and `#id`, which no valid
 * name can be) and no skeleton. Such an account still exists and its friends still see it, but
 * logging in by name finds the row that holds the key.
 *
 * This uses today's shared/names.ts and skeleton.ts: a later change to either needs a migration of
 * its own that recomputes the columns.
 */
import type { Kysely } from 'kysely';
import { groupNameKey, usernameKey } from '../../shared/names.ts';
import { usernameSkeleton } from '../services/skeleton.ts';

interface Keyed {
  id: number;
  oldKey: string;
  newKey: string;
}

/** The final key of each row: the new one when free, else the old one (or old and `#id`). */
function assignKeys(rows: Keyed[]): Map<number, string> {
  const taken = new Set(rows.filter((r) => r.oldKey === r.newKey).map((r) => r.newKey));
  const final = new Map<number, string>();
  for (const r of rows) {
    if (r.oldKey === r.newKey) final.set(r.id, r.oldKey);
  }
  for (const r of rows) {
    if (r.oldKey === r.newKey) continue;
    const key = !taken.has(r.newKey)
      ? r.newKey
      : !taken.has(r.oldKey)
        ? r.oldKey
        : `${r.oldKey}#${r.id}`;
    taken.add(key);
    final.set(r.id, key);
  }
  return final;
}

/**
 * Writes the changed keys in two passes through a placeholder no real key can equal, so that no
 * row ever holds, even for one statement, a key another row still holds.
 */
async function writeKeys(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
  db: Kysely<any>,
  table: 'users' | 'groups',
  column: 'username_key' | 'name_key',
  rows: Keyed[],
  final: Map<number, string>,
): Promise<void> {
  const changed = rows.filter((r) => final.get(r.id) !== r.oldKey);
  for (const r of changed)
    await db
      .updateTable(table)
      .set({ [column]: `#migrating#${r.id}` })
      .where('id', '=', r.id)
      .execute();
  for (const r of changed)
    await db
      .updateTable(table)
      .set({ [column]: final.get(r.id) })
      .where('id', '=', r.id)
      .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the past, not today's types
export async function rekeyNames(db: Kysely<any>): Promise<void> {
  const users: { id: number | string; username: string; username_key: string }[] = await db
    .selectFrom('users')
    .select(['id', 'username', 'username_key'])
    .orderBy('id')
    .execute();
  const userRows = users.map((u) => ({
    id: Number(u.id),
    oldKey: u.username_key,
    newKey: usernameKey(u.username),
    username: u.username,
  }));
  const userKeys = assignKeys(userRows);
  await writeKeys(db, 'users', 'username_key', userRows, userKeys);

  const owners = [
    ...userRows.filter((r) => userKeys.get(r.id) === r.newKey),
    ...userRows.filter((r) => userKeys.get(r.id) !== r.newKey),
  ];
  const skeletons = new Set<string>();
  for (const r of owners) {
    const skeleton = usernameSkeleton(r.username);
    if (skeletons.has(skeleton)) continue;
    skeletons.add(skeleton);
    await db
      .updateTable('users')
      .set({ username_skeleton: skeleton })
      .where('id', '=', r.id)
      .execute();
  }

  // Group names are unique per creator: re-key each creator's groups among themselves.
  const groups: { id: number | string; name: string; name_key: string; creator_id: number }[] =
    await db
      .selectFrom('groups')
      .select(['id', 'name', 'name_key', 'creator_id'])
      .orderBy('id')
      .execute();
  const byCreator = new Map<number, Keyed[]>();
  for (const g of groups) {
    const creator = Number(g.creator_id);
    const list = byCreator.get(creator) ?? [];
    list.push({ id: Number(g.id), oldKey: g.name_key, newKey: groupNameKey(g.name) });
    byCreator.set(creator, list);
  }
  for (const rows of byCreator.values())
    await writeKeys(db, 'groups', 'name_key', rows, assignKeys(rows));
}
