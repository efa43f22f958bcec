/**
 * A connection's life once authenticated: its handlers, its user room, one live session per user,
 * presence in and out, and `session:ready` once the user counts as online (with
 * `offline:available` behind it when mail is waiting).
 */
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import type { ClientToServer, ServerToClient, SocketData } from '../../shared/events.ts';
import type { Config } from '../config.ts';
import { metrics } from '../metrics.ts';
import type { Services } from '../services/index.ts';
import type { Notifier } from '../services/notifier.ts';
import type { PresenceRegistry } from '../services/presence-registry.ts';
import type { EventBudget } from '../services/rate-limits.ts';
import { socketBinder, type ChatSocket } from './handlers.ts';
import { userRoom } from './notifier.ts';

type IO = Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

export function runConnections(
  io: IO,
  deps: {
    services: Services;
    presence: PresenceRegistry;
    notifier: Notifier;
    config: Config;
    logger: Logger;
    events: EventBudget;
  },
): void {
  const { services, presence, notifier, config, logger } = deps;
  const bindSocket = socketBinder(services, logger, deps.events);
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
    notifier.endSessions(userId, 'replaced', socket.id);
    socket.on('disconnect', onDisconnect);
    // The mailbox count is read alongside the presence write rather than after it: both are
    // batched per event-loop turn, and in a reconnect storm every turn a socket waits is a turn in
    // which thousands more arrive. It is read after the join above, so mail stored from here on
    // is also announced to this socket as it lands.
    Promise.all([
      services.presence.connected(userId, username, socket.id),
      services.offline.waiting(userId),
      services.receipts.waiting(userId),
    ])
      .then(([, waiting, receipts]) => {
        if (!socket.connected) return;
        socket.emit('session:ready', {
          user: { id: userId, username, isAdmin: socket.data.isAdmin },
          status: presence.settable(userId),
          ...services.ice.forUser(userId),
          groupMembersMax: config.groupMembersMax,
        });
        // Mail stored while they were away: the total, right behind session:ready, so a client
        // knows to pull without asking (and an answer to anything it sends comes after this).
        if (waiting > 0) socket.emit('offline:available', { count: waiting });
        // Likewise receipts for my stored messages picked up while I was away.
        if (receipts > 0) socket.emit('receipts:available', { count: receipts });
      })
      .catch((err: unknown) => logger.error({ err }, 'session start failed'));
  });
}
