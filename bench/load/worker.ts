/**
 * A load generator process. It holds its share of the connections (spread over several loopback
 * source addresses so one address's port range is not the limit), and runs the relay, offline and
 * login loads over them. Every loop is bounded by a count and a deadline.
 *
 * Relay pairs live in the same process (connections 2k and 2k+1), so send and receive times come
 * from one clock.
 */
import { request } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type { Ack } from '../../shared/errors.ts';
import { serve } from '../lib/ipc.ts';
import { RawSioClient } from './sio-raw.ts';

export type Kind = 'ours' | 'plain' | 'peerjs';
/** How Socket.IO connections are opened: socket.io-client, or the lighter wire-level client. */
export type ClientKind = 'socket.io' | 'raw';

interface Conn {
  index: number;
  /** Sends one relay message to `to` (a connection of this worker). */
  relay(to: Conn, seq: number, sdp: string): void;
  close(): void;
  isOpen(): boolean;
  /** The plain server relays to socket ids. */
  sid?: string;
  /** socket.io-client connections only (the offline and delivery loads use its acks). */
  socket?: Socket;
}

let kind: Kind = 'ours';
let port = 0;
/** Several nodes: connection `index` goes to `ports[index % ports.length]` (pairs split across). */
let ports: number[] = [];
let client: ClientKind = 'socket.io';
let conns: Conn[] = [];
let heartbeat: NodeJS.Timeout | undefined;

// --- relay bookkeeping ---
let sentAt: number[] = [];
let latencies: number[] = [];
let received = 0;
let ackFailed = 0;
let ackErrors: string[] = [];

function onSignal(seq: unknown): void {
  if (typeof seq !== 'number') return;
  const t = sentAt[seq];
  if (t === undefined) return;
  latencies.push(performance.now() - t);
  received++;
}

function onAck(res: Ack<unknown> | undefined): void {
  if (res && res.ok) return;
  ackFailed++;
  if (ackErrors.length < 5)
    ackErrors.push(res ? `${res.error.code}: ${res.error.message}` : 'no ack');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openOne(
  index: number,
  localAddress: string,
  tokenPrefix: string,
  timeoutMs: number,
): Promise<Conn> {
  const url = `http://127.0.0.1:${ports.length > 0 ? ports[index % ports.length] : port}`;
  if (kind === 'peerjs') {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(
        `ws://127.0.0.1:${port}/peerjs?key=peerjs&id=p${index}&token=t${index}`,
        { localAddress, perMessageDeflate: false },
      );
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('timeout'));
      }, timeoutMs);
      const conn: Conn = {
        index,
        relay(to, seq, sdp) {
          ws.send(
            JSON.stringify({
              type: 'OFFER',
              dst: `p${to.index}`,
              payload: { type: 'offer', sdp, seq },
            }),
          );
        },
        close: () => ws.terminate(),
        isOpen: () => ws.readyState === WebSocket.OPEN,
      };
      (conn as Conn & { ws: WebSocket }).ws = ws;
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as {
          type: string;
          payload?: { seq?: unknown; msg?: string };
        };
        if (msg.type === 'OPEN') {
          clearTimeout(timer);
          resolve(conn);
        } else if (msg.type === 'OFFER') onSignal(msg.payload?.seq);
        else if (msg.type === 'ERROR' || msg.type === 'ID-TAKEN') {
          clearTimeout(timer);
          reject(new Error(`${msg.type}: ${msg.payload?.msg ?? ''}`));
        }
      });
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }
  if (client === 'raw') return openRaw(index, url, localAddress, tokenPrefix, timeoutMs);
  return new Promise((resolve, reject) => {
    const socket: Socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
      localAddress,
      auth: kind === 'ours' ? { token: `${tokenPrefix}${index}` } : {},
    } as Parameters<typeof io>[1]);
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('timeout'));
    }, timeoutMs);
    const conn: Conn = {
      index,
      socket,
      relay:
        kind === 'ours'
          ? (to, seq, sdp) =>
              socket.emit(
                'signal:send',
                { to: `u${to.index}`, signal: { type: 'offer', sdp, seq } },
                onAck,
              )
          : (to, seq, sdp) =>
              socket.emit('relay', { to: to.sid, data: { type: 'offer', sdp, seq } }, onAck),
      close: () => socket.close(),
      isOpen: () => socket.connected,
    };
    const ready = () => {
      clearTimeout(timer);
      conn.sid = socket.id;
      resolve(conn);
    };
    if (kind === 'ours') {
      socket.once('session:ready', ready);
      socket.on('signal', (d: { signal?: { seq?: unknown } }) => onSignal(d.signal?.seq));
      socket.once('session:ended', (d: { reason: string }) => {
        clearTimeout(timer);
        reject(new Error(`session ended: ${d.reason}`));
      });
    } else {
      socket.once('connect', ready);
      socket.on('relay', (d: { data?: { seq?: unknown } }) => onSignal(d.data?.seq));
    }
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

