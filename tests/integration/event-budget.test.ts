/**
 * The socket event budget from the attacker's side: it belongs to the user, so reconnecting (or
 * signing in again) does not refill it, and before authentication the handshakes themselves are
 * counted per address.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { parseTrustProxy } from '../../signaling/client-address.ts';
import {
  DIALECTS,
  call,
  closeAllSockets,
  connectSocket,
  login,
  register,
  startServer,
  testConfig,
  type TestServer,
} from '../helpers/server.ts';

const BUDGET = 20;
const CONNECTS = 10;

/** A handshake as from `address` (behind one trusted proxy); resolves with the refusal's code. */
function handshake(url: string, token: string, address: string) {
  const socket = connect(url, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    extraHeaders: { 'x-forwarded-for': address },
  });
  return new Promise<{ code: string; retryAfterMs?: number }>((resolve) => {
    socket.once('connect', () => {
      socket.close();
      resolve({ code: 'CONNECTED' });
    });
    socket.once('connect_error', (err) => {
      socket.close();
      const data = (err as { data?: { code: string; details?: { retryAfterMs?: number } } }).data;
      resolve({ code: data?.code ?? err.message, retryAfterMs: data?.details?.retryAfterMs });
    });
  });
}

describe.each(DIALECTS)('event budget (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, {
      trustProxy: parseTrustProxy('1'),
      rateLimits: {
        ...testConfig('').rateLimits,
        eventsPerUser: { points: BUDGET, durationSec: 60 },
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => closeAllSockets());

  it('reconnecting does not refill the budget', async () => {
    const auth = await register(server.url, 'reconnector');
    const served: boolean[] = [];
    for (let round = 0; round < 8; round++) {
      const socket = await connectSocket(server.url, auth.token);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => call(socket, 'friends:list', {})),
      );
      served.push(...results.map((r) => r.ok));
      socket.close();
    }
    expect(served.filter(Boolean)).toHaveLength(BUDGET);
  });

  it('signing in again does not refill it either, and another user keeps their own', async () => {
    const first = await register(server.url, 'relogger');
    const socket = await connectSocket(server.url, first.token);
    await Promise.all(Array.from({ length: BUDGET }, () => call(socket, 'friends:list', {})));
    const again = await login(server.url, 'relogger');
    const fresh = await connectSocket(server.url, again.token);
    const res = await call(fresh, 'friends:list', {});
    expect(res).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    const other = await register(server.url, 'bystander');
    const otherSocket = await connectSocket(server.url, other.token);
    expect((await call(otherSocket, 'friends:list', {})).ok).toBe(true);
  });
});

describe.each(DIALECTS)('handshakes before authentication (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, {
      trustProxy: parseTrustProxy('1'),
      rateLimits: {
        ...testConfig('').rateLimits,
        connectsPerIp: { points: CONNECTS, durationSec: 60 },
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('a pre-auth flood of handshakes from one address is limited; other addresses carry on', async () => {
    const results = [];
    for (let i = 0; i < CONNECTS + 5; i++)
      results.push(await handshake(server.url, `made-up-${i}`, '198.51.100.30'));
    expect(results.map((r) => r.code)).toEqual([
      ...Array(CONNECTS).fill('UNAUTHENTICATED'),
      ...Array(5).fill('RATE_LIMITED'),
    ]);
    expect(results.at(-1)!.retryAfterMs).toBeGreaterThan(0);
    // A real token from that address waits too: the handshake is what is counted.
    const auth = await register(server.url, 'neighbour');
    expect((await handshake(server.url, auth.token, '198.51.100.30')).code).toBe('RATE_LIMITED');
    expect((await handshake(server.url, auth.token, '198.51.100.31')).code).toBe('CONNECTED');
  });
});
