/**
 * Configuration from the environment, with defaults that make `npm start` work with nothing set.
 */
import { z } from 'zod';
import type { IceServer, IceTransportPolicy } from '../shared/events.ts';
import { LIMITS } from '../shared/limits.ts';
import { parseTrustProxy, type TrustProxy } from './client-address.ts';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | null;
  /** Channel prefix on Redis, so several deployments (or test runs) can share one Redis. */
  redisPrefix: string;
  /** Nodes tell each other they are alive this often; silence for 3 beats means a node is gone. */
  clusterHeartbeatMs: number;
  logLevel: string;
  iceServers: IceServer[];
  /** Which reverse proxies' X-Forwarded-For entries to believe for client addresses. */
  trustProxy: TrustProxy;
  /** TURN REST API credentials (coturn's `use-auth-secret`): minted per session, merged with iceServers. */
  turn: TurnConfig | null;
  /** 'relay' makes every client use TURN only (hides their addresses from peers). */
  iceTransportPolicy: IceTransportPolicy;
  /** Built web client to serve; null serves no static files (tests of the API alone). */
  staticDir: string | null;
  groupMembersMax: number;
  offlineMaxPerUser: number;
  offlineMaxAgeMs: number;
  /** How long sign-ins (user, address, time) are kept in login_log: LOGIN_LOG_DAYS. */
  loginLogMaxAgeMs: number;
  /** Socket.IO heartbeat: a dropped socket is noticed within pingInterval + pingTimeout. */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** How often the server re-reads blocks made by another process (the admin CLI, another node). */
  sweepIntervalMs: number;
  /** Bearer token for GET /metrics (Prometheus); null: no metrics endpoint (404). */
  metricsToken: string | null;
  /** This node's `node` label in the metrics; null: hostname:port. */
  nodeId: string | null;
  rateLimits: {
    loginPerIp: { points: number; durationSec: number };
    /** Failed logins for one username from one address: what stops a guesser. */
    loginFailuresPerUserIp: { points: number; durationSec: number };
    /** Failed logins for one username from everywhere: a ceiling for guessers with many addresses. */
    loginFailuresPerUser: { points: number; durationSec: number };
    registerPerIp: { points: number; durationSec: number };
    /** Socket events per user, over all their connections (a flood guard, not a product rule). */
    eventsPerUser: { points: number; durationSec: number };
    /** Socket handshakes per address: the only thing a client does before it is authenticated. */
    connectsPerIp: { points: number; durationSec: number };
  };
  /**
   * Rooms (issue 12): joins per user (each tells every member), and directory reads per user (a
   * search is a scan of the public groups' names, dearer than most events).
   */
  roomLimits: {
    joinsPerUser: { points: number; durationSec: number };
    listsPerUser: { points: number; durationSec: number };
  };
  /**
   * The most messages one sender may have waiting in one recipient's mailbox, so nobody can fill
   * it and make the recipient's other contacts get QUOTA_EXCEEDED.
   */
  offlineMaxPerSender: number;
}

export interface TurnConfig {
  /** coturn's `static-auth-secret`. */
  secret: string;
  urls: string[];
  /** How long a minted credential is good for. */
  ttlSeconds: number;
}

/** TURN_SECRET and TURN_URLS come together; either alone is a mistake worth stopping for. */
export function parseTurn(env: NodeJS.ProcessEnv): TurnConfig | null {
  const secret = env.TURN_SECRET ?? '';
  const urls = (env.TURN_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (!secret && urls.length === 0) return null;
  if (!secret) throw new Error('TURN_URLS is set but TURN_SECRET is not');
  if (urls.length === 0) throw new Error('TURN_SECRET is set but TURN_URLS is not');
  const bad = urls.find((u) => !/^turns?:/.test(u));
  if (bad) throw new Error(`TURN_URLS: "${bad}" is not a turn: or turns: URL`);
  const ttlSeconds = int(env, 'TURN_TTL_SECONDS', 86_400);
  if (ttlSeconds < 60) throw new Error('TURN_TTL_SECONDS must be at least 60');
  return { secret, urls, ttlSeconds };
}

function iceTransportPolicy(raw: string | undefined): IceTransportPolicy {
  if (!raw) return 'all';
  if (raw === 'all' || raw === 'relay') return raw;
  throw new Error(`ICE_TRANSPORT_POLICY must be "all" or "relay", got "${raw}"`);
}

const iceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});

