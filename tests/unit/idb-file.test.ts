/** The terminal's history file: every IndexedDB database of a factory, out to a file and back. */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dexie from 'dexie';
import { IDBKeyRange } from 'fake-indexeddb';
import { afterEach, expect, it } from 'vitest';
import { loadFactory, saveFactory } from '../../terminal/idb-file.ts';
import { historyFile, serverSlug } from '../../terminal/client.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'p2sp-idb-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(factory: IDBFactory) {
  const db = new Dexie('p2sp-test', { indexedDB: factory, IDBKeyRange });
  db.version(3).stores({ messages: 'id, [conversation+sentAt], *tags', secrets: '' });
  return db;
}

it('keeps schema, indexes, in-line and out-of-line keys and binary values across a restart', async () => {
  const file = join(tempDir(), 'server', 'user.idb');
  const first = await loadFactory(file);
  const db = open(first);
  await db.table('messages').bulkPut([
    { id: 'm1', conversation: 'u:bob', sentAt: 2, tags: ['a'], body: '你好' },
    { id: 'm2', conversation: 'u:bob', sentAt: 1, tags: ['b'], body: 'hi' },
  ]);
  await db.table('secrets').put(new Uint8Array([1, 2, 3]), 'identity');
  db.close();
  await saveFactory(first, file);
  // Private keys are in it: only the owner may read the file.
  expect(statSync(file).mode & 0o777).toBe(0o600);

  const again = open(await loadFactory(file));
  const ordered = await again
    .table('messages')
    .where('[conversation+sentAt]')
    .between(['u:bob', Dexie.minKey], ['u:bob', Dexie.maxKey])
    .toArray();
  expect(ordered.map((m: { id: string }) => m.id)).toEqual(['m2', 'm1']);
  expect(await again.table('messages').where('tags').equals('a').count()).toBe(1);
  expect(await again.table('secrets').get('identity')).toEqual(new Uint8Array([1, 2, 3]));
  again.close();
});

it('starts empty without a file, and refuses a file that is not one of ours', async () => {
  const dir = tempDir();
  expect(await (await loadFactory(join(dir, 'none.idb'))).databases()).toEqual([]);
  const junk = join(dir, 'junk.idb');
  writeFileSync(junk, 'not a history file');
  await expect(loadFactory(junk)).rejects.toThrow();
});

it('names one file per server and account, folding the username as the server does', () => {
  expect(serverSlug('http://127.0.0.1:8080')).toBe('http_127.0.0.1_8080');
  expect(serverSlug('https://chat.example.com')).toBe('https_chat.example.com_443');
  expect(historyFile('/d', 'http://h:1', 'Bob')).toBe(historyFile('/d', 'http://h:1', 'bob'));
  expect(historyFile('/d', 'http://h:1', 'bob')).not.toBe(historyFile('/d', 'http://h:2', 'bob'));
  // A username cannot climb out of the data directory: it becomes hex.
  expect(historyFile('/d', 'http://h:1', '../../etc')).toMatch(/^\/d\/http_h_1\/[0-9a-f]+\.idb$/);
});
