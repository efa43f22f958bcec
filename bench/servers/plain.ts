/**
 * The floor of what our protocol costs: a bare Socket.IO server with the same transport options as
 * ours (no compression, same frame cap and heartbeat) that relays `{ to, data }` to a socket id.
 * No auth, no database, no schema checks.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { loadConfig, socketServerOptions } from '../../signaling/config.ts';
import { serve } from '../lib/ipc.ts';
import { monitorHandlers, writeHeapProfile } from '../lib/monitor.ts';

let close: () => Promise<void> = async () => {};

serve({
  ...monitorHandlers,

  async start() {
    const config = loadConfig({});
    const http = createServer();
    const io = new Server(http, socketServerOptions(config));
    io.on('connection', (socket) => {
      socket.on('relay', (msg: { to?: unknown; data?: unknown }, ack?: unknown) => {
        if (typeof msg?.to === 'string')
          socket.to(msg.to).emit('relay', { from: socket.id, data: msg.data });
        if (typeof ack === 'function') (ack as (r: unknown) => void)({ ok: true });
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    close = () => new Promise((r) => io.close(() => r()));
    return { port: (http.address() as AddressInfo).port };
  },

  async close() {
    await writeHeapProfile();
    await close();
    return null;
  },
});
