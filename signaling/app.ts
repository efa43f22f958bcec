/**
 * Builds the whole server from its parts and never listens by itself: `main.ts` listens on the
 * configured port, tests on port 0.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import sirv from 'sirv';
import type { ClientToServer, ServerToClient, SocketData } from '../shared/events.ts';
import { AppError } from '../shared/errors.ts';
import { clientAddressResolver } from './client-address.ts';
import { followBlocks } from './block-feed.ts';
import { joinCluster } from './cluster.ts';
import { attachMetrics, metrics, serveMetrics } from './metrics.ts';
import { toWire } from './errors.ts';
import { socketServerOptions, type Config } from './config.ts';
import { apiHandler } from './http/api.ts';
import { sendError, sendJson } from './http/json.ts';
import { guardRequest, type RequestTarget } from './http/request-guard.ts';
import { BlockList } from './services/blocks.ts';
import type { ServiceDeps } from './services/deps.ts';
import { createServices, type Services } from './services/index.ts';
import { PresenceRegistry } from './services/presence.ts';
import { eventBudget } from './services/rate-limits.ts';
import { socketBinder, type ChatSocket } from './socket/handlers.ts';
import { socketNotifier, userRoom } from './socket/notifier.ts';
import { openStore, type Store } from './storage/db.ts';

/** One shared empty object for what a socket no longer needs to hold. */
const NOTHING = Object.freeze({}) as Record<string, never>;
export type IO = Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

