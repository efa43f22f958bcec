/**
 * Prometheus metrics (issue 9): this module owns the registry and every metric, so a call site is
 * one line (`metrics.relays.inc(...)`). Scraped at `GET /metrics` with `Authorization: Bearer
 * <METRICS_TOKEN>`; without METRICS_TOKEN the endpoint does not exist (404).
 *
 * Labels take values from closed sets only (event names of the contract, error codes of the
 * catalogue, limiter names, a node id): never a user name, an address or message content, which
 * would leak metadata to whoever reads the metrics and grow the series without bound.
 *
 * One registry per process. Gauges read their values at scrape time from the apps attached to it
 * (one in production; tests may run several apps in one process, and see their sum).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import client from 'prom-client';
import { AppError } from '../shared/errors.ts';

export const registry = new client.Registry();

const counter = (name: string, help: string, labelNames: string[] = []) =>
  new client.Counter({ name, help, labelNames, registers: [registry] });

export const metrics = {
  connectionsOpened: counter('p2sp_connections_opened_total', 'authenticated sockets accepted'),
  /** Every socket event with a binding, by its outcome: `ok` or the error code answered. */
  socketEvents: counter('p2sp_socket_events_total', 'socket events handled, by event and result', [
    'event',
    'result',
  ]),
  relays: counter('p2sp_relays_total', 'signals relayed (result ok) or refused (the error code)', [
    'result',
  ]),
  offlineStored: counter('p2sp_offline_stored_total', 'messages written to the offline store'),
  offlineDelivered: counter(
    'p2sp_offline_delivered_total',
    'offline messages handed to their recipient (pulled; a message pulled twice counts twice)',
  ),
  offlineAcked: counter('p2sp_offline_acked_total', 'offline messages acknowledged and deleted'),
  offlineExpired: counter('p2sp_offline_expired_total', 'offline messages deleted for their age'),
  loginFailures: counter('p2sp_login_failures_total', 'refused logins, by error code', ['code']),
  rateLimited: counter('p2sp_rate_limit_hits_total', 'requests refused by a rate limit', ['limit']),
  blockEvents: counter('p2sp_block_events_applied_total', 'block events applied by this node'),
};

/** What a running app reports at scrape time. */
export interface MetricsSource {
  connections(): number;
  sessions(): number;
  /** Messages waiting in the offline store (the whole store, not only this node's users). */
  offlineDepth(): Promise<number>;
}

const sources = new Set<MetricsSource>();
const sum = (f: (s: MetricsSource) => number) => [...sources].reduce((n, s) => n + f(s), 0);

new client.Gauge({
  name: 'p2sp_connections',
  help: 'open Socket.IO connections on this node',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.connections()));
  },
});
new client.Gauge({
  name: 'p2sp_sessions',
  help: 'users with a live session on this node',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.sessions()));
  },
});
new client.Gauge({
  name: 'p2sp_offline_depth',
  help: 'messages waiting in the offline store (shared by every node)',
  registers: [registry],
  async collect() {
    const depths = await Promise.all([...sources].map((s) => s.offlineDepth()));
    this.set(depths.reduce((a, b) => a + b, 0));
  },
});

let defaultsOn = false;

/** Attaches a running app; returns the detach for its close(). Sets the `node` label. */
export function attachMetrics(source: MetricsSource, node: string): () => void {
  if (!defaultsOn) {
    defaultsOn = true;
    // Process metrics, event-loop lag included (nodejs_eventloop_lag_seconds, ..._p99_seconds).
    client.collectDefaultMetrics({ register: registry });
  }
  registry.setDefaultLabels({ node });
  sources.add(source);
  return () => sources.delete(source);
}

/** Counts a socket event's outcome; signals relayed or refused also count as relays. */
export function countEvent(event: string, result: string): void {
  metrics.socketEvents.inc({ event, result });
  if (event === 'signal:send') metrics.relays.inc({ result });
}

/** For `.catch()` on a login: counts the refusal by its code and rethrows it. */
export function countLoginFailure(err: unknown): never {
  metrics.loginFailures.inc({ code: err instanceof AppError ? err.code : 'INTERNAL' });
  throw err;
}

/** A stable label for a rate limit: its description in kebab case (a fixed string per limiter). */
export const limitLabel = (what: string) => what.replace(/\W+/g, '-');

function sameToken(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * Answers `GET /metrics` and returns true; returns false for every other path. No token
 * configured: 404, as if there were no such endpoint. Wrong or missing bearer token: 401.
 */
export function serveMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  token: string | null,
): boolean {
  const path = req.url?.split('?')[0];
  if (path !== '/metrics') return false;
  const reply = (status: number, type: string, body: string, extra: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': type, ...extra }).end(body);
  if (!token) {
    reply(
      404,
      'application/json',
      '{"ok":false,"error":{"code":"NOT_FOUND","message":"not found"}}',
    );
    return true;
  }
  if (!sameToken(req.headers.authorization, token)) {
    reply(401, 'text/plain', 'unauthorized\n', { 'www-authenticate': 'Bearer' });
    return true;
  }
  registry.metrics().then(
    (text) => reply(200, registry.contentType, text),
    () => reply(500, 'text/plain', 'metrics failed\n'),
  );
  return true;
}
