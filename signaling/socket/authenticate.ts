/**
 * Socket authentication: the token is checked in the handshake (`io.use`), the user goes into
 * `socket.data`, and what the handshake carried is dropped once it has been read.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import type {
  ClientToServer,
  ConnectRefusal,
  ServerToClient,
  SocketData,
} from '../../shared/events.ts';
import type { WireError } from '../../shared/errors.ts';
import { errors } from '../error-catalogue.ts';
import type { ClientAddressOf } from '../client-address.ts';
import { toWire } from '../errors.ts';
import type { Services } from '../services/index.ts';
import type { ChatSocket } from './handlers.ts';

type IO = Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

/** One shared empty object for what a socket no longer needs to hold. */
const NOTHING = Object.freeze({}) as Record<string, never>;

/**
 * Nothing reads the handshake once the socket is authenticated, yet Socket.IO keeps it for the
 * connection's whole life: the token (a live secret), the upgrade request's headers, the query,
 * the URL and a date string, about a kilobyte of heap per idle connection. Keep only the address.
 */
function forgetHandshake(hs: ChatSocket['handshake']): void {
  hs.auth = NOTHING;
  hs.headers = NOTHING;
  hs.query = NOTHING;
  hs.url = '';
  hs.time = '';
}

/**
 * Every refused handshake goes through here: Socket.IO sends the error's `message` and `data` to
 * the client as its `connect_error` (shared/events.ts, ConnectRefusal).
 */
function refusal(error: WireError): Error & ConnectRefusal {
  const refused: ConnectRefusal = { message: error.code, data: error };
  return Object.assign(new Error(refused.message), refused);
}

export function authenticateSockets(
  io: IO,
  deps: { services: Services; clientAddress: ClientAddressOf; logger: Logger },
): void {
  const { services, clientAddress, logger } = deps;
  // Each Engine.IO connection keeps the HTTP upgrade request (headers, socket, parser state) for its
  // whole life; we read only `handshake.auth`, which comes from the CONNECT packet, and no handler
  // reads headers or the address. Dropping it saves a few KB per connection (Socket.IO docs,
  // "Memory usage"). The client's address is read from it first, the same way HTTP reads it, for
  // the handshake's rate limit; `io.use` takes it from here.
  const handshakeAddress = new WeakMap<object, string>();
  io.engine.on('connection', (raw: { request: IncomingMessage | null }) => {
    if (raw.request) handshakeAddress.set(raw, clientAddress(raw.request));
    raw.request = null;
  });

  io.use((socket, next) => {
    const ip = handshakeAddress.get(socket.conn) ?? socket.conn.remoteAddress;
    handshakeAddress.delete(socket.conn);
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    services.auth
      .authenticateConnection(typeof token === 'string' ? token : '', ip)
      .then((user) => {
        if (!user) {
          const refused = typeof token === 'string' ? errors.sessionEnded() : errors.signInFirst();
          next(refusal(refused.toWire()));
          return;
        }
        socket.data = {
          userId: user.id,
          username: user.username,
          isAdmin: user.is_admin === 1,
          ip,
        };
        forgetHandshake(socket.handshake);
        next();
      })
      .catch((err: unknown) => {
        next(refusal(toWire(err, logger, { during: 'socket authentication' })));
      });
  });
}
