/**
 * A real signaling server for tests: real HTTP on port 0, a real SQLite file in a temp dir or a
 * fresh PostgreSQL database on this machine's server, real Socket.IO clients.
 */
import pino from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import type { Ack } from '../../shared/errors.ts';
import type { AuthResult, ClientToServer, ServerToClient } from '../../shared/events.ts';
import { createApp, type App } from '../../signaling/app.ts';
import { loadConfig, type Config } from '../../signaling/config.ts';
import { freshDatabase, generousRateLimits, type Dialect, type TestDatabase } from './platform.ts';

export { freshDatabase, PG_ADMIN_URL, type Dialect, type TestDatabase } from './platform.ts';
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

export function testConfig(databaseUrl: string, overrides: Partial<Config> = {}): Config {
  const base = loadConfig({});
  return {
    ...base,
    databaseUrl,
    host: '127.0.0.1',
    port: 0,
    staticDir: null,
    logLevel: 'silent',
    pingIntervalMs: 1_000,
    pingTimeoutMs: 1_000,
    sweepIntervalMs: 200,
    rateLimits: {
      ...generousRateLimits(10_000, 60),
      eventsPerUser: { points: 10_000, durationSec: 1 },
    },
    ...overrides,
  };
}

export interface TestServer {
  app: App;
  url: string;
  databaseUrl: string;
  /** Stops the server, keeping the database (for restart tests). */
  stop(): Promise<void>;
  /** Stops the server and drops the database. */
  close(): Promise<void>;
}

export async function startServer(
  dialect: Dialect,
  overrides: Partial<Config> = {},
  database?: TestDatabase,
  /** The server's clock (offline expiry, timestamps); real time unless a test moves it. */
  now?: () => number,
): Promise<TestServer & { database: TestDatabase }> {
  const db = database ?? (await freshDatabase(dialect));
  const config = testConfig(db.url, overrides);
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const app = await createApp(now ? { config, logger, now } : { config, logger });
  const { url } = await app.listen(0, '127.0.0.1');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
  };
  return {
    app,
    url,
    databaseUrl: db.url,
    database: db,
    stop,
    close: async () => {
      await stop();
      await db.drop();
    },
  };
}

export async function post<T = unknown>(
  url: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: Ack<T>; headers: Headers }> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Ack<T>, headers: res.headers };
}

export async function get<T = unknown>(url: string, path: string, token?: string) {
  const res = await fetch(url + path, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Ack<T> };
}

export async function register(
  url: string,
  username: string,
  password = 'correct horse battery',
): Promise<AuthResult> {
  const res = await post<AuthResult>(url, '/api/auth/register', { username, password });
  if (!res.body.ok)
    throw new Error(`register ${username}: ${res.body.error.code} ${res.body.error.message}`);
  return res.body.data;
}

export async function login(
  url: string,
  username: string,
  password = 'correct horse battery',
): Promise<AuthResult> {
  const res = await post<AuthResult>(url, '/api/auth/login', { username, password });
  if (!res.body.ok)
    throw new Error(`login ${username}: ${res.body.error.code} ${res.body.error.message}`);
  return res.body.data;
}

export type ClientSocket = Socket<ServerToClient, ClientToServer>;

const openSockets = new Set<ClientSocket>();

/** A connected socket (resolves on `session:ready`), or rejects with the connect error. */
export function connectSocket(
  url: string,
  token: string,
  options: { reconnection?: boolean } = {},
): Promise<ClientSocket> {
  const socket: ClientSocket = connect(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: options.reconnection ?? false,
    forceNew: true,
  });
  openSockets.add(socket);
  return new Promise((resolve, reject) => {
    const ended = (data: { reason: string }) => {
      socket.off('disconnect', dropped);
      reject(new Error(`session ended before session:ready: ${data.reason}`));
    };
    // Cut off between the handshake and session:ready (the server ended the session): without
    // this the promise never settled, and a test hung to its timeout saying nothing.
    const dropped = (why: string) => reject(new Error(`disconnected before session:ready: ${why}`));
    socket.once('session:ready', () => {
      socket.off('session:ended', ended);
      socket.off('disconnect', dropped);
      resolve(socket);
    });
    socket.once('session:ended', ended);
    socket.once('disconnect', dropped);
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

export function closeAllSockets(): void {
  for (const s of openSockets) s.close();
  openSockets.clear();
}

/** Register, then connect: the common start of a test. */
export async function user(url: string, username: string) {
  const auth = await register(url, username);
  const socket = await connectSocket(url, auth.token);
  return { ...auth, socket, username };
}

/** Emit with an ack, typed by the contract. */
export function call<E extends keyof ClientToServer>(
  socket: ClientSocket,
  event: E,
  payload: Parameters<ClientToServer[E]>[0],
): Promise<Parameters<Parameters<ClientToServer[E]>[1]>[0]> {
  return (
    socket.timeout(10_000) as unknown as { emitWithAck: (e: string, p: unknown) => Promise<never> }
  ).emitWithAck(event, payload);
}

/** Resolves with the next `event` on `socket`; rejects after `ms`. */
export function next<E extends keyof ServerToClient>(
  socket: ClientSocket,
  event: E,
  ms = 5_000,
  filter: (data: Parameters<ServerToClient[E]>[0]) => boolean = () => true,
): Promise<Parameters<ServerToClient[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      (socket.off as (e: string, fn: unknown) => void)(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, ms);
    const handler = (data: Parameters<ServerToClient[E]>[0]) => {
      if (!filter(data)) return;
      clearTimeout(timer);
      (socket.off as (e: string, fn: unknown) => void)(event, handler);
      resolve(data);
    };
    (socket.on as (e: string, fn: unknown) => void)(event, handler);
  });
}

/** Collects every `event` on `socket` into an array (for asserting that something did NOT arrive). */
export function collect<E extends keyof ServerToClient>(
  socket: ClientSocket,
  event: E,
): Parameters<ServerToClient[E]>[0][] {
  const seen: Parameters<ServerToClient[E]>[0][] = [];
  (socket.on as (e: string, fn: unknown) => void)(event, (d: Parameters<ServerToClient[E]>[0]) =>
    seen.push(d),
  );
  return seen;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns true, or throws after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}
