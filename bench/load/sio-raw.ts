/**
 * A minimal Socket.IO 4 client for the load generator: Engine.IO 4 over one websocket, the default
 * namespace, text packets only (what the relay load sends and receives). It speaks the same wire
 * protocol as socket.io-client, so the server under test does exactly the same work, but it costs
 * the generator a fraction of the CPU per event. On a 2-core machine the generators share the cores
 * with the server, so a heavy client lowers the rate any server seems to sustain; PeerServer's
 * clients are raw websockets already, so this puts the Socket.IO servers on the same footing.
 *
 * Packets (Engine.IO type digit, then Socket.IO type digit for messages):
 *   `0{...}` open (server) · `2` ping (server) -> `3` pong · `1` close
 *   `40{auth}` connect (client) -> `40{"sid"}` or `44{"message"}` · `41` disconnect
 *   `42[event, data]` event · `42<id>[event, data]` event wanting an ack -> `43<id>[response]`
 */
import WebSocket from 'ws';

export interface RawSioOptions {
  auth?: Record<string, unknown>;
  localAddress?: string;
  timeoutMs: number;
}

type Handler = (data: unknown) => void;

export class RawSioClient {
  /** The Socket.IO session id (after connect). */
  id: string | undefined;
  readonly #ws: WebSocket;
  readonly #handlers = new Map<string, Handler>();
  readonly #acks = new Map<number, (res: unknown) => void>();
  #nextAck = 0;
  #connected = false;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  /**
   * Opens the websocket and connects the default namespace. Resolves once `readyEvent` arrives
   * (ours: `session:ready`), or at the namespace connect when there is none.
   */
  static open(url: string, opts: RawSioOptions, readyEvent?: string): Promise<RawSioClient> {
    const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(wsUrl, {
      localAddress: opts.localAddress,
      perMessageDeflate: false,
    });
    const client = new RawSioClient(ws);
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          ws.terminate();
          reject(err);
        } else resolve(client);
      };
      const timer = setTimeout(() => finish(new Error('timeout')), opts.timeoutMs);
      if (readyEvent) client.#handlers.set(readyEvent, () => finish());
      client.#handlers.set('session:ended', (d) =>
        finish(new Error(`session ended: ${(d as { reason?: string })?.reason ?? '?'}`)),
      );
      ws.on('message', (data) => {
        const text = String(data);
        if (text.startsWith('40')) {
          client.#connected = true;
          client.id = (JSON.parse(text.slice(2) || '{}') as { sid?: string }).sid;
          if (!readyEvent) finish();
        } else if (text.startsWith('44')) {
          const msg = (JSON.parse(text.slice(2) || '{}') as { message?: string }).message;
          finish(new Error(msg ?? 'connect error'));
        } else if (text.charCodeAt(0) === 48 /* 0: open */) {
          ws.send(`40${opts.auth ? JSON.stringify(opts.auth) : ''}`);
        } else client.#packet(text);
      });
      ws.on('error', (err) => finish(err));
      ws.on('close', () => {
        client.#connected = false;
        finish(new Error('closed'));
      });
    });
  }

  get connected(): boolean {
    return this.#connected && this.#ws.readyState === WebSocket.OPEN;
  }

  /** One listener per event is all the load needs; a later `on` replaces the earlier one. */
  on(event: string, handler: Handler): void {
    this.#handlers.set(event, handler);
  }

  emit(event: string, data: unknown, ack?: (res: unknown) => void): void {
    if (!ack) {
      this.#ws.send(`42${JSON.stringify([event, data])}`);
      return;
    }
    const id = this.#nextAck++;
    this.#acks.set(id, ack);
    this.#ws.send(`42${id}${JSON.stringify([event, data])}`);
  }

  close(): void {
    this.#connected = false;
    this.#ws.terminate();
  }

  #packet(text: string): void {
    if (text === '2') {
      this.#ws.send('3');
      return;
    }
    if (text.startsWith('42')) {
      // No ack id is ever asked of us here; skip digits defensively anyway.
      const [event, data] = JSON.parse(text.slice(text.indexOf('['))) as [string, unknown];
      this.#handlers.get(event)?.(data);
    } else if (text.startsWith('43')) {
      const open = text.indexOf('[');
      const id = Number(text.slice(2, open));
      const [res] = JSON.parse(text.slice(open)) as [unknown];
      const ack = this.#acks.get(id);
      this.#acks.delete(id);
      ack?.(res);
    } else if (text === '41' || text === '1') {
      this.#connected = false;
    }
  }
}