/** The same connection as `openOne`'s socket.io-client branch, over `RawSioClient`. */
async function openRaw(
  index: number,
  url: string,
  localAddress: string,
  tokenPrefix: string,
  timeoutMs: number,
): Promise<Conn> {
  const ours = kind === 'ours';
  const socket = await RawSioClient.open(
    url,
    { localAddress, timeoutMs, ...(ours ? { auth: { token: `${tokenPrefix}${index}` } } : {}) },
    ours ? 'session:ready' : undefined,
  );
  if (ours) socket.on('signal', (d) => onSignal((d as { signal?: { seq?: unknown } }).signal?.seq));
  else socket.on('relay', (d) => onSignal((d as { data?: { seq?: unknown } }).data?.seq));
  return {
    index,
    sid: socket.id,
    relay: ours
      ? (to, seq, sdp) =>
          socket.emit(
            'signal:send',
            { to: `u${to.index}`, signal: { type: 'offer', sdp, seq } },
            onAck as (res: unknown) => void,
          )
      : (to, seq, sdp) =>
          socket.emit(
            'relay',
            { to: to.sid, data: { type: 'offer', sdp, seq } },
            onAck as (res: unknown) => void,
          ),
    close: () => socket.close(),
    isOpen: () => socket.connected,
  };
}

/** socket.io-client's backoff: `base * 2^attempt`, capped, randomized by +-`jitter`. */
const backoff = (attempt: number, base = 250, max = 5_000, jitter = 0.5) =>
  Math.min(max, base * 2 ** attempt) * (1 - jitter + 2 * jitter * Math.random());

async function stormConnect(args: {
  kind: Kind;
  port: number;
  from: number;
  count: number;
  addresses: string[];
  tokenPrefix: string;
  timeoutMs: number;
  client?: ClientKind;
}) {
  kind = args.kind;
  port = args.port;
  ports = [];
  client = args.client ?? 'socket.io';
  const t0 = performance.now();
  const deadline = Date.now() + args.timeoutMs;
  let failed = 0;
  let retries = 0;
  const errors: string[] = [];
  const opened: Conn[] = new Array(args.count);
  await Promise.all(
    Array.from({ length: args.count }, async (_, k) => {
      const index = args.from + k;
      const addr = args.addresses[index % args.addresses.length] ?? '127.0.0.1';
      for (let attempt = 0; ; attempt++) {
        await sleep(backoff(attempt));
        try {
          opened[k] = await openOne(index, addr, args.tokenPrefix, 20_000);
          return;
        } catch (err) {
          if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
          if (Date.now() >= deadline) {
            failed++;
            return;
          }
          retries++;
        }
      }
    }),
  );
  conns = opened;
  return {
    connected: opened.filter(Boolean).length,
    failed,
    retries,
    errors,
    ms: performance.now() - t0,
  };
}

