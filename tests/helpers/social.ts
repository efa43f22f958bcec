/**
 * Steps the social and moderation suites share: acks read as values, friendships, groups and admins
 * made in one call, going offline and coming back, and clocks a test controls.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Ack, ErrorCode } from '../../shared/errors.ts';
import type { AuthResult, GroupInfo } from '../../shared/events.ts';
import {
  call,
  closeAllSockets,
  connectSocket,
  eventually,
  login,
  register,
  startServer,
  type ClientSocket,
  type Dialect,
  type TestServer,
} from './server.ts';

export interface Person extends AuthResult {
  username: string;
  socket: ClientSocket;
}

/** The data of a successful ack; a failed one throws with its code, so the test says why. */
export function ok<T>(res: Ack<T>): T {
  if (!res.ok) throw new Error(`expected ok, got ${res.error.code}: ${res.error.message}`);
  return res.data;
}

/** Asserts a failed ack with exactly this code (and a message for people). */
export function expectError(res: Ack<unknown>, code: ErrorCode): void {
  expect(res.ok ? res : { ok: false, code: res.error.code }).toEqual({ ok: false, code });
  if (!res.ok) expect(res.error.message.length).toBeGreaterThan(0);
}

let counter = 0;
/** A username nobody in this file has used (each file runs in its own module instance). */
export function uname(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}`;
}

export async function befriend(a: Person, b: Person): Promise<void> {
  ok(await call(a.socket, 'friends:request', { username: b.username }));
  ok(await call(b.socket, 'friends:respond', { username: a.username, accept: true }));
}

/**
 * `by` (the owner or a group admin) invites `p`, and `p` accepts: p is a member, and `by` has
 * heard the join (so a test's next() on by's socket waits for what comes after).
 */
export async function addMember(by: Person, groupId: number, p: Person): Promise<void> {
  ok(await call(by.socket, 'groups:invite', { groupId, username: p.username }));
  ok(await call(p.socket, 'groups:accept', { groupId }));
  await settle(by.socket);
}

/**
 * `by` invites `p`, who has no live socket: p signs in (a new login) only to accept, then leaves
 * again (the server counts them offline before this returns).
 */
export async function addOfflineMember(
  server: TestServer,
  by: Person,
  groupId: number,
  p: { username: string; user: { id: number } },
): Promise<void> {
  ok(await call(by.socket, 'groups:invite', { groupId, username: p.username }));
  const socket = await connectSocket(server.url, (await login(server.url, p.username)).token);
  ok(await call(socket, 'groups:accept', { groupId }));
  socket.close();
  await eventually(() => !server.app.presence.isOnline(p.user.id), 5_000, `${p.username} offline`);
  await settle(by.socket);
}

/** A group owned by `owner` with `members` invited in order, each accepting. */
export async function makeGroup(owner: Person, name: string, members: Person[] = []) {
  const group = ok(await call(owner.socket, 'groups:create', { name }));
  for (const m of members) await addMember(owner, group.id, m);
  return group;
}

export async function groupsOf(p: Person): Promise<GroupInfo[]> {
  return ok(await call(p.socket, 'groups:list', {}));
}

/** Closes the person's socket and waits until the server counts them offline. */
export async function goOffline(server: TestServer, p: Person): Promise<void> {
  p.socket.close();
  await eventually(() => !server.app.presence.isOnline(p.user.id), 5_000, `${p.username} offline`);
}

/** Logs in over HTTP and connects, as a returning user does. */
export async function comeBack(url: string, username: string): Promise<Person> {
  const auth = await login(url, username);
  const socket = await connectSocket(url, auth.token);
  return { ...auth, socket, username };
}

/** An account with no live socket. */
export async function offlineUser(url: string, username: string) {
  return { ...(await register(url, username)), username };
}

/** A registered user promoted to admin, then connected (so the session starts as an admin). */
export async function adminUser(server: TestServer, username: string): Promise<Person> {
  const auth = await register(server.url, username);
  await server.app.services.auth.setAdmin(username, true);
  const socket = await connectSocket(server.url, auth.token);
  return { ...auth, user: { ...auth.user, isAdmin: true }, socket, username };
}

/** After closeAllSockets(): the server has noticed, so the next test starts with nobody online. */
export async function nobodyOnline(server: TestServer | undefined): Promise<void> {
  if (!server) return;
  await eventually(() => server.app.presence.size === 0, 5_000, 'every socket gone');
}

/**
 * One server shared by a describe block's tests: started before them (`started` receives it),
 * left with nobody online after each test, and closed after the last. Tests keep apart by using
 * distinct usernames (uname).
 */
export function sharedServer(
  dialect: Dialect,
  started: (server: TestServer) => void,
  now?: () => number,
): void {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer(dialect, {}, undefined, now);
    started(server);
  });
  afterEach(async () => {
    closeAllSockets();
    await nobodyOnline(server);
  });
  afterAll(async () => {
    closeAllSockets();
    await server?.close();
  });
}

/**
 * A round trip on `socket`: anything the server emitted to it before this call has arrived when it
 * resolves (one connection delivers in order), so a collect() read afterwards is complete.
 */
export async function settle(socket: ClientSocket): Promise<void> {
  ok(await call(socket, 'friends:list', {}));
}

/**
 * A round trip on `socket`, as settle(): true once it is back; false as soon as the server
 * disconnects the socket instead (a settle() on it would wait out its timeout and say only that).
 */
export function stillConnected(socket: ClientSocket): Promise<boolean> {
  if (!socket.connected) return Promise.resolve(false);
  return new Promise((resolve) => {
    const gone = () => resolve(false);
    socket.once('disconnect', gone);
    call(socket, 'friends:list', {}).then(
      (res) => {
        socket.off('disconnect', gone);
        resolve(res.ok);
      },
      () => resolve(false),
    );
  });
}

/** A clock that never returns the same millisecond twice, so "longest-standing" has one answer. */
export function strictClock(): () => number {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return last;
  };
}

/** A clock the test moves by hand (starts at real time). */
export function manualClock() {
  let t = Date.now();
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}
