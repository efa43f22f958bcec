/**
 * Engines for integration tests: each "browser" is its own fake IndexedDB and token store, peers
 * talk over real WebRTC data channels (@roamhq/wrtc), and the server is the real one.
 */
import wrtc from '@roamhq/wrtc';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import pino from 'pino';
import { createApp } from '../../signaling/app.ts';
import type {
  ChatEngine,
  ChatMessage,
  ConversationId,
  DeliveryState,
} from '../../web/src/core/api.ts';
import {
  createEngine,
  memoryTokenStore,
  type EngineOptions,
  type TokenStore,
} from '../../web/src/core/engine.ts';
import { afterEach, beforeEach } from 'vitest';
import { destroyHandmadePeers } from './handmade-peer.ts';
import { closeAllSockets, eventually, startServer, testConfig, type TestServer } from './server.ts';

export interface TestBrowser {
  indexedDB: IDBFactory;
  tokenStore: TokenStore;
}

/** A separate browser profile: its own IndexedDB and its own "localStorage" token. */
export function browser(): TestBrowser {
  return { indexedDB: new IDBFactory(), tokenStore: memoryTokenStore() };
}

const engines = new Set<ChatEngine>();

export function startEngine(
  url: string,
  profile: TestBrowser = browser(),
  options: Partial<EngineOptions> = {},
): ChatEngine {
  const engine = createEngine({
    serverUrl: url,
    // @roamhq/wrtc's classes stand in for the DOM ones; their declared signatures differ slightly.
    wrtc: wrtc as unknown as EngineOptions['wrtc'],
    indexedDB: profile.indexedDB,
    IDBKeyRange,
    tokenStore: profile.tokenStore,
    directTimeoutMs: 4_000,
    ...options,
  });
  engines.add(engine);
  return engine;
}

export async function destroyEngines(): Promise<void> {
  await Promise.all([...engines].map((e) => e.destroy()));
  engines.clear();
}

/** What restartOnSamePort started, for serverPerTest to stop after the test. */
const restartedServers = new Set<TestServer>();

/**
 * A fresh SQLite server for each test, and every hand-made peer, engine and socket closed after it:
 * engine tests restart servers and leave engines half-way on purpose, so nothing is shared between
 * tests. `get` returns the server to close (a test may have replaced it with a restarted one);
 * every server restartOnSamePort started is stopped first, so a test that keeps its first server
 * (to drop its database) need not stop the second itself.
 */
export function serverPerTest(set: (server: TestServer) => void, get: () => TestServer): void {
  beforeEach(async () => {
    set(await startServer('sqlite'));
  });
  afterEach(async () => {
    destroyHandmadePeers();
    await destroyEngines();
    closeAllSockets();
    for (const restarted of restartedServers) await restarted.stop();
    restartedServers.clear();
    await get().close();
  });
}

/** Registers a user in a fresh browser and waits for the session to be ready. */
export async function signedIn(
  url: string,
  username: string,
  options: Partial<EngineOptions> = {},
) {
  const profile = browser();
  const engine = startEngine(url, profile, options);
  await engine.register(username, 'correct horse battery');
  // Ready includes making and wrapping the keys (Argon2id, about a second on a busy machine).
  await eventually(() => engine.session.phase === 'ready', 15_000, `${username} ready`);
  return { engine, profile, username };
}

export async function befriend(a: ChatEngine, b: ChatEngine): Promise<void> {
  const bName = b.session.user?.username ?? '';
  const aName = a.session.user?.username ?? '';
  await a.addFriend(bName);
  await eventually(() => b.social.incoming.includes(aName), 5_000, 'friend request');
  await b.respondFriend(aName, true);
  await eventually(
    () => a.social.friends.some((f) => f.username === bName && f.status === 'online'),
    5_000,
    'friendship',
  );
}

/** The message with this id in a conversation of this engine's history, if any. */
export async function findMessage(
  engine: ChatEngine,
  conversation: ConversationId,
  id: string,
): Promise<ChatMessage | undefined> {
  return (await engine.history(conversation, { limit: 500 })).find((m) => m.id === id);
}

export async function waitForState(
  engine: ChatEngine,
  conversation: ConversationId,
  id: string,
  states: DeliveryState[],
  ms = 15_000,
): Promise<ChatMessage> {
  let found: ChatMessage | undefined;
  await eventually(
    async () => {
      found = await findMessage(engine, conversation, id);
      return found?.state !== undefined && states.includes(found.state);
    },
    ms,
    `message ${id} to be ${states.join('/')}`,
  );
  return found!;
}

/** Every event the server received from or sent to each socket, by username. */
export function spyOnServer(server: TestServer) {
  const events: { user: string; direction: 'in' | 'out'; event: string; json: string }[] = [];
  server.app.io.on('connection', (socket) => {
    const user = socket.data.username;
    socket.onAny((event: string, ...args: unknown[]) => {
      events.push({
        user,
        direction: 'in',
        event,
        json: JSON.stringify(args.filter((a) => typeof a !== 'function')),
      });
    });
    socket.onAnyOutgoing((event: string, ...args: unknown[]) => {
      events.push({ user, direction: 'out', event, json: JSON.stringify(args) });
    });
  });
  return events;
}

/**
 * Starts the server again on the same port over the same database, as a restarted process would:
 * clients keep their URL, so they must find it again by reconnecting.
 */
export async function restartOnSamePort(server: TestServer): Promise<TestServer> {
  await server.stop();
  const port = Number(new URL(server.url).port);
  const app = await createApp({
    config: testConfig(server.databaseUrl),
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  await app.listen(port, '127.0.0.1');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
  };
  const restarted = { app, url: server.url, databaseUrl: server.databaseUrl, stop, close: stop };
  restartedServers.add(restarted);
  return restarted;
}

/** `owner` invites `member`, whose engine hears the invitation and accepts it: a member now. */
export async function joinGroup(
  owner: ChatEngine,
  member: ChatEngine,
  groupId: number,
): Promise<void> {
  await owner.inviteToGroup(groupId, member.session.user?.username ?? '');
  await eventually(
    () => member.social.invitations.some((i) => i.groupId === groupId),
    5_000,
    'invitation',
  );
  await member.respondGroupInvite(groupId, true);
  await eventually(() => member.social.groups.some((g) => g.id === groupId), 5_000, 'joined');
}
