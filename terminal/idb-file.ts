/**
 * The terminal's IndexedDB: fake-indexeddb (the engine's Node IndexedDB in tests too) kept in a
 * file. The engine's history (Dexie, `p2sp-<user>`) and keyring (`p2sp-keys-<user>`) run on an
 * in-memory factory; this module restores every database of the factory from the file at sign-in
 * and writes them all back (schema and records) after changes and at sign-out.
 *
 * Records are IndexedDB structured clones, so the file uses Node's structured-clone serializer
 * (v8.serialize): Uint8Array keys and Dates come back as they went in. The file holds this
 * device's private keys, so it is written 0600 in a 0700 directory, atomically (temp + rename), so
 * a crash mid-write leaves the previous file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { IDBFactory } from 'fake-indexeddb';

interface IndexDump {
  name: string;
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
}
interface StoreDump {
  name: string;
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexes: IndexDump[];
  keys: IDBValidKey[];
  values: unknown[];
}
interface DatabaseDump {
  name: string;
  version: number;
  stores: StoreDump[];
}
interface FileDump {
  format: 1;
  databases: DatabaseDump[];
}

const request = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });

function openExisting(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return request(factory.open(name));
}

async function dumpDatabase(factory: IDBFactory, name: string): Promise<DatabaseDump> {
  const db = await openExisting(factory, name);
  try {
    const names = [...db.objectStoreNames];
    const stores: StoreDump[] = [];
    if (names.length > 0) {
      // One read transaction over every store: a consistent snapshot of the database.
      const tx = db.transaction(names, 'readonly');
      for (const storeName of names) {
        const store = tx.objectStore(storeName);
        const indexes = [...store.indexNames].map((n) => {
          const index = store.index(n);
          return {
            name: n,
            keyPath: index.keyPath,
            unique: index.unique,
            multiEntry: index.multiEntry,
          };
        });
        const [keys, values] = await Promise.all([
          request(store.getAllKeys()),
          request(store.getAll()),
        ]);
        stores.push({
          name: storeName,
          keyPath: store.keyPath,
          autoIncrement: store.autoIncrement,
          indexes,
          keys,
          values,
        });
      }
    }
    return { name, version: db.version, stores };
  } finally {
    db.close();
  }
}

function restoreDatabase(factory: IDBFactory, dump: DatabaseDump): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = factory.open(dump.name, dump.version);
    open.onupgradeneeded = () => {
      const db = open.result;
      for (const s of dump.stores) {
        const store = db.createObjectStore(s.name, {
          keyPath: s.keyPath,
          autoIncrement: s.autoIncrement,
        });
        for (const i of s.indexes) {
          store.createIndex(i.name, i.keyPath, { unique: i.unique, multiEntry: i.multiEntry });
        }
        s.values.forEach((value, k) => {
          // Out-of-line keys go back as keys; in-line ones are inside the value already.
          if (s.keyPath === null) store.put(value, s.keys[k]);
          else store.put(value);
        });
      }
    };
    open.onsuccess = () => {
      open.result.close();
      resolve();
    };
    open.onerror = () => reject(open.error ?? new Error(`cannot restore ${dump.name}`));
  });
}

function isFileDump(v: unknown): v is FileDump {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as FileDump).format === 1 &&
    Array.isArray((v as FileDump).databases)
  );
}

/** A fresh factory holding what the file holds (nothing, if there is no file yet). */
export async function loadFactory(file: string): Promise<IDBFactory> {
  const factory = new IDBFactory();
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return factory;
    throw err;
  }
  const dump: unknown = deserialize(bytes);
  if (!isFileDump(dump)) throw new Error(`${file} is not a P2SP Chat history file`);
  for (const db of dump.databases) await restoreDatabase(factory, db);
  return factory;
}

/** Writes every database of the factory to the file. */
export async function saveFactory(factory: IDBFactory, file: string): Promise<void> {
  const infos = await factory.databases();
  const databases: DatabaseDump[] = [];
  for (const info of infos) {
    if (info.name !== undefined) databases.push(await dumpDatabase(factory, info.name));
  }
  const dump: FileDump = { format: 1, databases };
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, serialize(dump), { mode: 0o600 });
  await rename(tmp, file);
}
