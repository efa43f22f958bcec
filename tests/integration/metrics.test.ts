/**
 * Prometheus metrics at /metrics (issue 9): off without METRICS_TOKEN (404), 401 without the right
 * bearer token, and with it the text format whose counters move with real traffic, each sample
 * labelled with the node, and no user name or message content anywhere in it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../signaling/config.ts';
import {
  call,
  closeAllSockets,
  connectSocket,
  post,
  register,
  startServer,
  type ClientSocket,
  type TestServer,
} from '../helpers/server.ts';

const TOKEN = `metrics-${randomUUID()}`;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, enough of it for these checks (no escaped quotes in our labels). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

async function scrape(url: string, token: string | null = TOKEN) {
  const res = await fetch(`${url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one series (summed over the labels not given); 0 when it is absent. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

describe('metrics', () => {
  it('reads METRICS_TOKEN and NODE_ID from the environment; both are off by default', () => {
    expect(loadConfig({})).toMatchObject({ metricsToken: null, nodeId: null });
    expect(loadConfig({ METRICS_TOKEN: 'abc', NODE_ID: 'n1' })).toMatchObject({
      metricsToken: 'abc',
      nodeId: 'n1',
    });
  });

  it('has no endpoint without METRICS_TOKEN: 404, even with a bearer token', async () => {
    const server = await startServer('sqlite');
    try {
      expect((await scrape(server.url, null)).status).toBe(404);
      expect((await scrape(server.url, 'anything')).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  describe('with METRICS_TOKEN', () => {
    let server: TestServer;
    let port: string;
    beforeAll(async () => {
      server = await startServer('sqlite', {
        metricsToken: TOKEN,
        rateLimits: {
          loginPerIp: { points: 10_000, durationSec: 60 },
          loginFailuresPerUserIp: { points: 2, durationSec: 60 },
          loginFailuresPerUser: { points: 2, durationSec: 60 },
          registerPerIp: { points: 10_000, durationSec: 60 },
          eventsPerUser: { points: 10_000, durationSec: 1 },
          connectsPerIp: { points: 10_000, durationSec: 60 },
        },
      });
      port = new URL(server.url).port;
    });
    afterAll(async () => {
      closeAllSockets();
      await server?.close();
    });

    it('answers 401 without the token or with a wrong one', async () => {
      expect((await scrape(server.url, null)).status).toBe(401);
      expect((await scrape(server.url, 'wrong')).status).toBe(401);
      expect((await scrape(server.url, `${TOKEN}x`)).status).toBe(401);
    });

    it('counts connections, sessions, relays and refusals by code, the offline store, login failures and rate limits', async () => {
      const before = parse((await scrape(server.url)).text);
      const names = ['mx_alice_qzx', 'mx_bob_qzx', 'mx_carol_qzx', 'mx_dave_qzx'];
      const [alice, bob, carol, dave] = await Promise.all(
        names.map(async (n) => ({ name: n, ...(await register(server.url, n)) })),
      );
      const sa: ClientSocket = await connectSocket(server.url, alice!.token);
      const sb: ClientSocket = await connectSocket(server.url, bob!.token);
      for (const friend of [bob!, dave!]) {
        expect(await call(sa, 'friends:request', { username: friend.name })).toMatchObject({
          ok: true,
        });
      }
      expect(await call(sb, 'friends:respond', { username: alice!.name, accept: true })).toEqual(
        expect.objectContaining({ ok: true }),
      );
      const sd = await connectSocket(server.url, dave!.token);
      expect(await call(sd, 'friends:respond', { username: alice!.name, accept: true })).toEqual(
        expect.objectContaining({ ok: true }),
      );
      sd.close();

      const secret = 'top secret message body qzx';
      const signal = { type: 'offer', sdp: secret };
      expect(await call(sa, 'signal:send', { to: bob!.name, signal })).toMatchObject({ ok: true });
      expect(await call(sa, 'signal:send', { to: carol!.name, signal })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FRIENDS' },
      });
      const id = randomUUID();
      expect(
        await call(sa, 'offline:store', { id, to: { username: dave!.name }, payload: secret }),
      ).toMatchObject({ ok: true });
      for (let i = 0; i < 3; i++) {
        await post(server.url, '/api/auth/login', {
          username: carol!.name,
          password: 'not the password',
        });
      }

      const mid = (await scrape(server.url)).text;
      const during = parse(mid);
      expect(value(during, 'p2sp_connections')).toBeGreaterThanOrEqual(2);
      expect(value(during, 'p2sp_sessions')).toBeGreaterThanOrEqual(2);
      expect(value(during, 'p2sp_offline_depth')).toBe(1);

      // Dave comes back for his message.
      const back = await post<{ token: string }>(server.url, '/api/auth/login', {
        username: dave!.name,
        password: 'correct horse battery',
      });
      if (!back.body.ok) throw new Error('login failed');
      const sd2 = await connectSocket(server.url, back.body.data.token);
      const pulled = await call(sd2, 'offline:pull', {});
      expect(pulled).toMatchObject({ ok: true, data: { messages: [{ id }] } });
      expect(await call(sd2, 'offline:ack', { ids: [id] })).toMatchObject({ ok: true });

      const res = await scrape(server.url);
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/plain/);
      const after = parse(res.text);
      const moved = (name: string, labels: Record<string, string> = {}) =>
        value(after, name, labels) - value(before, name, labels);

      expect(moved('p2sp_connections_opened_total')).toBeGreaterThanOrEqual(4);
      expect(moved('p2sp_relays_total', { result: 'ok' })).toBe(1);
      expect(moved('p2sp_relays_total', { result: 'NOT_FRIENDS' })).toBe(1);
      expect(moved('p2sp_socket_events_total', { event: 'offline:store', result: 'ok' })).toBe(1);
      expect(moved('p2sp_offline_stored_total')).toBe(1);
      expect(moved('p2sp_offline_delivered_total')).toBe(1);
      expect(moved('p2sp_offline_acked_total')).toBe(1);
      expect(value(after, 'p2sp_offline_depth')).toBe(0);
      expect(moved('p2sp_login_failures_total', { code: 'INVALID_CREDENTIALS' })).toBe(2);
      expect(moved('p2sp_login_failures_total', { code: 'RATE_LIMITED' })).toBe(1);
      expect(
        moved('p2sp_rate_limit_hits_total', {
          limit: 'failed-logins-for-this-user-from-this-address',
        }),
      ).toBe(1);
      expect(after.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);

      // Every sample says which node; nothing says who or what.
      for (const s of after) expect(s.labels.node).toBe(`${hostname()}:${port}`);
      for (const text of [mid, res.text]) {
        for (const n of names) expect(text).not.toContain(n);
        expect(text).not.toContain('qzx');
      }
    });
  });
});
