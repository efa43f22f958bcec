/**
 * How services reach connected people without knowing about sockets. The Socket.IO implementation
 * lives in signaling/socket/notifier.ts (per-user rooms, so it works across nodes with the Redis
 * adapter); the admin CLI uses `offlineNotifier`, and running servers pick up its changes in their sweep.
 */
import type { ServerToClient, SessionEndReason } from '../../shared/events.ts';

export type EventName = keyof ServerToClient;
export type EventData<E extends EventName> = Parameters<ServerToClient[E]>[0];

export interface Notifier {
  toUser<E extends EventName>(userId: number, event: E, data: EventData<E>): void;
  toUsers<E extends EventName>(userIds: Iterable<number>, event: E, data: EventData<E>): void;
  toAll<E extends EventName>(event: E, data: EventData<E>): void;
  /** Tell every live socket of this user why, then disconnect them (optionally sparing one). */
  endSessions(userId: number, reason: SessionEndReason, exceptSocketId?: string): void;
}

export const offlineNotifier: Notifier = {
  toUser() {},
  toUsers() {},
  toAll() {},
  endSessions() {},
};

export const SESSION_END_MESSAGES: Record<SessionEndReason, string> = {
  elsewhere: 'You signed in somewhere else, so this session was closed.',
  blocked: 'Your account has been blocked by an administrator.',
  logout: 'You signed out.',
  replaced: 'This session was opened in another window or tab.',
};
