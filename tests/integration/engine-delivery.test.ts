/**
 * Delivery's ordering against a real server and real data channels: the frame leaves while the
 * sender's own row commits, "delivered" is reported only after that row exists, and a settle lost
 * with the tab is made good by the outbox on the next sign-in (the receiver dedupes and acks again).
 */
import { describe, expect, it } from 'vitest';
import {
  befriend,
  serverPerTest,
  signedIn,
  startEngine,
  type TestBrowser,
  waitForState,
} from '../helpers/engine.ts';
import { eventually, sleep, type TestServer } from '../helpers/server.ts';

let server: TestServer;

serverPerTest(
  (s) => (server = s),
  () => server,
);

const offlineRows = () => server.app.store.db.selectFrom('offline_messages').selectAll().execute();

function openDb(profile: TestBrowser, user: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = profile.indexedDB.open(`p2sp-${user}`);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Ids of the user's messages still in the outbox, read straight from their IndexedDB. */
async function outboxIds(profile: TestBrowser, user: string): Promise<string[]> {
  const db = await openDb(profile, user);
  try {
    const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
      const req = db.transaction('messages').objectStore('messages').index('outboxAt').getAllKeys();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return keys.map((key) => (key as [string, string])[1]);
  } finally {
    db.close();
  }
}

/**
 * Holds a read-write transaction on the user's history database until released, so the engine's
 * own writes queue behind it (a slow disk, as far as the engine can tell).
 */
async function holdHistory(profile: TestBrowser, user: string): Promise<() => Promise<void>> {
  const db = await openDb(profile, user);
  const tx = db.transaction(['messages', 'conversations'], 'readwrite');
  const store = tx.objectStore('messages');
  let released = false;
  const finished = new Promise<void>((resolve) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => resolve();
  });
  // A transaction lives while it has requests: keep asking until released.
  const spin = () => {
    if (!released) store.count().onsuccess = spin;
  };
  spin();
  return async () => {
    released = true;
    await finished;
    db.close();
  };
}

describe('engine: delivery ordering', () => {
  it('sends while its own row commits, and reports delivered only after that row exists', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    const first = await alice.engine.sendPrivate('bob', 'open the channel');
    await waitForState(alice.engine, 'u:bob', first.id, ['delivered']);
    const events: string[] = [];
    // What a UI shows: every event applied as it comes. Views change only on events; the resolved
    // message is the one as queued, and nothing applies it over them.
    const shown = new Map<string, string | undefined>();
    alice.engine.on((e) => {
      if (e.type === 'message' && e.message.from === 'alice') {
        events.push(`${e.message.text}: ${e.message.state}`);
        shown.set(e.message.id, e.message.state);
      }
    });

    const release = await holdHistory(alice.profile, 'alice');
    let resolved = false;
    const sending = alice.engine.sendPrivate('bob', 'while my disk is busy').then((m) => {
      resolved = true;
      return m;
    });
    // Bob stored it, and acked it, while Alice's own row was still waiting to be written.
    await eventually(
      async () =>
        (await bob.engine.history('u:alice')).some((m) => m.text === 'while my disk is busy'),
      5_000,
      'bob has it',
    );
    // Bob acks right after his commit; give the ack time to arrive. Early or late, nothing may be
    // reported before Alice's own row exists.
    await sleep(300);
    expect(resolved).toBe(false);
    expect(events).toEqual([]);

    await release();
    const sent = await sending;
    const done = await waitForState(alice.engine, 'u:bob', sent.id, ['delivered']);
    expect(done).toMatchObject({ text: 'while my disk is busy', state: 'delivered' });
    expect(events).toEqual(['while my disk is busy: sending', 'while my disk is busy: delivered']);
    expect(sent.state).toBe('sending');
    expect(shown.get(sent.id)).toBe('delivered');
    await eventually(async () => (await outboxIds(alice.profile, 'alice')).length === 0, 5_000);
    expect(await offlineRows()).toHaveLength(0);
  });

  it('resends a message whose settle was lost with the tab; the receiver stores it once and acks again', async () => {
    const alice = await signedIn(server.url, 'alice');
    const bob = await signedIn(server.url, 'bob');
    await befriend(alice.engine, bob.engine);
    const atBob: string[] = [];
    bob.engine.on((e) => {
      if (e.type === 'message') atBob.push(e.message.id);
    });
    // The tab dies the moment "delivered" is shown, before the settle behind it can commit.
    let closing: Promise<void> | null = null;
    alice.engine.on((e) => {
      if (e.type === 'message' && e.message.state === 'delivered')
        closing ??= alice.engine.destroy();
    });

    const sent = await alice.engine.sendPrivate('bob', 'acked, then the tab died');
    await eventually(() => closing !== null, 5_000, 'delivered reported');
    await closing;
    expect(await outboxIds(alice.profile, 'alice')).toEqual([sent.id]);
    expect(atBob).toEqual([sent.id]);

    // The next sign-in resends it from the outbox; Bob already has it.
    const alice2 = startEngine(server.url, alice.profile);
    expect(await alice2.resume()).toBe(true);
    const done = await waitForState(alice2, 'u:bob', sent.id, ['delivered', 'stored', 'failed']);
    expect(done.state).toBe('delivered');
    await eventually(
      async () => (await outboxIds(alice.profile, 'alice')).length === 0,
      5_000,
      'settled',
    );
    expect((await bob.engine.history('u:alice')).filter((m) => m.id === sent.id)).toHaveLength(1);
    expect(atBob).toEqual([sent.id]);
    expect(await offlineRows()).toHaveLength(0);
  });
});
