/**
 * Builds the whole server from its parts and never listens by itself: `main.ts` listens on the
 * configured port, tests on port 0. Each part is its own module; this one wires them and owns the
 * order of start and shutdown.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import type { ClientToServer, ServerToClient, SocketData } from '../shared/events.ts';
import { clientAddressResolver } from './client-address.ts';
import { followBlocks } from './block-feed.ts';
import { joinCluster } from './cluster.ts';
import { socketServerOptions, type Config } from './config.ts';
import { startHousekeeping, type Housekeeping } from './housekeeping.ts';
import { httpServer } from './http/server.ts';
import { attachMetrics } from './metrics.ts';
import { BlockList } from './services/blocks.ts';
import type { ServiceDeps } from './services/deps.ts';
import { createServices, type Services } from './services/index.ts';
import { PresenceRegistry } from './services/presence-registry.ts';
import { eventBudget } from './services/rate-limits.ts';
import { authenticateSockets } from './socket/authenticate.ts';
import { runConnections } from './socket/lifecycle.ts';
import { socketNotifier } from './socket/notifier.ts';
import { openStore, type Store } from './storage/db.ts';

export type IO = Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

export interface App {
  http: HttpServer;
  io: IO;
  store: Store;
  services: Services;
  presence: PresenceRegistry;
  /** The timers' work, callable: `housekeeping.hourly()` runs the hourly pass now. */
  housekeeping: Pick<Housekeeping, 'hourly'>;
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
  const clientAddress = clientAddressResolver(config.trustProxy);

  const presence = new PresenceRegistry();
  // The HTTP server exists before Socket.IO, which attaches to it; it serves once the services do.
  const front = httpServer(config);
  const io: IO = new Server(front.http, socketServerOptions(config));
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
    notifier: socketNotifier(io, { singleNode: !cluster }),
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

  front.serve({ services, logger, store, clientAddress });
  authenticateSockets(io, { services, clientAddress, logger });
  runConnections(io, {
    services,
    presence,
    notifier: deps.notifier,
    config,
    logger,
    events: eventBudget(config, deps.limiterStore),
  });
  const housekeeping = startHousekeeping(services, store, config, logger);

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
    http: front.http,
    io,
    store,
    services,
    presence,
    housekeeping: { hourly: housekeeping.hourly },
    async listen(port = config.port, host = config.host) {
      const addr = await front.listen(port, host);
      detachMetrics = attachMetrics(metricsSource, config.nodeId ?? `${hostname()}:${addr.port}`);
      const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      return { port: addr.port, url: `http://${shown}:${addr.port}` };
    },
    async close() {
      if (closed) return;
      closed = true;
      housekeeping.stop();
      detachMetrics?.();
      // io.close() disconnects every socket and closes the HTTP server, which waits for open
      // connections; `drain` ends those that would keep it waiting.
      await front.drain(
        new Promise<void>((r) => {
          io.close(() => r());
        }),
      );
      await blockFeed.close();
      await cluster?.close();
      await store.close();
    },
  };
}
