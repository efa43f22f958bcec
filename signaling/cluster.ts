/**
 * Several nodes, one user base. With REDIS_URL set, the Socket.IO Redis adapter carries room
 * broadcasts between nodes (so `user:<id>` reaches a user wherever they are connected, and
 * disconnectSockets() kicks them there), and this module keeps every node's presence view in step:
 *
 * - each node publishes its own users' changes (`presence` server-side events);
 * - a node that starts asks the others for what they hold (`presence:snapshot`);
 * - nodes send heartbeats; a node not heard from for 3 intervals is taken as gone, its users are
 *   dropped, and the lowest-id surviving node announces the ones now offline everywhere.
 *
 * PostgreSQL is the shared store; nothing here touches it.
 */
import { randomUUID } from 'node:crypto';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Logger } from 'pino';
import { createClient } from 'redis';
import type { Server } from 'socket.io';
import type { SettableStatus } from '../shared/limits.ts';
import type { PresenceRegistry } from './services/presence-registry.ts';

type PresenceMessage = { node: string; userId: number; status: SettableStatus | null };
type Snapshot = { node: string; entries: [number, SettableStatus][] };

export interface Cluster {
  nodeId: string;
  /** A connected client for other shared state (rate-limit counters). */
  redis: unknown;
  close(): Promise<void>;
}

export interface ClusterOptions {
  redisUrl: string;
  prefix: string;
  heartbeatMs: number;
  logger: Logger;
  /** Called on the announcing node for users who went offline because their node died. */
  onUsersGone: (userIds: number[]) => void;
}

// The server-side event names travel over Redis only between our own nodes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyServer = Server<any, any, any, any>;

export async function joinCluster(
  io: AnyServer,
  presence: PresenceRegistry,
  options: ClusterOptions,
): Promise<Cluster> {
  const { logger } = options;
  const { heartbeatMs } = options;
  const nodeId = randomUUID();
  const pub = createClient({ url: options.redisUrl });
  const sub = pub.duplicate();
  for (const client of [pub, sub])
    client.on('error', (err: unknown) => logger.error({ err }, 'redis error'));
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub, { key: options.prefix, requestsTimeout: 2_000 }));

  const lastSeen = new Map<string, number>();
  const heard = (node: string) => {
    if (node !== nodeId) lastSeen.set(node, Date.now());
  };

  presence.onLocalChange(({ userId, status }) => {
    io.serverSideEmit('presence', { node: nodeId, userId, status } satisfies PresenceMessage);
  });

  io.on('presence', (msg: PresenceMessage) => {
    heard(msg.node);
    presence.applyRemote(msg.node, msg.userId, msg.status);
  });
  io.on('heartbeat', (node: string) => heard(node));
  io.on('presence:snapshot', (from: string, reply: (s: Snapshot) => void) => {
    heard(from);
    reply({ node: nodeId, entries: presence.localEntries() });
  });

  // What the other nodes hold now. Nodes that do not answer in time are heard from by heartbeat.
  try {
    const snapshots = (await io.serverSideEmitWithAck('presence:snapshot', nodeId)) as Snapshot[];
    for (const snap of snapshots) {
      heard(snap.node);
      for (const [userId, status] of snap.entries) presence.applyRemote(snap.node, userId, status);
    }
  } catch (err) {
    logger.warn({ err }, 'some nodes did not answer the presence snapshot in time');
  }

  const beat = setInterval(() => {
    io.serverSideEmit('heartbeat', nodeId);
    const deadline = Date.now() - heartbeatMs * 3;
    const alive = [
      nodeId,
      ...[...lastSeen].filter(([, at]) => at >= deadline).map(([n]) => n),
    ].sort();
    for (const [node, at] of lastSeen) {
      if (at >= deadline) continue;
      lastSeen.delete(node);
      const gone = presence.dropNode(node);
      logger.warn({ node, users: gone.length }, 'node stopped answering; its users are offline');
      // One survivor tells the users' contacts, so they hear it once.
      if (alive[0] === nodeId && gone.length > 0) options.onUsersGone(gone);
    }
  }, heartbeatMs);
  beat.unref();

  return {
    nodeId,
    redis: pub,
    async close() {
      clearInterval(beat);
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
