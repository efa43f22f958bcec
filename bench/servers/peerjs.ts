/**
 * PeerJS's PeerServer (the `peer` package) with its connection limit raised, on its own port.
 * Clients are raw WebSockets at /peerjs?key=peerjs&id=..&token=.. sending {type, dst, payload}.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PeerServer } from 'peer';
import { serve } from '../lib/ipc.ts';
import { monitorHandlers, writeHeapProfile } from '../lib/monitor.ts';

let server: HttpServer | undefined;

serve({
  ...monitorHandlers,

  async start() {
    const http = await new Promise<HttpServer>((resolve) => {
      PeerServer(
        { port: 0, host: '127.0.0.1', path: '/', key: 'peerjs', concurrent_limit: 1_000_000 },
        (s) => resolve(s as HttpServer),
      );
    });
    server = http;
    return { port: (http.address() as AddressInfo).port };
  },

  async close() {
    await writeHeapProfile();
    // Upgraded sockets keep the HTTP server open; the process is ended right after this anyway.
    server?.close();
    return null;
  },
});
