/**
 * Client addresses behind reverse proxies, from the attacker's side: whatever a client writes into
 * X-Forwarded-For, the address a limit counts is the one our own proxy appended.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { parseTrustProxy, type TrustProxy } from '../../signaling/client-address.ts';
import { DIALECTS, closeAllSockets, startServer, type TestServer } from '../helpers/server.ts';

const LIMIT = 20;

async function registerVia(server: TestServer, username: string, forwardedFor: string) {
  const res = await fetch(`${server.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ username, password: 'correct horse battery' }),
  });
  return res.status;
}

/** The address recorded for a user's latest login (what the limits counted too). */
async function loggedIp(server: TestServer, username: string): Promise<string> {
  const row = await server.app.store.db
    .selectFrom('login_log')
    .innerJoin('users', 'users.id', 'login_log.user_id')
    .select('login_log.ip')
    .where('users.username', '=', username)
    .orderBy('login_log.id', 'desc')
    .executeTakeFirstOrThrow();
  return row.ip;
}

async function serverTrusting(dialect: (typeof DIALECTS)[number], trustProxy: TrustProxy) {
  return startServer(dialect, {
    trustProxy,
    rateLimits: {
      loginPerIp: { points: 10_000, durationSec: 60 },
      loginFailuresPerUser: { points: 10_000, durationSec: 60 },
      loginFailuresPerUserIp: { points: 10_000, durationSec: 60 },
      registerPerIp: { points: LIMIT, durationSec: 600 },
      eventsPerUser: { points: 10_000, durationSec: 1 },
      connectsPerIp: { points: 5, durationSec: 60 },
    },
  });
}

describe.each(DIALECTS)('TRUST_PROXY (%s)', (dialect) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    closeAllSockets();
    await server?.close();
    server = undefined;
  });

  it('one hop: forged entries left of the proxy`s own do not make new addresses', async () => {
    server = await serverTrusting(dialect, parseTrustProxy('1'));
    const statuses: number[] = [];
    // The client forges a fresh address each time; the proxy (the TCP peer, 127.0.0.1) appends the
    // address it really saw, 198.51.100.7.
    for (let i = 0; i < 30; i++)
      statuses.push(await registerVia(server, `spoof${i}`, `10.9.${i}.7, 198.51.100.7`));
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 - LIMIT);
    expect(await loggedIp(server, 'spoof0')).toBe('198.51.100.7');
  });

  it('two hops: the entry the outer proxy appended counts', async () => {
    server = await serverTrusting(dialect, parseTrustProxy('2'));
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++)
      statuses.push(await registerVia(server, `hop${i}`, `10.9.${i}.7, 198.51.100.8, 10.0.0.2`));
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(await loggedIp(server, 'hop0')).toBe('198.51.100.8');
  });

  it('a list of proxies: walks past trusted addresses and CIDRs to the first untrusted one', async () => {
    server = await serverTrusting(dialect, parseTrustProxy('127.0.0.1,10.0.0.0/8'));
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++)
      statuses.push(
        await registerVia(server, `list${i}`, `192.0.2.${i}, 203.0.113.9, 10.1.2.3, 10.0.0.2`),
      );
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(await loggedIp(server, 'list0')).toBe('203.0.113.9');
  });

  it('a peer that is not a listed proxy is the client, whatever it forwards', async () => {
    server = await serverTrusting(dialect, parseTrustProxy('10.0.0.0/8'));
    expect(await registerVia(server, 'direct0', '198.51.100.99')).toBe(200);
    expect(await loggedIp(server, 'direct0')).toBe('127.0.0.1');
  });

  it('garbage in the chain ends the walk at the proxy that passed it on', async () => {
    server = await serverTrusting(dialect, parseTrustProxy('2'));
    expect(await registerVia(server, 'junk0', `198.51.100.1, <script>, 10.0.0.2`)).toBe(200);
    expect(await loggedIp(server, 'junk0')).toBe('10.0.0.2');
  });

  it('the socket handshake reads the address the same way: forged entries share one budget', async () => {
    server = await serverTrusting(dialect, parseTrustProxy('1'));
    const url = server.url;
    // Pre-auth handshakes (bad tokens here) are counted per address; 5 are allowed.
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const socket = connect(url, {
        auth: { token: 'not-a-token' },
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        extraHeaders: { 'x-forwarded-for': `10.9.${i}.7, 198.51.100.7` },
      });
      codes.push(
        await new Promise<string>((resolve) =>
          socket.once('connect_error', (err) => {
            socket.close();
            resolve((err as { data?: { code?: string } }).data?.code ?? err.message);
          }),
        ),
      );
    }
    expect(codes).toEqual([...Array(5).fill('UNAUTHENTICATED'), ...Array(3).fill('RATE_LIMITED')]);
  });
});
