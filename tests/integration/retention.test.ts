/**
 * What the server keeps about people, no longer than needed: an acknowledged offline message is
 * gone from the SQLite file's bytes (secure_delete zeroes it in its page, the housekeeping
 * checkpoint empties the -wal file of its old page images), and sign-ins older than LOGIN_LOG_DAYS
 * leave the login log, at start and on every hourly pass.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../signaling/config.ts';
import {
  DIALECTS,
  call,
  closeAllSockets,
  eventually,
  startServer,
  user,
  type TestServer,
} from '../helpers/server.ts';
import { befriend, comeBack, goOffline, manualClock, ok, uname } from '../helpers/social.ts';

const DAY = 24 * 3600 * 1000;

let server: Awaited<ReturnType<typeof startServer>> | undefined;
afterEach(async () => {
  closeAllSockets();
  await server?.close();
  server = undefined;
});

/** Is `needle` anywhere in the database file or its write-ahead log, as raw bytes? */
function onDisk(databaseUrl: string, needle: string): { file: boolean; wal: boolean } {
  const file = databaseUrl.replace(/^sqlite:/, '');
  const has = (path: string) => existsSync(path) && readFileSync(path).includes(needle, 0, 'utf8');
  return { file: has(file), wal: has(`${file}-wal`) };
}

describe('an acknowledged offline message leaves the SQLite files', () => {
  it('is in the file or its WAL until acked, and in neither after the checkpoint', async () => {
    server = await startServer('sqlite');
    const a = await user(server.url, uname('ann'));
    const b = await user(server.url, uname('bob'));
    await befriend(a, b);
    await goOffline(server, b);

    const canary = `canary-${randomUUID()}`;
    ok(
      await call(a.socket, 'offline:store', {
        id: 'm-canary',
        to: { username: b.username },
        payload: JSON.stringify({ text: canary }),
      }),
    );
    const back = await comeBack(server.url, b.username);
    const { messages } = ok(await call(back.socket, 'offline:pull', {}));
    expect(messages.map((m) => m.id)).toEqual(['m-canary']);

    // Stored: so the search below can find it, and its "absent" means something.
    const before = onDisk(server.databaseUrl, canary);
    expect(before.file || before.wal).toBe(true);

    expect(ok(await call(back.socket, 'offline:ack', { ids: ['m-canary'] }))).toEqual({
      deleted: 1,
    });
    await server.app.housekeeping.hourly();
    expect(onDisk(server.databaseUrl, canary)).toEqual({ file: false, wal: false });
  });
});

describe.each(DIALECTS)('the login log keeps LOGIN_LOG_DAYS (%s)', (dialect) => {
  const logAges = async (s: TestServer, userId: number, now: number) =>
    (
      await s.app.store.db
        .selectFrom('login_log')
        .select('at')
        .where('user_id', '=', userId)
        .orderBy('at')
        .execute()
    ).map((r) => Math.round((now - Number(r.at)) / DAY));

  it('prunes sign-ins older than the setting on every hourly pass', async () => {
    const clock = manualClock();
    const start = clock.now();
    server = await startServer(dialect, { loginLogMaxAgeMs: 30 * DAY }, undefined, clock.now);
    const a = await user(server.url, uname('ann'));
    await server.app.store.db
      .insertInto('login_log')
      .values([
        { user_id: a.user.id, ip: '192.0.2.1', at: start - 45 * DAY },
        { user_id: a.user.id, ip: '192.0.2.2', at: start - 29 * DAY },
      ])
      .execute();
    expect(await logAges(server, a.user.id, start)).toEqual([45, 29, 0]);

    await server.app.housekeeping.hourly();
    expect(await logAges(server, a.user.id, start)).toEqual([29, 0]);

    clock.advance(2 * DAY);
    await server.app.housekeeping.hourly();
    expect(await logAges(server, a.user.id, start)).toEqual([0]);
  });

  it('prunes at start, before the first hour is up', async () => {
    server = await startServer(dialect);
    const a = await user(server.url, uname('ann'));
    const now = Date.now();
    await server.app.store.db
      .insertInto('login_log')
      .values({ user_id: a.user.id, ip: '192.0.2.3', at: now - 91 * DAY })
      .execute();
    closeAllSockets();
    await server.stop();
    server = await startServer(dialect, {}, server.database);
    const s = server;
    await eventually(
      async () => (await logAges(s, a.user.id, now)).length === 1,
      5_000,
      'the 91-day-old sign-in pruned at start',
    );
    expect(await logAges(s, a.user.id, now)).toEqual([0]);
  });
});

describe('LOGIN_LOG_DAYS', () => {
  it('defaults to 90 days and takes 1 to 3650', () => {
    expect(loadConfig({}).loginLogMaxAgeMs).toBe(90 * DAY);
    expect(loadConfig({ LOGIN_LOG_DAYS: '1' }).loginLogMaxAgeMs).toBe(DAY);
    expect(loadConfig({ LOGIN_LOG_DAYS: '3650' }).loginLogMaxAgeMs).toBe(3650 * DAY);
  });

  it.each(['0', '3651', '-1', '1.5', 'ninety'])('refuses %s with a message naming it', (raw) => {
    expect(() => loadConfig({ LOGIN_LOG_DAYS: raw })).toThrow(/^LOGIN_LOG_DAYS must be/);
  });
});
