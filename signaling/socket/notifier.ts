import type { Server } from 'socket.io';
import type {
  ClientToServer,
  ServerToClient,
  SessionEndReason,
  SocketData,
} from '../../shared/events.ts';
import {
  SESSION_END_MESSAGES,
  type EventData,
  type EventName,
  type Notifier,
} from '../services/notifier.ts';

type IO = Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

/** Every socket joins `user:<id>`, so "this user" works wherever they are connected (any node). */
export const userRoom = (userId: number) => `user:${userId}`;

export function socketNotifier(
  io: IO,
  /** No other node (no Redis adapter): this process's rooms are every socket there is. */
  { singleNode }: { singleNode: boolean },
): Notifier {
  // Socket.IO's emit is typed by event; our generic wrappers pass the pair through unchanged.
  type Emit = (event: EventName, data: unknown) => boolean;
  return {
    toUser<E extends EventName>(userId: number, event: E, data: EventData<E>) {
      (io.to(userRoom(userId)).emit as Emit)(event, data);
    },
    toUsers<E extends EventName>(userIds: Iterable<number>, event: E, data: EventData<E>) {
      const rooms = [...userIds].map(userRoom);
      if (rooms.length > 0) (io.to(rooms).emit as Emit)(event, data);
    },
    toAll<E extends EventName>(event: E, data: EventData<E>) {
      (io.emit as Emit)(event, data);
    },
    endSessions(userId: number, reason: SessionEndReason, exceptSocketId?: string) {
      // Every connect ends the user's other sessions, and almost always there are none. On one
      // node that is a look at the room; building and encoding a broadcast for nobody was a few
      // percent of a reconnect's server time in the storm bench. Other nodes may hold sockets of
      // this user, so with a cluster the broadcast always goes out.
      if (singleNode && exceptSocketId !== undefined) {
        const room = io.of('/').adapter.rooms.get(userRoom(userId));
        if (!room || (room.size === 1 && room.has(exceptSocketId))) return;
      }
      const target = exceptSocketId
        ? io.to(userRoom(userId)).except(exceptSocketId)
        : io.to(userRoom(userId));
      target.emit('session:ended', { reason, message: SESSION_END_MESSAGES[reason] });
      // A namespace-level disconnect: the packet is queued after the event above, so the client
      // reads the reason first, and Socket.IO clients do not auto-reconnect after it.
      const sockets = exceptSocketId
        ? io.in(userRoom(userId)).except(exceptSocketId)
        : io.in(userRoom(userId));
      sockets.disconnectSockets(false);
    },
  };
}