serve({
  /**
   * Opens connections `from`..`from+count-1`, `concurrency` at a time. With `ports` (several nodes
   * of our server), connection `index` goes to `ports[index % ports.length]`.
   */
  async connect(args: {
    kind: Kind;
    port: number;
    ports?: number[];
    from: number;
    count: number;
    addresses: string[];
    concurrency: number;
    tokenPrefix: string;
    timeoutMs: number;
    client?: ClientKind;
    /**
     * A reconnect storm, as the web client behaves after a server restart (session.ts): every
     * connection starts after reconnectionDelay 250 ms +-50%, and a failed attempt is retried with
     * its backoff (doubling to 5 s, +-50%). No concurrency limit.
     */
    storm?: boolean;
  }) {
    if (args.storm) return stormConnect(args);
    kind = args.kind;
    port = args.port;
    ports = args.ports ?? [];
    client = args.client ?? 'socket.io';
    const t0 = performance.now();
    let next = 0;
    let failed = 0;
    const errors: string[] = [];
    const opened: Conn[] = new Array(args.count);
    const deadline = Date.now() + args.timeoutMs;
    await Promise.all(
      Array.from({ length: Math.min(args.concurrency, args.count) }, async () => {
        while (next < args.count && Date.now() < deadline) {
          const k = next++;
          const index = args.from + k;
          const addr = args.addresses[index % args.addresses.length] ?? '127.0.0.1';
          try {
            opened[k] = await openOne(
              index,
              addr,
              args.tokenPrefix,
              Math.min(20_000, args.timeoutMs),
            );
          } catch (err) {
            failed++;
            if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
          }
        }
      }),
    );
    conns = opened;
    if (kind === 'peerjs' && !heartbeat) {
      // What the PeerJS client does: a HEARTBEAT every 5 s keeps the server from expiring it.
      heartbeat = setInterval(() => {
        for (const c of conns) (c as Conn & { ws?: WebSocket }).ws?.send('{"type":"HEARTBEAT"}');
      }, 5_000);
    }
    const connected = conns.filter(Boolean).length;
    return {
      connected,
      failed: args.count - connected,
      errors,
      ms: performance.now() - t0,
      attempted: next,
      failedErr: failed,
    };
  },

  /** How many of this worker's connections are still open. */
  alive() {
    let n = 0;
    for (const c of conns) if (c?.isOpen()) n++;
    return n;
  },

  /**
   * Relays at `rate` per second for `seconds`: alternating A->B and B->A over the pairs, each
   * message an offer with an SDP of `payloadBytes`. Waits up to `drainMs` for stragglers.
   */
  async relay(args: { rate: number; seconds: number; payloadBytes: number; drainMs: number }) {
    const pairs: [Conn, Conn][] = [];
    for (let i = 0; i + 1 < conns.length; i += 2) {
      const a = conns[i];
      const b = conns[i + 1];
      if (a && b) pairs.push([a, b]);
    }
    if (pairs.length === 0) throw new Error('no pairs connected');
    const sdp = (
      'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\na=candidate:1 1 udp 2122260223 ' +
      'x'.repeat(args.payloadBytes)
    ).slice(0, args.payloadBytes);
    sentAt = [];
    latencies = [];
    received = 0;
    ackFailed = 0;
    ackErrors = [];
    const total = Math.round(args.rate * args.seconds);
    let sent = 0;
    const t0 = performance.now();
    const hardEnd = t0 + args.seconds * 1000 * 2 + 1000;
    while (sent < total && performance.now() < hardEnd) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * args.rate));
      while (sent < due) {
        const pair = pairs[sent % pairs.length] as [Conn, Conn];
        const flip = Math.floor(sent / pairs.length) % 2 === 1;
        const [from, to] = flip ? [pair[1], pair[0]] : pair;
        sentAt[sent] = performance.now();
        from.relay(to, sent, sdp);
        sent++;
      }
      await sleep(1);
    }
    const sendMs = performance.now() - t0;
    const drainEnd = performance.now() + args.drainMs;
    while (received < sent && performance.now() < drainEnd) await sleep(10);
    // Acks arrive before or with the last signals; give the ones in flight a moment.
    await sleep(kind === 'peerjs' ? 0 : 50);
    return {
      sent,
      received,
      ackFailed,
      ackErrors,
      sendMs,
      latencies: latencies.map((v) => Math.round(v * 100) / 100),
    };
  },

  /**
   * Offline store load: each connection of this worker is a sender; it keeps `window` stores in
   * flight to `recipients` (usernames, all offline) until `total` are acknowledged.
   */
  async offlineStore(args: {
    total: number;
    window: number;
    recipients: string[];
    /** Message k is stored with payloads[k % n] (sealed copies, or one plain text). */
    payloads: string[];
    timeoutMs: number;
  }) {
    const senders = conns.filter(Boolean).map((c) => c.socket as Socket);
    let issued = 0;
    let stored = 0;
    let failed = 0;
    const errors: string[] = [];
    const t0 = performance.now();
    const deadline = Date.now() + args.timeoutMs;
    await Promise.all(
      senders.flatMap((socket, s) =>
        Array.from({ length: args.window }, async () => {
          while (issued < args.total && Date.now() < deadline) {
            const k = issued++;
            const to = args.recipients[k % args.recipients.length] as string;
            const res = (await socket
              .timeout(30_000)
              .emitWithAck('offline:store', {
                id: `m${process.pid}x${s}x${k}`,
                to: { username: to },
                payload: args.payloads[k % args.payloads.length] as string,
              })
              .catch((e: Error) => ({
                ok: false,
                error: { code: 'TIMEOUT', message: e.message },
              }))) as Ack<unknown>;
            if (res.ok) stored++;
            else {
              failed++;
              if (errors.length < 5) errors.push(`${res.error.code}: ${res.error.message}`);
            }
          }
        }),
      ),
    );
    return { stored, failed, errors, ms: performance.now() - t0 };
  },

  /**
   * The same load through `offline:storeMany`: each sender keeps `window` batches of `batch`
   * messages in flight until `total` messages are acknowledged.
   */
  async offlineStoreMany(args: {
    total: number;
    window: number;
    batch: number;
    recipients: string[];
    /** Message k is stored with payloads[k % n] (sealed copies, or one plain text). */
    payloads: string[];
    timeoutMs: number;
  }) {
    const senders = conns.filter(Boolean).map((c) => c.socket as Socket);
    let issued = 0;
    let stored = 0;
    let failed = 0;
    const errors: string[] = [];
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const deadline = Date.now() + args.timeoutMs;
    await Promise.all(
      senders.flatMap((socket, s) =>
        Array.from({ length: args.window }, async () => {
          while (issued < args.total && Date.now() < deadline) {
            const first = issued;
            const n = Math.min(args.batch, args.total - first);
            issued += n;
            const items = Array.from({ length: n }, (_, j) => ({
              id: `b${process.pid}x${s}x${first + j}`,
              to: { username: args.recipients[(first + j) % args.recipients.length] as string },
              payload: args.payloads[(first + j) % args.payloads.length] as string,
            }));
            const res = (await socket
              .timeout(60_000)
              .emitWithAck('offline:storeMany', { items })
              .catch((e: Error) => ({
                ok: false,
                error: { code: 'TIMEOUT', message: e.message },
              }))) as Ack<{
              results: { ok: boolean; error?: { code: string; message: string } }[];
            }>;
            if (!res.ok) {
              failed += n;
              if (errors.length < 5) errors.push(`${res.error.code}: ${res.error.message}`);
              continue;
            }
            for (const r of res.data.results) {
              if (r.ok) stored++;
              else {
                failed++;
                if (errors.length < 5 && r.error)
                  errors.push(`${r.error.code}: ${r.error.message}`);
              }
            }
          }
        }),
      ),
    );
    const cpu = process.cpuUsage(cpu0);
    // This generator's CPU over the run (user + system): the generators share the cores with the
    // server, so what they spend is taken from it.
    return {
      stored,
      failed,
      errors,
      ms: performance.now() - t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  },

  /**
   * One user logs in (socket connect with its token) and drains the offline store the way a client
   * does: pull a batch, ack its ids, until nothing is left.
   */
  async offlineDeliver(args: {
    port: number;
    index: number;
    tokenPrefix: string;
    batch: number;
    expect: number;
    timeoutMs: number;
  }) {
    kind = 'ours';
    client = 'socket.io';
    port = args.port;
    ports = [];
    const t0 = performance.now();
    const conn = await openOne(args.index, '127.0.0.1', args.tokenPrefix, args.timeoutMs);
    const socket = conn.socket as Socket;
    const readyMs = performance.now() - t0;
    let got = 0;
    let acked = 0;
    let firstMs = 0;
    const deadline = Date.now() + args.timeoutMs;
    try {
      while (Date.now() < deadline) {
        const res = (await socket
          .timeout(30_000)
          .emitWithAck('offline:pull', { limit: args.batch })) as Ack<{
          messages: { id: string }[];
          more: boolean;
        }>;
        if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`);
        if (got === 0) firstMs = performance.now() - t0;
        got += res.data.messages.length;
        if (res.data.messages.length > 0) {
          const ack = (await socket
            .timeout(30_000)
            .emitWithAck('offline:ack', { ids: res.data.messages.map((m) => m.id) })) as Ack<{
            deleted: number;
          }>;
          if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
          acked += ack.data.deleted;
        }
        if (!res.data.more) break;
      }
    } finally {
      socket.close();
    }
    return { received: got, acked, readyMs, firstBatchMs: firstMs, allMs: performance.now() - t0 };
  },

  /** POST /api/auth/login at `rate` per second, `count` times; latencies of the answers. */
  async logins(args: {
    port: number;
    rate: number;
    count: number;
    usernames: string[];
    password: string;
    addresses: string[];
    timeoutMs: number;
  }) {
    const lat: number[] = [];
    let ok = 0;
    const errors: string[] = [];
    const one = (i: number) =>
      new Promise<void>((resolve) => {
        const body = JSON.stringify({
          username: args.usernames[i % args.usernames.length],
          password: args.password,
        });
        const t = performance.now();
        const req = request(
          {
            host: '127.0.0.1',
            port: args.port,
            path: '/api/auth/login',
            method: 'POST',
            localAddress: args.addresses[i % args.addresses.length],
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
            timeout: 30_000,
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => {
              lat.push(performance.now() - t);
              if (res.statusCode === 200) ok++;
              else if (errors.length < 5) errors.push(`${res.statusCode}: ${text.slice(0, 120)}`);
              resolve();
            });
          },
        );
        req.on('error', (err) => {
          if (errors.length < 5) errors.push(err.message);
          resolve();
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.end(body);
      });
    const inflight: Promise<void>[] = [];
    const t0 = performance.now();
    const end = t0 + args.timeoutMs;
    let issued = 0;
    while (issued < args.count && performance.now() < end) {
      const due = Math.min(
        args.count,
        Math.floor(((performance.now() - t0) / 1000) * args.rate) + 1,
      );
      while (issued < due) inflight.push(one(issued++));
      await sleep(2);
    }
    const sendMs = performance.now() - t0;
    await Promise.race([Promise.all(inflight), sleep(Math.max(0, end - performance.now()))]);
    return { issued, ok, errors, sendMs, latencies: lat };
  },

  async closeAll() {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = undefined;
    for (const c of conns) c?.close();
    conns = [];
    return null;
  },
});
