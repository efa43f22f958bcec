/**
 * A TCP proxy in front of the signaling server, one per simulated user, so a test can cut that
 * user's network (every open connection reset, as a Wi-Fi drop does) without touching the engine
 * or the server, and point the user at a restarted server on another port.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: give this to the client instead of the server's URL. */
  url: string;
  /** Resets every connection through the proxy; new ones are accepted again at once. */
  drop(): void;
  /** Where new connections go from now on (a restarted server). */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const drop = () => {
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
  };
  return {
    url: `http://127.0.0.1:${address.port}`,
    drop,
    retarget(port) {
      target = port;
    },
    close() {
      drop();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