export interface App {
  http: HttpServer;
  io: IO;
  store: Store;
  services: Services;
  presence: PresenceRegistry;
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  logger: Logger;
  /** An already-open store; otherwise one is opened from config.databaseUrl. */
  store?: Store;
  now?: () => number;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config, logger } = options;
  const store = options.store ?? (await openStore(config.databaseUrl));
  const http = createServer();
  const io: IO = new Server(http, socketServerOptions(config));

  // Each Engine.IO connection keeps the HTTP upgrade request (headers, socket, parser state) for its
  // whole life; we read only `handshake.auth`, which comes from the CONNECT packet, and no handler
  // reads headers or the address. Dropping it saves a few KB per connection (Socket.IO docs,
  // "Memory usage"). The client's address is read from it first, the same way HTTP reads it, for
  // the handshake's rate limit; `io.use` takes it from here.
  const clientAddress = clientAddressResolver(config.trustProxy);
  const handshakeAddress = new WeakMap<object, string>();
  io.engine.on('connection', (raw: { request: IncomingMessage | null }) => {
    if (raw.request) handshakeAddress.set(raw, clientAddress(raw.request));
    raw.request = null;
  });

  const presence = new PresenceRegistry();
  // Joined before the services are built: they keep their rate-limit counters on its Redis.
  // Its callback runs only later, once a node dies, when `services` exists.
  const cluster = config.redisUrl
    ? await joinCluster(io, presence, {
        redisUrl: config.redisUrl,
        prefix: config.redisPrefix,
        heartbeatMs: config.clusterHeartbeatMs,
        logger,
        onUsersGone: (ids) => {
          services.presence
            .gone(ids)
            .catch((err: unknown) => logger.error({ err }, 'presence update failed'));
        },
      })
    : null;
  const deps: ServiceDeps = {
    store,
    config,
    logger,
    notifier: socketNotifier(io),
    presence,
    now: options.now ?? Date.now,
    limiterStore: cluster ? { client: cluster.redis, prefix: config.redisPrefix } : null,
    blocks: new BlockList(),
  };
  const services = createServices(deps);
  // Blocks made by another process (the admin CLI) arrive here within a fraction of a second.
  const blockFeed = await followBlocks(store, {
    nodeId: cluster?.nodeId ?? randomUUID(),
    databaseUrl: config.databaseUrl,
    logger,
    apply: (event) => services.moderation.applyBlockEvent(event),
  });
  // With one node (no Redis), nobody can be connected before we listen.
  if (!config.redisUrl) await services.presence.resetMirror();

  // --- HTTP: API first, then the built web client (single-page app), then 404. ---
  const api = apiHandler({ services, config, logger, store, clientAddress });
  const staticDir = config.staticDir ? resolve(config.staticDir) : null;
  const files =
    staticDir && existsSync(staticDir)
      ? sirv(staticDir, { single: true, etag: true, gzip: true, brotli: true, immutable: true })
      : null;
  http.on('request', (req, res) => {
    if (req.url?.startsWith('/socket.io/')) return; // Socket.IO answers these itself.
    let target: RequestTarget;
    try {
      target = guardRequest(req);
    } catch (err) {
      sendError(res, toWire(err, logger, { url: req.url?.slice(0, 200) }));
      return;
    }
    if (serveMetrics(req, res, config.metricsToken)) return;
    api(req, res, target)
      .then((handled) => {
        if (handled) return;
        if (files) {
          files(req, res, () =>
            sendJson(res, 404, { ok: false, error: { code: 'NOT_FOUND', message: 'not found' } }),
          );
          return;
        }
        sendJson(res, 404, {
          ok: false,
          error: { code: 'NOT_FOUND', message: 'the web client is not built; run `npm run build`' },
        });
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'http handler failed');
        if (!res.headersSent)
          sendJson(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
        // Too late for a status: end the connection rather than leave the client waiting.
        else res.destroy();
      });
  });

  // Upgraded (websocket) connections leave the HTTP server's own bookkeeping, so closeAllConnections()
  // cannot reach them; keep them here so shutdown can end one whose peer stopped reading.
  const upgraded = new Set<Duplex>();
  http.on('upgrade', (_req, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });

  // --- Socket.IO: authenticate in the handshake, then bind the handlers. ---
  /**
   * Nothing reads the handshake once the socket is authenticated, yet Socket.IO keeps it for the
   * connection's whole life: the token (a live secret), the upgrade request's headers, the query,
   * the URL and a date string, about a kilobyte of heap per idle connection. Keep only the address.
   */
  const forgetHandshake = (hs: ChatSocket['handshake']) => {
    hs.auth = NOTHING;
    hs.headers = NOTHING;
    hs.query = NOTHING;
    hs.url = '';
    hs.time = '';
  };
  const refuse = (error: { code: string; message: string; details?: unknown }) =>
    Object.assign(new Error(error.code), { data: error });
  io.use((socket, next) => {
    const ip = handshakeAddress.get(socket.conn) ?? socket.conn.remoteAddress;
    handshakeAddress.delete(socket.conn);
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    services.auth
      .authenticateConnection(typeof token === 'string' ? token : '', ip)
      .then((user) => {
        if (!user) {
          next(
            refuse({
              code: 'UNAUTHENTICATED',
              message:
                typeof token === 'string'
                  ? 'your session has ended; sign in again'
                  : 'sign in first',
            }),
          );
          return;
        }
        socket.data = { userId: user.id, username: user.username, isAdmin: user.is_admin === 1 };
        forgetHandshake(socket.handshake);
        next();
      })
      .catch((err: unknown) => {
        if (err instanceof AppError) {
          next(refuse(err.toWire()));
          return;
        }
        logger.error({ err }, 'socket authentication failed');
        next(refuse({ code: 'INTERNAL', message: 'server error' }));
      });
  });

  const bindSocket = socketBinder(services, logger, eventBudget(config, deps.limiterStore));
  // One function for every socket, reading the socket from `this`: a closure per connection would
  // be memory held for as long as the connection lives, times every idle connection.
  function onDisconnect(this: ChatSocket) {
    services.presence
      .disconnected(this.data.userId, this.data.username, this.id)
      .catch((err: unknown) => logger.error({ err }, 'presence update failed'));
  }
  io.on('connection', (socket: ChatSocket) => {
    const { userId, username } = socket.data;
    bindSocket(socket);
    metrics.connectionsOpened.inc();
    void socket.join(userRoom(userId));
    // One live session per user: a second socket with the same token replaces the first.
    deps.notifier.endSessions(userId, 'replaced', socket.id);
    socket.on('disconnect', onDisconnect);
    services.presence
      .connected(userId, username, socket.id)
      .then(() => {
        if (!socket.connected) return;
        socket.emit('session:ready', {
          user: { id: userId, username, isAdmin: socket.data.isAdmin },
          status: presence.settable(userId),
          ...services.ice.forUser(userId),
          groupMembersMax: config.groupMembersMax,
        });
      })
      .catch((err: unknown) => logger.error({ err }, 'presence update failed'));
  });

  // --- Housekeeping: expire old offline messages, pick up blocks made by other processes. ---
  const expiry = setInterval(() => {
    services.offline
      .expire()
      .catch((err: unknown) => logger.error({ err }, 'offline expiry failed'));
  }, 3600_000);
  const sweep = setInterval(
    () => {
      services.moderation
        .sweepBlocked()
        .catch((err: unknown) => logger.error({ err }, 'block sweep failed'));
    },
    Math.max(100, config.sweepIntervalMs),
  );
  expiry.unref();
  sweep.unref();
  void services.offline
    .expire()
    .catch((err: unknown) => logger.error({ err }, 'offline expiry failed'));

  let closed = false;
  let detachMetrics: (() => void) | null = null;
  const metricsSource = {
    connections: () => io.engine.clientsCount,
    sessions: () => presence.localEntries().length,
    offlineDepth: async () => {
      const row = await store.db
        .selectFrom('mailboxes')
        .select((eb) => eb.fn.sum<number>('count').as('n'))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
  return {
    http,
    io,
    store,
    services,
    presence,
    listen(port = config.port, host = config.host) {
      return new Promise((resolvePromise, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          const addr = http.address() as AddressInfo;
          detachMetrics = attachMetrics(
            metricsSource,
            config.nodeId ?? `${hostname()}:${addr.port}`,
          );
          const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
          resolvePromise({ port: addr.port, url: `http://${shown}:${addr.port}` });
        });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(expiry);
      clearInterval(sweep);
      detachMetrics?.();
      // io.close() disconnects every socket and closes the HTTP server, which waits for open
      // connections: idle keep-alive ones are closed now rather than when they time out.
      const closing = new Promise<void>((r) => {
        io.close(() => r());
      });
      http.closeIdleConnections();
      // A peer that stopped reading never completes the websocket close handshake; don't wait for it.
      const force = setTimeout(() => {
        http.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }, 1_000);
      await closing;
      clearTimeout(force);
      await blockFeed.close();
      await cluster?.close();
      await store.close();
    },
  };
}
