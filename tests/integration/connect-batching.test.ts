/**
 * Many handshakes at once, as after a restart: the token lookups and the mailbox counts of one
 * event-loop turn are read together (signaling/services/batched-lookup.ts). Each socket must still
 * come back as itself with its own mail count, a bad token among them must still be refused, and a
 * lookup that fails must refuse its handshakes with the generic error while the server carries on.
 */
import { sql } from 'kysely';
import pino from 'pino';
import { io as connect } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectRefusal, SessionReady } from '../../shared/events.ts';
import { createApp } from '../../signaling/app.ts';
import {
  DIALECTS,
  closeAllSockets,
  freshDatabase,
  login,
  register,
  testConfig,
  type ClientSocket,
  type TestDatabase,
} from '../helpers/server.ts';
import { nobodyOnline, uname } from '../helpers/social.ts';

type Arrival =
  { ready: SessionReady; mail: number | null; socket: ClientSocket } | { refused: ConnectRefusal };

/**
 * Connects and waits for session:ready and what follows it on the same connection, or for the
 * refusal. `offline:available` comes right behind session:ready when mail waits; a round trip
 * after session:ready proves nothing else was coming.
 */
function arrive(url: string, token: string): Promise<Arrival> {
  const socket: ClientSocket = connect(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve) => {
    let mail: number | null = null;
    socket.on('offline:available', ({ count }) => {
      mail = count;
    });
    socket.once('session:ready', (ready) => {
      socket.emit('friends:list', {}, () => resolve({ ready, mail, socket }));
    });
    socket.once('connect_error', (err) => {
      socket.close();
      const { message, data } = err as unknown as ConnectRefusal;
      resolve({ refused: { message, data } });
    });
  });
}

describe.each(DIALECTS)('handshakes at once (%s)', (dialect) => {
  let database: TestDatabase;
  let app: Awaited<ReturnType<typeof createApp>>;
  let url: string;
  /** What the server logged at error level: the operator's side of a refusal. */
  const logged: string[] = [];
  const opened: ClientSocket[] = [];

  beforeAll(async () => {
    database = await freshDatabase(dialect);
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(line) });
    app = await createApp({ config: testConfig(database.url), logger });
    ({ url } = await app.listen(0, '127.0.0.1'));
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) s.close();
    closeAllSockets();
    await nobodyOnline({ app } as Parameters<typeof nobodyOnline>[0]);
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  /** `n` accounts with a token each and no socket. */
  const accounts = (n: number, prefix: string) =>
    Promise.all(Array.from({ length: n }, (_, i) => register(url, uname(`${prefix}${i}_`))));

  it('each socket comes back as itself, and bad tokens among them are refused', async () => {
    const people = await accounts(24, 'back');
    // A token that was good once: its holder signed in again since, which ended it.
    const stale = await register(url, uname('stale'));
    await login(url, stale.user.username);
    const tokens = [
      ...people.map((p) => p.token),
      'not-a-token',
      stale.token,
      people[3]!.token.slice(0, -1),
    ];
    const arrivals = await Promise.all(tokens.map((t) => arrive(url, t)));
    for (const a of arrivals) if ('ready' in a) opened.push(a.socket);

    expect(arrivals.slice(0, people.length).map((a) => ('ready' in a ? a.ready.user : a))).toEqual(
      people.map((p) => p.user),
    );
    for (const a of arrivals.slice(people.length))
      expect('refused' in a ? a.refused : a).toEqual({
        message: 'UNAUTHENTICATED',
        data: { code: 'UNAUTHENTICATED', message: 'your session has ended; sign in again' },
      });
    for (const p of people) expect(app.presence.isOnline(p.user.id)).toBe(true);
  });

  it('each socket is told its own mail count, and one without mail is told nothing', async () => {
    const people = await accounts(12, 'mail');
    // Mail seeded straight into the store: person i has i messages waiting (0 for the first).
    const sender = people[0]!.user.id;
    const rows = people.flatMap((p, i) =>
      Array.from({ length: i }, (_, k) => ({
        recipient_id: p.user.id,
        msg_id: `m${k}`,
        sender_id: sender,
        kind: 'private' as const,
        payload: `for ${p.user.username} ${k}`,
        created_at: Date.now(),
      })),
    );
    await app.store.db.insertInto('offline_messages').values(rows).execute();

    const arrivals = await Promise.all(people.map((p) => arrive(url, p.token)));
    for (const a of arrivals) if ('ready' in a) opened.push(a.socket);
    expect(arrivals.map((a) => ('ready' in a ? [a.ready.user.username, a.mail] : a))).toEqual(
      people.map((p, i) => [p.user.username, i === 0 ? null : i]),
    );
  });

  it('a token lookup that fails refuses those handshakes with the generic error, and the server carries on', async () => {
    const people = await accounts(6, 'fail');
    logged.length = 0;
    await sql`alter table sessions rename to sessions_away`.execute(app.store.db);
    let arrivals: Arrival[];
    try {
      arrivals = await Promise.all(people.map((p) => arrive(url, p.token)));
    } finally {
      await sql`alter table sessions_away rename to sessions`.execute(app.store.db);
    }
    for (const a of arrivals) if ('ready' in a) opened.push(a.socket);
    for (const a of arrivals)
      expect('refused' in a ? a.refused : a).toEqual({
        message: 'INTERNAL',
        data: { code: 'INTERNAL', message: 'something went wrong on the server' },
      });
    // The operator is told what failed, once per refused handshake.
    const errors = logged.map(
      (l) => JSON.parse(l) as { during?: string; err?: { message?: string } },
    );
    expect(errors.filter((e) => e.during === 'socket authentication')).toHaveLength(people.length);
    expect(errors[0]?.err?.message).toMatch(/^token lookup failed \(a batch of \d+\): .*sessions/);

    // The next handshakes are looked up afresh and get in.
    const back = await Promise.all(people.map((p) => arrive(url, p.token)));
    for (const a of back) if ('ready' in a) opened.push(a.socket);
    expect(back.map((a) => ('ready' in a ? a.ready.user : a))).toEqual(people.map((p) => p.user));
  });
});