/**
 * ICE_SERVERS is either JSON (`[{"urls":"turn:turn.example.com","username":"u","credential":"p"}]`)
 * or a comma-separated list of URLs (`stun:stun.example.com:3478,stun:other:3478`).
 */
export function parseIceServers(raw: string | undefined): IceServer[] {
  if (!raw || !raw.trim()) return [];
  const text = raw.trim();
  if (text.startsWith('[')) {
    const parsed = z.array(iceServer).safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(`ICE_SERVERS: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data.map((s) => ({ ...s }));
  }
  return text
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((urls) => ({ urls }));
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

/** `int`, and within [min, max]. */
function intBetween(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const n = int(env, name, fallback);
  if (n < min || n > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${env[name]}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: int(env, 'PORT', 8080),
    host: env.HOST || '0.0.0.0',
    databaseUrl: env.DATABASE_URL || 'sqlite:./data/p2sp.db',
    redisUrl: env.REDIS_URL || null,
    redisPrefix: env.REDIS_PREFIX || 'p2sp',
    clusterHeartbeatMs: int(env, 'CLUSTER_HEARTBEAT_MS', 2_000),
    logLevel: env.LOG_LEVEL || 'info',
    iceServers: parseIceServers(env.ICE_SERVERS),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    turn: parseTurn(env),
    iceTransportPolicy: iceTransportPolicy(env.ICE_TRANSPORT_POLICY),
    staticDir: env.STATIC_DIR === '' ? null : env.STATIC_DIR || 'dist',
    groupMembersMax: int(env, 'GROUP_MEMBERS_MAX', LIMITS.groupMembersDefault),
    offlineMaxPerUser: int(env, 'OFFLINE_MAX_PER_USER', 10_000),
    offlineMaxAgeMs: int(env, 'OFFLINE_MAX_AGE_DAYS', 30) * 24 * 3600 * 1000,
    loginLogMaxAgeMs: intBetween(env, 'LOGIN_LOG_DAYS', 90, 1, 3650) * 24 * 3600 * 1000,
    pingIntervalMs: int(env, 'PING_INTERVAL_MS', 10_000),
    pingTimeoutMs: int(env, 'PING_TIMEOUT_MS', 5_000),
    sweepIntervalMs: int(env, 'SWEEP_INTERVAL_MS', 5_000),
    metricsToken: env.METRICS_TOKEN || null,
    nodeId: env.NODE_ID || null,
    rateLimits: {
      loginPerIp: { points: int(env, 'RATE_LOGIN_PER_IP', 30), durationSec: 60 },
      loginFailuresPerUserIp: {
        points: int(env, 'RATE_LOGIN_FAILURES_PER_USER_IP', 10),
        durationSec: 300,
      },
      loginFailuresPerUser: {
        points: int(env, 'RATE_LOGIN_FAILURES_PER_USER', 100),
        durationSec: 300,
      },
      registerPerIp: { points: int(env, 'RATE_REGISTER_PER_IP', 20), durationSec: 600 },
      // RATE_EVENTS_PER_SOCKET is the older name, from when the budget was per connection.
      eventsPerUser: {
        points: int(env, 'RATE_EVENTS_PER_USER', int(env, 'RATE_EVENTS_PER_SOCKET', 200)),
        durationSec: 10,
      },
      connectsPerIp: { points: int(env, 'RATE_CONNECTS_PER_IP', 120), durationSec: 60 },
    },
    roomLimits: {
      joinsPerUser: { points: int(env, 'RATE_ROOM_JOINS_PER_USER', 20), durationSec: 60 },
      listsPerUser: { points: int(env, 'RATE_ROOM_LISTS_PER_USER', 60), durationSec: 60 },
    },
    offlineMaxPerSender: int(env, 'OFFLINE_MAX_PER_SENDER', 1_000),
  };
}

/** Socket.IO's transport settings (also the bench's plain Socket.IO server, to compare like with like). */
export function socketServerOptions(config: Config) {
  return {
    maxHttpBufferSize: LIMITS.socketFrameMax,
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    // Compression costs memory per socket and CPU per frame; our frames are small.
    perMessageDeflate: false,
    httpCompression: false,
    serveClient: false,
  };
}
